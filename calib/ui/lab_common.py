"""What the "Lab" record pages share: error display and the choices their forms offer.

Not a page (it is not registered); the pages are ``calib/ui/lab_*.py`` with a
``render()`` function.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlmodel import Session

from calib.lab import list_customers, list_people, list_procedures, list_sites
from calib.ui.context import current_user, db_session
from uncertainty.errors import CalibError

__all__ = ["LabChoices", "lab_choices", "run_action", "show_error"]


def show_error(exc: CalibError) -> None:
    """Show a refused action with the field it names (services name it in the message)."""
    field = getattr(exc, "field", None)
    message = str(exc)
    st.error(message if not field or message.startswith(f"{field}") else f"{field}: {message}")


def run_action(action: Callable[[Session], str]) -> bool:
    """Run ``action`` in one transaction; show its message, or the refusal naming the field.

    A refused action rolls back whole: nothing it wrote is kept.
    """
    try:
        with db_session() as session:
            message = action(session)
    except CalibError as exc:
        show_error(exc)
        return False
    st.success(message)
    return True


class LabChoices:
    """Labels to ids for the selectboxes: sites, active people, customers, procedures
    (by version), and the procedure codes."""

    def __init__(
        self,
        sites: dict[str, int],
        people: dict[str, int],
        customers: dict[str, int],
        procedures: dict[str, int],
        codes: list[str],
    ) -> None:
        self.sites = sites
        self.people = people
        self.customers = customers
        self.procedures = procedures
        self.codes = codes


def lab_choices() -> LabChoices:
    """Read the current choices (fresh on every run, so a record just added is offered)."""
    user = current_user()
    with db_session() as session:
        sites = {f"{s.code} · {s.name}": int(s.id or 0) for s in list_sites(session, user)}
        people = {
            f"{p.name} (#{p.id})": int(p.id or 0) for p in list_people(session, user) if p.active
        }
        customers = {f"{c.name} (#{c.id})": int(c.id or 0) for c in list_customers(session, user)}
        rows = list_procedures(session, user)
    procedures = {f"{p.code} v{p.version} · {p.title} ({p.status})": int(p.id or 0) for p in rows}
    return LabChoices(sites, people, customers, procedures, sorted({p.code for p in rows}))
