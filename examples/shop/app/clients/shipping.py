"""Our shipping gateway (in front of the carriers' APIs): quotes, labels and tracking."""

import time
from pathlib import Path

import requests

from app import config
from app.context import correlation_headers


class CarrierUnavailable(Exception):
    pass


def carrier_session() -> requests.Session:
    """A session carrying the API key; the caller closes it (`with carrier_session() as s:`)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {config.SHIPPING_API_KEY}"
    # posture-demo: ok R4.resource-not-closed (handed to the caller)
    return session


def quote(country: str, weight_kg: float) -> dict:
    # posture-demo: violates R3.no-correlation-id (called while handling a request; our shipping gateway's logs cannot be joined to the request)
    # posture-demo: violates R3.no-circuit-breaker (no breaker around the carrier's API in this file)
    response = requests.get(
        f"{config.SHIPPING_URL}/quotes",
        params={"country": country, "weight_kg": weight_kg},
        headers={"Authorization": f"Bearer {config.SHIPPING_API_KEY}"},
        timeout=(3.05, 10),
    )
    response.raise_for_status()
    return response.json()


def create_label(order_id: int, address: dict) -> str:
    # posture-demo: violates R3.http-no-timeout
    response = requests.post(
        f"{config.SHIPPING_URL}/labels",
        json={"reference": str(order_id), "address": address},
        headers={"Authorization": f"Bearer {config.SHIPPING_API_KEY}"},
    )
    response.raise_for_status()
    return response.json()["label_url"]


def archive_label(session: requests.Session, label_url: str, path: Path) -> None:
    response = session.get(label_url, timeout=(3.05, 30))
    response.raise_for_status()
    # posture-demo: violates R5.buffer-not-stream (the whole PDF in memory before it reaches the disk)
    path.write_bytes(response.content)


def track(session: requests.Session, reference: str) -> dict:
    for attempt in range(5):
        try:
            # posture-demo: ok R3.http-no-timeout
            # posture-demo: ok R3.no-correlation-id
            response = session.get(
                f"{config.SHIPPING_URL}/tracking/{reference}", timeout=(3.05, 10), headers=correlation_headers()
            )
            response.raise_for_status()
            return response.json()
        except requests.ConnectionError:
            # posture-demo: violates R3.retry-no-jitter (every worker retries in lock-step: 1 s, 2 s, 4 s...)
            time.sleep(2**attempt)
    raise CarrierUnavailable(reference)
