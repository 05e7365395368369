"""Findings: assessors raise, the lab responds, assessors verify and close (all audited)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session, today
from uncertainty.errors import CalibError


def _raise_form() -> None:
    from calib.assessment import load_catalogue
    from calib.assessment.findings import raise_finding
    from calib.assessment.records import FINDING_GRADES

    catalogue = load_catalogue()
    with st.form("finding_raise", clear_on_submit=True):
        st.markdown("**Raise a finding**")
        requirement = st.selectbox(
            "Requirement",
            [r.id for r in catalogue.requirements],
            format_func=lambda i: f"{i} · {catalogue.get(i).title} ({catalogue.get(i).clause})",
        )
        grade = st.selectbox("Grade", FINDING_GRADES)
        statement = st.text_area("Statement")
        evidence = st.text_input("Evidence (record references, comma separated)", "")
        due = st.date_input("Due", value=None)
        if st.form_submit_button("Raise finding"):
            try:
                with db_session() as session:
                    finding = raise_finding(
                        session,
                        current_user(),
                        requirement_id=requirement,
                        grade=grade,
                        statement=statement,
                        raised_on=today(),
                        site_id=current_site_id(),
                        evidence_refs=[e for e in evidence.split(",") if e.strip()],
                        due_on=due,
                    )
                st.success(f"{finding.reference} raised")
            except CalibError as exc:
                st.error(str(exc))


def render() -> None:
    """The findings page."""
    from calib.assessment.findings import (
        close_finding,
        list_findings,
        respond_to_finding,
        verify_finding,
    )

    st.title("Findings")
    user = current_user()
    with db_session() as session:
        findings = list_findings(session, user, site_id=current_site_id())
    if findings:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Reference": f.reference,
                        "Requirement": f.requirement_id,
                        "Clause": f.clause,
                        "Grade": f.grade,
                        "Status": f.status,
                        "Raised": f.raised_on,
                        "Due": f.due_on,
                        "Statement": f.statement,
                        "Response": f.response,
                        "Verification": f.verification,
                    }
                    for f in findings
                ]
            ),
            hide_index=True,
            key="findings_table",
        )
    else:
        st.info("No findings.")
    can_raise = allowed(user.role, Permission.ADD_FINDINGS)
    can_respond = allowed(user.role, Permission.EDIT_RECORDS)
    if can_raise:
        _raise_form()
    open_ones = [f for f in findings if f.status != "closed"]
    if not open_ones:
        return
    chosen = st.selectbox(
        "Finding",
        [f.id for f in open_ones],
        format_func=lambda i: next(f"{f.reference} ({f.status})" for f in open_ones if f.id == i),
        key="finding_selected",
    )
    finding = next(f for f in open_ones if f.id == chosen)
    st.write(f"**{finding.reference}** · {finding.grade} · {finding.clause}: {finding.statement}")
    if finding.evidence_refs:
        st.caption("Evidence: " + ", ".join(finding.evidence_refs.splitlines()))
    try:
        if can_respond and finding.status in ("open", "responded"):
            text = st.text_area("Lab response", value=finding.response, key="finding_response")
            if st.button("Save response", key="finding_respond"):
                with db_session() as session:
                    respond_to_finding(
                        session, user, int(chosen or 0), response=text, responded_on=today()
                    )
                st.rerun()
        if can_raise and finding.status == "responded":
            text = st.text_area("Verification", key="finding_verification")
            if st.button("Record verification", key="finding_verify"):
                with db_session() as session:
                    verify_finding(
                        session, user, int(chosen or 0), verification=text, verified_on=today()
                    )
                st.rerun()
        if can_raise and finding.status == "verified":
            if st.button("Close finding", key="finding_close"):
                with db_session() as session:
                    close_finding(session, user, int(chosen or 0), closed_on=today())
                st.rerun()
    except CalibError as exc:
        st.error(str(exc))


if __name__ == "__main__":
    render()
