"""Satisfaction services: invitations, the customer form, metrics and triggers from the database.

* :func:`invite` issues a single-use link for a delivered job (only the token's
  SHA-256 digest is stored, ``satisfaction.tokens``).
* :func:`submit_feedback` stores the customer's answers: one response per job,
  enforced by the UNIQUE constraint on ``satisfaction_response.job_id`` in the
  same transaction that marks the invitation used, so concurrent double submits
  store one row. Unknown, used and expired links all raise
  :class:`FeedbackLinkError` with one neutral message. A very dissatisfied answer
  (overall = 1), or a comment alleging an error with "may we contact you"
  ticked, opens a complaint (ISO/IEC 17025:2017 7.9).
* :func:`satisfaction_report` loads jobs, responses and complaints and runs the
  pure engine (:func:`satisfaction.report.build_report`).
* :func:`evaluate_triggers` opens a nonconformity and a corrective action
  (``calib.quality``) for every new signal, linked to the records that fired
  it; evaluating again never duplicates (UNIQUE rule/chart/period/scope).

References
----------
ISO/IEC 17025:2017 7.9, 8.6.2, 8.7; ISO 10004:2018 clause 8.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from calib.audit import actor_name, audited_create, audited_update
from calib.complaints import open_complaint_from_feedback
from calib.permissions import Actor, Permission, require
from calib.quality import open_corrective_action, raise_nonconformity
from calib.records import CorrectiveAction, Customer, Job, Nonconformity
from satisfaction.records import Complaint, FeedbackInvitation, FeedbackResponse, SatisfactionSignal
from satisfaction.report import build_report
from satisfaction.schema import (
    QUESTION_LABELS,
    ComplaintRecord,
    FeedbackSubmission,
    JobRecord,
    ResponseRecord,
    SatisfactionReportDocument,
    validate_submission,
)
from satisfaction.tokens import DEFAULT_VALIDITY, hash_token, is_expired, issue_token
from uncertainty.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "DEFAULT_PUBLIC_URL",
    "NEUTRAL_LINK_MESSAGE",
    "PUBLIC_URL_ENV",
    "RECEIVED_MESSAGE",
    "FeedbackLinkError",
    "PendingInvitation",
    "SignalView",
    "create_pending_invitations",
    "evaluate_triggers",
    "feedback_url",
    "invitation_is_open",
    "invite",
    "list_responses",
    "list_signals",
    "mark_sent",
    "pending_invitations",
    "public_base_url",
    "satisfaction_report",
    "submit_feedback",
]

PUBLIC_URL_ENV = "CALIB_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://localhost:8501"

NEUTRAL_LINK_MESSAGE = (
    "This feedback link is no longer valid. If you have answered, your feedback was "
    "already received – thank you. Otherwise please ask the laboratory for a new link."
)
"""One message for unknown, used and expired links (nothing is revealed about which)."""

RECEIVED_MESSAGE = "Thank you: your feedback was already received."


class FeedbackLinkError(NotFoundError):
    """The link is unknown, used or expired; the message is always :data:`NEUTRAL_LINK_MESSAGE`."""

    def __init__(self) -> None:
        super().__init__(NEUTRAL_LINK_MESSAGE)


def _aware(now: dt.datetime, name: str = "now") -> dt.datetime:
    if not isinstance(now, dt.datetime) or now.tzinfo is None:
        raise InvalidInputError(f"{name} must be a timezone-aware datetime (UTC)", field=name)
    return now.astimezone(dt.UTC)


def public_base_url() -> str:
    """Base URL of the app as customers reach it (``CALIB_PUBLIC_URL``, default localhost)."""
    value = os.environ.get(PUBLIC_URL_ENV, "").strip() or DEFAULT_PUBLIC_URL
    if not value.startswith(("http://", "https://")):
        raise InvalidInputError(
            f"{PUBLIC_URL_ENV} must start with http:// or https://, got {value[:60]!r}",
            field=PUBLIC_URL_ENV,
        )
    return value.rstrip("/")


def feedback_url(token: str, base_url: str | None = None) -> str:
    """The link a customer opens: ``<base>/?token=<token>``."""
    base = (base_url or public_base_url()).rstrip("/")
    return f"{base}/?token={token}"


# --------------------------------------------------------------------------- invitations


def _delivered_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"no job with id {job_id}")
    if job.delivered_on is None:
        raise ConflictError(
            f"job {job_id} is not delivered yet (status {job.status}); feedback is invited "
            "only after delivery"
        )
    return job


def _has_response(session: Session, job_id: int) -> bool:
    stmt = select(FeedbackResponse.id).where(FeedbackResponse.job_id == job_id)
    return session.exec(stmt).first() is not None


def invite(
    session: Session,
    actor: Actor,
    job_id: int,
    now: dt.datetime,
    *,
    validity: dt.timedelta = DEFAULT_VALIDITY,
) -> tuple[str, FeedbackInvitation]:
    """Issue a single-use feedback link for a delivered job.

    Returns the token (shown once; build the link with :func:`feedback_url`) and
    the stored invitation (which holds only the token's hash). Earlier open
    links of the same job are expired, so only the newest link works.

    Raises
    ------
    NotFoundError
        No such job.
    ConflictError
        The job is not delivered, or its customer already answered.
    """
    require(actor, Permission.EDIT_RECORDS)
    now = _aware(now)
    job = _delivered_job(session, job_id)
    if _has_response(session, job_id):
        raise ConflictError(f"job {job_id} already has a feedback response; one per job")
    for old in session.exec(
        select(FeedbackInvitation).where(
            FeedbackInvitation.job_id == job_id,
            col(FeedbackInvitation.used_at).is_(None),
            FeedbackInvitation.expires_at > now,
        )
    ):
        audited_update(session, old, {"expires_at": now}, actor)
    issued = issue_token(now, validity=validity)
    invitation = FeedbackInvitation(
        job_id=int(job.id or 0),
        token_hash=issued.token_hash,
        created_at=now,
        created_by=actor_name(actor),
        expires_at=issued.expires_at,
    )
    return issued.token, audited_create(session, invitation, actor)


def mark_sent(
    session: Session, actor: Actor, invitation_id: int, now: dt.datetime
) -> FeedbackInvitation:
    """Record that staff sent the link to the customer."""
    require(actor, Permission.EDIT_RECORDS)
    invitation = session.get(FeedbackInvitation, invitation_id)
    if invitation is None:
        raise NotFoundError(f"no feedback invitation with id {invitation_id}")
    if invitation.sent_at is not None:
        return invitation
    return audited_update(session, invitation, {"sent_at": _aware(now)}, actor)


@dataclass(frozen=True)
class PendingInvitation:
    """A delivered job whose customer has not been sent a feedback link yet."""

    job_id: int
    customer: str
    contact_email: str
    certificate_number: str | None
    delivered_on: dt.date
    invitation_id: int | None
    created_at: dt.datetime | None
    expires_at: dt.datetime | None


def pending_invitations(
    session: Session,
    actor: Actor,
    *,
    now: dt.datetime,
    site_id: int | None = None,
    within_days: int = 90,
) -> list[PendingInvitation]:
    """Delivered jobs (in the last ``within_days``) without a response and without a sent link.

    A job appears with ``invitation_id = None`` when it has no open link, or with
    the id of its open link that was created but not sent yet.
    """
    require(actor, Permission.VIEW_RECORDS)
    now = _aware(now)
    since = now.date() - dt.timedelta(days=within_days)
    stmt = (
        select(Job, Customer)
        .join(Customer, col(Customer.id) == col(Job.customer_id))
        .where(col(Job.delivered_on).is_not(None), col(Job.delivered_on) >= since)
        .order_by(col(Job.delivered_on).desc(), col(Job.id).desc())
    )
    if site_id is not None:
        stmt = stmt.where(Job.site_id == site_id)
    rows = list(session.exec(stmt))
    job_ids = [int(job.id or 0) for job, _ in rows]
    answered = set(
        session.exec(
            select(FeedbackResponse.job_id).where(col(FeedbackResponse.job_id).in_(job_ids))
        )
    )
    invitations: dict[int, list[FeedbackInvitation]] = {}
    for inv in session.exec(
        select(FeedbackInvitation).where(col(FeedbackInvitation.job_id).in_(job_ids))
    ):
        invitations.setdefault(inv.job_id, []).append(inv)
    out: list[PendingInvitation] = []
    for job, customer in rows:
        jid = int(job.id or 0)
        if jid in answered:
            continue
        invs = invitations.get(jid, [])
        if any(i.sent_at is not None and i.used_at is None for i in invs):
            continue  # a link is out with the customer
        open_unsent = [i for i in invs if i.used_at is None and i.expires_at > now]
        if invs and not open_unsent:
            continue  # sent and expired or used: not pending any more
        chosen = max(open_unsent, key=lambda i: i.created_at) if open_unsent else None
        out.append(
            PendingInvitation(
                job_id=jid,
                customer=customer.name,
                contact_email=customer.contact_email,
                certificate_number=job.certificate_number,
                delivered_on=job.delivered_on or now.date(),
                invitation_id=None if chosen is None else chosen.id,
                created_at=None if chosen is None else chosen.created_at,
                expires_at=None if chosen is None else chosen.expires_at,
            )
        )
    return out


def create_pending_invitations(
    session: Session,
    actor: Actor,
    *,
    now: dt.datetime,
    site_id: int | None = None,
    within_days: int = 90,
) -> list[tuple[PendingInvitation, str]]:
    """Issue a link for every pending job (re-issuing unsent ones); returns (job, link)."""
    require(actor, Permission.EDIT_RECORDS)
    out = []
    for pending in pending_invitations(
        session, actor, now=now, site_id=site_id, within_days=within_days
    ):
        token, invitation = invite(session, actor, pending.job_id, now)
        updated = PendingInvitation(
            job_id=pending.job_id,
            customer=pending.customer,
            contact_email=pending.contact_email,
            certificate_number=pending.certificate_number,
            delivered_on=pending.delivered_on,
            invitation_id=invitation.id,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
        )
        out.append((updated, feedback_url(token)))
    return out


# --------------------------------------------------------------------------- the form


def _open_invitation(session: Session, token: str, now: dt.datetime) -> FeedbackInvitation:
    if not isinstance(token, str) or not 20 <= len(token) <= 200:
        raise FeedbackLinkError
    invitation = session.exec(
        select(FeedbackInvitation).where(FeedbackInvitation.token_hash == hash_token(token))
    ).first()
    if invitation is None or invitation.used_at is not None:
        raise FeedbackLinkError
    if is_expired(invitation.expires_at, now):
        raise FeedbackLinkError
    return invitation


def invitation_is_open(session: Session, token: str, now: dt.datetime) -> bool:
    """True when ``token`` names an unused, unexpired invitation (no sign-in needed)."""
    try:
        _open_invitation(session, token, _aware(now))
    except FeedbackLinkError:
        return False
    return True


def submit_feedback(
    session: Session,
    token: str,
    submission: FeedbackSubmission | Mapping[str, object],
    now: dt.datetime,
) -> FeedbackResponse:
    """Store the customer's answers and mark the link used, in one transaction.

    The customer does not sign in: the token is the only credential. The answers
    are validated on the server (:func:`satisfaction.schema.validate_submission`;
    the overall question must be answered). The UNIQUE constraint on the
    response's ``job_id`` makes a concurrent second submit fail; it then raises
    :class:`FeedbackLinkError` like a used link, and the caller's transaction
    must be rolled back (``calib.db.session_scope`` does).

    Raises
    ------
    InvalidInputError
        An answer is out of range or missing; the message names the question.
    FeedbackLinkError
        Unknown, used or expired link (one neutral message for all three).
    """
    now = _aware(now)
    answers = (
        submission
        if isinstance(submission, FeedbackSubmission)
        else validate_submission(submission)
    )
    if answers.overall is None:
        raise InvalidInputError(
            f"{QUESTION_LABELS['overall']}: please answer this question", field="overall"
        )
    invitation = _open_invitation(session, token, now)
    actor = f"customer:invitation-{invitation.id}"
    response = FeedbackResponse(
        job_id=invitation.job_id,
        invitation_id=invitation.id,
        submitted_at=now,
        overall=answers.overall,
        quality=answers.quality,
        timeliness=answers.timeliness,
        technical_accuracy=answers.technical_accuracy,
        communication=answers.communication,
        recommend=answers.recommend,
        comment=answers.comment,
        may_contact=answers.may_contact,
    )
    try:
        audited_create(session, response, actor)
    except IntegrityError as exc:  # another submit for this job won the race
        raise FeedbackLinkError from exc
    session.refresh(invitation)  # under the write lock now: the stored state
    if invitation.used_at is not None:
        raise FeedbackLinkError
    audited_update(session, invitation, {"used_at": now}, actor)
    job = session.get(Job, invitation.job_id)
    open_complaint_from_feedback(session, actor, response, site_id=job.site_id if job else None)
    return response


def list_responses(
    session: Session,
    actor: Actor,
    *,
    site_id: int | None = None,
    limit: int = 200,
) -> list[tuple[FeedbackResponse, Job]]:
    """Newest responses with their jobs (comments are inert text: never render as markup)."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = (
        select(FeedbackResponse, Job)
        .join(Job, col(Job.id) == col(FeedbackResponse.job_id))
        .order_by(col(FeedbackResponse.submitted_at).desc())
        .limit(limit)
    )
    if site_id is not None:
        stmt = stmt.where(Job.site_id == site_id)
    return [(r, j) for r, j in session.exec(stmt)]


