"""The "Lab overview" page: jobs this month, on-time delivery, authorisations, CAs."""

from __future__ import annotations

import streamlit as st

from calib.lab import get_lab, lab_overview
from calib.ui.context import current_site_id, current_user, db_session, today

__all__ = ["render"]


def render() -> None:
    """Draw the overview for the selected site."""
    user = current_user()
    with db_session() as session:
        lab = get_lab(session, user)
        data = lab_overview(session, user, as_of=today(), site_id=current_site_id())
    st.title("Lab overview")
    st.caption(f"{lab.name} · as of {data.as_of.isoformat()}")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Jobs received this month", data.jobs_received_this_month)
    c2.metric("Jobs delivered this month", data.jobs_delivered_this_month)
    rate = data.on_time_rate
    c3.metric(
        "On-time delivery (12 months)",
        "n/a" if rate is None else f"{100 * rate:.1f} %",
        help=f"{data.on_time_delivered} of {data.delivered_last_12_months} delivered jobs",
    )
    c4.metric("Open corrective actions", data.open_corrective_actions)
    st.subheader("Authorisations expiring within 60 days")
    if data.expiring_authorisations:
        st.dataframe(
            [
                {
                    "person": a.person,
                    "procedure": a.procedure,
                    "valid until": a.valid_until.isoformat(),
                    "days left": a.days_left,
                }
                for a in data.expiring_authorisations
            ],
            hide_index=True,
        )
    else:
        st.write("None.")
    if data.expired_authorisations:
        st.warning(
            "Expired authorisations: "
            + "; ".join(
                f"{a.person} – {a.procedure} ({a.valid_until})" for a in data.expired_authorisations
            )
        )


if __name__ == "__main__":  # run as a Streamlit page script
    render()
