"""The request's correlation id, set by the middleware and sent on every outbound call."""

from contextvars import ContextVar

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")


def correlation_headers() -> dict[str, str]:
    return {"X-Correlation-ID": correlation_id.get()}
