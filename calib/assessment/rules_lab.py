"""Rules decided by the foundation's lab records and the assessment's own records.

Personnel (ISO/IEC 17025:2017 6.2.5 f, 6.2.6), environment (6.3.3), check
standards and capability (6.4.10, 7.7.1; IECQ 03-2), procedures (7.2.1.5,
7.2.1.6... as "current and approved"), nonconforming work (7.10), corrective
actions (8.7), management system (8.1.3) and management review (8.9).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping

from sqlalchemy import String, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import col, or_, select

from calib.assessment.catalogue import RuleOutcome
from calib.assessment.cycle import add_months
from calib.assessment.records import (
    CheckStandard,
    ImpactAssessment,
    JobLocation,
    LoggerReading,
    ManagementReview,
    MethodValidation,
    QualityDocument,
    Room,
)
from calib.assessment.spc import IndividualsChart
from calib.assessment.status import RuleContext
from calib.records import (
    Authorisation,
    CorrectiveAction,
    Job,
    Nonconformity,
    Person,
    Procedure,
    Training,
)

__all__ = ["RULES", "period_jobs"]

_MAX_LISTED = 12


def _outcome(rule: str, problems: list[str], evidence: list[str], ok: str) -> RuleOutcome:
    if problems:
        shown = problems[:_MAX_LISTED]
        if len(problems) > _MAX_LISTED:
            shown.append(f"... and {len(problems) - _MAX_LISTED} more")
        return RuleOutcome(rule=rule, state="fail", messages=shown, evidence=evidence)
    return RuleOutcome(rule=rule, state="pass", messages=[ok], evidence=evidence)


def _no_data(rule: str, message: str) -> RuleOutcome:
    return RuleOutcome(rule=rule, state="no_data", messages=[f"{rule}: {message}"])


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def period_jobs(ctx: RuleContext) -> list[tuple[Job, dt.date]]:
    """Jobs of the site performed in the period, with the date they were performed.

    The date is the start of the job's recorded location when there is one,
    otherwise the date received.
    """
    key = "period_jobs"
    if key not in ctx.cache:
        locations = {
            loc.job_id: loc.started_at.astimezone(dt.UTC).date()
            for loc in ctx.session.exec(select(JobLocation))
        }
        stmt = select(Job).where(col(Job.received_on) <= ctx.as_of)
        if ctx.site_id is not None:
            stmt = stmt.where(Job.site_id == ctx.site_id)
        out = []
        for job in ctx.session.exec(stmt.order_by(col(Job.id))):
            day = locations.get(int(job.id or 0), job.received_on)
            if ctx.period_start <= day <= ctx.as_of:
                out.append((job, day))
        ctx.cache[key] = out
    return ctx.cache[key]  # type: ignore[return-value]


def _procedure_codes(ctx: RuleContext) -> dict[int, Procedure]:
    return {int(p.id or 0): p for p in ctx.session.exec(select(Procedure))}


# --------------------------------------------------------------------------- personnel


def authorisations_valid_at_job_date(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """Performer and authoriser of each job were authorised for its procedure that day.

    References
    ----------
    ISO/IEC 17025:2017 6.2.5 f, 6.2.6 (authorisation to perform, review and report).
    """
    rule = "authorisations_valid_at_job_date"
    jobs = period_jobs(ctx)
    if not jobs:
        return _no_data(rule, "no jobs in the period")
    procedures = _procedure_codes(ctx)
    people = {int(p.id or 0): p.name for p in ctx.session.exec(select(Person))}
    auths: dict[tuple[int, str], list[Authorisation]] = {}
    for auth in ctx.session.exec(select(Authorisation)):
        code = procedures[auth.procedure_id].code
        auths.setdefault((auth.person_id, code), []).append(auth)
    problems: list[str] = []
    evidence: list[str] = []
    for job, day in jobs:
        code = procedures[job.procedure_id].code
        checks = [("performer", job.performed_by_id, day)]
        if job.status == "released" and job.authorised_by_id is not None:
            checks.append(("authoriser", job.authorised_by_id, job.delivered_on or day))
        for role, person_id, when in checks:
            if person_id is None:
                problems.append(f"job {job.id}: no {role} recorded")
                evidence.append(f"job:{job.id}")
                continue
            valid = [
                a for a in auths.get((person_id, code), []) if a.valid_from <= when <= a.valid_until
            ]
            if valid:
                evidence.append(f"authorisation:{valid[0].id}")
            else:
                problems.append(
                    f"job {job.id} ({code}, {when}): {role} {people.get(person_id, person_id)} "
                    "held no valid authorisation for the procedure"
                )
                evidence.append(f"job:{job.id}")
    return _outcome(
        rule,
        problems,
        list(dict.fromkeys(evidence)),
        f"{len(jobs)} jobs: performers and authorisers authorised on the job date",
    )


def competence_records_current(ctx: RuleContext, params: Mapping[str, object]) -> RuleOutcome:
    """Everyone who performed a job has training within the review interval (6.2.5)."""
    rule = "competence_records_current"
    months = int(params.get("review_interval_months", 24))  # type: ignore[call-overload]
    performers = {job.performed_by_id for job, _ in period_jobs(ctx) if job.performed_by_id}
    if not performers:
        return _no_data(rule, "no jobs with a performer in the period")
    latest: dict[int, Training] = {}
    for training in ctx.session.exec(select(Training)):
        if training.completed_on <= ctx.as_of and (
            training.person_id not in latest
            or latest[training.person_id].completed_on < training.completed_on
        ):
            latest[training.person_id] = training
    names = {int(p.id or 0): p.name for p in ctx.session.exec(select(Person))}
    problems, evidence = [], []
    for pid in sorted(performers):
        found = latest.get(pid)
        if found is None or add_months(found.completed_on, months) < ctx.as_of:
            last = "none" if found is None else str(found.completed_on)
            problems.append(
                f"{names.get(pid, pid)}: no training within {months} months (last: {last})"
            )
            evidence.append(f"person:{pid}")
        else:
            evidence.append(f"training:{found.id}")
    return _outcome(
        rule, problems, evidence, f"{len(performers)} performers trained within {months} months"
    )


# --------------------------------------------------------------------------- environment


def _rooms(ctx: RuleContext) -> list[Room]:
    stmt = select(Room).order_by(col(Room.code))
    if ctx.site_id is not None:
        stmt = stmt.where(Room.site_id == ctx.site_id)
    return list(ctx.session.exec(stmt))


def environment_logging_complete(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """Every room's logger recorded every quantity over the period without gaps (6.3.3).

    A gap is two consecutive readings further apart than the logging interval
    plus 10 %; the period's edges count when uncovered.
    """
    from calib.assessment.records import EnvironmentLimitRecord
    from calib.assessment.service import stored_time

    rule = "environment_logging_complete"
    rooms = _rooms(ctx)
    if not rooms:
        return _no_data(rule, "no rooms with loggers")
    start, end = _day_start(ctx.period_start), _day_start(ctx.as_of)
    problems: list[str] = []
    evidence: list[str] = []
    counted = 0
    for room in rooms:
        quantities = sorted(
            {
                lim.quantity
                for lim in ctx.session.exec(
                    select(EnvironmentLimitRecord).where(EnvironmentLimitRecord.room_id == room.id)
                )
            }
        )
        max_gap = dt.timedelta(minutes=room.logging_interval_minutes * 1.1)
        for quantity in quantities:
            table = LoggerReading.__table__  # type: ignore[attr-defined]
            stmt = (
                sa_select(type_coerce(table.c.time, String))
                .where(
                    table.c.room_id == room.id,
                    table.c.quantity == quantity,
                    table.c.time >= start,
                    table.c.time <= end,
                )
                .order_by(table.c.time)
            )
            times = [stored_time(t) for t in ctx.session.connection().execute(stmt).scalars()]
            counted += len(times)
            edges = [start, *times, end]
            gaps = [(a, b) for a, b in itertools.pairwise(edges) if b - a > max_gap]
            for a, b in gaps:
                problems.append(
                    f"room {room.code}, {quantity}: no readings from {a:%Y-%m-%d %H:%M} to {b:%Y-%m-%d %H:%M} UTC"
                )
            evidence.append(f"env_room:{room.id}")
    if counted == 0:
        return _no_data(rule, "no logger readings in the period")
    return _outcome(
        rule,
        problems,
        list(dict.fromkeys(evidence)),
        f"{len(rooms)} rooms logged without gaps ({counted} readings)",
    )


def environment_within_limits_during_jobs(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """Jobs performed during an excursion have a closed impact assessment (6.3.3, 7.10)."""
    from calib.assessment.service import jobs_outside_limits

    rule = "environment_within_limits_during_jobs"
    job_ids = {int(job.id or 0) for job, _ in period_jobs(ctx)}
    located = [loc for loc in ctx.session.exec(select(JobLocation)) if loc.job_id in job_ids]
    if not located:
        return _no_data(rule, "no job has a recorded room and time in the period")
    closed: dict[int, list[ImpactAssessment]] = {}
    for ia in ctx.session.exec(select(ImpactAssessment)):
        closed.setdefault(ia.job_id, []).append(ia)
    problems: list[str] = []
    evidence: list[str] = []
    for room in _rooms(ctx):
        for flagged in jobs_outside_limits(
            ctx.session,
            ctx.actor,
            room_id=int(room.id or 0),
            start=_day_start(ctx.period_start),
            end=_day_start(ctx.as_of + dt.timedelta(days=1)),
        ):
            if flagged.job_id not in job_ids:
                continue
            done = [ia for ia in closed.get(flagged.job_id, []) if ia.status == "closed"]
            if done:
                evidence.extend(f"env_impact_assessment:{ia.id}" for ia in done)
                continue
            what = ", ".join(
                f"{e.quantity} {e.kind} from {e.start:%Y-%m-%d %H:%M}" for e in flagged.excursions
            )
            problems.append(
                f"job {flagged.job_id} in room {room.code} during an excursion ({what}) "
                "without a completed impact assessment"
            )
            evidence.append(f"job:{flagged.job_id}")
            evidence.extend(
                f"env_impact_assessment:{ia.id}" for ia in closed.get(flagged.job_id, [])
            )
    return _outcome(
        rule,
        problems,
        list(dict.fromkeys(evidence)),
        f"{len(located)} located jobs: conditions within limits or impact assessed",
    )


# --------------------------------------------------------------------------- check standards


def _standards(ctx: RuleContext) -> list[CheckStandard]:
    stmt = select(CheckStandard).order_by(col(CheckStandard.code))
    if ctx.site_id is not None:
        stmt = stmt.where(CheckStandard.site_id == ctx.site_id)
    return list(ctx.session.exec(stmt))


def check_standards_in_control(ctx: RuleContext, params: Mapping[str, object]) -> RuleOutcome:
    """No Western Electric signal in the period without a nonconformity raised on it.

    References
    ----------
    ISO/IEC 17025:2017 6.4.10, 7.7.1; Western Electric (1956) as in Montgomery
    (2009) 5.3.6.
    """
    from calib.assessment.service import check_standard_chart, list_check_measurements

    rule = "check_standards_in_control"
    standards = _standards(ctx)
    if not standards:
        return _no_data(rule, "no check standards")
    problems: list[str] = []
    evidence: list[str] = []
    charted = 0
    for standard in standards:
        sid = int(standard.id or 0)
        chart = check_standard_chart(ctx.session, ctx.actor, sid, until=ctx.as_of)
        if chart is None:
            continue
        charted += 1
        evidence.append(f"check_standard:{sid}")
        data = list_check_measurements(ctx.session, ctx.actor, sid, until=ctx.as_of)
        if isinstance(chart, IndividualsChart):
            times = [m.measured_at.astimezone(dt.UTC).date() for m in data]
        else:
            groups: dict[int, dt.date] = {}
            for m in data:
                groups[m.subgroup if m.subgroup is not None else -1] = m.measured_at.astimezone(
                    dt.UTC
                ).date()
            times = [d for _, d in sorted(groups.items())]
        handled = [
            nc
            for nc in ctx.session.exec(
                select(Nonconformity).where(
                    Nonconformity.source_table == "check_standard",
                    Nonconformity.source_id == str(sid),
                )
            )
        ]
        unhandled: list[tuple[dt.date, str]] = []
        for signal in chart.signals:
            fired = signal.indices[-1]
            day = times[fired] if fired < len(times) else ctx.as_of
            if day < ctx.period_start:
                continue
            acted = [nc for nc in handled if nc.raised_on >= day]
            if acted:
                evidence.append(f"nonconformity:{acted[0].id}")
            else:
                unhandled.append((day, signal.rule))
        if unhandled:
            rules = ", ".join(sorted({r for _, r in unhandled}))
            first, last = min(d for d, _ in unhandled), max(d for d, _ in unhandled)
            problems.append(
                f"{standard.code}: {len(unhandled)} Western Electric signals ({rules}) "
                f"from {first} to {last}, no nonconformity raised"
            )
    if charted == 0:
        return _no_data(rule, "no check standard has enough measurements for a chart")
    return _outcome(rule, problems, evidence, f"{charted} check standards in statistical control")


def process_capability(ctx: RuleContext, params: Mapping[str, object]) -> RuleOutcome:
    """Cpk of each process with specification limits at least ``min_cpk`` (IECQ 03-2)."""
    from calib.assessment.service import check_standard_capability

    rule = "process_capability"
    minimum = float(params.get("min_cpk", 1.33))  # type: ignore[arg-type]
    problems: list[str] = []
    evidence: list[str] = []
    for standard in _standards(ctx):
        found = check_standard_capability(
            ctx.session, ctx.actor, int(standard.id or 0), until=ctx.as_of
        )
        if found is None:
            continue
        spec, result = found
        evidence.append(f"spec_limit:{spec.id}")
        cpk = result.cpk
        if cpk.value < minimum:
            problems.append(
                f"{standard.code}: Cpk = {cpk.value:.2f} "
                f"(95 % interval {cpk.lower:.2f} to {cpk.upper:.2f}) below {minimum}"
            )
    if not evidence:
        return _no_data(rule, "no process has specification limits and data")
    return _outcome(rule, problems, evidence, f"{len(evidence)} processes with Cpk >= {minimum}")


# --------------------------------------------------------------------------- procedures


def procedures_approved_and_current(ctx: RuleContext, params: Mapping[str, object]) -> RuleOutcome:
    """Jobs used an approved, effective, unsuperseded procedure reviewed within the interval.

    References
    ----------
    ISO/IEC 17025:2017 7.2.1.1 (up to date), 8.3.2 (periodic review).
    """
    rule = "procedures_approved_and_current"
    months = int(params.get("review_interval_months", 36))  # type: ignore[call-overload]
    jobs = period_jobs(ctx)
    if not jobs:
        return _no_data(rule, "no jobs in the period")
    procedures = _procedure_codes(ctx)
    reviews: dict[str, dt.date] = {}
    for validation in ctx.session.exec(select(MethodValidation)):
        code = procedures[validation.procedure_id].code
        if validation.validated_on <= ctx.as_of:
            reviews[code] = max(reviews.get(code, dt.date.min), validation.validated_on)
    problems: list[str] = []
    evidence: list[str] = []
    used: set[int] = set()
    for job, day in jobs:
        proc = procedures[job.procedure_id]
        used.add(job.procedure_id)
        if proc.status != "approved":
            problems.append(f"job {job.id}: procedure {proc.code} v{proc.version} is {proc.status}")
        elif proc.effective_from is not None and day < proc.effective_from:
            problems.append(
                f"job {job.id} ({day}): {proc.code} v{proc.version} effective only from "
                f"{proc.effective_from}"
            )
        else:
            newer = [
                p
                for p in procedures.values()
                if p.code == proc.code
                and p.version > proc.version
                and p.status == "approved"
                and p.effective_from is not None
                and p.effective_from <= day
            ]
            if newer:
                problems.append(
                    f"job {job.id} ({day}): used {proc.code} v{proc.version}, superseded by "
                    f"v{newer[0].version}"
                )
    for pid in sorted(used):
        proc = procedures[pid]
        evidence.append(f"procedure:{pid}")
        last = max(reviews.get(proc.code, dt.date.min), proc.effective_from or dt.date.min)
        if last == dt.date.min or add_months(last, months) < ctx.as_of:
            problems.append(
                f"{proc.code}: not reviewed within {months} months "
                f"(last: {'never' if last == dt.date.min else last})"
            )
    return _outcome(
        rule, problems, evidence, f"{len(used)} procedures in use: approved and current"
    )


def procedure_changes_revalidated(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """Each revised procedure version was validated before it took effect (7.2.1.5)."""
    rule = "procedure_changes_revalidated"
    procedures = _procedure_codes(ctx)
    revised = [p for p in procedures.values() if p.supersedes_id is not None]
    if not revised:
        return RuleOutcome(rule=rule, state="pass", messages=["no procedure was revised"])
    validations: dict[int, list[MethodValidation]] = {}
    for v in ctx.session.exec(select(MethodValidation)):
        validations.setdefault(v.procedure_id, []).append(v)
    problems: list[str] = []
    evidence: list[str] = []
    for proc in revised:
        before = [
            v
            for v in validations.get(int(proc.id or 0), [])
            if proc.effective_from is None or v.validated_on <= proc.effective_from
        ]
        if before:
            evidence.append(f"method_validation:{before[0].id}")
        else:
            problems.append(
                f"{proc.code} v{proc.version}: no validation recorded before it took effect "
                f"({proc.effective_from})"
            )
            evidence.append(f"procedure:{proc.id}")
    return _outcome(rule, problems, evidence, f"{len(revised)} revised procedures validated")


# --------------------------------------------------------------------------- quality system


def _site_ncs(ctx: RuleContext) -> list[Nonconformity]:
    stmt = select(Nonconformity).where(col(Nonconformity.raised_on) <= ctx.as_of)
    if ctx.site_id is not None:
        stmt = stmt.where(
            or_(col(Nonconformity.site_id) == ctx.site_id, col(Nonconformity.site_id).is_(None))
        )
    return list(ctx.session.exec(stmt.order_by(col(Nonconformity.id))))


def nonconforming_work_controlled(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """Nonconformities older than 30 days have an action or are closed; impacts assessed.

    References
    ----------
    ISO/IEC 17025:2017 7.10.1 (procedure for nonconforming work; actions taken).
    """
    rule = "nonconforming_work_controlled"
    grace = dt.timedelta(days=30)
    actions = {ca.nonconformity_id for ca in ctx.session.exec(select(CorrectiveAction))}
    problems: list[str] = []
    evidence: list[str] = []
    for nc in _site_ncs(ctx):
        if nc.status == "closed" and nc.raised_on < ctx.period_start:
            continue
        evidence.append(f"nonconformity:{nc.id}")
        if nc.status != "closed" and nc.id not in actions and nc.raised_on + grace < ctx.as_of:
            problems.append(
                f"{nc.reference} ({nc.raised_on}): open for more than 30 days without an action"
            )
    job_ids = {int(job.id or 0) for job, _ in period_jobs(ctx)}
    for ia in ctx.session.exec(select(ImpactAssessment).where(ImpactAssessment.status != "closed")):
        if ia.job_id in job_ids:
            evidence.append(f"env_impact_assessment:{ia.id}")
    return _outcome(
        rule, problems, evidence, f"{len(evidence)} nonconforming-work records under control"
    )


def corrective_actions_closed(ctx: RuleContext, params: Mapping[str, object]) -> RuleOutcome:
    """Corrective actions closed, with effectiveness verified, within ``max_days`` (8.7)."""
    rule = "corrective_actions_closed"
    max_days = int(params.get("max_days", 90))  # type: ignore[call-overload]
    ncs = {int(nc.id or 0): nc for nc in _site_ncs(ctx)}
    problems: list[str] = []
    evidence: list[str] = []
    count = 0
    for ca in ctx.session.exec(select(CorrectiveAction).order_by(col(CorrectiveAction.id))):
        nc = ncs.get(ca.nonconformity_id)
        if nc is None or ca.opened_on > ctx.as_of:
            continue
        closed = ca.closed_on is not None and ca.closed_on <= ctx.as_of
        if closed and ca.closed_on is not None and ca.closed_on < ctx.period_start:
            continue
        count += 1
        evidence.append(f"corrective_action:{ca.id}")
        if closed and ca.closed_on is not None:
            days = (ca.closed_on - ca.opened_on).days
            if days > max_days:
                problems.append(
                    f"{nc.reference}: corrective action {ca.id} closed after {days} days "
                    f"(limit {max_days})"
                )
            if not ca.effectiveness_verified_on:
                problems.append(f"{nc.reference}: closed without effectiveness verification")
        else:
            age = (ctx.as_of - ca.opened_on).days
            if age > max_days:
                problems.append(
                    f"{nc.reference}: corrective action {ca.id} open for {age} days "
                    f"(limit {max_days})"
                )
    if count == 0:
        return RuleOutcome(rule=rule, state="pass", messages=["no corrective action in the period"])
    return _outcome(
        rule, problems, evidence, f"{count} corrective actions closed or within {max_days} days"
    )


def management_review_held(ctx: RuleContext, params: Mapping[str, object]) -> RuleOutcome:
    """A management review within ``interval_months`` of the date (8.9)."""
    rule = "management_review_held"
    months = int(params.get("interval_months", 12))  # type: ignore[call-overload]
    reviews = [r for r in ctx.session.exec(select(ManagementReview)) if r.held_on <= ctx.as_of]
    if not reviews:
        return _no_data(rule, "no management review recorded")
    last = max(reviews, key=lambda r: r.held_on)
    evidence = [f"management_review:{last.id}"]
    if add_months(last.held_on, months) < ctx.as_of:
        return RuleOutcome(
            rule=rule,
            state="fail",
            messages=[f"last management review {last.held_on}: more than {months} months ago"],
            evidence=evidence,
        )
    return RuleOutcome(
        rule=rule,
        state="pass",
        messages=[f"management review held on {last.held_on}"],
        evidence=evidence,
    )


def management_system_documented(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """An approved quality manual; no approved document past its review date (8.2, 8.3)."""
    rule = "management_system_documented"
    docs = [
        d
        for d in ctx.session.exec(select(QualityDocument))
        if d.status == "approved" and (d.approved_on is None or d.approved_on <= ctx.as_of)
    ]
    superseded = {d.supersedes_id for d in docs if d.supersedes_id is not None}
    current = [d for d in docs if d.id not in superseded]
    if not any(d.kind == "manual" for d in current):
        return _no_data(rule, "no approved quality manual")
    problems = [
        f"{d.code} {d.title}: review due {d.review_due}"
        for d in current
        if d.review_due is not None and d.review_due < ctx.as_of
    ]
    evidence = [f"quality_document:{d.id}" for d in current]
    return _outcome(
        rule, problems, evidence, f"{len(current)} approved management-system documents"
    )


RULES = {
    "authorisations_valid_at_job_date": authorisations_valid_at_job_date,
    "competence_records_current": competence_records_current,
    "environment_logging_complete": environment_logging_complete,
    "environment_within_limits_during_jobs": environment_within_limits_during_jobs,
    "check_standards_in_control": check_standards_in_control,
    "process_capability": process_capability,
    "procedures_approved_and_current": procedures_approved_and_current,
    "procedure_changes_revalidated": procedure_changes_revalidated,
    "nonconforming_work_controlled": nonconforming_work_controlled,
    "corrective_actions_closed": corrective_actions_closed,
    "management_review_held": management_review_held,
    "management_system_documented": management_system_documented,
}
