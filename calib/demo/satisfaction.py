"""Demo data for customer satisfaction (registered in ``calib.demo.DEMO_EXTENSIONS``).

About 18 months of feedback on the demo lab's delivered jobs: a link per
delivered job (except the last two weeks, left pending for staff to send),
answers from about 45 % of customers (validated ``FeedbackSubmission``
objects, the invitation marked used, the automatic complaint rule of the form
path applied; written directly rather than through ``submit_feedback`` to keep
the demo fast), a steady ~8 % dissatisfied share,
and one bad month (four months before ``as_of``) in which 60 % of the answers
are dissatisfied. The automatic complaints go through the 7.9 workflow (older
ones closed with an independent approval), and the trigger evaluation opens the
corrective action for the bad month. Deterministic: every draw comes from
``context.random``.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from calib.audit import audited_create
from calib.complaints import (
    acknowledge_complaint,
    approve_outcome,
    close_complaint,
    investigate_complaint,
    link_quality_records,
    open_complaint_from_feedback,
    record_complaint,
    validate_complaint,
)
from calib.permissions import Principal
from calib.quality import close_corrective_action, close_nonconformity, record_effectiveness
from calib.records import Job
from satisfaction.records import Complaint, FeedbackInvitation, FeedbackResponse
from satisfaction.schema import FeedbackSubmission
from satisfaction.service import evaluate_triggers
from satisfaction.tokens import hash_token
from uncertainty.errors import CalibError, PermissionDeniedError

if TYPE_CHECKING:
    from calib.demo import DemoContext

__all__ = ["seed_demo"]

RESPONSE_SHARE = 0.45
PENDING_DAYS = 14
_DISSATISFIED_PATTERN = (1, 0, 1, 2, 0, 1)  # per normal month: never 8 in a row above p-bar
_GOOD_COMMENTS = (
    "",
    "",
    "",
    "Fast turnaround, thank you.",
    "Clear certificate and uncertainty statement.",
    "Friendly and competent staff.",
    "Good service <b>as always</b>.",
)
_BAD_COMMENTS = (
    "The certificate shows the wrong serial number.",
    "Delivered a week late without any notice.",
    "Uncertainty statement is unclear and the values look incorrect.",
    "Nobody answered our calls about the delay.",
    "<script>alert('x')</script> results do not match our own check",
    "",
)


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months_before(day: dt.date, months: int) -> str:
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _token(ctx: DemoContext) -> str:
    raw = ctx.random.getrandbits(256).to_bytes(32, "big")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt.UTC)


def _answers(ctx: DemoContext, dissatisfied: bool, severe: bool) -> FeedbackSubmission:
    rnd = ctx.random
    if dissatisfied:
        overall = 1 if severe else 2
        low = [rnd.choice([1, 2, 2, 3]) for _ in range(4)]
        return FeedbackSubmission(
            overall=overall,
            quality=low[0],
            timeliness=low[1],
            technical_accuracy=low[2],
            communication=low[3] if rnd.random() < 0.8 else None,
            recommend=rnd.randint(0, 5),
            comment=rnd.choice(_BAD_COMMENTS),
            may_contact=rnd.random() < 0.6,
        )
    overall = rnd.choices([3, 4, 5], weights=[14, 40, 46])[0]
    return FeedbackSubmission(
        overall=overall,
        quality=max(1, min(5, overall + rnd.choice([-1, 0, 0, 1]))),
        timeliness=max(1, min(5, overall + rnd.choice([-1, 0, 0]))),
        technical_accuracy=max(1, min(5, overall + rnd.choice([0, 0, 1]))),
        communication=None
        if rnd.random() < 0.15
        else max(1, min(5, overall + rnd.choice([-1, 0]))),
        recommend=min(10, max(0, 2 * overall + rnd.choice([-2, -1, 0, 0, 1]))),
        comment=rnd.choice(_GOOD_COMMENTS),
        may_contact=rnd.random() < 0.4,
    )


def _seed_responses(session: Session, ctx: DemoContext, bad_month: str) -> None:
    rnd, as_of = ctx.random, ctx.as_of
    jobs = list(
        session.exec(
            select(Job)
            .where(col(Job.id).in_(ctx.job_ids), col(Job.delivered_on).is_not(None))
            .order_by(col(Job.delivered_on), col(Job.id))
        )
    )
    planned: list[tuple[Job, dt.date]] = []
    for job in jobs:
        delivered = job.delivered_on or as_of
        if delivered > as_of - dt.timedelta(days=PENDING_DAYS):
            continue  # left for staff to invite (pending invitations page)
        submitted = delivered + dt.timedelta(days=rnd.randint(2, 12))
        if rnd.random() < RESPONSE_SHARE and submitted < as_of:
            planned.append((job, submitted))
    by_month: dict[str, list[int]] = {}
    for index, (_, submitted) in enumerate(planned):
        by_month.setdefault(_month(submitted), []).append(index)
    unhappy: set[int] = set()
    severe: set[int] = set()
    for number, (month, indices) in enumerate(sorted(by_month.items())):
        if month == bad_month:
            count = max(5, -(-6 * len(indices) // 10))
        else:
            count = _DISSATISFIED_PATTERN[number % len(_DISSATISFIED_PATTERN)]
        chosen = rnd.sample(indices, min(count, len(indices)))
        unhappy.update(chosen)
        severe.update(chosen[: (len(chosen) + 1) // 2] if month == bad_month else chosen[:0])
        if month != bad_month and number % 5 == 2 and chosen:
            severe.add(chosen[0])
    answering = {
        int(job.id or 0): (index, submitted) for index, (job, submitted) in enumerate(planned)
    }
    for job in jobs:
        delivered = job.delivered_on or as_of
        if delivered > as_of - dt.timedelta(days=PENDING_DAYS):
            continue
        jid = int(job.id or 0)
        created = _at(delivered + dt.timedelta(days=1), 9)
        answer = answering.get(jid)
        submitted_at = None if answer is None else _at(answer[1], 10 + answer[0] % 8)
        invitation = audited_create(
            session,
            FeedbackInvitation(
                job_id=jid,
                token_hash=hash_token(_token(ctx)),
                created_at=created,
                created_by="staff",
                expires_at=created + dt.timedelta(days=30),
                sent_at=created + dt.timedelta(hours=1),
                used_at=submitted_at,
            ),
            ctx.actor,
        )
        if answer is None or submitted_at is None:
            continue
        index = answer[0]
        answers = _answers(ctx, index in unhappy, index in severe)
        actor = f"customer:invitation-{invitation.id}"
        response = audited_create(
            session,
            FeedbackResponse(
                job_id=jid,
                invitation_id=invitation.id,
                submitted_at=submitted_at,
                **answers.model_dump(),
            ),
            actor,
        )
        open_complaint_from_feedback(session, actor, response, site_id=job.site_id)


def _seed_complaints(session: Session, ctx: DemoContext, bad_month: str) -> None:
    as_of = ctx.as_of
    manager = Principal("manager", "manager", user_id=ctx.user_ids.get("manager"))
    staff = Principal("staff", "staff", user_id=ctx.user_ids.get("staff"))
    admin = Principal("admin", "admin", user_id=ctx.user_ids.get("admin"))
    # one complaint received by telephone
    phoned = session.exec(
        select(Job)
        .where(col(Job.id).in_(ctx.job_ids), col(Job.delivered_on).is_not(None))
        .order_by(col(Job.delivered_on).desc())
    ).first()
    if phoned is not None:
        record_complaint(
            session,
            staff,
            received_on=as_of - dt.timedelta(days=3),
            description="Customer phoned: the calibration label on the item is missing.",
            job_id=phoned.id,
        )
    linked = False
    for complaint in list(session.exec(select(Complaint).order_by(col(Complaint.id)))):
        cid = int(complaint.id or 0)
        start = complaint.received_on
        age = (as_of - start).days
        if age < 4:
            continue
        acknowledge_complaint(session, staff, cid, on=start + dt.timedelta(days=1))
        if age < 10:
            continue
        validate_complaint(
            session,
            staff,
            cid,
            on=start + dt.timedelta(days=3),
            valid=True,
            note="Relates to the calibration job; handled under the complaints procedure",
        )
        if not linked and _month(start) == bad_month:
            linked_complaint = link_quality_records(
                session,
                manager,
                cid,
                on=start + dt.timedelta(days=4),
                description="Certificate data error reported by the customer",
                root_cause="Certificate template not reviewed after the procedure update",
                actions="Template review added to the release checklist; affected "
                "certificates reissued",
            )
            linked = True
            if age >= 60 and linked_complaint.corrective_action_id is not None:
                # verified and closed six weeks later (CA-01 limit: 90 days)
                ca_id = int(linked_complaint.corrective_action_id)
                record_effectiveness(
                    session,
                    manager,
                    ca_id,
                    check="Certificates released in the following month reviewed against "
                    "the checklist: no template error found.",
                    verified_on=start + dt.timedelta(days=44),
                )
                close_corrective_action(
                    session, manager, ca_id, closed_on=start + dt.timedelta(days=46)
                )
                close_nonconformity(session, manager, int(linked_complaint.nonconformity_id or 0))
        if age < 20:
            continue
        investigate_complaint(
            session,
            staff,
            cid,
            on=start + dt.timedelta(days=10),
            findings="Job records and certificate reviewed; customer contacted.",
            proposed_outcome="Apology, certificate reissued where needed, process improved.",
        )
        try:
            approve_outcome(session, manager, cid, on=start + dt.timedelta(days=12))
        except PermissionDeniedError:
            # the quality manager performed or authorised the job: the technical
            # manager (the admin account) approves instead (7.9.6)
            try:
                approve_outcome(session, admin, cid, on=start + dt.timedelta(days=12))
            except CalibError:
                continue  # both were involved: left for another approver
        if age < 30:
            continue
        close_complaint(
            session,
            staff,
            cid,
            on=start + dt.timedelta(days=14),
            closure_notice="Outcome communicated to the customer in writing; handling closed.",
        )


def seed_demo(session: Session, context: DemoContext) -> None:
    """Seed invitations, responses, complaints and the bad month's corrective action."""
    bad_month = _months_before(context.as_of, 4)
    _seed_responses(session, context, bad_month)
    _seed_complaints(session, context, bad_month)
    manager = Principal("manager", "manager", user_id=context.user_ids.get("manager"))
    evaluate_triggers(session, manager, as_of=context.as_of)
