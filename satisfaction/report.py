"""Assemble the satisfaction report from imported records (pure: no I/O).

Joins responses, jobs and complaints, calls the engine (metrics, control
charts, triggers) and returns a :class:`SatisfactionReportDocument`; also
renders it as a plain-text summary that always shows n and the interval
beside each figure.
"""

from __future__ import annotations

from collections.abc import Sequence

from satisfaction.control import (
    ControlChart,
    PeriodCount,
    month_of,
    month_range,
    p_chart,
    rolling_windows,
    u_chart,
)
from satisfaction.intervals import check_confidence
from satisfaction.metrics import (
    SATISFIED_FROM,
    ProportionEstimate,
    complaint_rate,
    csat,
    dimension_summary,
    dissatisfied_count,
    net_promoter_score,
    on_time_delivery,
    proportion,
    response_rate,
    turnaround_days,
)
from satisfaction.schema import (
    DIMENSIONS,
    BaselineOut,
    ComplaintPeriodOut,
    ComplaintRateOut,
    ComplaintRecord,
    DimensionOut,
    JobRecord,
    NpsOut,
    PeriodOut,
    ProportionOut,
    ResponseRecord,
    RollingOut,
    SatisfactionReportDocument,
    SignalOut,
    TurnaroundOut,
)
from satisfaction.triggers import Signal, chart_signals, csat_target_signal
from uncertainty.errors import InvalidInputError

__all__ = ["build_report", "format_report"]

ROLLING_WINDOW = 12


def _proportion_out(p: ProportionEstimate) -> ProportionOut:
    return ProportionOut(value=p.value, ci=p.ci, n=p.n, successes=p.successes)


def _check_links(
    responses: Sequence[ResponseRecord],
    jobs: Sequence[JobRecord] | None,
    complaints: Sequence[ComplaintRecord] | None,
    sources: tuple[str, str],
) -> None:
    if jobs is None:
        if complaints:
            raise InvalidInputError(
                "complaints need the jobs file (--jobs J.csv) to count jobs per month",
                field="complaints",
            )
        return
    by_id = {j.job_id: j for j in jobs}
    for r in responses:
        job = by_id.get(r.job_id)
        if job is None:
            raise InvalidInputError(
                f"job_id {r.job_id!r} is not in the jobs file",
                field=f"{sources[0]} row {r.row}, column job_id",
            )
        if job.delivered_on is None:
            raise InvalidInputError(
                f"job {r.job_id!r} has no delivered_on in the jobs file; "
                "feedback is invited only after delivery",
                field=f"{sources[0]} row {r.row}, column job_id",
            )
    for c in complaints or ():
        if c.job_id not in by_id:
            raise InvalidInputError(
                f"job_id {c.job_id!r} is not in the jobs file",
                field=f"{sources[1]} row {c.row}, column job_id",
            )


def _dissatisfied_periods(responses: Sequence[ResponseRecord]) -> list[PeriodCount]:
    if not responses:
        return []
    months = month_range(
        min(month_of(r.submitted_on) for r in responses),
        max(month_of(r.submitted_on) for r in responses),
    )
    out = []
    for month in months:
        rows = [r for r in responses if month_of(r.submitted_on) == month]
        events, n = dissatisfied_count([r.overall for r in rows])
        ids = tuple(r.job_id for r in rows if r.overall is not None and r.overall <= 2)
        out.append(PeriodCount(month, n, events, ids))
    return out


def _complaint_periods(
    jobs: Sequence[JobRecord], complaints: Sequence[ComplaintRecord]
) -> list[PeriodCount]:
    delivery_months = [month_of(j.delivered_on) for j in jobs if j.delivered_on is not None]
    months_seen = delivery_months + [month_of(c.received_on) for c in complaints]
    if not months_seen:
        return []
    out = []
    for month in month_range(min(months_seen), max(months_seen)):
        n = delivery_months.count(month)
        ids = tuple(c.complaint_id for c in complaints if month_of(c.received_on) == month)
        out.append(PeriodCount(month, n, len(ids), ids))
    return out


