"""Print the shop's best customers of a year: `python scripts/top_customers.py 2025`.

An operator's command-line tool, not service code: printing is its output.
"""

import argparse
import os

import psycopg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("year", type=int)
    parser.add_argument("--limit", type=int, default=10)
    args = parser.parse_args()
    # posture-demo: ok R4.connect-per-request (a one-shot script, not a request handler)
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        rows = conn.execute(
            """
            SELECT c.email, count(*) AS orders, sum(o.total) AS spent
            FROM orders AS o
            JOIN customers AS c ON c.id = o.customer_id
            WHERE o.status IN ('paid', 'shipped', 'delivered')
              AND o.placed_at >= make_timestamptz(%(year)s, 1, 1, 0, 0, 0)
              AND o.placed_at < make_timestamptz(%(year)s + 1, 1, 1, 0, 0, 0)
            GROUP BY c.email
            ORDER BY spent DESC
            LIMIT %(limit)s
            """,
            {"year": args.year, "limit": args.limit},
        ).fetchall()
    for email, orders, spent in rows:
        # posture-demo: ok R3.log-no-context (a command-line tool's output)
        print(f"{email:40} {orders:6} {spent:12.2f}")


if __name__ == "__main__":
    main()
