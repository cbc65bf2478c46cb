"""Orders: checkout preview, place, list, export, read, cancel, tracking, invoices and statements."""

import logging
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import psycopg
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from app import repository
from app.clients import shipping
from app.db import get_conn, pool
from app.models import BankTransfer, NewOrder
from app.money import apply_discount, estimated_fee, line_total

log = logging.getLogger(__name__)
router = APIRouter(prefix="/orders", tags=["orders"])


# posture-demo: ok R2.no-idempotency-key (a retried POST with the same Idempotency-Key returns the first order)
@router.post("", status_code=201)
def place_order(
    order: NewOrder,
    idempotency_key: str = Header(alias="Idempotency-Key", min_length=8, max_length=100),
    conn: psycopg.Connection = Depends(get_conn),
) -> dict:
    try:
        order_id = repository.create_order(
            conn, order.customer_id, [(line.product_id, line.quantity) for line in order.lines], idempotency_key
        )
    except repository.UnknownProduct as exc:
        raise HTTPException(422, f"unknown product {exc.args[0]}") from None
    # posture-demo: ok R3.log-no-context (structured)
    log.info("order placed", extra={"order_id": order_id, "customer_id": order.customer_id})
    return {"id": order_id}


@router.post("/preview")
def preview(
    order: NewOrder, discount_rate: float = Query(0.0, ge=0, lt=1), conn: psycopg.Connection = Depends(get_conn)
) -> dict:
    """The checkout summary shown before the order is placed."""
    try:
        prices = repository.product_prices(conn, [line.product_id for line in order.lines])
    except repository.UnknownProduct as exc:
        raise HTTPException(422, f"unknown product {exc.args[0]}") from None
    subtotal = sum((line_total(prices[line.product_id], line.quantity) for line in order.lines), Decimal("0"))
    total = apply_discount(subtotal, discount_rate)
    # posture-demo: violates T.float-money (float() of a money value, for the JSON number the frontend wants)
    return {"total": total, "estimated_fee": estimated_fee(float(total))}


@router.get("")
def list_orders(
    status: str = "paid",
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
    conn: psycopg.Connection = Depends(get_conn),
) -> list[dict]:
    return repository.orders_page(conn, status, page, per_page)


@router.get("/feed")
def order_feed(
    before_placed_at: datetime,
    before_id: int,
    status: str = "paid",
    limit: int = Query(20, ge=1, le=100),
    conn: psycopg.Connection = Depends(get_conn),
) -> list[dict]:
    return repository.orders_before(conn, status, before_placed_at, before_id, limit)


@router.get("/top")
def top_orders(limit: int = Query(20, ge=1, le=100), conn: psycopg.Connection = Depends(get_conn)) -> list[dict]:
    return repository.biggest_orders(conn, limit)


@router.get("/export.csv")
def export_csv(since: datetime) -> StreamingResponse:
    """Orders placed since ``since`` as CSV, for the finance team's spreadsheet."""

    def lines() -> Iterator[str]:
        with pool.connection() as conn:
            yield "id,customer_id,status,total,placed_at\n"
            for row in repository.export_orders(conn, since):
                yield f"{row['id']},{row['customer_id']},{row['status']},{row['total']},{row['placed_at'].isoformat()}\n"

    return StreamingResponse(lines(), media_type="text/csv")


@router.get("/statements/{month}")
def payment_statement(month: str, request: Request) -> dict:
    return request.app.state.payments.monthly_statement(month)


@router.get("/{order_id}")
def read_order(order_id: int, conn: psycopg.Connection = Depends(get_conn)) -> dict:
    order = repository.get_order(conn, order_id)
    if order is None:
        raise HTTPException(404, "no such order")
    return {**order, "lines": repository.order_lines(conn, order_id)}


# posture-demo: ok R2.no-idempotency-key (a guarded state change, not a create: calling it again returns 409)
@router.post("/{order_id}/cancel")
def cancel_order(order_id: int, conn: psycopg.Connection = Depends(get_conn)) -> dict:
    if not repository.cancel_order(conn, order_id):
        raise HTTPException(409, "order cannot be cancelled")
    # posture-demo: violates R3.log-no-context (print in service code)
    print(f"order {order_id} cancelled")
    return {"id": order_id, "status": "cancelled"}


# posture-demo: violates R2.no-idempotency-key (a retried POST records the same bank transfer twice)
@router.post("/{order_id}/payments", status_code=201)
def record_bank_transfer(order_id: int, body: BankTransfer, conn: psycopg.Connection = Depends(get_conn)) -> dict:
    payment_id = repository.record_bank_transfer(conn, order_id, body.amount)
    log.info("bank transfer recorded", extra={"order_id": order_id, "payment_id": payment_id})
    return {"id": payment_id}


@router.get("/{order_id}/tracking")
def tracking(order_id: int) -> dict:
    with shipping.carrier_session() as session:
        return shipping.track(session, str(order_id))


@router.get("/{order_id}/invoice.pdf")
def invoice(order_id: int, request: Request) -> StreamingResponse:
    return StreamingResponse(request.app.state.payments.stream_invoice(order_id), media_type="application/pdf")