def _signal_out(s: Signal) -> SignalOut:
    return SignalOut(
        rule=s.rule,
        period=s.period,
        message=s.message,
        chart=s.chart,
        data_ids=list(s.data_ids),
        periods=list(s.periods),
    )


def _rolling(
    responses: Sequence[ResponseRecord], months: Sequence[str], confidence: float
) -> list[RollingOut]:
    satisfied = []
    dissatisfied = []
    for month in months:
        overall = [
            r.overall
            for r in responses
            if month_of(r.submitted_on) == month and r.overall is not None
        ]
        satisfied.append(
            PeriodCount(month, len(overall), sum(v >= SATISFIED_FROM for v in overall))
        )
        dissatisfied.append(PeriodCount(month, len(overall), sum(v <= 2 for v in overall)))
    out = []
    for sat, dis in zip(
        rolling_windows(satisfied, window=ROLLING_WINDOW),
        rolling_windows(dissatisfied, window=ROLLING_WINDOW),
        strict=True,
    ):
        estimate = proportion(sat.events, sat.n, confidence=confidence)
        out.append(
            RollingOut(
                period=sat.period,
                n=sat.n,
                csat=_proportion_out(estimate),
                dissatisfied_share=dis.events / dis.n if dis.n else None,
            )
        )
    return out


