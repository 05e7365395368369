"""CLI commands through typer's CliRunner with calib.cli.app."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from calib.cli import app
from calib.commands.schema import SCHEMAS
from calib.db import make_engine

runner = CliRunner()


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{(tmp_path / 'cli.sqlite').as_posix()}"
    monkeypatch.setenv("CALIB_DATABASE_URL", url)
    return url


def test_db_upgrade_and_current(sqlite_env: str) -> None:
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 0, result.output
    assert "(empty database)" in result.output
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    # Every domain adds its tables on a branch of 0001_foundation: all heads are applied.
    for head in ("0002_uncertainty", "0002_traceability", "0002_ilc", "0002_satisfaction"):
        assert head in result.output
    result = runner.invoke(app, ["db", "current"])
    assert "behind" not in result.output


def test_malformed_and_unreachable_url_exit_2_with_masked_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CALIB_DATABASE_URL", "postgresql+psycopg://lab:hunter2@127.0.0.1:1/x")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "hunter2" not in result.output and "lab:***@127.0.0.1:1/x" in result.output
    assert len(result.output.strip().splitlines()) == 1
    monkeypatch.setenv("CALIB_DATABASE_URL", "::not-a-url::")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 2
    assert "malformed database URL" in result.output


def test_demo_then_verify_then_tamper(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 2
    assert "--reset" in result.output
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    eng = make_engine(demo_url)
    with eng.begin() as c:
        c.execute(text("UPDATE job SET delivered_on = received_on WHERE id = 3"))
    eng.dispose()
    result = runner.invoke(app, ["audit", "verify", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    assert (
        report["problems"][0]["table_name"] == "job" and report["problems"][0]["record_id"] == "3"
    )
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1 and "job 3 differs" in result.output


def test_demo_reset_reseeds(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    assert runner.invoke(app, ["demo", "--as-of", "23/11/2026"]).exit_code == 2
    result = runner.invoke(app, ["demo", "--reset", "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert re.search(r"\b40\d jobs", result.output), result.output
    assert "admin-demo" in result.output and "assessor-demo" in result.output
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_user_commands(sqlite_env: str) -> None:
    result = runner.invoke(
        app,
        [
            "user",
            "add",
            "ada",
            "--role",
            "staff",
            "--password",
            "long-enough-1",
            "--email",
            "ada@x.example",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        runner.invoke(
            app, ["user", "add", "ada", "--role", "staff", "--password", "long-enough-1"]
        ).exit_code
        == 2
    )
    assert (
        runner.invoke(
            app, ["user", "add", "bob", "--role", "boss", "--password", "long-enough-1"]
        ).exit_code
        == 2
    )
    result = runner.invoke(app, ["user", "set-role", "ada", "manager"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["user", "list", "--json"])
    rows = json.loads(result.output)
    assert rows == [
        {
            "username": "ada",
            "role": "manager",
            "email": "ada@x.example",
            "active": True,
            "locked": False,
        }
    ]
    result = runner.invoke(app, ["user", "reset-password", "ada", "--password", "another-pass-2"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["user", "set-role", "nobody", "staff"]).exit_code == 2
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_schema_command() -> None:
    result = runner.invoke(app, ["schema", "--list"])
    assert result.exit_code == 0
    for name in SCHEMAS:
        assert name in result.output
    assert runner.invoke(app, ["schema", "no-such-schema"]).exit_code == 2
    for name in SCHEMAS:
        result = runner.invoke(app, ["schema", name])
        if result.exit_code == 0:
            assert "properties" in json.loads(result.output)
        else:
            assert result.exit_code == 2 and "not available" in result.output


def test_serve_finds_app() -> None:
    from calib.commands.serve import app_path

    assert app_path().name == "app.py"
