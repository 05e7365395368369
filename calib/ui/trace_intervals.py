"""The "Calibration intervals" page: staircase and drift recommendations with the history chart.

Recommendations only (ILAC G24:2007 / OIML D 10:2007): nothing is changed here.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from calib.ui.context import current_user, db_session, today
from traceability.service import as_found_series, asset_register, interval_report

__all__ = ["render"]


def render() -> None:
    """Draw the recommendations and the as-found history chart of one instrument."""
    user = current_user()
    st.title("Calibration intervals")
    st.caption(
        "ILAC G24:2007 / OIML D 10:2007: method 1 (staircase) and method 2 (drift / control "
        "chart) from the as-found history. Recommendations are never applied automatically."
    )
    with db_session() as session:
        assets = asset_register(session, user, as_of=today())
    if not assets:
        st.info("No instrument in the register.")
        return
    codes = [a.instrument for a in assets]
    instrument = st.selectbox("Instrument", codes, key="trace_intervals_instrument")
    if instrument is None:
        return
    with db_session() as session:
        report = interval_report(session, user, instrument)
        series = as_found_series(session, user, instrument)
    current = report.current_interval_months
    st.metric("Current interval", f"{current:.1f} months" if current else "unknown")
    for rec in report.recommendations:
        months = f"{rec.interval_months:.1f} months" if rec.interval_months else "no recommendation"
        with st.container(border=True):
            st.markdown(f"**{rec.method}**: {months}  \n{rec.clause}")
            st.caption(rec.reasoning)
    if not series:
        st.info("No as-found or as-left errors recorded for this instrument.")
        return
    frame = pd.DataFrame(series)
    points = sorted(frame["point"].unique())
    if len(points) > 1:
        chosen = st.selectbox("Point", points, key="trace_intervals_point")
        frame = frame[frame["point"] == chosen]
    frame["calibrated_on"] = pd.to_datetime(frame["calibrated_on"])
    long = frame.melt(
        id_vars=["certificate", "calibrated_on", "point", "unit", "tolerance"],
        value_vars=["as_found_error", "as_left_error"],
        var_name="error",
        value_name="value",
    ).dropna(subset=["value"])
    base = alt.Chart(long).encode(
        x=alt.X("calibrated_on:T", title="calibrated on"),
        y=alt.Y("value:Q", title="error"),
        color=alt.Color("error:N"),
        tooltip=["certificate", "point", "error", "value", "tolerance"],
    )
    chart = base.mark_line(point=True)
    limits = frame.dropna(subset=["tolerance"])
    if not limits.empty:
        bands = pd.concat(
            [
                limits.assign(limit=limits["tolerance"], side="upper"),
                limits.assign(limit=-limits["tolerance"], side="lower"),
            ]
        )
        rule = (
            alt.Chart(bands)
            .mark_line(strokeDash=[4, 4], color="#c62828")
            .encode(x="calibrated_on:T", y="limit:Q", detail="side:N")
        )
        chart = chart + rule
    st.altair_chart(chart, key="trace_intervals_chart")
    st.dataframe(frame, hide_index=True, key="trace_intervals_history")


if __name__ == "__main__":  # run as a Streamlit page script
    render()
