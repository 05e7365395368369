"""The "Procedures" page: versions and status; managers add, revise and approve (7.2).

A new procedure and a new version start as drafts; approving one sets the date it takes
effect and makes it immutable (``calib.lab.approve_procedure``). The previous approved
version stays in force until then, as the assessment rule
``procedures_approved_and_current`` reads it.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlmodel import Session

from calib.lab import (
    approve_procedure,
    create_procedure,
    list_procedures,
    procedure_in_force,
    revise_procedure,
)
from calib.permissions import Permission, allowed
from calib.records import Procedure
from calib.ui.context import current_user, db_session, today
from calib.ui.lab_common import run_action

__all__ = ["render"]


def _label(p: Procedure) -> str:
    return f"{p.code} v{p.version} · {p.title}"


def _add_form() -> None:
    with st.form("lab_procedures_add_form", clear_on_submit=True):
        st.subheader("Add a procedure (draft v1)")
        c1, c2 = st.columns(2)
        code = c1.text_input("Code (e.g. CP-MAS-02)", key="lab_procedures_add_code")
        quantity = c2.text_input("Quantity (e.g. mass)", key="lab_procedures_add_quantity")
        title = st.text_input("Title", key="lab_procedures_add_title")
        if not st.form_submit_button("Add procedure", key="lab_procedures_add_submit"):
            return

    def action(session: Session) -> str:
        proc = create_procedure(session, current_user(), code=code, title=title, quantity=quantity)
        label = _label(proc)
        return f"Added {label} (draft)"

    run_action(action)


def _revise_form(latest: list[Procedure]) -> None:
    options = {_label(p): int(p.id or 0) for p in latest if p.status == "approved"}
    st.subheader("Start a new version")
    if not options:
        st.info("No approved procedure to revise.")
        return
    with st.form("lab_procedures_revise_form", clear_on_submit=True):
        chosen = st.selectbox("Procedure", list(options), key="lab_procedures_revise_choice")
        title = st.text_input("New title (blank: unchanged)", key="lab_procedures_revise_title")
        if not st.form_submit_button("Create draft version", key="lab_procedures_revise_submit"):
            return

    def action(session: Session) -> str:
        proc = revise_procedure(
            session, current_user(), options.get(str(chosen), 0), title=title or None
        )
        label = _label(proc)
        return f"Created {label} (draft)"

    run_action(action)


def _approve_form(procedures: list[Procedure]) -> None:
    drafts = {_label(p): int(p.id or 0) for p in procedures if p.status == "draft"}
    st.subheader("Approve a draft")
    if not drafts:
        st.info("No draft waiting for approval.")
        return
    with st.form("lab_procedures_approve_form", clear_on_submit=True):
        chosen = st.selectbox("Draft", list(drafts), key="lab_procedures_approve_choice")
        day = st.date_input("Effective from", value=today(), key="lab_procedures_approve_from")
        if not st.form_submit_button("Approve", key="lab_procedures_approve_submit"):
            return

    def action(session: Session) -> str:
        proc = approve_procedure(
            session, current_user(), drafts.get(str(chosen), 0), effective_from=day
        )
        label = _label(proc)
        return f"Approved {label}, effective from {day}"

    run_action(action)


def _latest(procedures: list[Procedure]) -> list[Procedure]:
    latest: dict[str, Procedure] = {}
    for p in procedures:
        if p.code not in latest or latest[p.code].version < p.version:
            latest[p.code] = p
    return list(latest.values())


def _table(as_of: dt.date) -> None:
    user = current_user()
    with db_session() as session:
        procedures = list_procedures(session, user)
        rows = [
            {
                "id": p.id,
                "code": p.code,
                "version": p.version,
                "status": p.status,
                "effective from": str(p.effective_from or ""),
                "supersedes": str(p.supersedes_id or ""),
                "title": p.title,
                "quantity": p.quantity,
                f"usable on {as_of}": procedure_in_force(session, p, as_of) or "yes",
            }
            for p in procedures
        ]
    st.dataframe(rows, hide_index=True, key="lab_procedures_list")


def render() -> None:
    """Draw the forms (managers) and the procedure versions."""
    user = current_user()
    st.title("Procedures")
    st.caption(
        "Calibration procedures and their versions (ISO/IEC 17025:2017 7.2.1). An approved "
        "version cannot change: a revision is a new version."
    )
    if allowed(user.role, Permission.MANAGE_LAB):
        with st.expander("Add, revise or approve"):
            _add_form()
            with db_session() as session:
                procedures = list_procedures(session, user)
            _revise_form(_latest(procedures))
            if allowed(user.role, Permission.APPROVE_RECORDS):
                with db_session() as session:
                    procedures = list_procedures(session, user)
                _approve_form(procedures)
    as_of = st.date_input("As of", value=today(), key="lab_procedures_as_of")
    _table(as_of)


if __name__ == "__main__":  # run as a Streamlit page script
    render()
