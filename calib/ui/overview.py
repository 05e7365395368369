"""The "Lab overview" page: jobs this month, on-time delivery, authorisations, CAs.

In a database without a lab (a real lab after ``calib db upgrade``, no demo) it shows
admins and managers the set-up form (the lab and its master site) instead.
"""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from calib.lab import lab_overview
from calib.lab_setup import create_lab, create_site, find_lab
from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session, today
from calib.ui.lab_common import run_action

__all__ = ["render"]


def _setup_form() -> None:
    """The lab and its master site in one transaction (ISO/IEC 17025:2017 5.1)."""
    user = current_user()
    st.info("This database has no lab yet. Set it up: the lab, then its master site.")
    with st.form("overview_setup_form"):
        values = {
            "name": st.text_input("Lab name", key="overview_setup_name"),
            "legal_entity": st.text_input("Legal entity", key="overview_setup_legal_entity"),
            "accreditation_body": st.text_input(
                "Accreditation body", key="overview_setup_accreditation_body"
            ),
            "accreditation_number": st.text_input(
                "Accreditation number", key="overview_setup_accreditation_number"
            ),
        }
        site_code = st.text_input("Master site code (e.g. MAIN)", key="overview_setup_site_code")
        site_name = st.text_input("Master site name", key="overview_setup_site_name")
        if not st.form_submit_button("Set up the lab", key="overview_setup_submit"):
            return

    def action(session: Session) -> str:
        lab = create_lab(session, user, **values)
        site = create_site(session, user, code=site_code, name=site_name)
        return f"Set up {lab.name} with master site {site.code}; add more on Lab & sites."

    if run_action(action):
        st.button("Open the overview", key="overview_setup_done")


def render() -> None:
    """Draw the overview for the selected site (or the set-up form before there is a lab)."""
    user = current_user()
    with db_session() as session:
        lab = find_lab(session, user)
    if lab is None:
        st.title("Lab overview")
        if allowed(user.role, Permission.MANAGE_LAB):
            _setup_form()
        else:
            st.info("This database has no lab yet: an admin or a manager sets it up here.")
        return
    with db_session() as session:
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