def build_report(
    responses: Sequence[ResponseRecord],
    jobs: Sequence[JobRecord] | None = None,
    complaints: Sequence[ComplaintRecord] | None = None,
    *,
    confidence: float = 0.95,
    baseline_periods: int = 6,
    target: float | None = None,
    sources: tuple[str, str] = ("R.csv", "C.csv"),
) -> SatisfactionReportDocument:
    """Compute every metric, both control charts and the triggers.

    Parameters
    ----------
    responses, jobs, complaints:
        Imported records; every response and complaint must name a job in
        ``jobs`` when ``jobs`` is given, and a response's job must be delivered.
    confidence:
        Level of every interval (0.95 by default).
    baseline_periods:
        Months with data that fix the centre lines (first 6 by default).
    target:
        CSAT target share; the rule is applied to the latest trailing
        12-month window. None: rule not evaluated.
    sources:
        File names of the responses and complaints, used in error messages.
    """
    confidence = check_confidence(confidence)
    if target is not None and (
        isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1
    ):
        raise InvalidInputError(
            f"target must be a share in (0, 1], e.g. 0.8, got {target!r}", field="target"
        )
    _check_links(responses, jobs, complaints, sources)
    overall = [r.overall for r in responses]
    csat_estimate = csat(overall, confidence=confidence)
    nps = net_promoter_score([r.recommend for r in responses], confidence=confidence)
    dimensions = {}
    for name in DIMENSIONS:
        d = dimension_summary(
            [getattr(r, name) for r in responses], confidence=confidence, name=name
        )
        dimensions[name] = DimensionOut(
            mean=d.mean,
            ci=d.ci,
            n=d.n,
            top2_share=d.top2_share,
            top2_ci=d.top2_ci,
            not_applicable=d.not_applicable,
        )
    delivered = [j for j in jobs or () if j.delivered_on is not None]
    due = [j.due_on for j in delivered]
    done = [j.delivered_on for j in delivered if j.delivered_on is not None]
    on_time = on_time_delivery(due, done, confidence=confidence)
    turnaround = turnaround_days([j.received_on for j in delivered], done)
    responded = {r.job_id for r in responses}
    rate = (
        _proportion_out(
            response_rate(
                sum(1 for j in delivered if j.job_id in responded),
                len(delivered),
                confidence=confidence,
            )
        )
        if jobs is not None
        else None
    )
    complaint_out = None
    if complaints is not None and jobs is not None:
        cr = complaint_rate(len(complaints), len(delivered), confidence=confidence)
        complaint_out = ComplaintRateOut(
            value=cr.value, ci=cr.ci, complaints=cr.complaints, jobs=cr.jobs
        )

    p_periods = _dissatisfied_periods(responses)
    pchart = p_chart(p_periods, baseline_periods=baseline_periods)
    signals = chart_signals(pchart, label="dissatisfied_share")
    uchart: ControlChart | None = None
    if complaints is not None and jobs is not None:
        uchart = u_chart(_complaint_periods(jobs, complaints), baseline_periods=baseline_periods)
        signals += chart_signals(uchart, label="complaints_per_job")
    months = [p.period for p in p_periods]
    rolling = _rolling(responses, months, confidence)
    if target is not None and rolling:
        last = rolling[-1]
        window = set(months[-ROLLING_WINDOW:])
        ids = tuple(
            r.job_id
            for r in responses
            if month_of(r.submitted_on) in window and r.overall is not None and r.overall < 4
        )
        estimate = proportion(last.csat.successes, last.csat.n, confidence=confidence)
        fired = csat_target_signal(estimate, target=target, period=last.period, data_ids=ids)
        if fired is not None:
            signals.append(fired)

    p_flagged = {s.period for s in signals if s.chart == "dissatisfied_share"}
    u_flagged = {s.period for s in signals if s.chart == "complaints_per_job"}
    periods = [
        PeriodOut(
            period=pt.period,
            n=pt.n,
            dissatisfied=pt.events,
            dissatisfied_share=pt.value,
            center=pt.center,
            ucl=pt.ucl,
            lcl=pt.lcl,
            method=pt.method,
            upper_tail_probability=pt.upper_tail_probability,
            in_baseline=pt.in_baseline,
            signal=pt.period in p_flagged,
        )
        for pt in pchart.points
    ]
    complaint_periods = [
        ComplaintPeriodOut(
            period=pt.period,
            jobs=pt.n,
            complaints=pt.events,
            complaints_per_job=pt.value,
            center=pt.center,
            ucl=pt.ucl,
            method=pt.method,
            upper_tail_probability=pt.upper_tail_probability,
            in_baseline=pt.in_baseline,
            signal=pt.period in u_flagged,
        )
        for pt in (uchart.points if uchart else ())
    ]
    notes = [f"dissatisfied_share: {n}" for n in pchart.notes]
    notes += [f"complaints_per_job: {n}" for n in (uchart.notes if uchart else ())]
    return SatisfactionReportDocument(
        responses=len(responses),
        confidence=confidence,
        csat=_proportion_out(csat_estimate),
        nps=NpsOut(
            value=nps.value,
            ci=nps.ci,
            n=nps.n,
            promoters=nps.promoters,
            passives=nps.passives,
            detractors=nps.detractors,
        ),
        dimensions=dimensions,
        response_rate=rate,
        on_time_delivery=_proportion_out(on_time),
        turnaround_days=TurnaroundOut(
            median=turnaround.median,
            p90=turnaround.p90,
            n=turnaround.n,
            quantile_method=turnaround.quantile_method,
        ),
        complaint_rate=complaint_out,
        periods=periods,
        complaint_periods=complaint_periods,
        rolling_12_months=rolling,
        baseline=BaselineOut(
            periods_requested=baseline_periods,
            dissatisfied_periods=list(pchart.baseline_periods),
            dissatisfied_center=pchart.center,
            complaint_periods=list(uchart.baseline_periods) if uchart else [],
            complaint_center=uchart.center if uchart else None,
            notes=notes,
        ),
        target=target,
        signals=[_signal_out(s) for s in signals],
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _pct_ci(ci: tuple[float, float] | None) -> str:
    return "n/a" if ci is None else f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}] %"


