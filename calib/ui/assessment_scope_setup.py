"""Set-up forms of the Scopes page (managers: ``manage_lab``).

Scope lines of the controlled vocabulary, site scopes (lines by id), master and
site certificates (no scope text: rendered from the lines), the certification
cycle, its steps and surveillance visits. Every form calls one service; the
services validate, check the role again and write through the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from calib.ui.context import current_user, db_session, today
from uncertainty.errors import CalibError, InvalidInputError

__all__ = ["cycle_forms", "scope_forms"]


def _number(text: str, field: str) -> float:
    """The number typed in a box, or an error naming ``field``."""
    try:
        return float(text.replace(",", "."))
    except ValueError as exc:
        raise InvalidInputError(f"{field} must be a number, got {text!r}", field=field) from exc


def _submit(action: Callable[[], str]) -> None:
    """Run one form's service call; show what it stored or the error (nothing stored)."""
    try:
        st.success(action())
    except CalibError as exc:
        st.error(str(exc))


def _line_form(procedures: dict[int, str]) -> None:
    from calib.assessment.certification import add_scope_line

    with st.form("scope_line_form", clear_on_submit=True):
        st.markdown("**Add a scope line**")
        left, right = st.columns([1, 3])
        code = left.text_input("Code (e.g. SL-ELE-02)", key="scope_new_code")
        measurand = right.text_input("Measurand", key="scope_new_measurand")
        c1, c2, c3 = st.columns(3)
        low = c1.text_input("Range from", key="scope_new_low")
        high = c2.text_input("Range to", key="scope_new_high")
        unit = c3.text_input("Range unit (e.g. V, mm, degC)", key="scope_new_unit")
        c1, c2, c3 = st.columns(3)
        cmc = c1.text_input("CMC (expanded uncertainty, > 0)", key="scope_new_cmc")
        cmc_unit = c2.text_input("CMC unit (same dimension, or %, µV/V)", key="scope_new_cmc_unit")
        procedure = c3.selectbox(
            "Procedure", list(procedures), format_func=lambda i: procedures[int(i)],
            index=None, key="scope_new_procedure",
        )  # fmt: skip
        if st.form_submit_button("Add scope line"):

            def add() -> str:
                lo, hi, value = (
                    _number(low, "range_min"),
                    _number(high, "range_max"),
                    _number(cmc, "cmc_value"),
                )
                with db_session() as session:
                    line = add_scope_line(
                        session, current_user(), code=code, measurand=measurand, range_min=lo,
                        range_max=hi, unit=unit, cmc_value=value, cmc_unit=cmc_unit,
                        procedure_id=None if procedure is None else int(procedure),
                    )  # fmt: skip
                return f"Scope line {line.code} added"

            _submit(add)


def _assign_forms(lines: dict[int, str], sites: dict[int, str]) -> None:
    from calib.assessment.certification import (
        assign_scope_line,
        retire_scope_line,
        unassign_scope_line,
    )

    user = current_user()
    with st.form("scope_assign_form", clear_on_submit=True):
        st.markdown("**Site scopes** (lines by id: the wording is rendered, never retyped)")
        site = st.selectbox(
            "Site", list(sites), format_func=lambda i: sites[int(i)], key="scope_assign_site"
        )
        chosen = st.multiselect(
            "Lines", list(lines), format_func=lambda i: lines[int(i)], key="scope_assign_lines"
        )
        remove = st.checkbox("Remove these lines from the site instead", key="scope_unassign")
        if st.form_submit_button("Update site scope"):

            def assign() -> str:
                if not chosen:
                    raise InvalidInputError("choose one line or more", field="scope_line_id")
                write = unassign_scope_line if remove else assign_scope_line
                with db_session() as session:  # one transaction: all lines or none
                    for line_id in chosen:
                        write(session, user, site_id=int(site or 0), scope_line_id=int(line_id))
                verb = "removed from" if remove else "added to"
                return f"{len(chosen)} line(s) {verb} {sites[int(site or 0)]}"

            _submit(assign)
    with st.form("scope_retire_form", clear_on_submit=True):
        st.markdown("**Retire a scope line** (it leaves every site scope)")
        line_id = st.selectbox(
            "Line", list(lines), format_func=lambda i: lines[int(i)], index=None,
            key="scope_retire_line",
        )  # fmt: skip
        if st.form_submit_button("Retire line"):

            def retire() -> str:
                if line_id is None:
                    raise InvalidInputError("choose the line to retire", field="scope_line_id")
                with db_session() as session:
                    line = retire_scope_line(session, user, int(line_id))
                return f"Scope line {line.code} retired"

            _submit(retire)


