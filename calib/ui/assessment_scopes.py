"""Scopes: the controlled vocabulary, rendered master and site certificates, the consistency
report, and the certification cycle timeline.

The report date (default today) drives ``scope_state(as_of=...)``: certificates valid that
day are judged, the others (expired, or not yet valid) are listed under "History".
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import altair as alt
import pandas as pd
import streamlit as st

from calib.permissions import Permission, allowed
from calib.ui.context import current_user, db_session, today

if TYPE_CHECKING:
    from calib.assessment.scopes import Certificate

_STATE_COLOURS = {"done": "#2e7d32", "due": "#f9a825", "overdue": "#c62828", "upcoming": "#90a4ae"}


def validity(certificate: Certificate, as_of: dt.date) -> str:
    """``valid until D``, ``expired on D`` or ``valid from D`` on the report date."""
    if certificate.issued_on is not None and as_of < certificate.issued_on:
        return f"valid from {certificate.issued_on}"
    if certificate.valid_until is not None and certificate.valid_until < as_of:
        return f"expired on {certificate.valid_until}"
    return "valid" if certificate.valid_until is None else f"valid until {certificate.valid_until}"


def render() -> None:
    """The scopes and certification page."""
    from calib.assessment.certification import scope_state
    from calib.assessment.cycle_service import current_cycle
    from calib.assessment.scopes import render_line

    st.title("Scopes")
    user = current_user()
    can_manage = allowed(user.role, Permission.MANAGE_LAB)
    if can_manage:
        from calib.ui.assessment_scope_setup import scope_forms

        with st.expander("Set up scope lines, site scopes and certificates"):
            scope_forms()
    as_of = st.date_input("Report date", value=today(), key="scopes_as_of")
    if not isinstance(as_of, dt.date):
        as_of = today()
    with db_session() as session:
        state = scope_state(session, user, as_of=as_of)
        cycle = current_cycle(session, user, as_of=today())
    st.subheader("Scope vocabulary")
    st.dataframe(
        pd.DataFrame(
            [
                {"Line": line.id, "Wording": render_line(line),
                 "Sites": ", ".join(s for s, ids in state.site_scopes.items() if line.id in ids)}
                for line in state.lines
            ]
        ),
        hide_index=True,
        key="scopes_vocabulary",
    )  # fmt: skip
    st.subheader("Certificates")
    by_id = {c.id: c for c in state.certificates}
    history = set(state.report.history)
    for rendered in state.rendered:
        if rendered.certificate_id in history:
            continue
        kind = "Master certificate" if rendered.master_id is None else "Site certificate"
        site = state.site_names.get(rendered.site_id, rendered.site_id)
        status = validity(by_id[rendered.certificate_id], as_of)
        with st.expander(f"{kind} {rendered.certificate_id} · {site} · {status}"):
            if rendered.master_id:
                st.write(f"Cites the master certificate **{rendered.master_id}**.")
            st.markdown("**This Certificate is applicable for the following scope of activity**")
            st.markdown("\n".join(f"- {text}" for text in rendered.scope_of_certification))
            st.markdown("**At this location**")
            st.markdown("\n".join(f"- {text}" for text in rendered.at_this_location) or "-")
    if history:
        with st.expander(f"History: {len(history)} certificate(s) not valid on {as_of}"):
            st.caption("Kept for the record; the consistency report does not judge them.")
            st.dataframe(
                pd.DataFrame(
                    [
                        {"Certificate": c.id, "Kind": c.kind,
                         "Site": state.site_names.get(c.site_id, c.site_id),
                         "Cites": c.master_id or "", "Status": validity(c, as_of)}
                        for c in state.certificates
                        if c.id in history
                    ]
                ),
                hide_index=True,
                key="scopes_history",
            )  # fmt: skip
    elif not state.rendered:
        st.info("No certificate recorded.")
    st.subheader("Consistency report (IECQ 03-1:2023 5.2, 8.1.4, Annex D)")
    st.caption(f"Judges the certificates valid on {as_of}.")
    if state.report.ok:
        st.success(
            "Consistent: every site listed and linked, unambiguous wording, identical scope."
        )
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {"Code": i.code, "Clause": i.clause, "Message": i.message}
                    for i in state.report.issues
                ]
            ),
            hide_index=True,
            key="scopes_issues",
        )
    st.subheader("Certification cycle")
    if can_manage:
        from calib.ui.assessment_scope_setup import cycle_forms

        with st.expander("Record the certification cycle"):
            cycle_forms(None if cycle is None else int(cycle[0].id or 0))
        with db_session() as session:  # re-read: a step just recorded shows at once
            cycle = current_cycle(session, user, as_of=today())
    if cycle is None:
        st.info("No certification cycle recorded.")
        return
    record, timeline = cycle
    st.caption(
        f"{record.certification_body} · {record.standards} · certified {timeline.certified_on}, "
        f"valid until {timeline.valid_until} ({'valid' if timeline.valid else 'NOT valid'} today)"
    )
    frame = pd.DataFrame(
        [
            {"Step": s.title, "Due": pd.Timestamp(s.due), "Done": s.done_on, "State": s.state}
            for s in timeline.steps
        ]
    )
    chart = (
        alt.Chart(frame)
        .mark_circle(size=160)
        .encode(
            x=alt.X("Due:T", title="due"),
            y=alt.Y("Step:N", sort=None, title=None),
            color=alt.Color(
                "State:N",
                scale=alt.Scale(domain=list(_STATE_COLOURS), range=list(_STATE_COLOURS.values())),
            ),
            tooltip=["Step", "Due", "Done", "State"],
        )
    )
    st.altair_chart(chart, use_container_width=True)
    st.dataframe(frame.astype(str), hide_index=True, key="scopes_cycle")


if __name__ == "__main__":
    render()
