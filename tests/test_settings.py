"""Parameters: read from mappings and YAML files, checked, never silently wrong."""

from __future__ import annotations

import pytest

from audit_lib.settings import Settings


def test_none_stands_for_the_default():
    settings = Settings.from_mapping({"baseline": None, "rules": None, "large_table_rows": None})
    assert settings.baseline is None and settings.rules == [] and settings.large_table_rows == 10_000


def test_values_are_coerced_from_text():
    settings = Settings.from_mapping({"rules": "R1, T", "explain_analyze": "yes", "large_table_rows": "500"})
    assert settings.rules == ["R1", "T"] and settings.explain_analyze is True and settings.large_table_rows == 500


@pytest.mark.parametrize(
    "values, message",
    [
        ({"nope": 1}, "unknown parameter"),
        ({"large_table_rows": "many"}, "wrong type"),
        ({"database": "oracle"}, "database must be one of"),
        ({"severity": {"R1.fk-no-index": "fatal"}}, "unknown severity"),
        ({"dsn_env": "postgresql://u:p@h/db"}, "must name an environment variable"),
    ],
)
def test_bad_values_are_one_clear_error(values, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_mapping(values)
