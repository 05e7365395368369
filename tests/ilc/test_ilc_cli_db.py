"""`calib ilc rounds | import | score-round | history | coverage` on the demo database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calib.cli import app

runner = CliRunner()


@pytest.fixture
def env(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    return demo_url


def _open_round_id() -> int:
    result = runner.invoke(app, ["ilc", "rounds", "--status", "open", "--json"])
    assert result.exit_code == 0, result.output
    rounds = json.loads(result.stdout)
    assert [r["code"] for r in rounds] == ["EURAMET-DCV-2026"]
    return int(rounds[0]["id"])


def test_rounds_json_and_filters(env: str) -> None:
    result = runner.invoke(app, ["ilc", "rounds", "--json"])
    assert result.exit_code == 0, result.output
    rounds = json.loads(result.stdout)
    assert len(rounds) == 9
    tmp = next(r for r in rounds if r["code"] == "IMEKO-TMP-2025")
    assert (tmp["own_verdict"], tmp["status"], tmp["method"]) == (
        "unsatisfactory",
        "scored",
        "robust",
    )
    assert all(8 <= r["results"] <= 18 for r in rounds if r["status"] == "scored")
    north = json.loads(runner.invoke(app, ["ilc", "rounds", "--site", "NORTH", "--json"]).stdout)
    assert {r["subdiscipline"] for r in north} == {"LEN", "PRS"}
    bad = runner.invoke(app, ["ilc", "rounds", "--status", "done"])
    assert bad.exit_code == 2 and "--status" in bad.output


def test_import_good_then_bad_stores_nothing(env: str, tmp_path: Path) -> None:
    round_id = _open_round_id()
    good = tmp_path / "more.csv"
    good.write_text(
        "participant,value,expanded_uncertainty,coverage_factor\nLAB-X1,10.0000013,2e-6,2\n"
    )
    result = runner.invoke(app, ["ilc", "import", str(good), "--round", str(round_id)])
    assert result.exit_code == 0, result.output
    assert "stored 1 result(s) in round" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "participant,value,expanded_uncertainty,coverage_factor\n"
        "LAB-X2,10.0000013,2e-6,2\nLAB-X3,ten,2e-6,2\n"
    )
    result = runner.invoke(app, ["ilc", "import", str(bad), "--round", str(round_id)])
    assert result.exit_code == 2
    assert "row 3, column value: 'ten' is not a number" in result.output
    listed = json.loads(runner.invoke(app, ["ilc", "rounds", "--status", "open", "--json"]).stdout)
    assert listed[0]["results"] == 6  # LAB-X2 of the bad file was not stored
    closed = runner.invoke(app, ["ilc", "import", str(good), "--round", "1"])
    assert closed.exit_code == 2 and "scored" in closed.output


def test_score_round_then_history_and_coverage(env: str) -> None:
    round_id = _open_round_id()
    result = runner.invoke(app, ["ilc", "score-round", str(round_id), "--json"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    assert len(report["scores"]) == 5 and report["assigned_value"]["method"] == "reference"
    again = runner.invoke(app, ["ilc", "score-round", str(round_id)])
    assert again.exit_code == 2 and "new version" in again.output
    history = runner.invoke(
        app, ["ilc", "history", "--measurand", "Thermocouple type R at 1000 degC", "--json"]
    )
    assert history.exit_code == 1  # the 2025 round raised action signals
    data = json.loads(history.stdout)
    assert [p["round"] for p in data["points"]] == ["IMEKO-TMP-2025", "IMEKO-TMP-2026"]
    assert {(s["code"], s["round"]) for s in data["signals"]} == {
        ("action_en", "IMEKO-TMP-2025"),
        ("action_z", "IMEKO-TMP-2025"),
    }
    quiet = runner.invoke(app, ["ilc", "history", "--measurand", "Mass 10 kg"])
    assert quiet.exit_code == 0 and "PTB-MAS-2024" in quiet.output
    unknown = runner.invoke(app, ["ilc", "history", "--measurand", "Nothing"])
    assert unknown.exit_code == 2
    coverage = runner.invoke(app, ["ilc", "coverage", "--as-of", "2026-11-23", "--json"])
    assert coverage.exit_code == 0
    status = {(r["site"], r["subdiscipline"]): r["status"] for r in json.loads(coverage.stdout)}
    assert status[("MAIN", "TOR")] == "due"
    assert sum(s == "covered" for s in status.values()) == 5
    assert runner.invoke(app, ["ilc", "coverage", "--as-of", "23/11/2026"]).exit_code == 2
