"""Bad input to ``run`` and to papermill directly: one clear line, exit 2, no kernel started for nothing.

``scan`` has the same cases in tests/rules/test_cli_scan.py.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from audit_lib import cli
from audit_lib.workbook import NOTEBOOK


@pytest.fixture
def code(tmp_path: Path) -> Path:
    root = tmp_path / "code"
    root.mkdir()
    (root / "app.py").write_text("import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n")
    return root


@pytest.mark.parametrize(("content", "expected"), [
    ("rules: [R3, R9.made-up]\n", "unknown rule id or group: R9.made-up"),
    ("rules: [R3\n", "is not valid YAML (line 2)"),
    ("- just\n- a list\n", "must be a mapping of parameter: value"),
    ("statment_timeout_ms: 100\n", "unknown parameter(s): statment_timeout_ms"),
    ("statement_timeout_ms: soon\n", "parameter statement_timeout_ms has a value of the wrong type: 'soon'"),
    ("database: production\n", "database must be one of env, embedded-example, none, not 'production'"),
])
def test_run_refuses_a_bad_params_file_before_starting_anything(code, tmp_path, capsys, content, expected):
    params = tmp_path / "params.yaml"
    params.write_text(content)
    out = tmp_path / "out"
    exit_code = cli.main(["run", "--code", str(code), "--params", str(params), "--out", str(out)])
    err = capsys.readouterr().err
    assert exit_code == 2
    assert err.count("\n") == 1 and err.startswith("posture-audit: ") and expected in err, err
    assert not out.exists(), "nothing is written for a run that never started"


def test_run_with_a_missing_params_file_exits_2(code, tmp_path, capsys):
    exit_code = cli.main(["run", "--code", str(code), "--params", str(tmp_path / "nope.yaml")])
    err = capsys.readouterr().err
    assert exit_code == 2 and err.count("\n") == 1 and "cannot read params file" in err


def test_run_with_an_unknown_option_exits_2(code, capsys):
    exit_code = cli.main(["run", "--code", str(code), "--rules", "R3"])
    err = capsys.readouterr().err
    assert exit_code == 2 and err.count("\n") == 1 and "unrecognized arguments: --rules R3" in err


@pytest.mark.slow
@pytest.mark.parametrize(("parameters", "expected"), [
    ({"statment_timeout_ms": 5}, "unknown parameter(s): statment_timeout_ms"),
    ({"statement_timeout_ms": "abc"}, "parameter statement_timeout_ms has a value of the wrong type: 'abc'"),
])
def test_papermill_with_a_bad_parameter_fails_in_the_first_cell(code, tmp_path, parameters, expected):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    executed = tmp_path / "out.ipynb"
    with pytest.raises(PapermillExecutionError) as failure:
        papermill.execute_notebook(
            str(NOTEBOOK), str(executed), progress_bar=False,
            parameters={"code_root": str(code), "database": "none", "out_dir": str(tmp_path), **parameters},
        )
    assert failure.value.ename == "ValueError"
    assert failure.value.evalue.startswith(expected) and "\n" not in failure.value.evalue
    notebook = nbformat.read(str(executed), as_version=4)
    failed = [cell for cell in notebook.cells
              if any(output.get("output_type") == "error" for output in cell.get("outputs", []))]
    assert len(failed) == 1 and "settings_from_parameters" in failed[0].source
    assert not (tmp_path / "findings.json").exists()
