"""Rules decided by the other domains: satisfaction, ILC, traceability, uncertainty.

Each rule imports its domain inside the function; when the domain's records or
service are not installed it reports ``no_data`` with "module not installed"
(:func:`calib.assessment.status.not_installed`). Queries are read-only.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping
from types import ModuleType

from sqlmodel import col, or_, select

from calib.assessment.catalogue import RuleOutcome
from calib.assessment.cycle import add_months
from calib.assessment.rules_lab import period_jobs
from calib.assessment.status import RuleContext, not_installed
from calib.records import CorrectiveAction, Job, Nonconformity

__all__ = ["RULES"]

_MAX_LISTED = 12


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def _outcome(rule: str, problems: list[str], evidence: list[str], ok: str) -> RuleOutcome:
    if problems:
        shown = problems[:_MAX_LISTED]
        if len(problems) > _MAX_LISTED:
            shown.append(f"... and {len(problems) - _MAX_LISTED} more")
        return RuleOutcome(rule=rule, state="fail", messages=shown, evidence=evidence)
    return RuleOutcome(rule=rule, state="pass", messages=[ok], evidence=evidence)


# --------------------------------------------------------------------------- satisfaction


def complaints_handled(ctx: RuleContext, params: Mapping[str, object]) -> RuleOutcome:
    """Complaints of the period closed (or still young) within ``max_days`` (7.9)."""
    rule = "complaints_handled"
    records = _module("satisfaction.records")
    if records is None:
        return not_installed(rule, "satisfaction.records")
    complaint = records.Complaint
    max_days = int(params.get("max_days", 60))  # type: ignore[call-overload]
    stmt = select(complaint).where(
        complaint.received_on >= ctx.period_start, complaint.received_on <= ctx.as_of
    )
    if ctx.site_id is not None:
        stmt = stmt.where(complaint.site_id == ctx.site_id)
    problems: list[str] = []
    evidence: list[str] = []
    rows = list(ctx.session.exec(stmt))
    for c in rows:
        evidence.append(f"satisfaction_complaint:{c.id}")
        if c.closed_on is not None and c.closed_on <= ctx.as_of:
            days = (c.closed_on - c.received_on).days
            if days > max_days:
                problems.append(f"complaint {c.reference}: closed after {days} days")
        elif (ctx.as_of - c.received_on).days > max_days:
            problems.append(
                f"complaint {c.reference} ({c.status}): open for "
                f"{(ctx.as_of - c.received_on).days} days (limit {max_days})"
            )
    if not rows:
        return RuleOutcome(rule=rule, state="pass", messages=["no complaints in the period"])
    return _outcome(
        rule, problems, evidence, f"{len(rows)} complaints handled within {max_days} days"
    )


_METRIC_COLUMNS = {
    "service_quality": "quality",
    "timeliness": "timeliness",
    "technical_accuracy": "technical_accuracy",
}


def feedback_metrics_for_period(ctx: RuleContext, params: Mapping[str, object]) -> RuleOutcome:
    """Feedback answered for each metric in the last ``period_months`` (8.6.2; IECQ 03-2)."""
    rule = "feedback_metrics_for_period"
    records = _module("satisfaction.records")
    if records is None:
        return not_installed(rule, "satisfaction.records")
    response = records.FeedbackResponse
    months = int(params.get("period_months", 12))  # type: ignore[call-overload]
    metrics = [str(m) for m in params.get("metrics", list(_METRIC_COLUMNS))]  # type: ignore[attr-defined]
    since = add_months(ctx.as_of, -months)
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    end = dt.datetime.combine(ctx.as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
    stmt = (
        select(response, Job)
        .join(Job, col(Job.id) == response.job_id)
        .where(response.submitted_at >= start, response.submitted_at < end)
    )
    if ctx.site_id is not None:
        stmt = stmt.where(Job.site_id == ctx.site_id)
    rows = [r for r, _ in ctx.session.exec(stmt)]
    if not rows:
        return RuleOutcome(
            rule=rule,
            state="no_data",
            messages=[f"{rule}: no feedback responses since {since}"],
        )
    problems: list[str] = []
    counts: list[str] = []
    for metric in metrics:
        column = _METRIC_COLUMNS.get(metric, metric)
        answered = sum(1 for r in rows if getattr(r, column, None) is not None)
        counts.append(f"{metric} n = {answered}")
        if answered == 0:
            problems.append(f"no answers for {metric} since {since}")
    evidence = [f"satisfaction_response:{r.id}" for r in rows]
    return _outcome(
        rule, problems, evidence, f"{len(rows)} responses since {since}: " + ", ".join(counts)
    )


def feedback_triggers_acted_on(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """Every satisfaction signal opened a corrective action, not overdue (8.6.2, 8.7)."""
    rule = "feedback_triggers_acted_on"
    records = _module("satisfaction.records")
    if records is None:
        return not_installed(rule, "satisfaction.records")
    signal = records.SatisfactionSignal
    stmt = select(signal).where(signal.detected_on <= ctx.as_of)
    if ctx.site_id is not None:
        stmt = stmt.where(or_(col(signal.site_id) == ctx.site_id, col(signal.site_id).is_(None)))
    rows = list(ctx.session.exec(stmt))
    if not rows:
        return RuleOutcome(rule=rule, state="pass", messages=["no satisfaction trigger fired"])
    problems: list[str] = []
    evidence: list[str] = []
    for s in rows:
        evidence.append(f"satisfaction_signal:{s.id}")
        ca = (
            ctx.session.get(CorrectiveAction, s.corrective_action_id)
            if s.corrective_action_id
            else None
        )
        if ca is None:
            problems.append(f"signal {s.rule} {s.period}: no corrective action opened")
            continue
        evidence.append(f"corrective_action:{ca.id}")
        if ca.status != "closed" and ca.due_on is not None and ca.due_on < ctx.as_of:
            problems.append(
                f"signal {s.rule} {s.period}: corrective action {ca.id} overdue since {ca.due_on}"
            )
    return _outcome(rule, problems, evidence, f"{len(rows)} signals acted on")


# --------------------------------------------------------------------------- ILC


def pt_plan_covers_subdisciplines(ctx: RuleContext, params: Mapping[str, object]) -> RuleOutcome:
    """Each sub-discipline of the PT plan has participation within its cycle.

    References
    ----------
    ILAC P9:01/2024 4.2, 4.5; ISO/IEC 17025:2017 7.7.2.
    """
    rule = "pt_plan_covers_subdisciplines"
    service = _module("ilc.service")
    if service is None:
        return not_installed(rule, "ilc.service")
    years = int(params.get("cycle_years", 4))  # type: ignore[call-overload]
    rows = service.pt_coverage(ctx.session, ctx.actor, as_of=ctx.as_of, site_id=ctx.site_id)
    if not rows:
        return RuleOutcome(rule=rule, state="no_data", messages=[f"{rule}: no PT plan"])
    problems: list[str] = []
    for row in rows:
        if row.status == "overdue":
            problems.append(
                f"{row.site} {row.subdiscipline} ({row.name}): PT participation overdue since "
                f"{row.next_due} (last {row.last_participation or 'never'})"
            )
        if add_months(row.cycle_start, 12 * years) < row.cycle_end:
            problems.append(f"{row.site} {row.subdiscipline}: plan cycle longer than {years} years")
    evidence = [f"pt_subdiscipline:{row.subdiscipline}@{row.site}" for row in rows]
    return _outcome(
        rule, problems, [], f"{len(rows)} sub-disciplines covered: " + ", ".join(evidence)
    )


_RANK = {None: 0, "satisfactory": 1, "questionable": 2, "unsatisfactory": 3}


def unsatisfactory_pt_actions_closed(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """Every unsatisfactory own PT result has a closed corrective action (7.7.3, 8.7)."""
    rule = "unsatisfactory_pt_actions_closed"
    records = _module("ilc.records")
    if records is None:
        return not_installed(rule, "ilc.records")
    stmt = (
        select(records.PTScore, records.PTResult, records.PTRound)
        .join(records.PTResult, col(records.PTResult.id) == records.PTScore.result_id)
        .join(records.PTRound, col(records.PTRound.id) == records.PTScore.round_id)
        .where(col(records.PTResult.is_own_lab).is_(True))
    )
    if ctx.site_id is not None:
        stmt = stmt.where(records.PTRound.site_id == ctx.site_id)
    superseded = {
        r.supersedes_id for r in ctx.session.exec(select(records.PTRound)) if r.supersedes_id
    }
    problems: list[str] = []
    evidence: list[str] = []
    scored = 0
    for score, result, round_ in ctx.session.exec(stmt):
        if round_.id in superseded or (round_.scored_on and round_.scored_on > ctx.as_of):
            continue
        scored += 1
        verdicts = (score.en_verdict, score.z_verdict, score.zeta_verdict)
        if max(verdicts, key=lambda v: _RANK.get(v, 0)) != "unsatisfactory":
            continue
        evidence.append(f"pt_result:{result.id}")
        nc = ctx.session.exec(
            select(Nonconformity).where(
                Nonconformity.source_table == "pt_result",
                Nonconformity.source_id == str(result.id),
            )
        ).first()
        if nc is None:
            problems.append(f"round {round_.code}: unsatisfactory result without nonconformity")
            continue
        evidence.append(f"nonconformity:{nc.id}")
        actions = list(
            ctx.session.exec(
                select(CorrectiveAction).where(CorrectiveAction.nonconformity_id == nc.id)
            )
        )
        evidence.extend(f"corrective_action:{ca.id}" for ca in actions)
        if not any(ca.status == "closed" for ca in actions):
            problems.append(
                f"round {round_.code} ({round_.measurand}): unsatisfactory result, "
                f"{nc.reference} has no closed corrective action"
            )
    if scored == 0:
        return RuleOutcome(rule=rule, state="no_data", messages=[f"{rule}: no scored PT results"])
    return _outcome(
        rule, problems, evidence, f"{scored} own PT results; unsatisfactory ones acted on"
    )


# --------------------------------------------------------------------------- traceability


def _certificate_sites(ctx: RuleContext) -> dict[str, tuple[int, int | None]]:
    """Certificate code -> (certificate id, site id of its job or instrument)."""
    records = _module("traceability.records")
    if records is None:
        return {}
    cert, instrument = records.TraceCertificate, records.TraceInstrument
    job_sites = {int(j.id or 0): j.site_id for j in ctx.session.exec(select(Job))}
    instrument_sites = {i.id: i.site_id for i in ctx.session.exec(select(instrument))}
    out: dict[str, tuple[int, int | None]] = {}
    for c in ctx.session.exec(select(cert)):
        site = job_sites.get(c.job_id) if c.job_id is not None else None
        out[c.code] = (
            int(c.id or 0),
            site if site is not None else instrument_sites.get(c.instrument_id),
        )
    return out


def _at_site(ctx: RuleContext, sites: Mapping[str, tuple[int, int | None]], code: str) -> bool:
    if ctx.site_id is None:
        return True
    found = sites.get(code)
    return found is not None and found[1] in (ctx.site_id, None)


def equipment_calibrated_at_use(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """No job used a reference standard past its due date or quarantined (6.4.7, 6.4.13).

    From :func:`traceability.service.equipment_status_for_jobs`: each job's
    certificate and the references it used, judged on the day of use.
    """
    rule = "equipment_calibrated_at_use"
    service = _module("traceability.service")
    if service is None:
        return not_installed(rule, "traceability.service")
    report = service.equipment_status_for_jobs(ctx.session, ctx.actor, as_of=ctx.as_of)
    sites = _certificate_sites(ctx)
    items = [
        i
        for i in report.items
        if ctx.period_start <= i.calibrated_on <= ctx.as_of and _at_site(ctx, sites, i.certificate)
    ]
    if not items:
        return RuleOutcome(
            rule=rule, state="no_data", messages=[f"{rule}: no job certificate names its standards"]
        )
    problems: list[str] = []
    evidence: list[str] = []
    for item in items:
        ref = f"trace_certificate:{sites[item.certificate][0]}" if item.certificate in sites else ""
        if ref:
            evidence.append(ref)
        for finding in item.problems:
            problems.append(
                f"{item.certificate} (job {item.job_id}, {item.calibrated_on}): {finding.message}"
            )
    return _outcome(
        rule,
        problems,
        evidence,
        f"{len(items)} job certificates: every reference standard in calibration and in service on the day of use",
    )


def _verdicts(ctx: RuleContext) -> tuple[list[object], dict[str, tuple[int, int | None]]] | None:
    service = _module("traceability.service")
    if service is None:
        return None
    key = "trace_verdicts"
    if key not in ctx.cache:
        found = service.certificate_findings(ctx.session, ctx.actor, as_of=ctx.as_of)
        ctx.cache[key] = list(found.verdicts)
    sites = _certificate_sites(ctx)
    verdicts = [
        v
        for v in ctx.cache[key]  # type: ignore[attr-defined]
        if _at_site(ctx, sites, v.certificate)
    ]
    return verdicts, sites


def traceability_chain_valid(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """Every certificate traces to the SI without a failing finding as of the date (6.5).

    References
    ----------
    ISO/IEC 17025:2017 6.5; ILAC P10:07/2020.
    """
    rule = "traceability_chain_valid"
    found = _verdicts(ctx)
    if found is None:
        return not_installed(rule, "traceability.service")
    verdicts, sites = found
    if not verdicts:
        return RuleOutcome(rule=rule, state="no_data", messages=[f"{rule}: no certificates"])
    problems: list[str] = []
    evidence: list[str] = []
    for v in verdicts:
        code = v.certificate  # type: ignore[attr-defined]
        if code in sites:
            evidence.append(f"trace_certificate:{sites[code][0]}")
        if not v.traceable:  # type: ignore[attr-defined]
            failing = [f.message for f in v.findings if f.severity == "fail"]  # type: ignore[attr-defined]
            problems.append(
                f"{code} not traceable: {'; '.join(failing[:2]) or 'no chain to the SI'}"
            )
    return _outcome(rule, problems, evidence, f"{len(verdicts)} certificates trace to the SI")


def reported_u_not_below_cmc(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """Every reported expanded uncertainty is at least the CMC and the reference's U.

    References
    ----------
    ILAC P14:09/2020 5.4; ISO/IEC 17025:2017 7.6.
    """
    rule = "reported_u_not_below_cmc"
    found = _verdicts(ctx)
    if found is None:
        return not_installed(rule, "traceability.service")
    verdicts, sites = found
    if not verdicts:
        return RuleOutcome(rule=rule, state="no_data", messages=[f"{rule}: no certificates"])
    codes = {"UNCERTAINTY_BELOW_CMC", "UNCERTAINTY_BELOW_REFERENCE"}
    problems: list[str] = []
    evidence: list[str] = []
    for v in verdicts:
        for f in v.findings:  # type: ignore[attr-defined]
            if f.code in codes:
                problems.append(f"{v.certificate}: {f.message}")  # type: ignore[attr-defined]
                if v.certificate in sites:  # type: ignore[attr-defined]
                    evidence.append(f"trace_certificate:{sites[v.certificate][0]}")  # type: ignore[attr-defined]
    return _outcome(
        rule, problems, evidence, f"{len(verdicts)} certificates: every reported U >= CMC"
    )


# --------------------------------------------------------------------------- uncertainty


def _scope_procedure_codes(ctx: RuleContext) -> set[str]:
    from calib.assessment.records import ScopeLineRecord, SiteScopeLine
    from calib.records import Procedure

    codes = {p.id: p.code for p in ctx.session.exec(select(Procedure))}
    lines = {ln.id: ln for ln in ctx.session.exec(select(ScopeLineRecord)) if ln.active}
    out: set[str] = set()
    for assignment in ctx.session.exec(select(SiteScopeLine)):
        line = lines.get(assignment.scope_line_id)
        if line is None or line.procedure_id is None:
            continue
        if ctx.site_id is None or assignment.site_id == ctx.site_id:
            out.add(codes[line.procedure_id])
    if not out:  # no scope recorded: the procedures in use
        out = {codes[job.procedure_id] for job, _ in period_jobs(ctx)}
    return out


def _coverage(ctx: RuleContext) -> list[object] | None:
    service = _module("uncertainty.service")
    if service is None:
        return None
    key = "budget_coverage"
    if key not in ctx.cache:
        ctx.cache[key] = service.approved_budget_coverage(ctx.session, ctx.actor, as_of=ctx.as_of)
    return ctx.cache[key]  # type: ignore[return-value]


def approved_budget_per_procedure(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """Every procedure in scope has an approved budget that supports its CMC (7.6.1).

    References
    ----------
    ISO/IEC 17025:2017 7.6.1; ILAC P14:09/2020 5.4.
    """
    rule = "approved_budget_per_procedure"
    rows = _coverage(ctx)
    if rows is None:
        return not_installed(rule, "uncertainty.service")
    scope = _scope_procedure_codes(ctx)
    chosen = [r for r in rows if r.procedure_code in scope]  # type: ignore[attr-defined]
    if not chosen:
        return RuleOutcome(rule=rule, state="no_data", messages=[f"{rule}: no procedure in scope"])
    problems: list[str] = []
    evidence: list[str] = []
    for row in chosen:
        code = row.procedure_code  # type: ignore[attr-defined]
        evidence.extend(f"uncertainty_budget:{b}" for b in row.approved_budget_ids)  # type: ignore[attr-defined]
        if not row.has_approved_budget:  # type: ignore[attr-defined]
            pending = row.pending_budget_ids  # type: ignore[attr-defined]
            problems.append(
                f"{code}: no approved uncertainty budget"
                + (f" ({len(pending)} draft/submitted)" if pending else "")
            )
        elif row.all_support_cmc is False:  # type: ignore[attr-defined]
            notes = [ln.note for ln in row.lines if ln.supports_cmc is False]  # type: ignore[attr-defined]
            problems.append(f"{code}: approved budget below the claimed CMC ({'; '.join(notes)})")
    return _outcome(
        rule, problems, evidence, f"{len(chosen)} procedures in scope with an approved budget"
    )


def reports_state_uncertainty(ctx: RuleContext, _: Mapping[str, object]) -> RuleOutcome:
    """Each released certificate can state its uncertainty (7.8.4.1 a; 7.6.1).

    A released job passes when its stored certificate reports a U for each
    point (traceability records), or when its procedure had an approved budget.
    """
    rule = "reports_state_uncertainty"
    rows = _coverage(ctx)
    if rows is None:
        return not_installed(rule, "uncertainty.service")
    released = [job for job, _ in period_jobs(ctx) if job.status == "released"]
    if not released:
        return RuleOutcome(rule=rule, state="no_data", messages=[f"{rule}: no released jobs"])
    with_budget = {r.procedure_id for r in rows if r.has_approved_budget}  # type: ignore[attr-defined]
    with_budget_codes = {r.procedure_code for r in rows if r.has_approved_budget}  # type: ignore[attr-defined]
    from calib.records import Procedure

    codes = {p.id: p.code for p in ctx.session.exec(select(Procedure))}
    stated: dict[int, bool] = {}
    trace = _module("traceability.records")
    if trace is not None:
        cert, point = trace.TraceCertificate, trace.TracePoint
        points: dict[int, list[float]] = {}
        for p in ctx.session.exec(select(point)):
            points.setdefault(p.certificate_id, []).append(p.expanded_uncertainty)
        for c in ctx.session.exec(select(cert).where(col(cert.job_id).is_not(None))):
            values = points.get(int(c.id or 0), [])
            stated[int(c.job_id)] = bool(values) and all(u > 0 for u in values)
    problems: list[str] = []
    for job in released:
        jid = int(job.id or 0)
        if stated.get(jid) is False:
            problems.append(f"job {jid} ({job.certificate_number}): a point without a stated U")
        elif jid not in stated and not (
            job.procedure_id in with_budget or codes.get(job.procedure_id) in with_budget_codes
        ):
            problems.append(
                f"job {jid} ({job.certificate_number}): no stored certificate with U and no "
                f"approved budget for {codes.get(job.procedure_id)}"
            )
    evidence = [f"job:{job.id}" for job in released if stated.get(int(job.id or 0))]
    return _outcome(
        rule, problems, evidence, f"{len(released)} released certificates state an uncertainty"
    )


RULES = {
    "complaints_handled": complaints_handled,
    "feedback_metrics_for_period": feedback_metrics_for_period,
    "feedback_triggers_acted_on": feedback_triggers_acted_on,
    "pt_plan_covers_subdisciplines": pt_plan_covers_subdisciplines,
    "unsatisfactory_pt_actions_closed": unsatisfactory_pt_actions_closed,
    "equipment_calibrated_at_use": equipment_calibrated_at_use,
    "traceability_chain_valid": traceability_chain_valid,
    "reported_u_not_below_cmc": reported_u_not_below_cmc,
    "approved_budget_per_procedure": approved_budget_per_procedure,
    "reports_state_uncertainty": reports_state_uncertainty,
}
