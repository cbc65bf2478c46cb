"""Capture the stored plans of tests/fixtures/plans/ from a real server.

    python -m tests.pg.capture_plans            # on a fresh embedded PostgreSQL 18

Builds schema.sql in a new database, plans every case of queries.sql with
audit_lib.pg.plans (under the case's session settings, with ANALYZE where asked) and
writes <name>.json beside them, plus catalog.json (the tables and indexes datasets).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from audit_lib.embedded import create_database, embedded_server
from audit_lib.pg import catalog as catalog_mod
from audit_lib.pg import plans, session
from audit_lib.settings import Settings
from audit_lib.sql.model import FoundQuery
from tests.pg.dbfixtures import PLAN_FIXTURES, PlanCase, read_plan_cases

CATALOG_DATASETS = ("tables", "indexes")


def capture(dsn: str, cases: list[PlanCase], folder: Path) -> None:
    settings = Settings()
    with session.connect(dsn, settings) as conn:
        catalog = catalog_mod.collect(conn, CATALOG_DATASETS, settings)
        _write(folder / "catalog.json", {"server_version": catalog.server_version, "datasets": catalog.datasets})
        for case in cases:
            for name, value in case.session_settings.items():
                conn.execute(f"SET {name} = '{value}'")
            query = FoundQuery(case.name, case.sql, case.sql)
            plans.plan_query(conn, query, Settings(explain_analyze=case.analyze))
            conn.execute("RESET ALL")
            _write(folder / f"{case.name}.json", {
                "server_version": conn.info.server_version, "sql": case.sql, "analyzed": query.analyzed,
                "plan": query.plan, "plan_error": query.plan_error,
            })


def _write(path: Path, data: dict) -> None:
    def default(value):
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    path.write_text(json.dumps(data, indent=1, default=default) + "\n", encoding="utf-8")


def main() -> None:
    with embedded_server() as admin:
        dsn = create_database(admin, "plan_capture", (PLAN_FIXTURES / "schema.sql",))
        capture(dsn, read_plan_cases(), PLAN_FIXTURES)


if __name__ == "__main__":
    main()
