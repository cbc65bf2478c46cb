"""The shared outbound HTTP client, created and closed by the app's lifespan (app/main.py)."""

import httpx
from fastapi import Request


def get_http(request: Request) -> httpx.AsyncClient:
    """FastAPI dependency: the process-wide AsyncClient (its event hook adds the correlation id)."""
    return request.app.state.http
