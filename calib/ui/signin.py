"""Sign-in and sign-out: local accounts, and OIDC through ``st.login`` when configured."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from calib.auth import AuthenticationError, authenticate, principal_of, user_for_email
from calib.ui.context import USER_KEY, db_session

__all__ = ["oidc_configured", "render_signin", "sign_in_from_oidc", "sign_out", "touch"]

ACTIVITY_KEY = "calib_last_activity"


def oidc_configured() -> bool:
    """True when ``[auth]`` secrets exist (``st.secrets`` raises without a secrets file)."""
    try:
        return "auth" in st.secrets
    except Exception:  # FileNotFoundError or StreamlitSecretNotFoundError, version-dependent
        return False


def touch() -> None:
    """Record activity now (for the idle timeout)."""
    st.session_state[ACTIVITY_KEY] = dt.datetime.now(dt.UTC)


def sign_out() -> None:
    """Forget the signed-in user (and log out of OIDC if used)."""
    st.session_state.pop(USER_KEY, None)
    st.session_state.pop(ACTIVITY_KEY, None)
    st.session_state.pop("site_id", None)


def sign_in_from_oidc() -> None:
    """Map a signed-in OIDC identity to a calib account by e-mail."""
    identity: Any = st.user
    if not getattr(identity, "is_logged_in", False) or USER_KEY in st.session_state:
        return
    email = str(identity.get("email") or "")
    try:
        with db_session() as session:
            st.session_state[USER_KEY] = principal_of(user_for_email(session, email))
    except AuthenticationError as exc:
        st.error(str(exc))
        return
    touch()


def render_signin() -> None:
    """The sign-in page."""
    st.title("Sign in to calib")
    with st.form("signin"):
        username = st.text_input("Username", key="signin_username")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        try:
            with db_session() as session:
                user = authenticate(session, username, password)
                st.session_state[USER_KEY] = principal_of(user)
        except AuthenticationError as exc:
            st.error(str(exc))
        else:
            touch()
            st.rerun()
    if oidc_configured():
        st.divider()
        if st.button("Sign in with your organisation"):
            st.login()
