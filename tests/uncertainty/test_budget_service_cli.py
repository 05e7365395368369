"""`calib budget list/show/import/export/evaluate-stored/submit/approve/reject/coverage`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calib.cli import app

runner = CliRunner()


@pytest.fixture
def demo_env(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    return demo_url


def test_list_show_and_coverage(demo_env: str) -> None:
    listed = runner.invoke(app, ["budget", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [r["status"] for r in rows].count("approved") == 4
    shown = runner.invoke(app, ["budget", "show", str(rows[0]["id"]), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["last_evaluation"]["result"]["outputs"]
    coverage = runner.invoke(app, ["budget", "coverage", "--as-of", "2030-01-01", "--json"])
    # CP-TOR-01 has no budget and the thermocouple one is only submitted: findings, exit 1.
    assert coverage.exit_code == 1, coverage.output
    by_code = {r["procedure_code"]: r for r in json.loads(coverage.output)}
    assert not by_code["CP-TOR-01"]["has_approved_budget"]
    assert by_code["CP-MAS-01"]["all_support_cmc"] is True
    bad = runner.invoke(app, ["budget", "coverage", "--as-of", "soon"])
    assert bad.exit_code == 2


def test_export_import_submit_and_self_approval(demo_env: str, tmp_path: Path) -> None:
    exported = tmp_path / "weight.json"
    result = runner.invoke(app, ["budget", "export", "2", "-o", str(exported)])
    assert result.exit_code == 0, result.output
    imported = runner.invoke(
        app,
        ["budget", "import", str(exported), "--procedure", "CP-MAS-01", "--cmc", "58",
         "--cmc-unit", "mg"],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    new_id = imported.output.split()[1]
    assert runner.invoke(app, ["budget", "submit", new_id]).exit_code == 2  # not evaluated
    assert runner.invoke(app, ["budget", "evaluate-stored", new_id]).exit_code == 0
    assert runner.invoke(app, ["budget", "submit", new_id]).exit_code == 0
    refused = runner.invoke(app, ["budget", "approve", new_id])
    assert refused.exit_code == 2 and "may not approve" in refused.output
    rejected = runner.invoke(app, ["budget", "reject", new_id, "--reason", "duplicate"])
    assert rejected.exit_code == 0 and "draft" in rejected.output
    again = runner.invoke(app, ["budget", "export", new_id])
    assert json.loads(again.output) == json.loads(exported.read_text())
    typo = runner.invoke(app, ["budget", "import", str(exported), "--procedure", "CP-XXX-99"])
    assert typo.exit_code == 2 and "CP-XXX-99" in typo.output


def test_evaluate_still_imports_no_database() -> None:
    """`calib budget evaluate` keeps its start-up light (no sqlmodel, no streamlit)."""
    code = (
        "import sys; from calib.commands import budget; "
        "print('sqlmodel' in sys.modules or 'streamlit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
