"""`calib satisfaction invite`, `triggers` and `report` (database mode) on the demo lab."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from calib.cli import app
from calib.records import Job
from satisfaction.records import FeedbackInvitation
from satisfaction.tokens import hash_token

runner = CliRunner()


@pytest.fixture
def demo_env(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    monkeypatch.delenv("CALIB_PUBLIC_URL", raising=False)
    return demo_url


def _job(engine: Engine, *, delivered: bool) -> int:
    with Session(engine) as session:
        stmt = select(Job).where(
            col(Job.delivered_on).is_not(None) if delivered else col(Job.delivered_on).is_(None),
            col(Job.id).not_in(select(FeedbackInvitation.job_id)),
        )
        job = session.exec(stmt.order_by(col(Job.id))).first()
        assert job is not None
        return int(job.id or 0)


def test_invite_prints_a_link_and_stores_only_its_hash(
    demo_env: str, demo_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _job(demo_engine, delivered=True)
    result = runner.invoke(app, ["satisfaction", "invite", "--job", str(job_id)])
    assert result.exit_code == 0, result.output
    match = re.search(r"http://localhost:8501/\?token=([A-Za-z0-9_-]{43})", result.stdout)
    assert match, result.stdout
    with Session(demo_engine) as session:
        stored = session.exec(
            select(FeedbackInvitation).where(FeedbackInvitation.job_id == job_id)
        ).one()
    assert stored.token_hash == hash_token(match.group(1))
    monkeypatch.setenv("CALIB_PUBLIC_URL", "https://feedback.lab.example/")
    result = runner.invoke(app, ["satisfaction", "invite", "--job", str(job_id), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["url"].startswith("https://feedback.lab.example/?token=")
    assert doc["job_id"] == job_id


def test_invite_refuses_undelivered_and_unknown_jobs(demo_env: str, demo_engine: Engine) -> None:
    job_id = _job(demo_engine, delivered=False)
    result = runner.invoke(app, ["satisfaction", "invite", "--job", str(job_id)])
    assert result.exit_code == 2
    assert "not delivered" in result.output
    result = runner.invoke(app, ["satisfaction", "invite", "--job", "999999"])
    assert result.exit_code == 2
    assert "no job with id 999999" in result.output


def test_report_reads_the_database_and_triggers_are_idempotent(demo_env: str) -> None:
    result = runner.invoke(app, ["satisfaction", "report", "--json"])
    assert result.exit_code == 1, result.output  # the demo's bad month signals
    doc = json.loads(result.stdout)
    assert doc["responses"] > 100
    assert [s["rule"] for s in doc["signals"]] == ["beyond_control_limit"]
    assert doc["csat"]["n"] == doc["responses"]
    result = runner.invoke(app, ["satisfaction", "triggers"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "no new signals"  # the demo already opened its action
    result = runner.invoke(app, ["satisfaction", "report", "--jobs", "J.csv"])
    assert result.exit_code == 2
    assert "--responses" in result.output