# --------------------------------------------------------------------------- metrics


def _load_records(
    session: Session,
    *,
    site_id: int | None,
    since: dt.date | None,
    until: dt.date | None,
) -> tuple[list[ResponseRecord], list[JobRecord], list[ComplaintRecord]]:
    """The cohort of jobs delivered in [since, until], their responses and complaints."""
    stmt = (
        select(Job, Customer)
        .join(Customer, col(Customer.id) == col(Job.customer_id))
        .where(col(Job.delivered_on).is_not(None))
        .order_by(col(Job.id))
    )
    if site_id is not None:
        stmt = stmt.where(Job.site_id == site_id)
    if since is not None:
        stmt = stmt.where(col(Job.delivered_on) >= since)
    if until is not None:
        stmt = stmt.where(col(Job.delivered_on) <= until)
    jobs: list[JobRecord] = []
    ids: set[int] = set()
    for row, (job, customer) in enumerate(session.exec(stmt), start=2):
        jid = int(job.id or 0)
        ids.add(jid)
        jobs.append(
            JobRecord(str(jid), customer.name, job.received_on, job.due_on, job.delivered_on, row)
        )
    responses = [
        ResponseRecord(
            job_id=str(r.job_id),
            submitted_on=r.submitted_at.astimezone(dt.UTC).date(),
            overall=r.overall,
            quality=r.quality,
            timeliness=r.timeliness,
            technical_accuracy=r.technical_accuracy,
            communication=r.communication,
            recommend=r.recommend,
            comment=r.comment,
            row=int(r.id or 0),
        )
        for r in session.exec(select(FeedbackResponse).order_by(col(FeedbackResponse.id)))
        if r.job_id in ids
    ]
    complaints = [
        ComplaintRecord(c.reference, str(c.job_id), c.received_on, int(c.id or 0))
        for c in session.exec(select(Complaint).order_by(col(Complaint.id)))
        if c.job_id in ids and c.is_valid is not False
    ]
    return responses, jobs, complaints


