"""The customer feedback form through AppTest: link, submit, reload, bad links, errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from calib.db import session_scope
from calib.permissions import Principal
from calib.records import Job
from satisfaction.records import FeedbackInvitation, FeedbackResponse
from satisfaction.service import NEUTRAL_LINK_MESSAGE, invite

APP = str(Path(__file__).resolve().parents[2] / "app.py")
STAFF = Principal("staff", "staff")


def _uninvited_job(engine: Engine) -> int:
    with Session(engine) as session:
        invited = select(FeedbackInvitation.job_id)
        job = session.exec(
            select(Job)
            .where(col(Job.delivered_on).is_not(None), col(Job.id).not_in(invited))
            .order_by(col(Job.id))
        ).first()
        assert job is not None
        return int(job.id or 0)


@pytest.fixture
def link(demo_engine: Engine, demo_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    job_id = _uninvited_job(demo_engine)
    with session_scope(demo_engine) as session:
        token, _ = invite(session, STAFF, job_id, dt.datetime.now(dt.UTC))
    return token, job_id


def _open(token: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["token"] = token
    at.run()
    assert not at.exception, at.exception
    return at


def _fill(at: AppTest, **answers: object) -> None:
    for name, value in answers.items():
        if name == "comment":
            at.text_area(key="feedback_comment").input(str(value))
        elif name == "may_contact":
            at.checkbox(key="feedback_may_contact").check()
        else:
            at.radio(key=f"feedback_{name}").set_value(value)
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception


FULL = {
    "overall": 4,
    "quality": 5,
    "timeliness": "Not applicable",
    "technical_accuracy": 4,
    "communication": 5,
    "recommend": 9,
    "comment": "<script>alert(1)</script> fine",
}


def test_form_shows_only_the_questions_nothing_preselected(link: tuple[str, int]) -> None:
    at = _open(link[0])
    assert at.title[0].value == "Your feedback"
    assert "token" not in at.query_params  # the token left the address bar
    radios = {r.key: r for r in at.radio}
    assert set(radios) == {
        "feedback_overall",
        "feedback_quality",
        "feedback_timeliness",
        "feedback_technical_accuracy",
        "feedback_communication",
        "feedback_recommend",
    }
    assert all(r.value is None for r in at.radio)
    assert radios["feedback_overall"].label.startswith("Overall")
    assert not [b for b in at.sidebar.button]  # no navigation, no sign-out


def test_submit_then_reload_says_already_received(
    link: tuple[str, int], demo_engine: Engine
) -> None:
    token, job_id = link
    at = _open(token)
    _fill(at, **FULL)
    assert at.success[0].value.startswith("Thank you")
    assert at.query_params["feedback"] in (["received"], "received")
    with Session(demo_engine) as session:
        rows = session.exec(select(FeedbackResponse).where(FeedbackResponse.job_id == job_id))
        stored = rows.all()
    assert len(stored) == 1
    assert stored[0].timeliness is None
    assert stored[0].comment == "<script>alert(1)</script> fine"  # inert text, verbatim
    again = _open(token)  # the customer opens the same link again
    assert [i.value for i in again.info] == [NEUTRAL_LINK_MESSAGE]
    assert "already received" in NEUTRAL_LINK_MESSAGE
    assert not again.radio


@pytest.mark.parametrize("token", ["x" * 43, "not-a-token", "<script>"])
def test_bad_links_get_the_same_neutral_message(link: tuple[str, int], token: str) -> None:
    at = _open(token)
    assert [i.value for i in at.info] == [NEUTRAL_LINK_MESSAGE]
    assert not at.radio


def test_expired_link_gets_the_neutral_message(link: tuple[str, int], demo_engine: Engine) -> None:
    token, job_id = link
    with session_scope(demo_engine) as session:
        from calib.audit import audited_update

        invitation = session.exec(
            select(FeedbackInvitation).where(
                FeedbackInvitation.job_id == job_id, col(FeedbackInvitation.used_at).is_(None)
            )
        ).one()
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        audited_update(session, invitation, {"expires_at": past}, STAFF)
    at = _open(token)
    assert [i.value for i in at.info] == [NEUTRAL_LINK_MESSAGE]


def test_missing_answers_are_named_and_nothing_is_stored(
    link: tuple[str, int], demo_engine: Engine
) -> None:
    token, job_id = link
    at = _open(token)
    _fill(at, quality=4, timeliness=3, technical_accuracy=5, communication=4)
    errors = [e.value for e in at.error]
    assert any(e.startswith("Overall, how satisfied") for e in errors), errors
    assert any(e.startswith("How likely are you to recommend") for e in errors), errors
    assert all("please answer this question" in e for e in errors)
    with Session(demo_engine) as session:
        assert not session.exec(
            select(FeedbackResponse).where(FeedbackResponse.job_id == job_id)
        ).all()
    assert at.radio(key="feedback_quality").value == 4  # answers kept for the retry
