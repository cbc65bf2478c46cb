"""The shop's SQL: one function per statement family, plain PostgreSQL via psycopg 3.

Connections come from the pool in autocommit mode (app/db.py): every statement
commits on its own unless it runs inside `with conn.transaction()`.
"""

import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg

from app.money import line_total

Row = dict[str, Any]


class OutOfStock(Exception):
    pass


class UnknownProduct(Exception):
    pass


# --- orders -----------------------------------------------------------------


def get_order(conn: psycopg.Connection, order_id: int) -> Row | None:
    # posture-demo: ok R5.unbounded-query (lookup by primary key)
    # posture-demo: ok R1.plan-red-flag (primary key index scan)
    return conn.execute(
        "SELECT id, customer_id, status, total, currency, placed_at FROM orders WHERE id = %s",
        (order_id,),
    ).fetchone()


def order_lines(conn: psycopg.Connection, order_id: int) -> list[Row]:
    return conn.execute(
        """
        SELECT i.line_no, i.product_id, p.sku, p.name, i.quantity, i.unit_price
        FROM order_items AS i
        JOIN products AS p ON p.id = i.product_id
        WHERE i.order_id = %s
        ORDER BY i.line_no
        LIMIT 100
        """,
        (order_id,),
    ).fetchall()


def customer_orders(conn: psycopg.Connection, customer_id: int) -> list[Row]:
    # posture-demo: violates R1.plan-red-flag (Seq Scan of 300k orders for ~10 rows: no index on customer_id)
    return conn.execute(
        """
        SELECT id, status, total, placed_at FROM orders
        WHERE customer_id = %s
        ORDER BY placed_at DESC
        LIMIT 50
        """,
        (customer_id,),
    ).fetchall()


def biggest_orders(conn: psycopg.Connection, limit: int) -> list[Row]:
    # posture-demo: violates R1.sort-no-index (no index on orders.total: the plan sorts 300k rows)
    return conn.execute(
        "SELECT id, customer_id, total, placed_at FROM orders ORDER BY total DESC LIMIT %s",
        (limit,),
    ).fetchall()


def orders_page(conn: psycopg.Connection, status: str, page: int, per_page: int) -> list[Row]:
    # posture-demo: violates R1.offset-pagination (page 5000 reads and drops 100k rows)
    return conn.execute(
        """
        SELECT id, customer_id, total, placed_at FROM orders
        WHERE status = %s
        ORDER BY placed_at DESC, id DESC
        LIMIT %s OFFSET %s
        """,
        (status, per_page, (page - 1) * per_page),
    ).fetchall()


def orders_before(conn: psycopg.Connection, status: str, placed_at: datetime, order_id: int, limit: int) -> list[Row]:
    # posture-demo: ok R1.offset-pagination (keyset)
    # posture-demo: ok R1.sort-no-index (served by orders_status_placed_idx)
    return conn.execute(
        """
        SELECT id, customer_id, total, placed_at FROM orders
        WHERE status = %(status)s AND (placed_at, id) < (%(placed_at)s, %(id)s)
        ORDER BY placed_at DESC, id DESC
        LIMIT %(limit)s
        """,
        {"status": status, "placed_at": placed_at, "id": order_id, "limit": limit},
    ).fetchall()


def product_prices(conn: psycopg.Connection, product_ids: list[int]) -> dict[int, Decimal]:
    """Prices of the given products; UnknownProduct when one is missing or inactive."""
    # posture-demo: ok R1.n-plus-one (one batch query for every product of the order)
    prices = {
        row["id"]: row["price"]
        for row in conn.execute("SELECT id, price FROM products WHERE id = ANY(%s) AND active", (product_ids,))
    }
    for product_id in product_ids:
        # posture-demo: ok R5.quadratic (dict membership)
        if product_id not in prices:
            raise UnknownProduct(product_id)
    return prices


