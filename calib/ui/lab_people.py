"""The "People & authorisations" page (ISO/IEC 17025:2017 6.2).

Everyone sees the authorisation matrix (procedure × person on a date: what an assessor
asks for first), the staff list and each person's competence evidence and
authorisations. Managers and admins (``manage_lab``) also add people, record training
and qualifications, and grant or withdraw authorisations; the services check the role
and every value again (``calib.lab_personnel``).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlmodel import Session

from calib.lab import list_people, list_sites
from calib.lab_personnel import (
    authorisation_matrix,
    create_person,
    grant_authorisation,
    list_authorisations,
    list_qualifications,
    list_trainings,
    record_qualification,
    record_training,
    update_person,
    withdraw_authorisation,
)
from calib.permissions import Permission, allowed
from calib.records import Qualification, Training
from calib.ui.context import current_site_id, current_user, db_session, today
from calib.ui.lab_common import LabChoices, lab_choices, run_action

__all__ = ["render"]

_NONE = "(none)"


def _add_person_form(choices: LabChoices) -> None:
    with st.form("lab_people_add_form", clear_on_submit=True):
        st.subheader("Add a person")
        name = st.text_input("Full name", key="lab_people_add_name")
        c1, c2 = st.columns(2)
        site = c1.selectbox("Site", list(choices.sites), key="lab_people_add_site")
        title = c2.text_input("Job title", key="lab_people_add_title")
        email = st.text_input("E-mail", key="lab_people_add_email")
        if not st.form_submit_button("Add person", key="lab_people_add_submit"):
            return

    def action(session: Session) -> str:
        person = create_person(
            session,
            current_user(),
            site_id=choices.sites.get(str(site), 0),
            name=name,
            email=email,
            job_title=title,
        )
        label = f"{person.name} (#{person.id})"
        return f"Added {label}"

    run_action(action)


def _competence_form(choices: LabChoices) -> None:
    with st.form("lab_people_competence_form", clear_on_submit=True):
        st.subheader("Record competence evidence")
        c1, c2 = st.columns(2)
        person = c1.selectbox("Person", list(choices.people), key="lab_people_comp_person")
        kind = c2.selectbox("Kind", ["training", "qualification"], key="lab_people_comp_kind")
        title = st.text_input("Title (course, degree, certificate)", key="lab_people_comp_title")
        c1, c2 = st.columns(2)
        source = c1.text_input("Provider / issuer", key="lab_people_comp_source")
        day = c2.date_input("Completed / awarded on", value=today(), key="lab_people_comp_date")
        if not st.form_submit_button("Record", key="lab_people_comp_submit"):
            return
    person_id = choices.people.get(str(person), 0)

    def action(session: Session) -> str:
        record: Training | Qualification
        if kind == "training":
            record = record_training(
                session, current_user(), person_id=person_id, title=title,
                completed_on=day, provider=source, today=today(),
            )  # fmt: skip
        else:
            record = record_qualification(
                session, current_user(), person_id=person_id, title=title,
                awarded_on=day, issuer=source, today=today(),
            )  # fmt: skip
        new_id = record.id
        return f"Recorded {kind} {new_id} for {person}"

    run_action(action)


def _grant_form(choices: LabChoices) -> None:
    with st.form("lab_people_grant_form", clear_on_submit=True):
        st.subheader("Grant an authorisation")
        c1, c2 = st.columns(2)
        person = c1.selectbox("Person", list(choices.people), key="lab_people_grant_person")
        procedure = c2.selectbox(
            "Procedure (covers every version of its code)",
            list(choices.procedures),
            key="lab_people_grant_procedure",
        )
        c1, c2, c3 = st.columns(3)
        start = c1.date_input("Valid from", value=today(), key="lab_people_grant_from")
        end = c2.date_input(
            "Valid until", value=today() + dt.timedelta(days=730), key="lab_people_grant_until"
        )
        signer = c3.selectbox("Authorised by", [_NONE, *choices.people], key="lab_people_grant_by")
        if not st.form_submit_button("Grant", key="lab_people_grant_submit"):
            return

    def action(session: Session) -> str:
        auth = grant_authorisation(
            session,
            current_user(),
            person_id=choices.people.get(str(person), 0),
            procedure_id=choices.procedures.get(str(procedure), 0),
            valid_from=start,
            valid_until=end,
            authorised_by_id=None if signer == _NONE else choices.people.get(str(signer)),
        )
        new_id = auth.id
        return f"Granted authorisation {new_id}: {person}, {start} to {end}"

    run_action(action)


def _withdraw_form(as_of: dt.date) -> None:
    user = current_user()
    with db_session() as session:
        open_rows = [r for r in list_authorisations(session, user) if r.valid_until >= as_of]
    options = {
        f"#{r.id} {r.person} · {r.procedure_code} ({r.valid_from} to {r.valid_until})": r.id
        for r in open_rows
    }
    st.subheader("Withdraw an authorisation")
    if not options:
        st.info("No current or future authorisation to withdraw.")
        return
    with st.form("lab_people_withdraw_form", clear_on_submit=True):
        chosen = st.selectbox("Authorisation", list(options), key="lab_people_withdraw_auth")
        day = st.date_input("Not valid from", value=today(), key="lab_people_withdraw_on")
        if not st.form_submit_button("Withdraw", key="lab_people_withdraw_submit"):
            return

    def action(session: Session) -> str:
        auth = withdraw_authorisation(session, user, options.get(str(chosen), 0), withdrawn_on=day)
        until = auth.valid_until
        return f"Withdrawn: {chosen.split(' ')[0]} now ends on {until}"

    run_action(action)


def _active_form() -> None:
    user = current_user()
    with db_session() as session:
        people = {f"{p.name} (#{p.id})": p for p in list_people(session, user)}
    with st.form("lab_people_active_form"):
        st.subheader("Leaver / returner")
        chosen = st.selectbox("Person", list(people), key="lab_people_active_person")
        active = st.checkbox("Active (unticked: left the lab)", value=True, key="lab_people_active")
        if not st.form_submit_button("Save", key="lab_people_active_submit"):
            return

    def action(session: Session) -> str:
        update_person(session, user, int(people[str(chosen)].id or 0), {"active": active})
        return f"{chosen} is now {'active' if active else 'inactive'}"

    run_action(action)


def _manage(as_of: dt.date) -> None:
    choices = lab_choices()
    _add_person_form(choices)
    choices = lab_choices()  # the person just added is offered below at once
    if not choices.people:
        st.info("Add a person first.")
        return
    _competence_form(choices)
    _grant_form(choices)
    _withdraw_form(as_of)
    _active_form()


def _matrix(as_of: dt.date) -> None:
    with db_session() as session:
        result = authorisation_matrix(
            session, current_user(), as_of=as_of, site_id=current_site_id()
        )
    st.caption(
        f"Authorised on {as_of}: each cell gives the end of the authorisation valid that day "
        "(blank: not authorised). Columns are procedure codes; an authorisation covers every "
        "version of the code."
    )
    if not result.people:
        st.info("No active staff.")
        return
    st.dataframe(result.table(), hide_index=True, key="lab_people_matrix")


def _people(as_of: dt.date) -> None:
    user = current_user()
    with db_session() as session:
        sites = {int(s.id or 0): s.code for s in list_sites(session, user)}
        people = list_people(session, user, site_id=current_site_id())
        current = list_authorisations(session, user, as_of=as_of)
        trainings = list_trainings(session, user)
    held: dict[int, list[str]] = {}
    for row in current:
        held.setdefault(row.person_id, []).append(row.procedure_code)
    last_training: dict[int, dt.date] = {}
    for training in trainings:
        last_training.setdefault(training.person_id, training.completed_on)
    st.dataframe(
        [
            {
                "id": p.id,
                "name": p.name,
                "site": sites.get(p.site_id, ""),
                "job title": p.job_title,
                "active": p.active,
                "authorised for": ", ".join(sorted(held.get(int(p.id or 0), []))),
                "last training": str(last_training.get(int(p.id or 0), "none")),
            }
            for p in people
        ],
        hide_index=True,
        key="lab_people_list",
    )


def _records(as_of: dt.date) -> None:
    user = current_user()
    with db_session() as session:
        people = {f"{p.name} (#{p.id})": int(p.id or 0) for p in list_people(session, user)}
    if not people:
        return
    chosen = st.selectbox("Person", list(people), key="lab_people_records_person")
    person_id = people.get(str(chosen), 0)
    with db_session() as session:
        auths = list_authorisations(session, user, person_id=person_id)
        trainings = list_trainings(session, user, person_id=person_id)
        qualifications = list_qualifications(session, user, person_id=person_id)
    st.markdown("**Authorisations** (ISO/IEC 17025:2017 6.2.5 f, 6.2.6)")
    st.dataframe(
        [
            {
                "id": r.id,
                "procedure": r.procedure_code,
                "title": r.procedure_title,
                "valid from": r.valid_from.isoformat(),
                "valid until": r.valid_until.isoformat(),
                "authorised by": r.authorised_by or "",
                "state": r.state(as_of),
            }
            for r in auths
        ],
        hide_index=True,
        key="lab_people_records_auths",
    )
    st.markdown("**Training** (6.2.5 c)")
    st.dataframe(
        [
            {
                "id": t.id,
                "title": t.title,
                "provider": t.provider,
                "completed on": str(t.completed_on),
            }
            for t in trainings
        ],
        hide_index=True,
        key="lab_people_records_training",
    )
    st.markdown("**Qualifications** (6.2.2)")
    st.dataframe(
        [
            {"id": q.id, "title": q.title, "issuer": q.issuer, "awarded on": str(q.awarded_on)}
            for q in qualifications
        ],
        hide_index=True,
        key="lab_people_records_qualifications",
    )


def render() -> None:
    """Draw the matrix, the staff list, a person's records and (managers) the forms."""
    user = current_user()
    st.title("People & authorisations")
    st.caption(
        "Personnel competence and authorisation (ISO/IEC 17025:2017 6.2.2, 6.2.5, 6.2.6). "
        "Every change is recorded in the audit trail."
    )
    as_of = st.date_input("As of", value=today(), key="lab_people_as_of")
    manager = allowed(user.role, Permission.MANAGE_LAB)
    names = ["Authorisation matrix", "People", "Records of a person"]
    tabs = st.tabs([*names, "Manage"] if manager else names)
    if manager:  # the forms run first so the tables below show what they just stored
        with tabs[3]:
            _manage(as_of)
    with tabs[0]:
        _matrix(as_of)
    with tabs[1]:
        _people(as_of)
    with tabs[2]:
        _records(as_of)


if __name__ == "__main__":  # run as a Streamlit page script
    render()
