"""Reading `# ruleid:` / `# ok:` annotations (semgrep style) out of fixture files.

An annotation names rule ids (comma-separated) and applies to the next line that is
not itself a comment or blank. `--` starts the annotation in `.sql` fixtures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ANNOTATION = re.compile(r"^\s*(?:#|--)\s*(?P<kind>ruleid|ok|todoruleid|todook):\s*(?P<ids>[\w.\-, ]+?)\s*$")


@dataclass
class Expectations:
    expected: set[tuple[str, str, int]] = field(default_factory=set)  # (rule, path, line) that must be reported
    ok: set[tuple[str, str, int]] = field(default_factory=set)  # (rule, path, line) that must stay silent
    rules: set[str] = field(default_factory=set)


def read_annotations(root: Path, files: list[Path]) -> Expectations:
    exp = Expectations()
    for path in files:
        rel = path.relative_to(root).as_posix()
        pending: list[tuple[str, list[str]]] = []
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = ANNOTATION.match(line)
            if match:
                ids = [i.strip() for i in match["ids"].split(",") if i.strip()]
                pending.append((match["kind"], ids))
                exp.rules.update(ids)
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith(("#", "--")):
                continue
            for kind, ids in pending:
                for rule_id in ids:
                    if kind in ("ruleid", "todook"):
                        exp.expected.add((rule_id, rel, lineno))
                    else:
                        exp.ok.add((rule_id, rel, lineno))
            pending = []
    return exp