def _certificate_form(sites: dict[int, str], masters: dict[int, str]) -> None:
    from calib.assessment.certification import issue_certificate

    with st.form("scope_certificate_form", clear_on_submit=True):
        st.markdown("**Issue a certificate** (valid 3 years; a site certificate cites the master)")
        number = st.text_input("Certificate number", key="scope_cert_number")
        kind = st.radio("Kind", ["master", "site"], horizontal=True, key="scope_cert_kind")
        site = st.selectbox(
            "Site", list(sites), format_func=lambda i: sites[int(i)], key="scope_cert_site"
        )
        master = st.selectbox(
            "Master certificate cited (site certificates)", [0, *masters],
            format_func=lambda i: masters.get(int(i), "none"), key="scope_cert_master",
        )  # fmt: skip
        issued = st.date_input("Issued on", value=today(), key="scope_cert_issued")
        if st.form_submit_button("Issue certificate"):

            def issue() -> str:
                with db_session() as session:
                    cert = issue_certificate(
                        session, current_user(), number=number, site_id=int(site or 0),
                        kind=str(kind), issued_on=_date(issued, "issued_on"),
                        master_certificate_id=int(master) if master else None,
                    )  # fmt: skip
                return f"{cert.kind.title()} certificate {cert.number} issued, valid until {cert.valid_until}"

            _submit(issue)


def scope_forms() -> None:
    """Scope lines, site scopes and certificates."""
    from calib.assessment.certification import list_certificates, list_scope_lines
    from calib.lab import list_procedures, list_sites

    user = current_user()
    with db_session() as session:
        procedures = {
            int(p.id or 0): f"{p.code} v{p.version} · {p.title}"
            for p in list_procedures(session, user)
        }
        sites = {int(s.id or 0): f"{s.code} · {s.name}" for s in list_sites(session, user)}
    _line_form(procedures)
    with db_session() as session:  # re-read: a line just added is offered at once
        lines = {
            int(r.id or 0): f"{r.code} · {r.measurand}" for r in list_scope_lines(session, user)
        }
        masters = {
            int(c.id or 0): f"{c.number} (to {c.valid_until})"
            for c in list_certificates(session, user)
            if c.kind == "master"
        }
    if lines and sites:
        _assign_forms(lines, sites)
    if sites:
        _certificate_form(sites, masters)


def _step_label(key: str) -> str:
    from calib.assessment.cycle import CERTIFICATION_STEPS

    titles = dict(CERTIFICATION_STEPS)
    return titles.get(key, "Recertification before expiry")


def cycle_forms(cycle_id: int | None) -> None:
    """Start a cycle on a master certificate; record a step or a surveillance visit."""
    from calib.assessment.certification import list_certificates
    from calib.assessment.cycle_service import (
        STEPS_BEFORE_CERTIFICATION,
        add_cycle_step,
        record_surveillance,
        start_certification_cycle,
    )

    user = current_user()
    with db_session() as session:
        masters = {
            int(c.id or 0): f"{c.number} (issued {c.issued_on})"
            for c in list_certificates(session, user)
            if c.kind == "master"
        }
    if masters:
        with st.form("cycle_start_form", clear_on_submit=True):
            st.markdown("**Start a certification cycle** (certified on the master's issue date)")
            cert = st.selectbox(
                "Master certificate", list(masters), format_func=lambda i: masters[int(i)],
                key="cycle_certificate",
            )  # fmt: skip
            body = st.text_input("Certification body", key="cycle_body")
            standards = st.text_input("Applicable standards", key="cycle_standards")
            if st.form_submit_button("Start cycle"):

                def start() -> str:
                    with db_session() as session:
                        start_certification_cycle(
                            session, user, certificate_id=int(cert or 0),
                            certification_body=body, standards=standards,
                        )  # fmt: skip
                    return f"Certification cycle of {masters[int(cert or 0)]} started"

                _submit(start)
    if cycle_id is None:
        return
    keys = [*STEPS_BEFORE_CERTIFICATION, "recertification"]
    with st.form("cycle_step_form", clear_on_submit=True):
        st.markdown("**Record a step of the current cycle**")
        key = st.selectbox("Step", keys, format_func=_step_label, key="cycle_step_key")
        done = st.date_input("Done on", value=today(), key="cycle_step_date")
        note = st.text_input("Note", key="cycle_step_note")
        if st.form_submit_button("Record step"):

            def step() -> str:
                with db_session() as session:
                    add_cycle_step(
                        session, user, cycle_id, key=str(key), done_on=_date(done), note=note
                    )
                return f"{_step_label(str(key))} recorded on {done}"

            _submit(step)
    with st.form("cycle_surveillance_form", clear_on_submit=True):
        st.markdown("**Record a surveillance visit**")
        visited = st.date_input("Visit date", value=today(), key="cycle_visit_date")
        outcome = st.text_input("Outcome", key="cycle_visit_note")
        if st.form_submit_button("Record surveillance"):

            def visit() -> str:
                with db_session() as session:
                    step = record_surveillance(
                        session, user, cycle_id, done_on=_date(visited), note=outcome
                    )
                return f"{step.key.replace('_', ' ')} recorded on {step.done_on}"

            _submit(visit)


def _date(value: object, field: str = "done_on") -> dt.date:
    if not isinstance(value, dt.date):
        raise InvalidInputError("give a date", field=field)
    return value
