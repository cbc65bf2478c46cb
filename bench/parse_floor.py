"""The floor for any ast-based tool: read and ast.parse every file, in one process."""

from __future__ import annotations

import ast
import sys

from audit_lib.source import FileError, iter_files


def main(root: str) -> int:
    from pathlib import Path

    errors: list[FileError] = []
    parsed = 0
    for path, _ in iter_files(Path(root).resolve(), errors):
        if path.suffix != ".py":
            continue
        try:
            ast.parse(path.read_bytes())
            parsed += 1
        except (SyntaxError, ValueError, RecursionError):
            pass
    return 0 if parsed else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
