"""The "Asset register" page: lab instruments with due, overdue and quarantined lists.

ISO/IEC 17025:2017 6.4.13 (equipment records), 6.4.7 (calibration programme), 6.4.9
(equipment taken out of service). Read-only for every role.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import streamlit as st

from calib.lab import list_sites
from calib.ui.context import current_site_id, current_user, db_session, today
from traceability.service import asset_register

__all__ = ["render"]

_COLOURS = {
    "overdue": "#c62828",
    "quarantined": "#c62828",
    "due_soon": "#ef6c00",
    "never_calibrated": "#ef6c00",
    "current": "#2e7d32",
    "retired": "#757575",
}
_COLUMNS = [
    "instrument",
    "description",
    "role",
    "site",
    "state",
    "last_certificate",
    "calibrated_on",
    "due",
    "days_to_due",
    "out_of_service_since",
    "out_of_service_reason",
]


def _colour(text: object) -> str:
    colour = _COLOURS.get(str(text))
    return f"color: {colour}; font-weight: 600" if colour else ""


def render() -> None:
    """Draw the asset register and its due / overdue / quarantined lists."""
    user = current_user()
    st.title("Asset register")
    st.caption(
        "Reference standards, check standards and working instruments with their calibration "
        "state on the chosen date (ISO/IEC 17025:2017 6.4.7, 6.4.9, 6.4.13)."
    )
    c1, c2 = st.columns(2)
    as_of = c1.date_input("State on", value=today(), key="trace_assets_as_of")
    within = c2.number_input(
        "Due soon: within days", min_value=1, max_value=365, value=30, key="trace_assets_within"
    )
    with db_session() as session:
        sites = {s.id: s.code for s in list_sites(session, user)}
        site_id = current_site_id()
        rows = asset_register(
            session,
            user,
            as_of=as_of,
            due_within_days=int(within),
            site=sites.get(site_id) if site_id is not None else None,
        )
    if not rows:
        st.info("No instrument in the register (import one with `calib trace import`).")
        return
    frame = pd.DataFrame([asdict(r) for r in rows])[_COLUMNS]
    counts = frame["state"].value_counts()
    m = st.columns(4)
    m[0].metric("Instruments", len(frame))
    m[1].metric("Due soon", int(counts.get("due_soon", 0)))
    m[2].metric("Overdue", int(counts.get("overdue", 0)))
    m[3].metric("Quarantined", int(counts.get("quarantined", 0)))
    tabs = st.tabs(["All", "Due soon", "Overdue", "Quarantined"])
    for tab, state in zip(tabs, (None, "due_soon", "overdue", "quarantined"), strict=True):
        shown = frame if state is None else frame[frame["state"] == state]
        with tab:
            if shown.empty:
                st.success("None.")
            else:
                st.dataframe(
                    shown.style.map(_colour, subset=["state"]),
                    hide_index=True,
                    key=f"trace_assets_{state or 'all'}",
                )


if __name__ == "__main__":  # run as a Streamlit page script
    render()
