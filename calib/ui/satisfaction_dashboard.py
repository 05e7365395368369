"""The "Customer satisfaction" page: KPIs with n and intervals, dimensions, trend charts.

KPI tiles (CSAT, NPS, on-time delivery, complaint rate, response rate) each show
their n and 95 % interval; the dimension chart draws the t intervals as bars;
the p-chart of the dissatisfied share and the u-chart of complaints show the
frozen centre line, the per-month upper limits and the signals; the corrective
actions raised by signals are listed, and managers can evaluate the triggers.
Customer comments are shown as inert text (a data table), never as markup.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session, today
from satisfaction.schema import SatisfactionReportDocument
from satisfaction.service import (
    evaluate_triggers,
    list_responses,
    list_signals,
    satisfaction_report,
)

__all__ = ["render"]

_WINDOWS = {"Last 12 months": 365, "Last 6 months": 182, "All data": None}
_DIMENSION_LABELS = {
    "quality": "Service quality",
    "timeliness": "Timeliness",
    "technical_accuracy": "Technical accuracy",
    "communication": "Communication",
}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _ci_pct(ci: tuple[float, float] | None) -> str:
    return "no interval" if ci is None else f"95 % CI {100 * ci[0]:.1f}–{100 * ci[1]:.1f} %"


def _tiles(doc: SatisfactionReportDocument) -> None:
    cols = st.columns(5)
    cols[0].metric("CSAT (overall ≥ 4)", _pct(doc.csat.value))
    cols[0].caption(f"n = {doc.csat.n} · {_ci_pct(doc.csat.ci)}")
    nps = "n/a" if doc.nps.value is None else f"{doc.nps.value:+.0f}"
    cols[1].metric("Net Promoter Score", nps)
    nps_ci = (
        "no interval"
        if doc.nps.ci is None
        else f"95 % CI {doc.nps.ci[0]:+.0f} to {doc.nps.ci[1]:+.0f}"
    )
    cols[1].caption(f"n = {doc.nps.n} · {nps_ci}")
    cols[2].metric("On-time delivery", _pct(doc.on_time_delivery.value))
    cols[2].caption(f"n = {doc.on_time_delivery.n} jobs · {_ci_pct(doc.on_time_delivery.ci)}")
    rate = doc.complaint_rate
    value = "n/a" if rate is None or rate.value is None else f"{rate.value:.2f}"
    cols[3].metric("Complaints per 100 jobs", value)
    if rate is not None and rate.ci is not None:
        cols[3].caption(
            f"{rate.complaints} in n = {rate.jobs} jobs · 95 % CI {rate.ci[0]:.2f}–{rate.ci[1]:.2f}"
        )
    rr = doc.response_rate
    cols[4].metric("Response rate", _pct(None if rr is None else rr.value))
    if rr is not None:
        cols[4].caption(f"n = {rr.n} delivered jobs · {_ci_pct(rr.ci)}")
    t = doc.turnaround_days
    st.caption(
        f"Turnaround: median {t.median:g} days, 90th percentile {t.p90:g} days (n = {t.n})."
        if t.n
        else "Turnaround: no delivered jobs."
    )


def _dimension_chart(doc: SatisfactionReportDocument) -> None:
    rows = [
        {
            "dimension": _DIMENSION_LABELS.get(name, name),
            "mean": d.mean,
            "low": d.ci[0] if d.ci else d.mean,
            "high": d.ci[1] if d.ci else d.mean,
            "n": d.n,
            "top-2-box": _pct(d.top2_share),
        }
        for name, d in doc.dimensions.items()
        if d.mean is not None
    ]
    if not rows:
        st.write("No ratings yet.")
        return
    data = pd.DataFrame(rows)
    base = alt.Chart(data).encode(
        y=alt.Y("dimension:N", title=None),
        tooltip=["dimension", alt.Tooltip("mean:Q", format=".2f"), "n", "top-2-box"],
    )
    bars = base.mark_rule(strokeWidth=3).encode(
        x=alt.X(
            "low:Q", scale=alt.Scale(domain=[1, 5]), title="mean rating (1–5), 95 % t interval"
        ),
        x2="high:Q",
    )
    points = base.mark_point(filled=True, size=90).encode(x="mean:Q")
    st.altair_chart(bars + points, width="stretch")
    st.dataframe(
        data[["dimension", "mean", "low", "high", "n", "top-2-box"]].round(2), hide_index=True
    )


def _control_chart(rows: list[dict[str, Any]], value: str, title: str, y_title: str) -> None:
    charted = [r for r in rows if r.get(value) is not None]
    if not charted:
        st.write("No data.")
        return
    data = pd.DataFrame(charted)
    data["status"] = ["signal" if s else "in control" for s in data["signal"]]
    x = alt.X("period:O", title="month")
    line = (
        alt.Chart(data).mark_line(color="#4c78a8").encode(x=x, y=alt.Y(f"{value}:Q", title=y_title))
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=70)
        .encode(
            x=x,
            y=f"{value}:Q",
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=["in control", "signal"], range=["#4c78a8", "#d62728"]),
            ),
            tooltip=["period", "n", value, "ucl", "center", "method", "signal"],
        )
    )
    ucl = (
        alt.Chart(data)
        .mark_line(interpolate="step-after", strokeDash=[4, 3], color="#d62728")
        .encode(x=x, y="ucl:Q")
    )
    center = alt.Chart(data).mark_line(color="#999999").encode(x=x, y="center:Q")
    st.altair_chart((line + center + ucl + points).properties(title=title), width="stretch")


def _signals(doc: SatisfactionReportDocument) -> None:
    if doc.signals:
        st.dataframe(
            [
                {"rule": s.rule, "month": s.period, "chart": s.chart, "message": s.message}
                for s in doc.signals
            ],
            hide_index=True,
        )
    else:
        st.write("No signals.")


def render() -> None:
    """Draw the satisfaction dashboard for the selected site."""
    user = current_user()
    site_id = current_site_id()
    st.title("Customer satisfaction")
    window = st.selectbox("Period (jobs delivered)", list(_WINDOWS), key="satisfaction_window")
    days = _WINDOWS[window]
    since = None if days is None else today() - dt.timedelta(days=days)
    with db_session() as session:
        kpi = satisfaction_report(session, user, site_id=site_id, since=since)
        trend = satisfaction_report(session, user, site_id=site_id)
        signals = list_signals(session, user)
        responses = list_responses(session, user, site_id=site_id, limit=50)
        recent = [
            {
                "submitted": r.submitted_at.date().isoformat(),
                "job": j.id,
                "overall": r.overall,
                "recommend": r.recommend,
                "may contact": r.may_contact,
                "comment": r.comment,
            }
            for r, j in responses
        ]
    st.caption(
        f"{kpi.responses} responses on jobs delivered in the period; every figure with its n "
        "and 95 % interval (Wilson, adjusted Wald, t, exact Poisson)."
    )
    _tiles(kpi)
    st.subheader("Dimensions")
    _dimension_chart(kpi)
    st.subheader("Trends (limits frozen from the baseline months)")
    left, right = st.columns(2)
    with left:
        _control_chart(
            [p.model_dump() for p in trend.periods],
            "dissatisfied_share",
            "p-chart: share dissatisfied (overall ≤ 2)",
            "share dissatisfied",
        )
    with right:
        _control_chart(
            [p.model_dump() | {"n": p.jobs} for p in trend.complaint_periods],
            "complaints_per_job",
            "u-chart: complaints per delivered job",
            "complaints per job",
        )
    for note in trend.baseline.notes:
        st.caption(note)
    st.subheader("Signals")
    _signals(trend)
    st.subheader("Corrective actions raised")
    if signals:
        st.dataframe(
            [
                {
                    "month": v.signal.period,
                    "rule": v.signal.rule,
                    "scope": v.signal.scope,
                    "nonconformity": v.nonconformity.reference if v.nonconformity else "",
                    "corrective action": v.corrective_action.id if v.corrective_action else None,
                    "status": v.corrective_action.status if v.corrective_action else "",
                    "records": v.signal.data_ids,
                }
                for v in signals
            ],
            hide_index=True,
        )
    else:
        st.write("None yet.")
    if allowed(user.role, Permission.MANAGE_CORRECTIVE_ACTIONS):
        if st.button("Open corrective actions for new signals", key="satisfaction_triggers"):
            with db_session() as session:
                created = evaluate_triggers(session, user, as_of=today(), site_id=site_id)
            st.success(f"{len(created)} new corrective action(s) opened.")
    st.subheader("Recent comments")
    st.dataframe(recent, hide_index=True)  # inert text: cells are never rendered as markup


if __name__ == "__main__":  # run as a Streamlit page script
    render()
