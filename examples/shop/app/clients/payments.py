"""The payment provider's API: captures, invoices, monthly statements."""

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pybreaker
from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from app import config
from app.context import correlation_id
from app.money import to_cents

# posture-demo: ok R3.no-circuit-breaker (every call below goes through it)
breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30, name="payments")


def _propagate_correlation_id(request: httpx.Request) -> None:
    request.headers["X-Correlation-ID"] = correlation_id.get()


class PaymentsClient:
    def __init__(self, base_url: str = config.PAYMENTS_URL) -> None:
        # posture-demo: ok R3.http-no-timeout (httpx's 5 s default)
        # posture-demo: ok R3.no-correlation-id (event hook on the client)
        # posture-demo: ok R4.resource-not-closed (owned by this object, closed by close())
        self._http = httpx.Client(base_url=base_url, event_hooks={"request": [_propagate_correlation_id]})

    def close(self) -> None:
        self._http.close()

    # posture-demo: ok R3.retry-no-jitter (random exponential backoff)
    @breaker
    @retry(
        wait=wait_random_exponential(multiplier=0.5, max=10),
        stop=stop_after_attempt(4),
        retry=retry_if_exception_type(httpx.TransportError),
        reraise=True,
    )
    def capture(self, order_id: int, amount: Decimal, currency: str) -> dict:
        response = self._http.post(
            "/captures",
            json={"order_id": order_id, "amount_cents": to_cents(amount), "currency": currency},
            headers={"Idempotency-Key": f"capture-{order_id}"},
        )
        response.raise_for_status()
        return response.json()

    def stream_invoice(self, order_id: int) -> Iterator[bytes]:
        # posture-demo: ok R5.buffer-not-stream (streamed in 64 KiB chunks)
        with breaker.calling(), self._http.stream("GET", f"/invoices/{order_id}.pdf") as response:
            response.raise_for_status()
            yield from response.iter_bytes(chunk_size=64 * 1024)

    @breaker
    def monthly_statement(self, month: str) -> dict:
        # posture-demo: violates R3.http-no-timeout (timeout=None: statements can take minutes to build)
        response = self._http.get("/statements", params={"month": month}, timeout=None)
        response.raise_for_status()
        return response.json()
