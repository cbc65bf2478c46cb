"""Merge a duplicate customer account into the one the customer keeps:
`python scripts/merge_customers.py --keep 17 --duplicate 4242`.

An operator's command-line tool, run by support when someone signed up twice.
"""

import argparse
import os

import psycopg


def merge(conn: psycopg.Connection, keep: int, duplicate: int) -> None:
    # posture-demo: violates R1.plan-red-flag (the same missing index on orders.customer_id)
    conn.execute("UPDATE orders SET customer_id = %s WHERE customer_id = %s", (keep, duplicate))
    # posture-demo: violates R2.multi-table-write-no-tx (autocommit: a failure here leaves the orders moved and the cart and account behind)
    conn.execute("UPDATE cart_items SET customer_id = %s WHERE customer_id = %s", (keep, duplicate))
    conn.execute("DELETE FROM customers WHERE id = %s", (duplicate,))


def record(conn: psycopg.Connection, keep: int, duplicate: int) -> None:
    # posture-demo: ok R2.multi-table-write-no-tx (a single statement)
    conn.execute(
        "INSERT INTO audit_log (actor, action, detail) VALUES ('support', 'customer.merged', jsonb_build_object('kept', %s::bigint, 'merged', %s::bigint))",
        (keep, duplicate),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=int, required=True)
    parser.add_argument("--duplicate", type=int, required=True)
    args = parser.parse_args()
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        merge(conn, args.keep, args.duplicate)
        record(conn, args.keep, args.duplicate)
    print(f"merged customer {args.duplicate} into {args.keep}")


if __name__ == "__main__":
    main()
