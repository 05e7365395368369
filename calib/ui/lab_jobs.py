"""The "Jobs" page: jobs filtered by date, site and procedure; staff log a job.

Logging refuses, naming the field, what the assessment would later find
(``calib/assessment/rules_lab.py``): a procedure not approved, not yet effective or
superseded on the job date (7.2.1.1), and a performer or authoriser without an
authorisation for the procedure valid that day (ISO/IEC 17025:2017 6.2.5 f, 6.2.6).
The version used is the one in force on the job date.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlmodel import Session

from calib.lab import (
    instruments_by_job,
    lab_instruments,
    list_customers,
    list_jobs,
    list_people,
    list_procedures,
    list_sites,
    log_job,
    version_in_force,
)
from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session, today
from calib.ui.lab_common import LabChoices, lab_choices, run_action
from uncertainty.errors import CalibError

__all__ = ["render"]

_ALL = "(all)"
_NONE = "(none)"


def _instrument_options() -> dict[str, str]:
    with db_session() as session:
        rows = lab_instruments(session, current_user(), as_of=today())
    return {
        f"{code} · {description} ({state.replace('_', ' ')} today)": code
        for code, description, state in rows
    }


def _log_form(choices: LabChoices) -> None:
    if not (choices.sites and choices.customers and choices.people and choices.procedures):
        st.info("Logging a job needs a site, a customer, a person and a procedure.")
        return
    sites = list(choices.sites)
    here = next((i for i, s in enumerate(sites) if choices.sites[s] == current_site_id()), 0)
    try:
        instruments = _instrument_options()
    except CalibError:  # no asset register installed: jobs are logged without instruments
        instruments = {}
    with st.form("lab_jobs_log_form", clear_on_submit=True):
        st.subheader("Log a job")
        c1, c2 = st.columns(2)
        site = c1.selectbox("Site", sites, index=here, key="lab_jobs_log_site")
        customer = c2.selectbox("Customer", list(choices.customers), key="lab_jobs_log_customer")
        c1, c2 = st.columns(2)
        code = c1.selectbox("Procedure", choices.codes, key="lab_jobs_log_procedure")
        item = c2.text_input("Item description", key="lab_jobs_log_item")
        c1, c2, c3 = st.columns(3)
        serial = c1.text_input("Item serial", key="lab_jobs_log_serial")
        received = c2.date_input("Job date (received)", value=today(), key="lab_jobs_log_date")
        due = c3.date_input("Due on", value=today() + dt.timedelta(days=10), key="lab_jobs_log_due")
        c1, c2 = st.columns(2)
        performer = c1.selectbox("Performed by", list(choices.people), key="lab_jobs_log_by")
        signer = c2.selectbox(
            "Authorised by", [_NONE, *choices.people], key="lab_jobs_log_authoriser"
        )
        used = st.multiselect(
            "Instruments used (checked on the job date)",
            list(instruments),
            key="lab_jobs_log_instruments",
        )
        if not st.form_submit_button("Log job", key="lab_jobs_log_submit"):
            return
    user = current_user()

    def action(session: Session) -> str:
        procedure = version_in_force(session, user, str(code), received)
        job = log_job(
            session,
            user,
            site_id=choices.sites.get(str(site), 0),
            customer_id=choices.customers.get(str(customer), 0),
            procedure_id=int(procedure.id or 0),
            item_description=item,
            item_serial=serial,
            received_on=received,
            due_on=due,
            performed_by_id=choices.people.get(str(performer), 0),
            authorised_by_id=None if signer == _NONE else choices.people.get(str(signer)),
            instrument_codes=[instruments[str(label)] for label in used],
        )
        label = f"job {job.id}: {job.item_description} ({procedure.code} v{procedure.version})"
        return f"Logged {label}"

    run_action(action)


def _filters(choices: LabChoices) -> tuple[dt.date, dt.date, int | None, str | None]:
    c1, c2, c3, c4 = st.columns(4)
    start = c1.date_input(
        "Received from", value=today() - dt.timedelta(days=90), key="lab_jobs_from"
    )
    end = c2.date_input("Received until", value=today(), key="lab_jobs_until")
    sites = [_ALL, *choices.sites]
    here = next((i for i, s in enumerate(sites) if choices.sites.get(s) == current_site_id()), 0)
    site = c3.selectbox("Site", sites, index=here, key="lab_jobs_site")
    code = c4.selectbox("Procedure", [_ALL, *choices.codes], key="lab_jobs_procedure")
    return (
        start,
        end,
        None if site == _ALL else choices.sites.get(str(site)),
        None if code == _ALL else str(code),
    )


def _table(choices: LabChoices) -> None:
    start, end, site_id, code = _filters(choices)
    user = current_user()
    with db_session() as session:
        jobs = list_jobs(
            session,
            user,
            site_id=site_id,
            received_from=start,
            received_until=end + dt.timedelta(days=1),
            procedure_code=code,
        )
        people = {int(p.id or 0): p.name for p in list_people(session, user)}
        customers = {int(c.id or 0): c.name for c in list_customers(session, user)}
        procedures = {
            int(p.id or 0): f"{p.code} v{p.version}" for p in list_procedures(session, user)
        }
        sites = {int(s.id or 0): s.code for s in list_sites(session, user)}
        used = instruments_by_job(session, user, [int(j.id or 0) for j in jobs])
    st.caption(f"{len(jobs)} jobs received {start} to {end}")
    st.dataframe(
        [
            {
                "id": j.id,
                "received": j.received_on.isoformat(),
                "due": j.due_on.isoformat(),
                "site": sites.get(j.site_id, ""),
                "customer": customers.get(j.customer_id, ""),
                "procedure": procedures.get(j.procedure_id, ""),
                "item": j.item_description,
                "performed by": people.get(j.performed_by_id or -1, ""),
                "authorised by": people.get(j.authorised_by_id or -1, ""),
                "instruments": ", ".join(used.get(int(j.id or 0), [])),
                "status": j.status,
                "certificate": j.certificate_number or "",
            }
            for j in jobs
        ],
        hide_index=True,
        key="lab_jobs_list",
    )


def render() -> None:
    """Draw the log form (staff and managers) and the filtered job list."""
    user = current_user()
    st.title("Jobs")
    st.caption("Calibration jobs with performer and authoriser (ISO/IEC 17025:2017 6.2.6, 7.5.1).")
    choices = lab_choices()
    if allowed(user.role, Permission.EDIT_RECORDS):
        with st.expander("Log a job"):
            _log_form(choices)
    _table(choices)


if __name__ == "__main__":  # run as a Streamlit page script
    render()
