"""`calib ilc create-round` on the demo database: create, list, and bad flags (exit 2)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from calib.cli import app

runner = CliRunner()

_BASE = [
    "ilc",
    "create-round",
    "--scheme",
    "Supplementary comparisons",
    "--code",
    "EURAMET-DCV-2027",
    "--measurand",
    "DC voltage 10 V",
    "--unit",
    "V",
    "--opened",
    "2027-01-10",
    "--closes",
    "2027-03-31",
    "--subdiscipline",
    "DCV",
    "--site",
    "MAIN",
    "--own-participant",
    "L07",
]


@pytest.fixture
def env(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    return demo_url


def test_create_reference_round_then_it_is_listed_open(env: str) -> None:
    result = runner.invoke(
        app,
        [*_BASE, "--reference-value", "10.0000012", "--reference-U", "5e-7", "--json"],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["code"], doc["status"], doc["method"], doc["unit"]) == (
        "EURAMET-DCV-2027",
        "open",
        "reference",
        "V",
    )
    assert doc["reference_value"] == 10.0000012
    assert doc["reference_coverage_factor"] == 2.0  # service default for 'reference'
    assert doc["own_participant"] == "L07"
    listed = json.loads(runner.invoke(app, ["ilc", "rounds", "--status", "open", "--json"]).stdout)
    assert sorted(r["code"] for r in listed) == ["EURAMET-DCV-2026", "EURAMET-DCV-2027"]


def test_robust_round_without_reference_is_accepted(env: str) -> None:
    args = [a if a != "EURAMET-DCV-2027" else "PT-ROBUST-1" for a in _BASE]
    result = runner.invoke(app, [*args, "--method", "robust", "--sigma-pt", "2e-6"])
    assert result.exit_code == 0, result.output
    assert "created round" in result.output and "PT-ROBUST-1" in result.output


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        ([], "--reference-value"),  # method reference without its value
        (["--reference-value", "10", "--reference-U", "-1"], "--reference-U"),
        (["--reference-value", "10", "--reference-U", "1", "--en-limit", "0"], "--en-limit"),
        (["--reference-value", "10", "--reference-U", "1", "--method", "mean"], "--method"),
        (["--reference-value", "10", "--reference-U", "1", "--doe", "both"], "--doe"),
        (["--reference-value", "10", "--reference-U", "1", "--site", "MOON"], "--site"),
        (["--reference-value", "10", "--reference-U", "1", "--closes", "2026-12-31"], "--closes"),
        (["--reference-value", "10", "--reference-U", "1", "--opened", "10.1.2027"], "--opened"),
        (["--reference-value", "10", "--reference-U", "1", "--scheme", "nope"], "--scheme"),
    ],
)
def test_bad_input_exits_2_naming_the_flag_and_stores_nothing(
    env: str, extra: list[str], flag: str
) -> None:
    # later occurrences of an option win in click, so `extra` overrides _BASE
    result = runner.invoke(app, [*_BASE, *extra])
    assert result.exit_code == 2, result.output
    assert flag in result.output
    listed = json.loads(runner.invoke(app, ["ilc", "rounds", "--json"]).stdout)
    assert "EURAMET-DCV-2027" not in {r["code"] for r in listed}
