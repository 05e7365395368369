"""The "Users" page (admin only): list accounts and add one."""

from __future__ import annotations

import streamlit as st

from calib.auth import create_user, list_users
from calib.permissions import ROLES
from calib.ui.context import current_user, db_session
from uncertainty.errors import CalibError

__all__ = ["render"]


def render() -> None:
    """List accounts; a form adds one."""
    user = current_user()
    st.title("Users")
    with db_session() as session:
        rows = [
            {"username": u.username, "role": u.role, "email": u.email, "active": u.active}
            for u in list_users(session, user)
        ]
    st.dataframe(rows, hide_index=True)
    with st.form("add_user", clear_on_submit=True):
        st.subheader("Add a user")
        username = st.text_input("Username")
        email = st.text_input("E-mail")
        role = st.selectbox("Role", ROLES)
        password = st.text_input("Password", type="password")
        if st.form_submit_button("Add"):
            try:
                with db_session() as session:
                    create_user(
                        session,
                        user,
                        username=username,
                        password=password,
                        role=str(role),
                        email=email or None,
                    )
            except CalibError as exc:
                st.error(str(exc))
            else:
                st.success(f"Added {username}.")


if __name__ == "__main__":  # run as a Streamlit page script
    render()
