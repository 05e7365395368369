"""What every page shares: the engine, the signed-in user and the selected site."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from calib.config import load_settings
from calib.db import ensure_database, session_scope
from calib.permissions import Principal

__all__ = ["USER_KEY", "current_site_id", "current_user", "db_session", "get_engine", "today"]

USER_KEY = "calib_user"


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    return ensure_database(url)


def get_engine() -> Engine:
    """The engine of ``CALIB_DATABASE_URL`` (created once per URL, shared by sessions)."""
    return _engine_for(load_settings().database_url)


@contextmanager
def db_session() -> Iterator[Session]:
    """One transaction for one page action (commit on success, rollback on error)."""
    with session_scope(get_engine()) as session:
        yield session


def current_user() -> Principal:
    """The signed-in identity; stops the page if nobody is signed in."""
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, Principal):
        st.error("Sign in first.")
        st.stop()
    return user


def current_site_id() -> int | None:
    """The site chosen in the sidebar (``None``: all sites)."""
    value = st.session_state.get("site_id")
    return value if isinstance(value, int) else None


def today() -> dt.date:
    """Today's date (the anchor of "this month")."""
    return dt.date.today()
