"""The customer feedback form in a real browser: open the link, answer, submit, reload."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _live_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite file behind ``live_app`` (a copy in this worker's temp dir)."""
    found = sorted(tmp_path_factory.getbasetemp().glob("live_app*/demo.sqlite"))
    assert found, "live_app database not found"
    return found[-1]


@pytest.fixture
def feedback_link(live_app: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    from sqlmodel import col, select

    from calib.db import make_engine, session_scope
    from calib.permissions import Principal
    from calib.records import Job
    from satisfaction.records import FeedbackInvitation
    from satisfaction.service import feedback_url, invite

    engine = make_engine(f"sqlite:///{_live_database(tmp_path_factory).as_posix()}")
    try:
        with session_scope(engine) as session:
            job = session.exec(
                select(Job)
                .where(
                    col(Job.delivered_on).is_not(None),
                    col(Job.id).not_in(select(FeedbackInvitation.job_id)),
                )
                .order_by(col(Job.id))
            ).first()
            assert job is not None
            token, _ = invite(
                session, Principal("staff", "staff"), int(job.id or 0), dt.datetime.now(dt.UTC)
            )
    finally:
        engine.dispose()
    return feedback_url(token, live_app)


def _choose(page: Any, question: str, option: str) -> None:
    group = page.get_by_role("radiogroup", name=question)
    group.get_by_text(option, exact=True).click()


def test_customer_submits_then_reload_says_already_received(
    browser_page: Any, feedback_link: str
) -> None:
    from satisfaction.schema import QUESTION_LABELS
    from satisfaction.service import NEUTRAL_LINK_MESSAGE, RECEIVED_MESSAGE

    page = browser_page
    page.goto(feedback_link)
    page.get_by_role("heading", name="Your feedback").wait_for()
    page.wait_for_url(re.compile(r"feedback=open"))
    assert "token=" not in page.url  # the token left the address bar
    assert page.get_by_text("Sign in").count() == 0  # customers never sign in
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_text(f"{QUESTION_LABELS['overall']}: please answer this question").wait_for()
    _choose(page, QUESTION_LABELS["overall"], "4 – satisfied")
    _choose(page, QUESTION_LABELS["quality"], "5 – very satisfied")
    _choose(page, QUESTION_LABELS["timeliness"], "Not applicable")
    _choose(page, QUESTION_LABELS["technical_accuracy"], "4 – satisfied")
    _choose(page, QUESTION_LABELS["communication"], "5 – very satisfied")
    _choose(page, QUESTION_LABELS["recommend"], "9")
    page.get_by_label(QUESTION_LABELS["comment"]).fill("<b>bold?</b> Quick and clear.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "satisfaction_form_filled.png"), full_page=True)
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_text("Thank you! Your feedback was received").wait_for()
    page.wait_for_url(re.compile(r"feedback=received"))
    page.reload()
    page.get_by_text(RECEIVED_MESSAGE).wait_for()
    assert page.get_by_role("radiogroup").count() == 0
    page.goto(feedback_link)  # the same link again: neutral, nothing revealed
    page.get_by_text(NEUTRAL_LINK_MESSAGE).wait_for()
    assert page.get_by_role("radiogroup").count() == 0


def test_unknown_link_gets_the_neutral_message(browser_page: Any, live_app: str) -> None:
    from satisfaction.service import NEUTRAL_LINK_MESSAGE

    browser_page.goto(f"{live_app}/?token={'z' * 43}")
    browser_page.get_by_text(NEUTRAL_LINK_MESSAGE).wait_for()
    assert browser_page.get_by_role("radiogroup").count() == 0
