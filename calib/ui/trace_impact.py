"""The "Out-of-tolerance impact" page: what an instrument found out of tolerance has affected.

Analysis is read-only; "Raise nonconformities" (staff and above) records one
nonconformity per impacted certificate with its customer-notification status, and can
be repeated safely (ISO/IEC 17025:2017 6.4.9, 7.10.1).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from calib.permissions import Permission, allowed
from calib.ui.context import current_user, db_session, today
from traceability.service import asset_register, impact

__all__ = ["render"]


def render() -> None:
    """Draw the impact form, the affected certificates and the export."""
    user = current_user()
    st.title("Out-of-tolerance impact")
    st.caption(
        "Every certificate that rests on the instrument since it was last known good, "
        "classified per point and parameter; deeper levels follow the impacted parameters."
    )
    with db_session() as session:
        assets = asset_register(session, user, as_of=today())
    if not assets:
        st.info("No instrument in the register.")
        return
    codes = [a.instrument for a in assets]
    quarantined = [a.instrument for a in assets if a.state == "quarantined"]
    c1, c2, c3 = st.columns(3)
    instrument = c1.selectbox(
        "Instrument",
        codes,
        index=codes.index(quarantined[0]) if quarantined else 0,
        key="trace_impact_instrument",
    )
    default_day = (
        next((a.out_of_service_since for a in assets if a.instrument == instrument), None)
        or today()
    )
    found_on = c2.date_input("Found out of tolerance on", value=default_day, key="trace_impact_on")
    since = c3.selectbox(
        "Window starts at",
        ["last_calibration", "last_passing_check"],
        key="trace_impact_since",
    )
    if not isinstance(found_on, dt.date) or instrument is None:
        return
    record = False
    if allowed(user.role, Permission.RAISE_NONCONFORMITY):
        record = st.button("Raise nonconformities", key="trace_impact_record")
    with db_session() as session:
        report = impact(session, user, instrument, found_on, since=since, record=record)
    if record:
        st.success(f"{report.impacted_count} impacted certificate(s) linked to nonconformities.")
    start = report.window[0] or "first use"
    st.write(f"Window: **{start}** to **{report.window[1]}**")
    m1, m2 = st.columns(2)
    m1.metric("Impacted", report.impacted_count)
    m2.metric("Not impacted", report.not_impacted_count)
    if not report.affected:
        st.success("No certificate used this instrument in the window.")
        return
    frame = pd.DataFrame([row.model_dump() for row in report.affected])
    frame["impacted_points"] = frame["impacted_points"].map(", ".join)
    frame = frame[
        [
            "certificate",
            "depth",
            "impacted",
            "reason",
            "instrument",
            "calibrated_on",
            "via",
            "nonconformity",
            "customer_notified",
        ]
    ]
    st.dataframe(frame, hide_index=True, key="trace_impact_table")
    st.download_button(
        "Export CSV",
        frame.to_csv(index=False).encode("utf-8"),
        file_name=f"impact-{instrument}-{found_on}.csv",
        mime="text/csv",
        key="trace_impact_csv",
    )
    if frame["nonconformity"].notna().any():
        st.caption(
            "Each impacted certificate has its own nonconformity record (ISO/IEC 17025:2017 "
            "7.10); customer_notified is empty when the certificate is internal."
        )


if __name__ == "__main__":  # run as a Streamlit page script
    render()
