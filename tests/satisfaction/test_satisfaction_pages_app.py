"""Staff pages through AppTest on the demo lab: dashboard, complaints board, invitations."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from satisfaction.records import Complaint, FeedbackInvitation


def test_dashboard_shows_kpis_with_n_intervals_and_the_demo_signal(
    signed_in_app: Callable[..., AppTest],
) -> None:
    app_test = signed_in_app("manager", "satisfaction_dashboard")
    assert app_test.title[0].value == "Customer satisfaction"
    labels = {m.label for m in app_test.metric}
    assert {"CSAT (overall ≥ 4)", "Net Promoter Score", "On-time delivery"} <= labels
    captions = " ".join(c.value for c in app_test.caption)
    assert "n = " in captions and "95 % CI" in captions
    assert len(app_test.get("vega_lite_chart")) == 3  # dimensions, p-chart, u-chart
    # the demo's bad month fired and its corrective action is listed
    frames = [df.value for df in app_test.dataframe]
    raised = next(f for f in frames if "corrective action" in f.columns)
    assert list(raised["rule"]) == ["beyond_control_limit"]
    assert raised["nonconformity"].iloc[0].startswith("NC-")
    app_test.button(key="satisfaction_triggers").click().run()
    assert not app_test.exception
    assert app_test.success[0].value == "0 new corrective action(s) opened."  # idempotent


def test_staff_does_not_see_the_dashboard(signed_in_app: Callable[..., AppTest]) -> None:
    app_test = signed_in_app("staff")
    try:
        app_test.switch_page("calib/ui/satisfaction_dashboard.py")
    except ValueError:
        return
    app_test.run()
    assert all(t.value != "Customer satisfaction" for t in app_test.title)


def test_complaints_board_advances_a_complaint(
    signed_in_app: Callable[..., AppTest], demo_engine: Engine
) -> None:
    app_test = signed_in_app("staff", "satisfaction_complaints")
    assert app_test.title[0].value == "Complaints"
    counts = {m.label: int(m.value) for m in app_test.metric}
    assert counts["Received"] >= 1 and counts["Closed"] >= 1
    with Session(demo_engine) as session:
        received = session.exec(select(Complaint).where(Complaint.status == "received")).first()
    assert received is not None
    reference = received.reference
    app_test.selectbox(key="complaint_selected").set_value(reference).run()
    assert not app_test.exception, app_test.exception
    next(b for b in app_test.button if b.label == "Acknowledge").click()
    app_test.run()
    assert not app_test.exception, app_test.exception
    with Session(demo_engine) as session:
        stored = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
    assert stored.status == "acknowledged" and stored.acknowledged_by == "staff"


def test_invitations_page_creates_links_shown_once(
    signed_in_app: Callable[..., AppTest], demo_engine: Engine
) -> None:
    with Session(demo_engine) as session:
        before = len(session.exec(select(FeedbackInvitation)).all())
    app_test = signed_in_app("staff", "satisfaction_invitations")
    assert app_test.title[0].value == "Feedback invitations"
    pending = app_test.dataframe[0].value
    assert len(pending) > 0
    app_test.button(key="satisfaction_create_links").click().run()
    assert not app_test.exception, app_test.exception
    links = app_test.dataframe[0].value
    assert len(links) == len(pending)
    assert all(str(u).startswith("http://localhost:8501/?token=") for u in links["link"])
    with Session(demo_engine) as session:
        assert len(session.exec(select(FeedbackInvitation)).all()) == before + len(pending)
    app_test.button(key="satisfaction_mark_sent").click().run()
    assert not app_test.exception, app_test.exception
    assert app_test.subheader[0].value == "Pending (0)"
