"""`calib satisfaction report` (CONTRACTS.md section 5): document, exit codes, text summary."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from calib.cli import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["satisfaction", "report", *args])
    return result.exit_code, result.output


def test_json_document_has_the_contract_fields_and_a_signal() -> None:
    code, out = _run(
        "--responses",
        str(DATA / "responses.csv"),
        "--jobs",
        str(DATA / "jobs.csv"),
        "--complaints",
        str(DATA / "complaints.csv"),
        "--json",
    )
    assert code == 1, out  # the bad month (2025-10, 6 of 10 dissatisfied) fires
    doc = json.loads(out)
    assert doc["responses"] == 140
    for key in ("value", "ci", "n"):
        assert key in doc["csat"] and key in doc["nps"] and key in doc["on_time_delivery"]
    assert set(doc["dimensions"]) == {
        "quality",
        "timeliness",
        "technical_accuracy",
        "communication",
    }
    for dim in doc["dimensions"].values():
        assert {"mean", "ci", "n", "top2_share"} <= set(dim)
    assert {"median", "p90"} <= set(doc["turnaround_days"])
    for period in doc["periods"]:
        assert {"period", "n", "dissatisfied_share", "center", "ucl", "signal"} <= set(period)
    assert [p["period"] for p in doc["periods"] if p["signal"]] == ["2025-10"]
    signal = doc["signals"][0]
    assert {"rule", "period", "message"} <= set(signal)
    assert signal["rule"] == "beyond_control_limit" and signal["period"] == "2025-10"
    assert len(signal["data_ids"]) == 6
    assert doc["csat"]["n"] == 140 and len(doc["csat"]["ci"]) == 2
    assert doc["complaint_rate"]["complaints"] == 7


def test_in_control_months_exit_zero(tmp_path: Path) -> None:
    lines = (DATA / "responses.csv").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("J2510-")]
    path = tmp_path / "R.csv"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    code, out = _run("--responses", str(path), "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["signals"] == []
    assert doc["on_time_delivery"]["n"] == 0 and doc["on_time_delivery"]["value"] is None


def test_target_rule_fires(tmp_path: Path) -> None:
    code, out = _run("--responses", str(DATA / "responses.csv"), "--target", "0.9", "--json")
    assert code == 1
    rules = [s["rule"] for s in json.loads(out)["signals"]]
    assert "csat_upper_bound_below_target" in rules


def test_text_summary_shows_n_and_intervals() -> None:
    code, out = _run("--responses", str(DATA / "responses.csv"), "--jobs", str(DATA / "jobs.csv"))
    assert code == 1
    assert "CSAT" in out and "n = 140" in out and "[" in out
    assert "SIGNAL" in out


def test_bad_input_exits_two_with_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "R.csv"
    path.write_text(
        "job_id,submitted_on,overall,quality,timeliness,technical_accuracy,communication,recommend,comment\n"
        "J1,2026-01-05,7,,,,,9,\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["satisfaction", "report", "--responses", str(path), "--json"])
    assert result.exit_code == 2
    assert "row 2, column overall" in result.output


def test_unknown_job_in_responses_exits_two(tmp_path: Path) -> None:
    jobs = tmp_path / "J.csv"
    jobs.write_text("job_id,customer,received_on,due_on,delivered_on\n", encoding="utf-8")
    code, out = _run("--responses", str(DATA / "responses.csv"), "--jobs", str(jobs))
    assert code == 2
    assert "not in the jobs file" in out


def test_missing_file_exits_two(tmp_path: Path) -> None:
    code, out = _run("--responses", str(tmp_path / "nope.csv"))
    assert code == 2
    assert "cannot read" in out


def test_complaints_need_jobs() -> None:
    code, out = _run(
        "--responses", str(DATA / "responses.csv"), "--complaints", str(DATA / "complaints.csv")
    )
    assert code == 2
    assert "--jobs" in out