def satisfaction_report(
    session: Session,
    actor: Actor,
    *,
    site_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    baseline_periods: int = 6,
    target: float | None = None,
    confidence: float = 0.95,
) -> SatisfactionReportDocument:
    """Metrics, control charts and signals from the database (the engine's ``build_report``).

    The data are the jobs delivered in ``[since, until]`` (all when None), of one
    site or all, with their responses and their complaints (complaints validated
    as not valid are left out). Job ids in the document are the database ids as
    text; complaint ids are complaint references.
    """
    require(actor, Permission.VIEW_RECORDS)
    responses, jobs, complaints = _load_records(session, site_id=site_id, since=since, until=until)
    return build_report(
        responses,
        jobs,
        complaints,
        confidence=confidence,
        baseline_periods=baseline_periods,
        target=target,
        sources=("database responses", "database complaints"),
    )


# --------------------------------------------------------------------------- triggers


@dataclass(frozen=True)
class SignalView:
    """A stored signal with the nonconformity and corrective action it opened."""

    signal: SatisfactionSignal
    nonconformity: Nonconformity | None
    corrective_action: CorrectiveAction | None


def _scope(site_id: int | None) -> str:
    return "all" if site_id is None else f"site:{site_id}"


def evaluate_triggers(
    session: Session,
    actor: Actor,
    *,
    as_of: dt.date,
    site_id: int | None = None,
    baseline_periods: int = 6,
    target: float | None = None,
) -> list[SatisfactionSignal]:
    """Store each new signal and open a nonconformity + corrective action for it.

    Idempotent: a signal already stored for the same rule, chart, period and
    scope (all sites or one site) is skipped, so running this again creates
    nothing. Returns the signals created now.

    References
    ----------
    ISO/IEC 17025:2017 8.7.1 (corrective action), 8.6.2 (use of customer
    feedback); ISO 10004:2018 clause 8.
    """
    require(actor, Permission.MANAGE_CORRECTIVE_ACTIONS)
    report = satisfaction_report(
        session, actor, site_id=site_id, baseline_periods=baseline_periods, target=target
    )
    scope = _scope(site_id)
    existing = {
        (s.rule, s.chart, s.period)
        for s in session.exec(select(SatisfactionSignal).where(SatisfactionSignal.scope == scope))
    }
    created: list[SatisfactionSignal] = []
    for fired in report.signals:
        if (fired.rule, fired.chart, fired.period) in existing:
            continue
        existing.add((fired.rule, fired.chart, fired.period))
        signal = audited_create(
            session,
            SatisfactionSignal(
                rule=fired.rule,
                chart=fired.chart,
                period=fired.period,
                scope=scope,
                site_id=site_id,
                message=fired.message,
                data_ids=",".join(fired.data_ids),
                detected_on=as_of,
                detected_by=actor_name(actor),
            ),
            actor,
        )
        what = "complaints" if fired.chart == "complaints_per_job" else "jobs"
        nc = raise_nonconformity(
            session,
            actor,
            description=f"Customer satisfaction signal ({fired.rule}): {fired.message}. "
            f"Records: {what} {', '.join(fired.data_ids) or 'none listed'}",
            raised_on=as_of,
            site_id=site_id,
            source_table="satisfaction_signal",
            source_id=signal.id,
        )
        ca = open_corrective_action(
            session,
            actor,
            int(nc.id or 0),
            opened_on=as_of,
            root_cause="Not determined yet: investigate the records behind the signal",
            actions=f"Review the {len(fired.data_ids)} {what} behind the signal "
            f"({fired.period}), contact the customers who agreed, determine the root "
            "cause and plan actions (ISO/IEC 17025:2017 8.7)",
            due_on=as_of + dt.timedelta(days=30),
        )
        audited_update(
            session,
            signal,
            {"nonconformity_id": nc.id, "corrective_action_id": ca.id},
            actor,
        )
        created.append(signal)
    return created


def list_signals(session: Session, actor: Actor) -> list[SignalView]:
    """Stored signals, newest period first, with their nonconformity and corrective action."""
    require(actor, Permission.VIEW_RECORDS)
    out = []
    for signal in session.exec(
        select(SatisfactionSignal).order_by(
            col(SatisfactionSignal.period).desc(), col(SatisfactionSignal.id)
        )
    ):
        nc = (
            session.get(Nonconformity, signal.nonconformity_id) if signal.nonconformity_id else None
        )
        ca = (
            session.get(CorrectiveAction, signal.corrective_action_id)
            if signal.corrective_action_id
            else None
        )
        out.append(SignalView(signal, nc, ca))
    return out
