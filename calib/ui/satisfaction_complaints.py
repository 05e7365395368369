"""The "Complaints" board: the ISO/IEC 17025:2017 7.9 workflow, one step at a time.

Columns by status (received, acknowledged, validated, investigated, outcome
approved, closed); pick a complaint to see its record and the next step. The
outcome approval is refused for anyone who performed or authorised the job
(7.9.6). Complaint texts are shown as inert text (``st.text``), never as markup.
"""

from __future__ import annotations

import streamlit as st

from calib.complaints import (
    acknowledge_complaint,
    approve_outcome,
    close_complaint,
    investigate_complaint,
    link_quality_records,
    list_complaints,
    record_complaint,
    validate_complaint,
)
from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session, today
from satisfaction.records import COMPLAINT_STATUSES, Complaint
from uncertainty.errors import CalibError

__all__ = ["render"]

_TITLES = {
    "received": "Received",
    "acknowledged": "Acknowledged",
    "validated": "Validated",
    "investigated": "Investigated",
    "outcome_approved": "Outcome approved",
    "closed": "Closed",
}


def _details(c: Complaint) -> None:
    st.markdown(f"**{c.reference}** · status **{_TITLES[c.status]}** · received {c.received_on}")
    st.caption(f"job {c.job_id or '–'} · source {c.source}")
    st.text(c.description)
    steps = [
        ("Acknowledged", c.acknowledged_on, c.acknowledged_by, ""),
        (
            "Validated",
            c.validated_on,
            c.validated_by,
            ""
            if c.is_valid is None
            else ("valid: " if c.is_valid else "not valid: ") + c.validation_note,
        ),
        ("Investigated", c.investigated_on, c.investigated_by, c.investigation),
        ("Outcome approved", c.outcome_approved_on, c.outcome_approved_by, c.outcome),
        ("Closed", c.closed_on, c.closed_by, c.closure_notice),
    ]
    st.dataframe(
        [
            {"step": s, "on": "" if d is None else d.isoformat(), "by": b or "", "note": n}
            for s, d, b, n in steps
        ],
        hide_index=True,
    )
    if c.nonconformity_id:
        st.caption(
            f"nonconformity {c.nonconformity_id}"
            + (f", corrective action {c.corrective_action_id}" if c.corrective_action_id else "")
        )


def _next_step(c: Complaint) -> None:
    user = current_user()
    cid = int(c.id or 0)
    day = today()
    with st.form(f"complaint_step_{cid}"):
        if c.status == "received":
            st.write("Acknowledge receipt to the complainant (7.9.5).")
            label = "Acknowledge"
        elif c.status == "acknowledged":
            valid = st.radio(
                "Does the complaint relate to the lab's activities?",
                ["valid", "not valid"],
                index=None,
                key=f"complaint_valid_{cid}",
            )
            note = st.text_input("Validation note", key=f"complaint_note_{cid}")
            label = "Record validation"
        elif c.status == "validated":
            findings = st.text_area("Investigation findings", key=f"complaint_findings_{cid}")
            proposal = st.text_area("Proposed outcome", key=f"complaint_proposal_{cid}")
            label = "Record investigation"
        elif c.status == "investigated":
            st.write("Approve the outcome (someone not involved in the job, 7.9.6).")
            st.text(c.outcome)
            label = "Approve outcome"
        else:
            notice = st.text_area(
                "Closure notice sent to the customer", key=f"complaint_notice_{cid}"
            )
            label = "Close complaint"
        submitted = st.form_submit_button(label)
    if not submitted:
        return
    try:
        with db_session() as session:
            if c.status == "received":
                acknowledge_complaint(session, user, cid, on=day)
            elif c.status == "acknowledged":
                if valid is None:
                    st.error("Does the complaint relate to the lab's activities?: please answer")
                    return
                validate_complaint(session, user, cid, on=day, valid=valid == "valid", note=note)
            elif c.status == "validated":
                investigate_complaint(
                    session, user, cid, on=day, findings=findings, proposed_outcome=proposal
                )
            elif c.status == "investigated":
                approve_outcome(session, user, cid, on=day)
            else:
                close_complaint(session, user, cid, on=day, closure_notice=notice)
    except CalibError as exc:
        st.error(str(exc))
        return
    st.rerun()


def _link_quality(c: Complaint) -> None:
    user = current_user()
    if c.nonconformity_id or not allowed(user.role, Permission.RAISE_NONCONFORMITY):
        return
    cid = int(c.id or 0)
    with st.expander("Raise a nonconformity / corrective action"):
        with st.form(f"complaint_nc_{cid}"):
            description = st.text_input("Nonconformity", key=f"complaint_nc_text_{cid}")
            root_cause = st.text_input(
                "Root cause (opens a corrective action)", key=f"complaint_rc_{cid}"
            )
            actions = st.text_input("Actions", key=f"complaint_actions_{cid}")
            submitted = st.form_submit_button("Raise")
        if submitted:
            try:
                with db_session() as session:
                    link_quality_records(
                        session,
                        user,
                        cid,
                        on=today(),
                        description=description,
                        root_cause=root_cause or None,
                        actions=actions or None,
                    )
            except CalibError as exc:
                st.error(str(exc))
                return
            st.rerun()


def _new_complaint() -> None:
    user = current_user()
    if not allowed(user.role, Permission.EDIT_RECORDS):
        return
    with st.expander("Record a complaint (telephone, e-mail, letter)"):
        with st.form("complaint_new"):
            job = st.number_input("Job id (optional)", min_value=0, step=1, key="complaint_job")
            description = st.text_area("What the customer reported", key="complaint_text")
            submitted = st.form_submit_button("Record complaint")
        if submitted:
            try:
                with db_session() as session:
                    record_complaint(
                        session,
                        user,
                        received_on=today(),
                        description=description,
                        job_id=int(job) or None,
                        site_id=current_site_id(),
                    )
            except CalibError as exc:
                st.error(str(exc))
                return
            st.rerun()


def render() -> None:
    """Draw the complaints board."""
    user = current_user()
    st.title("Complaints")
    st.caption(
        "ISO/IEC 17025:2017 7.9: received → acknowledged → validated → investigated → outcome approved → closed"
    )
    with db_session() as session:
        complaints = list_complaints(session, user, site_id=current_site_id())
    cols = st.columns(len(COMPLAINT_STATUSES))
    for col, status in zip(cols, COMPLAINT_STATUSES, strict=True):
        col.metric(_TITLES[status], sum(c.status == status for c in complaints))
    _new_complaint()
    if not complaints:
        st.write("No complaints.")
        return
    st.dataframe(
        [
            {
                "reference": c.reference,
                "received": c.received_on.isoformat(),
                "status": _TITLES[c.status],
                "job": c.job_id,
                "source": c.source,
                "description": c.description,
            }
            for c in complaints
        ],
        hide_index=True,
    )
    by_ref = {c.reference: c for c in complaints}
    open_first = sorted(complaints, key=lambda c: (c.status == "closed", c.received_on))
    chosen = st.selectbox(
        "Complaint",
        [c.reference for c in open_first],
        key="complaint_selected",
        format_func=lambda ref: f"{ref} – {_TITLES[by_ref[ref].status]}",
    )
    complaint = by_ref[chosen]
    _details(complaint)
    if complaint.status != "closed" and allowed(user.role, Permission.EDIT_RECORDS):
        _next_step(complaint)
        _link_quality(complaint)


if __name__ == "__main__":  # run as a Streamlit page script
    render()
