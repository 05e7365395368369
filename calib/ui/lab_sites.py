"""The "Lab & sites" page: the lab record and its sites; managers edit, others read.

The services (``calib.lab_setup``) check the role, keep site codes unique and keep
exactly one master site; a refusal names the field and writes nothing.
"""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from calib.lab import list_sites
from calib.lab_setup import (
    LAB_FIELDS,
    SITE_FIELDS,
    create_site,
    find_lab,
    update_lab,
    update_site,
)
from calib.permissions import Permission, allowed
from calib.records import Lab, Site
from calib.ui.context import current_user, db_session
from calib.ui.lab_common import run_action

__all__ = ["render"]

_LAB_LABELS = dict(
    zip(
        LAB_FIELDS,
        ("Name", "Legal entity", "Accreditation body", "Accreditation number"),
        strict=True,
    )
)
_SITE_LABELS = dict(
    zip(SITE_FIELDS, ("Code", "Name", "Street", "City", "Postcode", "Country"), strict=True)
)


def _lab_form(lab: Lab) -> None:
    with st.form("lab_sites_lab_form"):
        st.subheader("Edit the lab")
        values = {
            field: st.text_input(
                label, value=str(getattr(lab, field)), key=f"lab_sites_lab_{field}"
            )
            for field, label in _LAB_LABELS.items()
        }
        if not st.form_submit_button("Save the lab", key="lab_sites_lab_submit"):
            return
    changes = {k: v for k, v in values.items() if v != getattr(lab, k)}
    if not changes:
        st.info("Nothing changed.")
        return

    def action(session: Session) -> str:
        update_lab(session, current_user(), changes)
        return f"Saved {', '.join(changes)} of the lab"

    run_action(action)


def _site_inputs(prefix: str, current: Site | None) -> dict[str, str]:
    return {
        field: st.text_input(
            label, value=str(getattr(current, field)) if current else "", key=f"{prefix}_{field}"
        )
        for field, label in _SITE_LABELS.items()
    }


def _add_site_form() -> None:
    with st.form("lab_sites_add_form", clear_on_submit=True):
        st.subheader("Add a site")
        values = _site_inputs("lab_sites_add", None)
        master = st.checkbox("Make it the master site", key="lab_sites_add_master")
        if not st.form_submit_button("Add site", key="lab_sites_add_submit"):
            return

    def action(session: Session) -> str:
        site = create_site(session, current_user(), master=master, **values)
        role = "master site" if site.is_master else "site"
        return f"Added {role} {site.code} (#{site.id})"

    run_action(action)


def _edit_site_form(sites: list[Site]) -> None:
    if not sites:
        return
    st.subheader("Edit a site")
    choices = {f"{s.code} · {s.name} (#{s.id})": s for s in sites}
    chosen = st.selectbox("Site", list(choices), key="lab_sites_edit_choice")
    current = choices[str(chosen)]
    with st.form("lab_sites_edit_form"):
        values = _site_inputs(f"lab_sites_edit_{current.id}", current)
        master = st.checkbox(
            "Master site (to move the flag, make another site the master)",
            value=current.is_master,
            key=f"lab_sites_edit_{current.id}_master",
        )
        if not st.form_submit_button("Save site", key="lab_sites_edit_submit"):
            return
    changes: dict[str, object] = {k: v for k, v in values.items() if v != getattr(current, k)}
    if master != current.is_master:
        changes["is_master"] = master
    if not changes:
        st.info("Nothing changed.")
        return

    def action(session: Session) -> str:
        update_site(session, current_user(), int(current.id or 0), changes)
        return f"Saved {', '.join(changes)} of site #{current.id}"

    run_action(action)


def render() -> None:
    """Draw the lab record and the site list; managers get the forms."""
    user = current_user()
    st.title("Lab & sites")
    st.caption(
        "The laboratory and its sites (ISO/IEC 17025:2017 5.1, 5.3); exactly one master site. "
        "Changes are audited."
    )
    with db_session() as session:
        lab = find_lab(session, user)
        sites = list_sites(session, user)
    if lab is None:
        st.info("This database has no lab yet: set it up on the Lab overview page.")
        return
    if allowed(user.role, Permission.MANAGE_LAB):
        with st.expander("Edit the lab or its sites"):
            _lab_form(lab)
            _add_site_form()
            _edit_site_form(sites)
        with db_session() as session:  # read again: a form above may just have saved
            lab = find_lab(session, user) or lab
            sites = list_sites(session, user)
    st.dataframe(
        [{"field": label, "value": getattr(lab, field)} for field, label in _LAB_LABELS.items()],
        hide_index=True,
        key="lab_sites_lab",
    )
    st.subheader("Sites")
    st.dataframe(
        [
            {"id": s.id, "master": s.is_master}
            | {label.lower(): getattr(s, field) for field, label in _SITE_LABELS.items()}
            for s in sites
        ],
        hide_index=True,
        key="lab_sites_list",
    )


if __name__ == "__main__":  # run as a Streamlit page script
    render()
