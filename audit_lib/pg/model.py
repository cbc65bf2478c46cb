"""What the collectors hand to catalog rules: named sets of rows, nothing live."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Catalog:
    """Rows collected from one database, by dataset name (``foreign_keys``, ``indexes``...).

    A dataset that could not be collected (no privilege, timeout) is absent from
    ``datasets`` and its reason is in ``unavailable``; rules that need it are skipped.
    """

    database: str  # host/dbname, never credentials
    server_version: int  # e.g. 150020
    datasets: dict[str, list[dict]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)

    def rows(self, name: str) -> list[dict]:
        return self.datasets.get(name, [])
