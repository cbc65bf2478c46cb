"""The shop's HTTP API (FastAPI). Run with `uvicorn app.main:app`."""

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import psycopg
from fastapi import FastAPI, Request, Response

from app import config
from app.api import catalog, customers, orders
from app.clients.payments import PaymentsClient
from app.context import correlation_id
from app.db import pool

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


async def _propagate_correlation_id(request: httpx.Request) -> None:
    request.headers["X-Correlation-ID"] = correlation_id.get()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool.open(wait=True)
    app.state.http = httpx.AsyncClient(event_hooks={"request": [_propagate_correlation_id]})
    app.state.payments = PaymentsClient()
    try:
        yield
    finally:
        app.state.payments.close()
        await app.state.http.aclose()
        pool.close()


# posture-demo: ok R4.no-graceful-shutdown (uvicorn turns SIGTERM into the lifespan's shutdown: requests drain, then the clients and the pool close)
app = FastAPI(title="shop", lifespan=lifespan)
app.include_router(orders.router)
app.include_router(customers.router)
app.include_router(catalog.router)


@app.middleware("http")
async def correlation_middleware(request: Request, call_next) -> Response:
    request_id = request.headers.get("X-Correlation-ID") or uuid.uuid4().hex
    token = correlation_id.set(request_id)
    try:
        response = await call_next(request)
    finally:
        correlation_id.reset(token)
    response.headers["X-Correlation-ID"] = request_id
    return response


# posture-demo: violates R3.no-metrics (a service with routes and no metrics library: reported once, at a route)
@app.get("/healthz")
def healthz() -> dict:
    # posture-demo: violates R4.connect-per-request (every probe opens a server connection: a slow database turns probes into a connection storm)
    with psycopg.connect(config.DATABASE_URL, connect_timeout=2) as conn:
        conn.execute("SELECT 1")
    return {"status": "ok"}