def create_order(conn: psycopg.Connection, customer_id: int, lines: list[tuple[int, int]], idempotency_key: str) -> int:
    """Insert the order and its lines atomically; a replayed key returns the first order."""
    prices = product_prices(conn, [product_id for product_id, _ in lines])
    total = sum((line_total(prices[product_id], quantity) for product_id, quantity in lines), Decimal("0"))
    # posture-demo: ok R2.multi-table-write-no-tx (one transaction)
    with conn.transaction():
        # posture-demo: ok R2.upsert-no-unique (orders.idempotency_key is UNIQUE)
        created = conn.execute(
            """
            INSERT INTO orders (customer_id, status, total, idempotency_key, placed_at)
            VALUES (%s, 'pending', %s, %s, now())
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id
            """,
            (customer_id, total, idempotency_key),
        ).fetchone()
        if created is None:
            return conn.execute("SELECT id FROM orders WHERE idempotency_key = %s", (idempotency_key,)).fetchone()["id"]
        with conn.cursor() as cur:
            # posture-demo: ok R1.n-plus-one (executemany)
            cur.executemany(
                "INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price) VALUES (%s, %s, %s, %s, %s)",
                [(created["id"], n, product_id, quantity, prices[product_id]) for n, (product_id, quantity) in enumerate(lines, 1)],
            )
        conn.execute(
            "INSERT INTO audit_log (actor, action, detail) VALUES ('api', 'order.created', jsonb_build_object('order_id', %s::bigint))",
            (created["id"],),
        )
    return created["id"]


def cancel_order(conn: psycopg.Connection, order_id: int) -> bool:
    cancelled = conn.execute(
        "UPDATE orders SET status = 'cancelled' WHERE id = %s AND status IN ('pending', 'paid')", (order_id,)
    ).rowcount
    if cancelled:
        # posture-demo: violates R2.multi-table-write-no-tx (autocommit pool: a crash after the first UPDATE leaves a cancelled order with a live payment)
        conn.execute("UPDATE payments SET status = 'refund_requested' WHERE order_id = %s AND status = 'captured'", (order_id,))
        conn.execute(
            "INSERT INTO audit_log (actor, action, detail) VALUES ('api', 'order.cancelled', jsonb_build_object('order_id', %s::bigint))",
            (order_id,),
        )
    return bool(cancelled)


def export_orders(conn: psycopg.Connection, since: datetime) -> Iterator[Row]:
    """Every order placed since ``since``, streamed from a server-side cursor."""
    with conn.transaction():
        # posture-demo: ok R5.buffer-not-stream (server-side cursor, 2000 rows at a time)
        with conn.cursor(name="orders_export") as cur:
            cur.itersize = 2000
            cur.execute(
                "SELECT id, customer_id, status, total, placed_at FROM orders WHERE placed_at >= %s ORDER BY id",
                (since,),
            )
            yield from cur


# --- customers, cart, stock -------------------------------------------------


def register_customer(conn: psycopg.Connection, email: str, full_name: str, country: str) -> int:
    existing = conn.execute("SELECT id FROM customers WHERE email = %s", (email,)).fetchone()
    if existing:
        return existing["id"]
    # posture-demo: violates R2.check-then-act (two concurrent sign-ups both see no row; one fails on the unique key)
    return conn.execute(
        "INSERT INTO customers (email, full_name, country) VALUES (%s, %s, %s) RETURNING id",
        (email, full_name, country),
    ).fetchone()["id"]


def add_to_cart(conn: psycopg.Connection, customer_id: int, product_id: int, quantity: int) -> None:
    # posture-demo: violates R2.upsert-no-unique (cart_items has no unique index on these columns)
    conn.execute(
        """
        INSERT INTO cart_items (customer_id, product_id, quantity) VALUES (%s, %s, %s)
        ON CONFLICT (customer_id, product_id) DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity
        """,
        (customer_id, product_id, quantity),
    )


def record_bank_transfer(conn: psycopg.Connection, order_id: int, amount: Decimal) -> int:
    """A payment that support saw arrive on the bank account; the reference is made up here."""
    return conn.execute(
        "INSERT INTO payments (order_id, provider_ref, status, amount, fee) VALUES (%s, %s, 'captured', %s, 0) RETURNING id",
        (order_id, f"bank-{uuid.uuid4()}", amount),
    ).fetchone()["id"]


def restock(conn: psycopg.Connection, product_id: int, warehouse: str, quantity: int) -> None:
    # posture-demo: ok R2.check-then-act (upsert)
    # posture-demo: ok R2.upsert-no-unique (the primary key)
    conn.execute(
        """
        INSERT INTO inventory (product_id, warehouse, on_hand) VALUES (%s, %s, %s)
        ON CONFLICT (product_id, warehouse) DO UPDATE SET on_hand = inventory.on_hand + EXCLUDED.on_hand, updated_at = now()
        """,
        (product_id, warehouse, quantity),
    )


