"""Satisfaction services on SQLite and PostgreSQL: invitations, one response per job under
concurrency, automatic complaints, the ISO/IEC 17025 7.9 workflow with its independence
rule, and idempotent trigger -> corrective action."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from calib.audit import audited_create, audited_update, verify_audit
from calib.complaints import (
    acknowledge_complaint,
    alleges_error,
    approve_outcome,
    close_complaint,
    investigate_complaint,
    link_quality_records,
    record_complaint,
    validate_complaint,
)
from calib.db import session_scope
from calib.permissions import Principal
from calib.records import (
    CorrectiveAction,
    Customer,
    Job,
    Lab,
    Nonconformity,
    Person,
    Procedure,
    Site,
    User,
)
from satisfaction.records import Complaint, FeedbackInvitation, FeedbackResponse, SatisfactionSignal
from satisfaction.service import (
    NEUTRAL_LINK_MESSAGE,
    FeedbackLinkError,
    evaluate_triggers,
    feedback_url,
    invitation_is_open,
    invite,
    list_signals,
    pending_invitations,
    satisfaction_report,
    submit_feedback,
)
from uncertainty.errors import (
    ConflictError,
    ImmutableRecordError,
    InvalidInputError,
    PermissionDeniedError,
)

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
ADMIN = Principal("setup", "admin")
STAFF = Principal("staff", "staff")
GOOD = {"overall": 5, "quality": 5, "recommend": 10, "comment": "fine"}


@dataclass
class Lab_:
    site: int
    customer: int
    procedure: int
    performer: int
    authoriser: int
    outsider: int


def _lab(session: Session) -> Lab_:
    lab = audited_create(session, Lab(name="Test lab"), ADMIN)
    site = audited_create(session, Site(lab_id=int(lab.id or 0), code="S", name="S"), ADMIN)
    sid = int(site.id or 0)
    customer = audited_create(session, Customer(name="ACME"), ADMIN)
    procedure = audited_create(session, Procedure(code="P1", title="Mass"), ADMIN)
    people = [
        int(audited_create(session, Person(site_id=sid, name=name), ADMIN).id or 0)
        for name in ("Performer", "Authoriser", "Outsider")
    ]
    for username, person in zip(("performer", "authoriser", "outsider"), people, strict=True):
        audited_create(session, User(username=username, role="manager", person_id=person), ADMIN)
    audited_create(session, User(username="unlinked", role="manager"), ADMIN)
    return Lab_(sid, int(customer.id or 0), int(procedure.id or 0), *people)


def _job(session: Session, lab: Lab_, delivered: dt.date | None) -> int:
    received = (delivered or NOW.date()) - dt.timedelta(days=10)
    job = Job(
        site_id=lab.site,
        customer_id=lab.customer,
        procedure_id=lab.procedure,
        item_description="Weight 10 kg",
        received_on=received,
        due_on=received + dt.timedelta(days=14),
        delivered_on=delivered,
        performed_by_id=lab.performer,
        authorised_by_id=lab.authoriser,
        status="released" if delivered else "in_progress",
    )
    return int(audited_create(session, job, ADMIN).id or 0)


@pytest.fixture
def lab(engine: Engine) -> Lab_:
    with session_scope(engine) as session:
        return _lab(session)


def _invited(engine: Engine, lab: Lab_) -> tuple[int, str]:
    with session_scope(engine) as session:
        job_id = _job(session, lab, NOW.date() - dt.timedelta(days=1))
        token, _ = invite(session, STAFF, job_id, NOW)
    return job_id, token


def test_invite_stores_only_the_hash_and_refuses_undelivered(engine: Engine, lab: Lab_) -> None:
    job_id, token = _invited(engine, lab)
    with session_scope(engine) as session:
        stored = session.exec(select(FeedbackInvitation)).one()
        assert stored.token_hash != token and token not in stored.token_hash
        assert stored.expires_at == NOW + dt.timedelta(days=30)
        assert invitation_is_open(session, token, NOW)
        undelivered = _job(session, lab, None)
        with pytest.raises(ConflictError, match="not delivered"):
            invite(session, STAFF, undelivered, NOW)
        with pytest.raises(PermissionDeniedError):
            invite(session, Principal("a", "assessor"), job_id, NOW)
    assert feedback_url(token, "https://lab.example/") == f"https://lab.example/?token={token}"


def test_new_link_expires_the_old_one(engine: Engine, lab: Lab_) -> None:
    job_id, first = _invited(engine, lab)
    with session_scope(engine) as session:
        second, _ = invite(session, STAFF, job_id, NOW + dt.timedelta(minutes=5))
    with session_scope(engine) as session:
        later = NOW + dt.timedelta(minutes=6)
        assert not invitation_is_open(session, first, later)
        assert invitation_is_open(session, second, later)


def test_used_expired_unknown_links_raise_one_neutral_error(engine: Engine, lab: Lab_) -> None:
    job_id, token = _invited(engine, lab)
    with session_scope(engine) as session:
        response = submit_feedback(session, token, GOOD, NOW + dt.timedelta(hours=1))
        assert response.job_id == job_id and response.status == "submitted"
    messages = []
    for bad_token, when in [
        (token, NOW + dt.timedelta(hours=2)),  # used
        ("y" * 43, NOW),  # unknown
        ("<script>", NOW),  # garbage
    ]:
        with pytest.raises(FeedbackLinkError) as info, session_scope(engine) as session:
            submit_feedback(session, bad_token, GOOD, when)
        messages.append(str(info.value))
    _, fresh = _invited(engine, lab)
    with pytest.raises(FeedbackLinkError) as info, session_scope(engine) as session:
        submit_feedback(session, fresh, GOOD, NOW + dt.timedelta(days=31))  # expired
    messages.append(str(info.value))
    assert set(messages) == {NEUTRAL_LINK_MESSAGE}


def test_submitted_response_is_immutable_and_invalid_answers_store_nothing(
    engine: Engine, lab: Lab_
) -> None:
    _, token = _invited(engine, lab)
    with pytest.raises(InvalidInputError, match="Overall") as info, session_scope(engine) as s:
        submit_feedback(s, token, {"overall": 7, "recommend": 5}, NOW)
    assert info.value.field == "overall"
    with pytest.raises(InvalidInputError, match="recommend"), session_scope(engine) as s:
        submit_feedback(s, token, {"overall": 4}, NOW)
    with pytest.raises(InvalidInputError, match="Overall"), session_scope(engine) as s:
        submit_feedback(s, token, {"recommend": 4}, NOW)
    with session_scope(engine) as s:
        assert s.exec(select(FeedbackResponse)).all() == []
        response = submit_feedback(s, token, GOOD, NOW)
    with pytest.raises(ImmutableRecordError), session_scope(engine) as s:
        stored = s.get(FeedbackResponse, response.id)
        assert stored is not None
        audited_update(s, stored, {"overall": 1}, ADMIN)


def test_concurrent_submits_store_exactly_one_response(engine: Engine, lab: Lab_) -> None:
    """Many simultaneous submits of one link (threads, separate sessions): one row."""
    job_id, token = _invited(engine, lab)
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(i: int) -> None:
        barrier.wait()
        try:
            with session_scope(engine) as session:
                submit_feedback(session, token, {**GOOD, "comment": f"t{i}"}, NOW)
            result = "stored"
        except FeedbackLinkError:
            result = "neutral"
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            result = f"error: {exc!r}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["neutral"] * (threads_n - 1) + ["stored"], outcomes
    with session_scope(engine) as session:
        count = session.exec(
            select(func.count())
            .select_from(FeedbackResponse)
            .where(FeedbackResponse.job_id == job_id)
        ).one()
        assert count == 1
        assert session.exec(select(FeedbackInvitation)).one().used_at is not None
        assert verify_audit(session).ok


def test_very_dissatisfied_or_alleged_error_opens_a_complaint(engine: Engine, lab: Lab_) -> None:
    answers = [
        ({"overall": 1, "recommend": 0}, True),
        (
            {"overall": 3, "recommend": 6, "comment": "Wrong serial number", "may_contact": True},
            True,
        ),
        ({"overall": 3, "recommend": 6, "comment": "Wrong serial number"}, False),  # no contact
        ({"overall": 2, "recommend": 3, "comment": "slow"}, False),
    ]
    for data, opens in answers:
        job_id, token = _invited(engine, lab)
        with session_scope(engine) as session:
            submit_feedback(session, token, data, NOW)
            found = session.exec(select(Complaint).where(Complaint.job_id == job_id)).all()
            assert len(found) == int(opens), data
            if opens:
                assert found[0].source == "feedback_form" and found[0].status == "received"
                assert found[0].site_id == lab.site
    assert alleges_error("the values look INCORRECT") and not alleges_error("great")


def _walk_to_investigated(session: Session, complaint_id: int, day: dt.date) -> None:
    acknowledge_complaint(session, STAFF, complaint_id, on=day)
    validate_complaint(session, STAFF, complaint_id, on=day, valid=True, note="About our job")
    investigate_complaint(
        session, STAFF, complaint_id, on=day, findings="Typo", proposed_outcome="Reissue"
    )


def test_complaint_workflow_order_independence_and_closure(engine: Engine, lab: Lab_) -> None:
    day = NOW.date()
    with session_scope(engine) as session:
        job_id = _job(session, lab, day)
        complaint = record_complaint(
            session, STAFF, received_on=day, description="Label missing", job_id=job_id
        )
        cid = int(complaint.id or 0)
        assert complaint.reference == f"CMP-{day.year}-001" and complaint.site_id == lab.site
        with pytest.raises(ConflictError, match="received; investigation needs"):
            investigate_complaint(session, STAFF, cid, on=day, findings="x", proposed_outcome="y")
        with pytest.raises(InvalidInputError, match="before the complaint was received"):
            acknowledge_complaint(session, STAFF, cid, on=day - dt.timedelta(days=1))
        _walk_to_investigated(session, cid, day)
        with pytest.raises(PermissionDeniedError):
            approve_outcome(session, STAFF, cid, on=day)  # staff may not approve
        for involved in ("performer", "authoriser"):
            with pytest.raises(PermissionDeniedError, match="not involved"):
                approve_outcome(session, Principal(involved, "manager"), cid, on=day)
        with pytest.raises(ConflictError, match="not linked to a staff record"):
            approve_outcome(session, Principal("unlinked", "manager"), cid, on=day)
        with pytest.raises(ConflictError, match="closure needs"):
            close_complaint(session, STAFF, cid, on=day, closure_notice="done")
        approved = approve_outcome(session, Principal("outsider", "manager"), cid, on=day)
        assert approved.status == "outcome_approved" and approved.outcome_approved_by == "outsider"
        closed = close_complaint(session, STAFF, cid, on=day, closure_notice="Letter sent")
        assert closed.status == "closed"
        with pytest.raises(ImmutableRecordError):
            audited_update(session, closed, {"outcome": "changed"}, ADMIN)


def test_complaint_links_nonconformity_and_corrective_action(engine: Engine, lab: Lab_) -> None:
    day = NOW.date()
    manager = Principal("outsider", "manager")
    with session_scope(engine) as session:
        job_id = _job(session, lab, day)
        cid = int(
            record_complaint(session, STAFF, received_on=day, description="x", job_id=job_id).id
            or 0
        )
        linked = link_quality_records(
            session,
            manager,
            cid,
            on=day,
            description="Wrong certificate data",
            root_cause="No review",
            actions="Add review",
        )
        nc = session.get(Nonconformity, linked.nonconformity_id)
        ca = session.get(CorrectiveAction, linked.corrective_action_id)
        assert nc is not None and ca is not None
        assert (nc.source_table, nc.source_id) == ("satisfaction_complaint", str(cid))
        assert ca.nonconformity_id == nc.id
        with pytest.raises(ConflictError, match="already has"):
            link_quality_records(session, manager, cid, on=day, description="again")


def _history(engine: Engine, lab: Lab_) -> None:
    """Seven months of 10 responses: 1 dissatisfied a month, then 6 of 10 in month 7."""
    with session_scope(engine) as session:
        for month in range(1, 8):
            bad = 6 if month == 7 else 1
            for k in range(10):
                delivered = dt.date(2026, month, 3 + k)
                job_id = _job(session, lab, delivered)
                audited_create(
                    session,
                    FeedbackResponse(
                        job_id=job_id,
                        submitted_at=dt.datetime(2026, month, 15, 12, tzinfo=dt.UTC),
                        overall=2 if k < bad else 4,
                        recommend=8,
                    ),
                    ADMIN,
                )


def test_trigger_opens_a_linked_corrective_action_once(engine: Engine, lab: Lab_) -> None:
    _history(engine, lab)
    manager = Principal("outsider", "manager")
    with session_scope(engine) as session:
        report = satisfaction_report(session, manager)
        assert report.responses == 70
        assert [(s.rule, s.period) for s in report.signals] == [("beyond_control_limit", "2026-07")]
        with pytest.raises(PermissionDeniedError):
            evaluate_triggers(session, STAFF, as_of=dt.date(2026, 8, 1))
        created = evaluate_triggers(session, manager, as_of=dt.date(2026, 8, 1))
        assert len(created) == 1
    with session_scope(engine) as session:
        assert evaluate_triggers(session, manager, as_of=dt.date(2026, 8, 2)) == []
        views = list_signals(session, manager)
        assert len(views) == 1
        view = views[0]
        assert view.nonconformity is not None and view.corrective_action is not None
        assert view.nonconformity.source_table == "satisfaction_signal"
        assert view.nonconformity.source_id == str(view.signal.id)
        assert view.corrective_action.nonconformity_id == view.nonconformity.id
        jobs_july = session.exec(
            select(FeedbackResponse.job_id)
            .where(FeedbackResponse.overall == 2)
            .order_by(col(FeedbackResponse.job_id))
        ).all()
        assert set(view.signal.data_ids.split(",")) == {str(j) for j in jobs_july[-6:]}
        counts = (
            len(session.exec(select(SatisfactionSignal)).all()),
            len(session.exec(select(CorrectiveAction)).all()),
        )
        assert counts == (1, 1)
        assert verify_audit(session).ok


def test_pending_invitations_lists_jobs_without_a_sent_link(engine: Engine, lab: Lab_) -> None:
    with session_scope(engine) as session:
        fresh = _job(session, lab, NOW.date() - dt.timedelta(days=2))
        unsent = _job(session, lab, NOW.date() - dt.timedelta(days=3))
        sent = _job(session, lab, NOW.date() - dt.timedelta(days=4))
        _job(session, lab, None)
        invite(session, STAFF, unsent, NOW)
        _, inv = invite(session, STAFF, sent, NOW)
        audited_update(session, inv, {"sent_at": NOW}, STAFF)
        pending = pending_invitations(session, STAFF, now=NOW)
        assert [(p.job_id, p.invitation_id is None) for p in pending] == [
            (fresh, True),
            (unsent, False),
        ]


def test_complaints_docstring_examples() -> None:
    import doctest

    import calib.complaints

    result = doctest.testmod(calib.complaints)
    assert result.attempted > 0 and result.failed == 0
