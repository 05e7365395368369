"""`calib trace` commands: JSON documents of CONTRACTS section 4 and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trace_helpers import DATA, base, cert
from typer.testing import CliRunner

from calib.cli import app

runner = CliRunner()
OK = str(DATA / "register_ok.json")


def _write(tmp_path: Path, doc: dict[str, Any]) -> str:
    path = tmp_path / "register.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_check_all_clear_exits_0_with_contract_document() -> None:
    result = runner.invoke(app, ["trace", "check", OK, "--as-of", "2024-06-01", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["as_of"] == "2024-06-01"
    assert data["summary"]["traceable"] == 3
    assert data["summary"]["not_traceable"] == 0
    row = next(c for c in data["certificates"] if c["id"] == "C-101")
    assert row["chain"] == ["C-101", "C-050", "C-010"]
    assert {"id", "traceable", "chain", "findings"} <= set(row)


def test_check_broken_chain_exits_1(tmp_path: Path) -> None:
    doc = base()
    cert(doc, "C-010")["references"] = ["C-101"]
    path = _write(tmp_path, doc)
    result = runner.invoke(app, ["trace", "check", path, "--as-of", "2024-06-01", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    finding = data["certificates"][0]["findings"][0]
    assert {"code", "severity", "clause", "message", "evidence"} <= set(finding)
    table = runner.invoke(app, ["trace", "check", path, "--as-of", "2024-06-01"])
    assert table.exit_code == 1
    assert "CHAIN_CYCLE" in table.stdout


def test_check_bad_input_exits_2_naming_the_field(tmp_path: Path) -> None:
    doc = base()
    cert(doc, "C-050")["due"] = "2020-01-01"
    result = runner.invoke(
        app, ["trace", "check", _write(tmp_path, doc), "--as-of", "2024-06-01", "--json"]
    )
    assert result.exit_code == 2
    assert "certificates[C-050].due" in result.output


def test_check_bad_date_and_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["trace", "check", OK, "--as-of", "June"])
    assert result.exit_code == 2
    assert "--as-of" in result.output
    result = runner.invoke(
        app, ["trace", "check", str(tmp_path / "nope.json"), "--as-of", "2024-06-01"]
    )
    assert result.exit_code == 2


def test_impact_command() -> None:
    args = ["trace", "impact", OK, "--instrument", "CAL-2", "--found-on", "2024-06-10"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["window"] == ["2024-01-15", "2024-06-10"]
    assert data["affected"][0]["certificate"] == "C-101"
    assert runner.invoke(app, args).exit_code == 0
    bad = runner.invoke(
        app, ["trace", "impact", OK, "--instrument", "X", "--found-on", "2024-06-10"]
    )
    assert bad.exit_code == 2
    assert "--instrument" in bad.output


def test_interval_command() -> None:
    args = ["trace", "interval", OK, "--instrument", "DMM-3"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["instrument"] == "DMM-3"
    assert {r["method"] for r in data["recommendations"]} == {"staircase", "drift"}
    assert {"interval_months", "reasoning"} <= set(data["recommendations"][0])
    assert "not changed" in runner.invoke(app, args).stdout