def _num_ci(ci: tuple[float, float] | None, digits: int = 2) -> str:
    return "n/a" if ci is None else f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def format_report(doc: SatisfactionReportDocument) -> str:
    """Readable summary: every figure with its n and its interval."""
    level = f"{100 * doc.confidence:g} %"
    lines = [f"Customer satisfaction report ({doc.responses} responses, {level} intervals)", ""]
    lines.append(
        f"CSAT (overall >= 4)   {_pct(doc.csat.value):>8}  {_pct_ci(doc.csat.ci)}  "
        f"n = {doc.csat.n}  (Wilson)"
    )
    nps_value = "n/a" if doc.nps.value is None else f"{doc.nps.value:+.0f}"
    lines.append(
        f"NPS                   {nps_value:>8}  {_num_ci(doc.nps.ci, 1)} points  n = {doc.nps.n}  "
        f"({doc.nps.promoters} promoters, {doc.nps.passives} passives, "
        f"{doc.nps.detractors} detractors; adjusted Wald)"
    )
    for name, d in doc.dimensions.items():
        mean = "n/a" if d.mean is None else f"{d.mean:.2f}"
        lines.append(
            f"{name:<21} {mean:>8}  {_num_ci(d.ci)}  n = {d.n}  "
            f"top-2-box {_pct(d.top2_share)} {_pct_ci(d.top2_ci)}  (t interval; 1-5 scale)"
        )
    if doc.response_rate is not None:
        lines.append(
            f"Response rate         {_pct(doc.response_rate.value):>8}  "
            f"{_pct_ci(doc.response_rate.ci)}  n = {doc.response_rate.n} delivered jobs"
        )
    if doc.on_time_delivery.n:
        lines.append(
            f"On-time delivery      {_pct(doc.on_time_delivery.value):>8}  "
            f"{_pct_ci(doc.on_time_delivery.ci)}  n = {doc.on_time_delivery.n}  (Wilson)"
        )
        t = doc.turnaround_days
        lines.append(
            f"Turnaround (days)     median {t.median:g}, 90th percentile {t.p90:g}  n = {t.n}"
        )
    if doc.complaint_rate is not None and doc.complaint_rate.value is not None:
        c = doc.complaint_rate
        lines.append(
            f"Complaints /100 jobs  {c.value:8.2f}  {_num_ci(c.ci)}  "
            f"({c.complaints} complaints, n = {c.jobs} jobs; exact Poisson)"
        )
    lines += ["", "Dissatisfied share (overall <= 2) per month, limits frozen from the baseline:"]
    for p in doc.periods:
        mark = "  SIGNAL" if p.signal else ""
        base = " (baseline)" if p.in_baseline else ""
        ucl = "n/a" if p.ucl is None else f"{p.ucl:.3f}"
        lines.append(
            f"  {p.period}  {p.dissatisfied:>3}/{p.n:<3}  share {_pct(p.dissatisfied_share):>8}  "
            f"UCL {ucl} ({p.method}){base}{mark}"
        )
    if doc.complaint_periods:
        lines += ["", "Complaints per job per month (u-chart), limits frozen from the baseline:"]
        for cp in doc.complaint_periods:
            mark = "  SIGNAL" if cp.signal else ""
            base = " (baseline)" if cp.in_baseline else ""
            ucl = "n/a" if cp.ucl is None else f"{cp.ucl:.3f}"
            rate = "n/a" if cp.complaints_per_job is None else f"{cp.complaints_per_job:.3f}"
            lines.append(
                f"  {cp.period}  {cp.complaints:>3} complaints / {cp.jobs:<3} jobs  rate {rate:>6}  "
                f"UCL {ucl} ({cp.method}){base}{mark}"
            )
    if doc.rolling_12_months:
        last = doc.rolling_12_months[-1]
        lines += [
            "",
            f"Trailing 12 months to {last.period}: CSAT {_pct(last.csat.value)} "
            f"{_pct_ci(last.csat.ci)}  n = {last.n}",
        ]
    lines += [f"  note: {n}" for n in doc.baseline.notes]
    lines.append("")
    if doc.signals:
        lines.append(f"Signals ({len(doc.signals)}):")
        lines += [f"  [{s.rule}] {s.period}: {s.message}" for s in doc.signals]
    else:
        lines.append("Signals: none")
    return "\n".join(lines)
