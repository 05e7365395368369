"""`calib ilc create-scheme`, `add-subdiscipline`, `add-plan-item` on the demo database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from calib.cli import app

runner = CliRunner()


@pytest.fixture
def env(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    return demo_url


def _coverage(as_of: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["ilc", "coverage", "--as-of", as_of, "--json"])
    assert result.exit_code in (0, 1), result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_scheme_subdiscipline_and_plan_item_from_the_command_line(env: str) -> None:
    made = runner.invoke(
        app,
        [
            "ilc",
            "create-scheme",
            "--provider",
            "Example PT Ltd",
            "--name",
            "Resistance 2027",
            "--accredited-17043",
            "--json",
        ],
    )
    assert made.exit_code == 0, made.output
    scheme = json.loads(made.stdout)
    assert (scheme["provider"], scheme["name"], scheme["accredited_17043"]) == (
        "Example PT Ltd",
        "Resistance 2027",
        True,
    )
    sub = runner.invoke(
        app, ["ilc", "add-subdiscipline", "--code", "RES", "--name", "DC resistance"]
    )
    assert sub.exit_code == 0, sub.output
    assert "created sub-discipline RES" in sub.output
    plan = [
        "ilc",
        "add-plan-item",
        "--subdiscipline",
        "RES",
        "--site",
        "MAIN",
        "--cycle-start",
        "2026-01-01",
        "--json",
    ]
    first = runner.invoke(app, plan)
    assert first.exit_code == 0, first.output
    assert (json.loads(first.stdout)["cycle_years"], json.loads(first.stdout)["min_rounds"]) == (
        4,
        1,
    )
    # no participation yet: the first is due at the end of the first cycle
    # (ilc.plan.coverage_status), 2030-01-01, beyond the 180-day horizon of 2026-06-01
    rows = [r for r in _coverage("2026-06-01") if r["subdiscipline"] == "RES"]
    assert [(r["site"], r["status"], r["rounds_in_cycle"], r["next_due"]) for r in rows] == [
        ("MAIN", "covered", 0, "2030-01-01")
    ]
    # the same sub-discipline and site again updates the item instead of adding one
    again = runner.invoke(app, [*plan, "--min-rounds", "2", "--cycle-years", "5"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["id"] == json.loads(first.stdout)["id"]
    rows = [r for r in _coverage("2026-06-01") if r["subdiscipline"] == "RES"]
    assert [(r["min_rounds"], r["cycle_end"], r["next_due"]) for r in rows] == [
        (2, "2031-01-01", "2031-01-01")
    ]
    # the new scheme is found by name when a round is created
    round_ = runner.invoke(
        app,
        [
            "ilc",
            "create-round",
            "--scheme",
            "Resistance 2027",
            "--code",
            "RES-2027",
            "--measurand",
            "DC resistance 10 kOhm",
            "--unit",
            "Ohm",
            "--opened",
            "2027-01-10",
            "--closes",
            "2027-03-31",
            "--method",
            "robust",
            "--sigma-pt",
            "0.01",
            "--subdiscipline",
            "RES",
            "--site",
            "MAIN",
        ],
    )
    assert round_.exit_code == 0, round_.output


# later occurrences of an option win in click: each case overrides one flag of _PLAN
_PLAN = ["add-plan-item", "--subdiscipline", "DCV", "--site", "MAIN", "--cycle-start", "2026-01-01"]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["create-scheme", "--provider", " ", "--name", "X"], "--provider"),
        (["create-scheme", "--provider", "P", "--name", ""], "--name"),
        (["add-subdiscipline", "--code", "DCV", "--name", "again"], "--code"),
        (["add-subdiscipline", "--code", " ", "--name", "blank"], "--code"),
        ([*_PLAN, "--cycle-start", "1.1.26"], "--cycle-start"),
        ([*_PLAN, "--subdiscipline", "XYZ"], "--subdiscipline"),
        ([*_PLAN, "--site", "MOON"], "--site"),
        ([*_PLAN, "--cycle-years", "0"], "--cycle-years"),
        ([*_PLAN, "--cycle-years", "11"], "--cycle-years"),
        ([*_PLAN, "--min-rounds", "0"], "--min-rounds"),
    ],
)
def test_bad_input_exits_2_naming_the_flag(env: str, args: list[str], flag: str) -> None:
    before = _coverage("2026-06-01")
    result = runner.invoke(app, ["ilc", *args])
    assert result.exit_code == 2, result.output
    assert flag in result.output
    assert _coverage("2026-06-01") == before  # nothing stored


def test_a_scheme_is_registered_once(env: str) -> None:
    args = ["ilc", "create-scheme", "--provider", "P1", "--name", "S1"]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 2, again.output
    assert "--name" in again.output and "exists already" in again.output