def reserve_stock(conn: psycopg.Connection, product_id: int, warehouse: str, quantity: int) -> None:
    with conn.transaction():
        # posture-demo: ok R2.check-then-act (the row is locked FOR UPDATE until the update commits)
        stock = conn.execute(
            "SELECT on_hand, reserved FROM inventory WHERE product_id = %s AND warehouse = %s FOR UPDATE",
            (product_id, warehouse),
        ).fetchone()
        if stock is None or stock["on_hand"] - stock["reserved"] < quantity:
            raise OutOfStock(product_id)
        conn.execute(
            "UPDATE inventory SET reserved = reserved + %s, updated_at = now() WHERE product_id = %s AND warehouse = %s",
            (quantity, product_id, warehouse),
        )


# --- catalog and reports ----------------------------------------------------


def products_in_category(conn: psycopg.Connection, category_id: int, limit: int) -> list[Row]:
    """Active products of a category and of all its sub-categories (the tree is an adjacency list)."""
    # posture-demo: ok R1.sort-no-index (products is below the large-table threshold)
    return conn.execute(
        """
        WITH RECURSIVE subtree AS (
            SELECT id FROM categories WHERE id = %s
            UNION ALL
            SELECT c.id FROM categories AS c JOIN subtree AS s ON c.parent_id = s.id
        )
        SELECT p.id, p.sku, p.name, p.price
        FROM products AS p
        WHERE p.category_id IN (SELECT id FROM subtree) AND p.active
        ORDER BY p.name
        LIMIT %s
        """,
        (category_id, limit),
    ).fetchall()


def get_product(conn: psycopg.Connection, product_id: int) -> Row | None:
    return conn.execute("SELECT id, sku, name, price, weight_kg FROM products WHERE id = %s", (product_id,)).fetchone()


def search_skus(conn: psycopg.Connection, sku_from: str) -> list[Row]:
    """The admin search box: the next 20 SKUs from what was typed, served by products_sku_name_idx."""
    return conn.execute(
        "SELECT sku, name FROM products WHERE sku >= %s ORDER BY sku, name LIMIT 20", (sku_from,)
    ).fetchall()


def price_feed(conn: psycopg.Connection) -> list[Row]:
    # posture-demo: violates R5.unbounded-query (the whole catalog, however large it grows)
    return conn.execute("SELECT sku, name, price, created_at AS updated_at FROM products WHERE active").fetchall()


def skus_in_stock(conn: psycopg.Connection, skus: list[str]) -> list[Row]:
    # posture-demo: ok R5.unbounded-query (sku = ANY(%s) pins a natural key: at most one row per requested SKU)
    return conn.execute(
        """
        SELECT p.sku FROM products AS p
        WHERE p.sku = ANY(%s) AND p.active
          AND EXISTS (SELECT FROM inventory AS i WHERE i.product_id = p.id AND i.on_hand > i.reserved)
        """,
        (skus,),
    ).fetchall()


def product_sales(conn: psycopg.Connection, product_id: int) -> Row:
    # posture-demo: ok R5.unbounded-query (an aggregate)
    return conn.execute(
        "SELECT count(DISTINCT order_id) AS orders, coalesce(sum(quantity), 0) AS units FROM order_items WHERE product_id = %s",
        (product_id,),
    ).fetchone()


def monthly_revenue(conn: psycopg.Connection, year: int) -> list[Row]:
    # posture-demo: ok R1.complex-query-no-plan (a CTE with an aggregate that plans)
    return conn.execute(
        """
        WITH settled AS (
            SELECT date_trunc('month', o.placed_at) AS month, o.total, p.fee
            FROM orders AS o
            JOIN payments AS p ON p.order_id = o.id
            WHERE o.status IN ('paid', 'shipped', 'delivered')
              AND o.placed_at >= make_timestamptz(%(year)s, 1, 1, 0, 0, 0)
              AND o.placed_at < make_timestamptz(%(year)s + 1, 1, 1, 0, 0, 0)
        )
        SELECT month, count(*) AS orders, sum(total) AS revenue, sum(fee::numeric) AS fees
        FROM settled
        GROUP BY month
        ORDER BY month
        """,
        {"year": year},
    ).fetchall()


def refunds_by_reason(conn: psycopg.Connection, since: datetime) -> list[Row]:
    # posture-demo: violates R1.complex-query-no-plan (the refunds table comes with a migration this database lacks)
    return conn.execute(
        """
        WITH recent AS (
            SELECT r.reason, r.amount, o.customer_id
            FROM refunds AS r
            JOIN payments AS p ON p.id = r.payment_id
            JOIN orders AS o ON o.id = p.order_id
            WHERE r.created_at >= %s
        )
        SELECT reason, count(*) AS refunds, sum(amount) AS refunded, count(DISTINCT customer_id) AS customers
        FROM recent
        GROUP BY reason
        ORDER BY refunded DESC
        """,
        (since,),
    ).fetchall()
