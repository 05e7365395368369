"""The "Feedback invitations" page: delivered jobs whose customer has no link yet.

Staff create single-use links for the listed jobs (only each token's hash is
stored, so a link is shown once, right after it is created), send them to the
customer and mark them as sent. An unsent link can be issued again: the old one
stops working.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session
from satisfaction.service import create_pending_invitations, mark_sent, pending_invitations
from uncertainty.errors import CalibError

__all__ = ["render"]

LINKS_KEY = "satisfaction_new_links"


def render() -> None:
    """Draw the pending invitations and the links just created."""
    user = current_user()
    st.title("Feedback invitations")
    st.caption(
        "Delivered jobs of the last 90 days without a response and without a sent link "
        "(ISO/IEC 17025:2017 8.6.2: seek feedback from customers)."
    )
    now = dt.datetime.now(dt.UTC)
    with db_session() as session:
        pending = pending_invitations(session, user, now=now, site_id=current_site_id())
    can_edit = allowed(user.role, Permission.EDIT_RECORDS)
    new_links: list[dict[str, object]] = st.session_state.get(LINKS_KEY, [])
    if new_links:
        st.subheader("Links created now: send each to its customer")
        st.caption("Each link is shown only once and works once; copy it now.")
        st.dataframe(new_links, hide_index=True)
        ids = [int(str(row["invitation"])) for row in new_links]
        if can_edit and st.button("Mark these links as sent", key="satisfaction_mark_sent"):
            try:
                with db_session() as session:
                    for invitation_id in ids:
                        mark_sent(session, user, invitation_id, dt.datetime.now(dt.UTC))
            except CalibError as exc:
                st.error(str(exc))
            else:
                st.session_state.pop(LINKS_KEY, None)
                st.rerun()
    st.subheader(f"Pending ({len(pending)})")
    if not pending:
        st.write("Every delivered job has a link out with its customer or an answer.")
        return
    st.dataframe(
        [
            {
                "job": p.job_id,
                "customer": p.customer,
                "e-mail": p.contact_email,
                "certificate": p.certificate_number or "",
                "delivered": p.delivered_on.isoformat(),
                "link": "created, not sent" if p.invitation_id else "none",
            }
            for p in pending
        ],
        hide_index=True,
    )
    if can_edit and st.button(
        f"Create links for {len(pending)} job(s)", key="satisfaction_create_links"
    ):
        try:
            with db_session() as session:
                created = create_pending_invitations(
                    session, user, now=dt.datetime.now(dt.UTC), site_id=current_site_id()
                )
                rows: list[dict[str, object]] = [
                    {
                        "invitation": p.invitation_id,
                        "job": p.job_id,
                        "customer": p.customer,
                        "e-mail": p.contact_email,
                        "link": url,
                        "valid until": p.expires_at.date().isoformat() if p.expires_at else "",
                    }
                    for p, url in created
                ]
        except CalibError as exc:
            st.error(str(exc))
            return
        st.session_state[LINKS_KEY] = rows
        st.rerun()


if __name__ == "__main__":  # run as a Streamlit page script
    render()
