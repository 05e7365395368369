"""`calib budget evaluate` (CONTRACTS.md section 1): output, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from calib.cli import app

REFERENCE = Path(__file__).parent.parent / "reference"
runner = CliRunner()


def _write(tmp_path: Path, doc: Any) -> str:
    path = tmp_path / "budget.json"
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return str(path)


def test_evaluate_json_contract_fields() -> None:
    result = runner.invoke(
        app, ["budget", "evaluate", str(REFERENCE / "gum_h1_end_gauge.json"), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {
        "name",
        "coverage_probability",
        "outputs",
        "output_correlations",
        "warnings",
    }
    out = doc["outputs"]["l"]
    for key in (
        "value",
        "unit",
        "standard_uncertainty",
        "effective_dof",
        "coverage_factor",
        "expanded_uncertainty",
        "interval",
        "statement",
        "contributions",
    ):
        assert key in out
    row = out["contributions"][0]
    for key in (
        "input",
        "sensitivity",
        "sensitivity_unit",
        "standard_uncertainty",
        "unit",
        "contribution",
        "dof",
        "percent",
    ):
        assert key in row
    assert out["unit"] == "nm"
    assert row["sensitivity_unit"] == ""
    assert out["statement"] == "l = 50 000 838 nm ± 92 nm (k = 2.92, p ≈ 99 %, ν_eff = 16)"
    infinite = next(r for r in out["contributions"] if r["input"] == "alpha_s")
    assert infinite["dof"] is None  # JSON has no infinity


def test_evaluate_text_table_has_ea402_columns() -> None:
    result = runner.invoke(app, ["budget", "evaluate", str(REFERENCE / "ea402_s2_weight.json")])
    assert result.exit_code == 0, result.output
    for header in (
        "Quantity",
        "Estimate",
        "Standard uncertainty",
        "Distribution",
        "Sensitivity",
        "Contribution",
        "dof",
        "Index",
    ):
        assert header in result.stdout
    assert "m_X = 10 000.025 g ± 0.059 g (k = 2.00, p ≈ 95 %, ν_eff = ∞)" in result.stdout


def test_evaluate_monte_carlo_records_seed_and_validation() -> None:
    result = runner.invoke(
        app,
        [
            "budget",
            "evaluate",
            str(REFERENCE / "ea402_s2_weight.json"),
            "--json",
            "--trials",
            "20000",
            "--seed",
            "7",
        ],
    )
    assert result.exit_code == 0, result.output
    mc = json.loads(result.stdout)["outputs"]["m_X"]["monte_carlo"]
    assert mc["trials"] == 20000 and mc["seed"] == 7
    assert set(mc["validation"]) == {"significant_digits", "delta", "d_low", "d_high", "validated"}
    assert mc["shortest_interval"][0] < mc["mean"] < mc["shortest_interval"][1]


BAD_DOCS = [
    (
        {"model": "y = x", "inputs": {"x": {"value": 1, "standard_uncertainty": -1}}},
        "inputs.x.standard_uncertainty",
    ),
    (
        {
            "model": "y = x",
            "inputs": {
                "x": {
                    "value": 1,
                    "standard_uncertainty": 1,
                    "expanded_uncertainty": 2,
                    "coverage_factor": 2,
                }
            },
        },
        "inputs.x",
    ),
    (
        {"model": "y = x", "inputs": {"x": {"value": 1, "standard_uncertanity": 1}}},
        "inputs.x.standard_uncertanity",
    ),
    (
        {
            "model": "y = x",
            "inputs": {"x": {"value": 1, "standard_uncertainty": 1}},
            "coverage_probability": 1.5,
        },
        "coverage_probability",
    ),
    (
        {
            "model": "y = x + z",
            "inputs": {
                "x": {"value": 1, "standard_uncertainty": 1},
                "z": {"value": 1, "standard_uncertainty": 1},
            },
            "correlations": [{"inputs": ["x", "z"], "coefficient": 1.2}],
        },
        "correlations",
    ),
    (
        {
            "model": "y = x",
            "inputs": {"x": {"value": 1, "unit": "parsecz", "standard_uncertainty": 1}},
        },
        "inputs.x.unit",
    ),
    (
        {
            "model": "y = x + t",
            "inputs": {
                "x": {"value": 1, "unit": "mm", "standard_uncertainty": 1},
                "t": {"value": 20, "unit": "degC", "standard_uncertainty": 1},
            },
        },
        "model",
    ),
    (
        {"model": "y = x + w", "inputs": {"x": {"value": 1, "standard_uncertainty": 1}}},
        "unknown name 'w'",
    ),
    (
        {
            "model": "y = __import__('os').system('echo hacked')",
            "inputs": {"x": {"value": 1, "standard_uncertainty": 1}},
        },
        "model",
    ),
    (
        {"model": "y = x ** 9 ** 9 ** 9", "inputs": {"x": {"value": 1, "standard_uncertainty": 1}}},
        "too large",
    ),
    (
        {"model": "y = (lambda: x)()", "inputs": {"x": {"value": 1, "standard_uncertainty": 1}}},
        "lambda",
    ),
    (
        {"model": "y = [x for x in x]", "inputs": {"x": {"value": 1, "standard_uncertainty": 1}}},
        "comprehensions",
    ),
    (
        {"model": "y = x.real", "inputs": {"x": {"value": 1, "standard_uncertainty": 1}}},
        "attribute access",
    ),
    (
        {"model": "y = x", "inputs": {"x": {"value": 1, "standard_uncertainty": 1, "dof": 0}}},
        "inputs.x.dof",
    ),
    ({"model": "y = x", "inputs": {}}, "inputs"),
    (
        {
            "model": "y = x",
            "inputs": {"x": {"value": 1, "standard_uncertainty": 1}},
            "outputs": {"q": {}},
        },
        "outputs.q",
    ),
]


@pytest.mark.parametrize(("doc", "fragment"), BAD_DOCS)
def test_bad_input_exits_2_naming_the_field(tmp_path: Path, doc: Any, fragment: str) -> None:
    result = runner.invoke(app, ["budget", "evaluate", _write(tmp_path, doc), "--json"])
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr
    assert result.stdout == ""


def test_hostile_model_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    doc = {
        "model": f"y = __import__('os').system('touch {marker}')",
        "inputs": {"x": {"value": 1, "standard_uncertainty": 1}},
    }
    result = runner.invoke(app, ["budget", "evaluate", _write(tmp_path, doc)])
    assert result.exit_code == 2
    assert not marker.exists()


def test_not_json_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["budget", "evaluate", _write(tmp_path, "{not json")])
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr


def test_evaluate_does_not_import_database_or_streamlit(tmp_path: Path) -> None:
    """`calib budget evaluate` must start fast: no sqlmodel, sqlalchemy or streamlit."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from calib.cli import app\n"
        f"r = CliRunner().invoke(app, ['budget', 'evaluate', {str(REFERENCE / 'ea402_s2_weight.json')!r}, '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "bad = [m for m in ('sqlmodel', 'sqlalchemy', 'streamlit', 'pandas') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cancelled_monte_carlo_exits_130_not_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a cancelled Monte Carlo run (Ctrl-C) exited 2 "bad input"; it exits 130
    (the SIGINT convention) with "cancelled" on standard error and nothing on standard output."""
    from collections.abc import Iterator
    from contextlib import contextmanager

    import calib.commands.progress as progress_module

    @contextmanager
    def cancelled_at_once(**_: Any) -> Iterator[tuple[None, Any]]:
        yield None, lambda: True

    monkeypatch.setattr(progress_module, "monte_carlo_progress", cancelled_at_once)
    result = runner.invoke(
        app,
        [
            "budget",
            "evaluate",
            str(REFERENCE / "gum_h1_end_gauge.json"),
            "--json",
            "--monte-carlo",
            "--trials",
            "100000",
        ],
    )
    assert result.exit_code == 130, result.output
    assert "cancelled" in result.stderr
    assert result.stdout == ""
