"""The audit's parameters: one set, read from a params file, the notebook or the CLI.

Parameters never hold secrets: the database is named by the environment variable
that holds its connection string.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from audit_lib.findings import Severity

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CODE = PROJECT_ROOT / "examples" / "shop"
DEMO_PARAMS = PROJECT_ROOT / "params" / "demo.yaml"
DATABASE_MODES = ("env", "embedded-example", "none")


@dataclass
class Settings:
    code_root: str = "examples/shop"
    database: str = "env"
    dsn_env: str = "DATABASE_URL"
    rules: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)  # .gitignore-style paths under code_root not to audit
    severity: dict[str, str] = field(default_factory=dict)
    out_dir: str = "audit-report"
    baseline: str | None = None
    suppress_objects: list[str] = field(default_factory=list)
    # thresholds
    large_table_rows: int = 10_000
    selective_filter_fraction: float = 0.1
    estimate_error_factor: float = 10.0
    idle_in_transaction_seconds: int = 60
    connection_saturation: float = 0.8
    # database session
    statement_timeout_ms: int = 5_000
    lock_timeout_ms: int = 1_000
    explain_analyze: bool = False
    explain_analyze_writes: bool = False
    plan_workers: int = 4
    # code analyses
    jobs: int = 1  # processes for the code rules; output is the same whatever the number
    reachability: bool = True  # findings in modules no entry point imports are suppressed as unreachable

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> "Settings":
        values = dict(values or {})
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown parameter(s): {', '.join(unknown)}")
        settings = cls()
        for name, value in values.items():
            if value is None:
                continue  # None stands for the default
            setattr(settings, name, _coerce(name, known[name].type, value))
        settings.validate()
        return settings

    @classmethod
    def from_file(cls, path: str | Path, overrides: dict[str, Any] | None = None) -> "Settings":
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read params file {path}: {exc.strerror or exc}") from None
        try:
            values = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark else ""
            raise ValueError(f"params file {path} is not valid YAML{where}") from None
        if not isinstance(values, dict):
            raise ValueError(f"params file {path} must be a mapping of parameter: value")
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return cls.from_mapping(values)

    def validate(self) -> None:
        if self.database not in DATABASE_MODES:
            raise ValueError(f"database must be one of {', '.join(DATABASE_MODES)}, not {self.database!r}")
        for rule_id, sev in self.severity.items():
            Severity.parse(sev)
        if not isinstance(self.jobs, int) or self.jobs < 1:
            raise ValueError(f"jobs must be a whole number of processes, 1 or more, not {self.jobs!r}")
        if not self.dsn_env.replace("_", "").isalnum():
            raise ValueError(f"dsn_env must name an environment variable, not {self.dsn_env!r}")

    def as_params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def code_path(self) -> Path:
        return resolve_path(self.code_root)

    def severity_for(self, rule_id: str, default: Severity) -> Severity:
        text = self.severity.get(rule_id)
        return Severity.parse(text) if text else default


def resolve_path(text: str) -> Path:
    """A path as given; a relative one that does not exist here is tried from the project root.

    This lets a notebook opened in ``notebooks/`` and papermill started from the
    project root read the same params file.
    """
    path = Path(text).expanduser()
    if path.is_absolute() or path.exists():
        return path
    candidate = PROJECT_ROOT / path
    return candidate if candidate.exists() else path


def _coerce(name: str, annotation: Any, value: Any) -> Any:
    kind = str(annotation)
    try:
        if kind.startswith("list"):
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, (list, tuple)):
                raise TypeError
            return [str(v) for v in value]
        if kind.startswith("dict"):
            if not isinstance(value, dict):
                raise TypeError
            return {str(k): str(v) for k, v in value.items()}
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "yes", "1", "on"):
                return True
            if str(value).lower() in ("false", "no", "0", "off"):
                return False
            raise TypeError
        if kind == "int":
            if isinstance(value, bool):
                raise TypeError
            return int(value)
        if kind == "float":
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {name} has a value of the wrong type: {value!r}") from None
