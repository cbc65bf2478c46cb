"""Customers: sign-up, order history, cart, dashboard, GDPR export."""

import asyncio
import csv
import io
import logging
from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import psycopg
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from app import config, repository
from app.clients.http import get_http
from app.db import get_conn, pool
from app.models import NewCustomer

log = logging.getLogger(__name__)
router = APIRouter(prefix="/customers", tags=["customers"])


# posture-demo: ok R2.no-idempotency-key (a retried sign-up finds the customer by email; the race in that lookup is R2.check-then-act in repository.register_customer)
@router.post("", status_code=201)
def sign_up(body: NewCustomer, conn: psycopg.Connection = Depends(get_conn)) -> dict:
    customer_id = repository.register_customer(conn, body.email, body.full_name, body.country)
    # posture-demo: violates R3.log-no-context (the id is only in the text)
    log.info(f"customer {customer_id} signed up")
    return {"id": customer_id}


@router.get("/{customer_id}/orders")
def order_history(customer_id: int, conn: psycopg.Connection = Depends(get_conn)) -> list[dict]:
    return repository.customer_orders(conn, customer_id)


@router.put("/{customer_id}/cart/{product_id}", status_code=204)
def add_to_cart(
    customer_id: int, product_id: int, quantity: int = Query(1, ge=1, le=100), conn: psycopg.Connection = Depends(get_conn)
) -> None:
    repository.add_to_cart(conn, customer_id, product_id, quantity)


@router.get("/{customer_id}/dashboard")
async def dashboard(customer_id: int, http: httpx.AsyncClient = Depends(get_http)) -> dict:
    # posture-demo: violates R2.sequential-awaits (two independent calls, one after the other)
    # posture-demo: violates R3.no-circuit-breaker (loyalty and recommendations are called with no breaker)
    points = await http.get(f"{config.LOYALTY_URL}/customers/{customer_id}/points")
    picks = await http.get(f"{config.RECOMMENDATIONS_URL}/customers/{customer_id}/picks")
    return {"points": points.json()["points"], "recommendations": picks.json()["items"]}


@router.get("/{customer_id}/summary")
async def summary(customer_id: int, http: httpx.AsyncClient = Depends(get_http)) -> dict:
    # posture-demo: ok R2.sequential-awaits (fanned out)
    points, picks = await asyncio.gather(
        http.get(f"{config.LOYALTY_URL}/customers/{customer_id}/points"),
        http.get(f"{config.RECOMMENDATIONS_URL}/customers/{customer_id}/picks", params={"limit": 3}),
    )
    return {"points": points.json()["points"], "top_pick": picks.json()["items"][:1]}


@router.get("/{customer_id}/tier")
async def tier_benefits(customer_id: int, http: httpx.AsyncClient = Depends(get_http)) -> dict:
    account = await http.get(f"{config.LOYALTY_URL}/customers/{customer_id}/points")
    # posture-demo: ok R2.sequential-awaits (needs the tier from the first answer)
    benefits = await http.get(f"{config.LOYALTY_URL}/tiers/{account.json()['tier']}/benefits")
    return benefits.json()


@router.get("/{customer_id}/export.csv")
def gdpr_export(customer_id: int) -> StreamingResponse:
    """Every order of the customer, for a data-subject access request."""

    def rows() -> Iterator[str]:
        with pool.connection() as conn:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(["order_id", "status", "total", "placed_at"])
            # posture-demo: violates R1.plan-red-flag (the same missing index on orders.customer_id)
            orders = conn.execute(
                "SELECT id, status, total, placed_at FROM orders WHERE customer_id = %s ORDER BY id", (customer_id,)
            )
            for order_id, status, total, placed_at in orders:
                writer.writerow([order_id, status, total, placed_at.isoformat()])
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()

    # posture-demo: ok T.naive-datetime (aware)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {"Content-Disposition": f'attachment; filename="customer-{customer_id}-{stamp}.csv"'}
    return StreamingResponse(rows(), media_type="text/csv", headers=headers)
