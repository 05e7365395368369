"""calib Streamlit app: sign-in, role-based navigation, site selector.

Run with ``calib serve`` (or ``streamlit run app.py``). Pages come from
``calib.ui.registry.PAGES``; only those the signed-in role may see are offered.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from calib.auth import session_expired
from calib.config import load_settings
from calib.lab import list_sites
from calib.permissions import Principal
from calib.ui.context import USER_KEY, db_session
from calib.ui.registry import pages_for, resolve_page
from calib.ui.satisfaction_feedback import is_feedback_request
from calib.ui.satisfaction_feedback import render as render_feedback
from calib.ui.signin import (
    ACTIVITY_KEY,
    oidc_configured,
    render_signin,
    sign_in_from_oidc,
    sign_out,
    touch,
)


def _site_selector(user: Principal) -> None:
    with db_session() as session:
        sites = [(site.id, f"{site.code} – {site.name}") for site in list_sites(session, user)]
    options: list[int | None] = [None, *[site_id for site_id, _ in sites]]
    labels = {None: "All sites", **dict(sites)}
    current = st.session_state.get("site_id")
    st.sidebar.selectbox(
        "Site",
        options,
        index=options.index(current) if current in options else 0,
        format_func=lambda value: labels.get(value, str(value)),
        key="site_id",
    )


def main() -> None:
    """Build the navigation for whoever is signed in."""
    st.set_page_config(page_title="calib", page_icon=":material/straighten:", layout="wide")
    if oidc_configured():
        sign_in_from_oidc()
    user = st.session_state.get(USER_KEY)
    last = st.session_state.get(ACTIVITY_KEY)
    if isinstance(user, Principal) and isinstance(last, dt.datetime):
        if session_expired(last, settings=load_settings()):
            sign_out()
            st.session_state["calib_notice"] = "Your session timed out; sign in again."
            user = None
    if not isinstance(user, Principal) and is_feedback_request():
        # a customer's single-use feedback link: only the form, no navigation, no sign-in
        st.navigation([st.Page(render_feedback, title="Your feedback")], position="hidden").run()
        return
    if not isinstance(user, Principal):
        notice = st.session_state.pop("calib_notice", None)
        if notice:
            st.info(notice)
        st.navigation([st.Page(render_signin, title="Sign in", url_path="signin")]).run()
        return
    touch()
    sections: dict[str, list[st.Page]] = {}
    for spec in pages_for(user.role):
        target = resolve_page(spec)
        if target is None:
            continue
        page = st.Page(
            target, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec.default
        )
        sections.setdefault(spec.section, []).append(page)
    with st.sidebar:
        st.write(f"Signed in as **{user.display_name or user.username}** ({user.role})")
        if st.button("Sign out"):
            sign_out()
            if oidc_configured():
                st.logout()
            st.rerun()
    _site_selector(user)
    # expanded=True: a manager has ~30 pages; Streamlit's default folds all but ten behind
    # "View more", which hides whole sections an assessor is looking for.
    st.navigation(sections, expanded=True).run()


main()
