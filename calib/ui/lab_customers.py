"""The "Customers" page: the customer list; managers add and edit (ISO/IEC 17025:2017 7.1).

Names are unique (case-insensitive) and e-mail addresses are checked by the service
(``calib.lab.create_customer`` / ``update_customer``), which also checks the role.
"""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from calib.lab import create_customer, list_customers, update_customer
from calib.permissions import Permission, allowed
from calib.records import Customer
from calib.ui.context import current_user, db_session
from calib.ui.lab_common import run_action

__all__ = ["render"]

_FIELDS = (
    ("name", "Name"),
    ("contact_name", "Contact name"),
    ("contact_email", "Contact e-mail"),
    ("city", "City"),
    ("country", "Country"),
)


def _inputs(prefix: str, current: Customer | None) -> dict[str, str]:
    return {
        field: st.text_input(
            label, value=getattr(current, field) if current else "", key=f"{prefix}_{field}"
        )
        for field, label in _FIELDS
    }


def _add_form() -> None:
    with st.form("lab_customers_add_form", clear_on_submit=True):
        st.subheader("Add a customer")
        values = _inputs("lab_customers_add", None)
        if not st.form_submit_button("Add customer", key="lab_customers_add_submit"):
            return

    def action(session: Session) -> str:
        customer = create_customer(session, current_user(), **values)
        label = f"{customer.name} (#{customer.id})"
        return f"Added customer {label}"

    run_action(action)


def _edit_form() -> None:
    user = current_user()
    with db_session() as session:
        customers = {f"{c.name} (#{c.id})": c for c in list_customers(session, user)}
    if not customers:
        return
    st.subheader("Edit a customer")
    chosen = st.selectbox("Customer", list(customers), key="lab_customers_edit_choice")
    current = customers[str(chosen)]
    with st.form("lab_customers_edit_form"):
        values = _inputs(f"lab_customers_edit_{current.id}", current)
        if not st.form_submit_button("Save changes", key="lab_customers_edit_submit"):
            return
    changes = {k: v for k, v in values.items() if v != getattr(current, k)}
    if not changes:
        st.info("Nothing changed.")
        return

    def action(session: Session) -> str:
        update_customer(session, user, int(current.id or 0), changes)
        return f"Saved {', '.join(changes)} of customer #{current.id}"

    run_action(action)


def render() -> None:
    """Draw the forms (managers) and the customer list."""
    user = current_user()
    st.title("Customers")
    st.caption("Customers of the laboratory (ISO/IEC 17025:2017 7.1). Changes are audited.")
    if allowed(user.role, Permission.MANAGE_LAB):
        with st.expander("Add or edit a customer"):
            _add_form()
            _edit_form()
    with db_session() as session:
        customers = list_customers(session, user)
    search = st.text_input("Filter by name", key="lab_customers_filter").strip().casefold()
    st.dataframe(
        [
            {
                "id": c.id,
                "name": c.name,
                "contact": c.contact_name,
                "e-mail": c.contact_email,
                "city": c.city,
                "country": c.country,
            }
            for c in customers
            if search in c.name.casefold()
        ],
        hide_index=True,
        key="lab_customers_list",
    )


if __name__ == "__main__":  # run as a Streamlit page script
    render()
