"""Catalog: browsing, the price feed, availability, admin product creation."""

import logging
from functools import lru_cache

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Query

from app import repository
from app.clients import shipping
from app.db import get_conn
from app.models import AvailabilityRequest, NewProduct, PriceFeedItem

log = logging.getLogger(__name__)
router = APIRouter(tags=["catalog"])


# posture-demo: ok R4.unbounded-state (bounded cache)
@lru_cache(maxsize=4096)
def normalise_sku(raw: str) -> str:
    digits = "".join(ch for ch in raw if ch.isdigit())
    return f"SKU-{int(digits):06d}" if digits else raw.strip().upper()


@router.get("/categories/{category_id}/products")
def browse(category_id: int, limit: int = Query(48, ge=1, le=200), conn: psycopg.Connection = Depends(get_conn)) -> list[dict]:
    return repository.products_in_category(conn, category_id, limit)


@router.get("/products/feed")
def price_feed(conn: psycopg.Connection = Depends(get_conn)) -> list[PriceFeedItem]:
    return [PriceFeedItem(**row) for row in repository.price_feed(conn)]


@router.get("/products/search")
def search(sku_from: str = Query(min_length=1, max_length=20), conn: psycopg.Connection = Depends(get_conn)) -> list[dict]:
    return repository.search_skus(conn, normalise_sku(sku_from))


@router.get("/products/{product_id}/shipping-quote")
def shipping_quote(product_id: int, country: str = Query(pattern="^[A-Z]{2}$"), conn: psycopg.Connection = Depends(get_conn)) -> dict:
    product = repository.get_product(conn, product_id)
    if product is None:
        raise HTTPException(404, "no such product")
    return shipping.quote(country, product["weight_kg"] or 1.0)


@router.get("/products/{product_id}/sales")
def sales(product_id: int, conn: psycopg.Connection = Depends(get_conn)) -> dict:
    return repository.product_sales(conn, product_id)


@router.post("/products/availability")
def availability(body: AvailabilityRequest, conn: psycopg.Connection = Depends(get_conn)) -> dict:
    skus = [normalise_sku(raw) for raw in body.skus]
    in_stock = [row["sku"] for row in repository.skus_in_stock(conn, skus)]
    # posture-demo: violates R5.quadratic (list membership inside a loop over the request: 5000 x 5000)
    missing = [sku for sku in skus if sku not in in_stock]
    return {"available": in_stock, "missing": missing}


# posture-demo: violates R2.no-idempotency-key (a retried POST fails on the SKU or, with a new SKU, duplicates)
@router.post("/products", status_code=201)
def create_product(body: NewProduct, conn: psycopg.Connection = Depends(get_conn)) -> dict:
    row = conn.execute(
        """
        INSERT INTO products (sku, category_id, name, price, weight_kg)
        VALUES (%s, %s, %s, %s, %s)
        RETURNING id
        """,
        (body.sku, body.category_id, body.name, body.price, body.weight_kg),
    ).fetchone()
    log.info("product created", extra={"product_id": row["id"], "sku": body.sku})
    return {"id": row["id"]}
