"""Orders: place, read, list, cancel, invoices."""

import logging
from datetime import datetime

import psycopg
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from app import repository
from app.db import get_conn
from app.models import NewOrder

log = logging.getLogger(__name__)
router = APIRouter(prefix="/orders", tags=["orders"])


@router.post("", status_code=201)
def place_order(
    order: NewOrder,
    # posture-demo: ok R2.no-idempotency-key (a retried POST returns the first order)
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


@router.get("/{order_id}")
def read_order(order_id: int, conn: psycopg.Connection = Depends(get_conn)) -> dict:
    order = repository.get_order(conn, order_id)
    if order is None:
        raise HTTPException(404, "no such order")
    return {**order, "lines": repository.order_lines(conn, order_id)}


@router.post("/{order_id}/cancel")
def cancel_order(order_id: int, conn: psycopg.Connection = Depends(get_conn)) -> dict:
    if not repository.cancel_order(conn, order_id):
        raise HTTPException(409, "order cannot be cancelled")
    # posture-demo: violates R3.log-no-context (print in service code)
    print(f"order {order_id} cancelled")
    return {"id": order_id, "status": "cancelled"}


@router.get("/{order_id}/invoice.pdf")
def invoice(order_id: int, request: Request) -> StreamingResponse:
    return StreamingResponse(request.app.state.payments.stream_invoice(order_id), media_type="application/pdf")
