"""Findings: assessors raise, the lab responds, assessors verify and close (all audited).

A major or minor finding opens (or links) a nonconformity of the lab's quality
system; managers open its corrective action and record the effectiveness check
here, and the finding closes once that check is recorded (or with a reason why
not). ISO/IEC 17025:2017 8.7.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session, today
from uncertainty.errors import CalibError

if TYPE_CHECKING:
    from sqlmodel import Session

    from calib.assessment.findings import FindingLink
    from calib.assessment.records import Finding


def _raise_form() -> None:
    from calib.assessment import load_catalogue
    from calib.assessment.findings import raise_finding
    from calib.assessment.records import FINDING_GRADES
    from calib.quality import list_nonconformities

    catalogue = load_catalogue()
    with db_session() as session:
        open_ncs = {
            int(nc.id or 0): f"{nc.reference} · {nc.description[:60]}"
            for nc in list_nonconformities(session, current_user(), status="open")
        }
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
        nc_choice = st.selectbox(
            "Nonconformity (major/minor): blank opens a new one",
            list(open_ncs), format_func=lambda i: open_ncs[int(i)], index=None,
            key="finding_raise_nc",
        )  # fmt: skip
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
                        nonconformity_id=None if nc_choice is None else int(nc_choice),
                    )
                st.success(f"{finding.reference} raised")
            except CalibError as exc:
                st.error(str(exc))


def _corrective_action(finding: Finding, link: FindingLink) -> None:
    """The finding's nonconformity; its corrective action and effectiveness check."""
    from calib.assessment.findings import NONCONFORMITY_GRADES, link_finding_to_nonconformity
    from calib.quality import open_corrective_action, record_effectiveness

    user = current_user()
    fid = int(finding.id or 0)
    if link.nonconformity is None:
        can_link = allowed(user.role, Permission.ADD_FINDINGS) or allowed(
            user.role, Permission.RAISE_NONCONFORMITY
        )
        if finding.grade in NONCONFORMITY_GRADES and can_link:
            st.warning("This finding has no nonconformity in the quality system yet.")
            if st.button("Open a nonconformity for this finding", key="finding_link_nc"):
                _run(lambda s: link_finding_to_nonconformity(s, user, fid, linked_on=today()))
        return
    nc = link.nonconformity
    st.markdown(f"**Nonconformity** {link.summary()}")
    for ca in link.corrective_actions:
        st.caption(
            f"CA {ca.id} ({ca.status}): cause: {ca.root_cause}; actions: {ca.actions}"
            + (f"; effective: {ca.effectiveness_check}" if ca.effectiveness_check else "")
        )
    if not allowed(user.role, Permission.MANAGE_CORRECTIVE_ACTIONS) or nc.status == "closed":
        return
    with st.form("finding_ca_form", clear_on_submit=True):
        st.markdown("**Open a corrective action** (ISO/IEC 17025:2017 8.7.1)")
        cause = st.text_input("Root cause", key="finding_ca_cause")
        actions = st.text_input("Actions", key="finding_ca_actions")
        if st.form_submit_button("Open corrective action"):
            _run(
                lambda s: open_corrective_action(
                    s, user, int(nc.id or 0), opened_on=today(), root_cause=cause, actions=actions
                )
            )
    pending = [ca for ca in link.corrective_actions if ca.effectiveness_verified_on is None]
    if pending:
        with st.form("finding_effect_form", clear_on_submit=True):
            st.markdown("**Record the effectiveness check** (8.7.1 e)")
            ca_id = st.selectbox("Corrective action", [ca.id for ca in pending], key="finding_ca")
            check = st.text_input("How effectiveness was verified", key="finding_ca_check")
            if st.form_submit_button("Record effectiveness"):
                _run(
                    lambda s: record_effectiveness(
                        s, user, int(ca_id or 0), check=check, verified_on=today()
                    )
                )


def _run(action: Callable[[Session], object]) -> None:
    """One write in one transaction; rerun to show it, or show the error."""
    try:
        with db_session() as session:
            action(session)
    except CalibError as exc:
        st.error(str(exc))
        return
    st.rerun()


def render() -> None:
    """The findings page."""
    from calib.assessment.findings import (
        close_finding,
        finding_links,
        list_findings,
        respond_to_finding,
        verify_finding,
    )

    st.title("Findings")
    user = current_user()
    with db_session() as session:
        findings = list_findings(session, user, site_id=current_site_id())
        links = finding_links(session, user, findings)
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
                        "Nonconformity": links[int(f.id or 0)].summary(),
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
    _corrective_action(finding, links[int(chosen or 0)])
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
            reason = ""
            if finding.grade != "observation" and links[int(chosen or 0)].effective_action is None:
                reason = st.text_area(
                    "No corrective action is verified effective: why close now?",
                    key="finding_close_reason",
                )
            if st.button("Close finding", key="finding_close"):
                with db_session() as session:
                    close_finding(
                        session, user, int(chosen or 0), closed_on=today(), justification=reason
                    )
                st.rerun()
    except CalibError as exc:
        st.error(str(exc))


if __name__ == "__main__":
    render()
