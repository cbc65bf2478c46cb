"""posture-audit benchmarks: `python -m bench [--only code,growth,startup,memory,database,report]`.

Every figure of one run is measured on the same machine in the same minute, so the
ratios are what to read (absolute times on a shared machine are noise). Results are
printed as a table and written to bench/results/latest.json and latest.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench import code_scan, database, report
from bench.measure import RESULTS, Row, format_table

SUITES = {
    "code": code_scan.run_code_vs_peers,
    "growth": code_scan.run_growth,
    "startup": code_scan.run_startup,
    "memory": code_scan.run_memory,
    "database": database.run,
    "report": report.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", default=",".join(SUITES), help="comma-separated: " + ", ".join(SUITES))
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SUITES]
    if unknown:
        print(f"bench: unknown suite(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    rows: list[Row] = []
    for name in chosen:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        rows.extend(SUITES[name]())
    table = format_table(rows)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    (RESULTS / "latest.json").write_text(json.dumps({"when": stamp, "rows": [r.to_dict() for r in rows]}, indent=2))
    (RESULTS / "latest.md").write_text(f"# posture-audit benchmarks, {stamp}\n\n{table}\n")
    print(f"\nwritten to {Path(RESULTS / 'latest.md')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
