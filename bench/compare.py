"""Check that an optimisation changed nothing: compare two `scan --format json` outputs.

`python -m bench.compare before.json after.json` prints the (rule, path, line) of every
finding and the id of every query that is in one output and not the other, or differs
in any field (message, evidence, fix, confidence, SQL, sites...); exit 1 when they differ.
"""

from __future__ import annotations

import json
import sys


def keys(path: str) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """Each finding and query as its full JSON text, labelled by what a reader would look for."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    findings = {
        json.dumps(f, sort_keys=True): (f["rule"], f.get("path") or f.get("object") or "", f.get("line") or 0)
        for f in data["findings"]
    }
    queries = {json.dumps(_stable(q), sort_keys=True): (q["id"],) for q in data.get("queries", [])}
    return findings, queries


def _stable(query: dict) -> dict:
    """sqlglot words one parse error differently from run to run (set order): keep its kind only."""
    if query.get("parse_error"):
        query = {**query, "parse_error": query["parse_error"].split(":", 1)[0]}
    return query


def main(before: str, after: str) -> int:
    old_findings, old_queries = keys(before)
    new_findings, new_queries = keys(after)
    same = True
    for label, old, new in (("finding", old_findings, new_findings), ("query", old_queries, new_queries)):
        for item in sorted(old[text] for text in old.keys() - new.keys()):
            print(f"- {label} {item}")
            same = False
        for item in sorted(new[text] for text in new.keys() - old.keys()):
            print(f"+ {label} {item}")
            same = False
    print(f"{len(old_findings)} -> {len(new_findings)} findings, {len(old_queries)} -> {len(new_queries)} queries: "
          + ("identical" if same else "DIFFERENT"))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
