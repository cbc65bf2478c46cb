"""The background worker: captures payments of new orders, books labels for paid ones,
writes the nightly CSV export. Run as `python -m app.worker`."""

import csv
import logging
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import psycopg

from app import config
from app.clients.payments import PaymentsClient
from app.clients.shipping import archive_label, carrier_session, create_label
from app.context import correlation_headers
from app.db import pool
from app.money import card_fee

log = logging.getLogger("shop.worker")

# posture-demo: ok R4.unbounded-state (a constant)
BACKLOG_STATUSES = ("pending", "paid")
# posture-demo: violates R4.unbounded-state (every shipped order id, forever)
_labelled_orders: set[int] = set()


def capture_pending(conn: psycopg.Connection, payments: PaymentsClient) -> None:
    orders = conn.execute(
        """
        SELECT id, customer_id, total, currency FROM orders
        WHERE status = 'pending'
        ORDER BY placed_at, id
        LIMIT 100
        """
    ).fetchall()
    for order in orders:
        # posture-demo: violates R1.n-plus-one (one query per order)
        customer = conn.execute("SELECT email, country FROM customers WHERE id = %s", (order["customer_id"],)).fetchone()
        capture = payments.capture(order["id"], order["total"], order["currency"])
        with conn.transaction():
            # posture-demo: ok R1.n-plus-one (this order's own write, after its own payment capture: nothing to batch)
            conn.execute("UPDATE orders SET status = 'paid' WHERE id = %s AND status = 'pending'", (order["id"],))
            conn.execute(
                "INSERT INTO payments (order_id, provider_ref, status, amount, fee) VALUES (%s, %s, 'captured', %s, %s)",
                (order["id"], capture["id"], order["total"], card_fee(order["total"])),
            )
            # posture-demo: violates R2.network-in-tx (the webhook holds the transaction and its row locks open)
            # posture-demo: violates R3.no-circuit-breaker (the ERP webhook has no breaker)
            httpx.post(
                config.ORDER_WEBHOOK_URL,
                json={"order_id": order["id"], "status": "paid", "email": customer["email"]},
                headers=correlation_headers(),
            )


def ship_paid(conn: psycopg.Connection) -> None:
    orders = conn.execute(
        "SELECT id, customer_id FROM orders WHERE status = 'paid' ORDER BY placed_at, id LIMIT 50"
    ).fetchall()
    if not orders:
        return
    # posture-demo: ok R1.n-plus-one (one batch query for all the orders)
    addresses = {
        row["id"]: {"name": row["full_name"], "country": row["country"]}
        for row in conn.execute(
            "SELECT id, full_name, country FROM customers WHERE id = ANY(%s)", ([o["customer_id"] for o in orders],)
        )
    }
    for order in orders:
        label_url = create_label(order["id"], addresses[order["customer_id"]])
        _labelled_orders.add(order["id"])
        with carrier_session() as session:
            archive_label(session, label_url, Path(config.EXPORT_DIR) / "labels" / f"{order['id']}.pdf")
        with conn.transaction():
            # posture-demo: violates R2.check-then-act (two workers read the same paid orders and both ship them)
            # posture-demo: violates T.naive-datetime
            conn.execute("UPDATE orders SET status = 'shipped', shipped_at = %s WHERE id = %s", (datetime.utcnow(), order["id"]))
            conn.execute(
                "INSERT INTO audit_log (actor, action, detail) VALUES ('worker', 'order.shipped', jsonb_build_object('order_id', %s::bigint, 'label', %s::text))",
                (order["id"], label_url),
            )
        # posture-demo: ok R2.network-in-tx (after the transaction closed)
        httpx.post(config.ORDER_WEBHOOK_URL, json={"order_id": order["id"], "status": "shipped"}, headers=correlation_headers())


def log_backlog(conn: psycopg.Connection) -> None:
    # posture-demo: ok R1.n-plus-one (a loop over two constants)
    for status in BACKLOG_STATUSES:
        count = conn.execute("SELECT count(*) AS n FROM orders WHERE status = %s", (status,)).fetchone()["n"]
        log.info("backlog", extra={"status": status, "orders": count})


def write_nightly_export(conn: psycopg.Connection, directory: Path) -> Path:
    # posture-demo: ok T.naive-datetime (aware)
    since = datetime.now(timezone.utc) - timedelta(days=1)
    # posture-demo: violates R5.unbounded-query (the whole day in memory at once: stream it with a server-side cursor)
    rows = conn.execute(
        "SELECT id, customer_id, status, total, placed_at FROM orders WHERE placed_at >= %s ORDER BY id", (since,)
    ).fetchall()
    path = directory / f"orders-{since:%Y-%m-%d}.csv"
    # posture-demo: violates R4.resource-not-closed (never closed: the last rows may never reach the disk)
    out = open(path, "w", newline="")
    writer = csv.writer(out)
    writer.writerow(["id", "customer_id", "status", "total", "placed_at"])
    writer.writerows((r["id"], r["customer_id"], r["status"], r["total"], r["placed_at"].isoformat()) for r in rows)
    return path


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    pool.open(wait=True)
    payments = PaymentsClient()
    last_export = None
    while True:
        with pool.connection() as conn:
            capture_pending(conn, payments)
            ship_paid(conn)
            log_backlog(conn)
            today = datetime.now(timezone.utc).date()
            if last_export != today:
                write_nightly_export(conn, Path(config.EXPORT_DIR))
                last_export = today
        time.sleep(5)


if __name__ == "__main__":
    # posture-demo: violates R4.no-graceful-shutdown (no SIGTERM handler: a deploy kills the loop mid-capture, the pool is never drained)
    main()
