"""The carrier's API: labels and tracking."""

import time

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


def create_label(order_id: int, address: dict) -> str:
    # posture-demo: violates R3.http-no-timeout
    # posture-demo: violates R3.no-correlation-id
    # posture-demo: violates R3.no-circuit-breaker
    response = requests.post(
        f"{config.SHIPPING_URL}/labels",
        json={"reference": str(order_id), "address": address},
        headers={"Authorization": f"Bearer {config.SHIPPING_API_KEY}"},
    )
    response.raise_for_status()
    return response.json()["label_url"]


def track(session: requests.Session, tracking_number: str) -> dict:
    # posture-demo: violates R3.retry-no-jitter (every worker retries in lock-step: 1 s, 2 s, 4 s...)
    for attempt in range(5):
        try:
            # posture-demo: ok R3.http-no-timeout
            # posture-demo: ok R3.no-correlation-id
            response = session.get(
                f"{config.SHIPPING_URL}/tracking/{tracking_number}", timeout=(3.05, 10), headers=correlation_headers()
            )
            response.raise_for_status()
            return response.json()
        except requests.ConnectionError:
            time.sleep(2**attempt)
    raise CarrierUnavailable(tracking_number)
