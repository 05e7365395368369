"""The "PT set-up" page: register PT schemes, sub-disciplines, rounds and PT-plan items.

Staff and managers create schemes and rounds (``edit_records``); sub-disciplines and
plan items are for managers and admins (``manage_lab``, ILAC P9:01/2024 4.2). Every
value is checked again by the service (``ilc.service``); an error names the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from calib.lab import list_sites
from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session, today
from ilc import METHODS
from ilc.service import (
    create_round,
    create_scheme,
    create_subdiscipline,
    list_rounds,
    list_schemes,
    list_subdisciplines,
    set_plan_item,
)
from uncertainty.errors import CalibError, InvalidInputError

__all__ = ["render"]

_NONE = "(none)"


def _error(exc: CalibError) -> None:
    field = getattr(exc, "field", None)
    st.error(f"{field}: {exc}" if field else str(exc))


def _number(field: str, text: str) -> float | None:
    """Parse an optional number typed in a form; blank is ``None``."""
    if not text.strip():
        return None
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        raise InvalidInputError(f"{field} must be a number, got {text!r}", field=field) from None


def _scheme_form() -> None:
    with st.form("ilc_setup_scheme_form"):
        st.subheader("New PT scheme")
        provider = st.text_input("Provider", key="ilc_setup_scheme_provider")
        name = st.text_input("Scheme name", key="ilc_setup_scheme_name")
        accredited = st.checkbox("ISO/IEC 17043 accredited", key="ilc_setup_scheme_17043")
        website = st.text_input("Website", key="ilc_setup_scheme_website")
        if not st.form_submit_button("Create scheme", key="ilc_setup_scheme_submit"):
            return
    user = current_user()
    try:
        with db_session() as session:
            scheme = create_scheme(
                session,
                user,
                provider=provider,
                name=name,
                accredited_17043=accredited,
                website=website,
            )
            new_id = scheme.id
    except CalibError as exc:
        _error(exc)
        return
    st.success(f"Created scheme {new_id}: {provider.strip()} – {name.strip()}")


def _subdiscipline_form() -> None:
    with st.form("ilc_setup_sub_form"):
        st.subheader("New sub-discipline")
        code = st.text_input("Code (e.g. DCV)", key="ilc_setup_sub_code")
        name = st.text_input("Name (e.g. DC voltage)", key="ilc_setup_sub_name")
        quantity = st.text_input("Quantity", key="ilc_setup_sub_quantity")
        if not st.form_submit_button("Create sub-discipline", key="ilc_setup_sub_submit"):
            return
    try:
        with db_session() as session:
            sub = create_subdiscipline(
                session, current_user(), code=code, name=name, quantity=quantity
            )
            new_id = sub.id
    except CalibError as exc:
        _error(exc)
        return
    st.success(f"Created sub-discipline {new_id}: {code.strip()}")


def _round_form(schemes: dict[str, int], subs: dict[str, int], sites: dict[str, int]) -> None:
    st.subheader("New round")
    if not schemes:
        st.info("Create a PT scheme first.")
        return
    method = st.selectbox("Assigned-value method", list(METHODS), key="ilc_setup_round_method")
    with st.form("ilc_setup_round_form"):
        scheme = st.selectbox("Scheme", list(schemes), key="ilc_setup_round_scheme")
        c1, c2, c3 = st.columns(3)
        code = c1.text_input("Round code", key="ilc_setup_round_code")
        measurand = c2.text_input("Measurand", key="ilc_setup_round_measurand")
        unit = c3.text_input("Unit", key="ilc_setup_round_unit")
        c1, c2 = st.columns(2)
        opened = c1.date_input("Opened on", value=today(), key="ilc_setup_round_opened")
        closes = c2.date_input(
            "Closes on", value=today() + dt.timedelta(days=60), key="ilc_setup_round_closes"
        )
        ref: dict[str, str] = {"value": "", "u": "", "k": ""}
        if method == "reference":
            c1, c2, c3 = st.columns(3)
            ref["value"] = c1.text_input("Reference value", key="ilc_setup_round_ref_value")
            ref["u"] = c2.text_input(
                "Expanded uncertainty U of the reference", key="ilc_setup_round_ref_u"
            )
            ref["k"] = c3.text_input("Coverage factor k (blank: 2)", key="ilc_setup_round_ref_k")
        c1, c2, c3 = st.columns(3)
        sigma_text = c1.text_input("σ_pt (blank: none)", key="ilc_setup_round_sigma")
        en_text = c2.text_input("En limit", value="1.0", key="ilc_setup_round_en")
        doe = c3.selectbox(
            "DoE convention", ["covariance", "independent"], key="ilc_setup_round_doe"
        )
        c1, c2, c3 = st.columns(3)
        sub = c1.selectbox("Sub-discipline", [_NONE, *subs], key="ilc_setup_round_sub")
        site_codes = [_NONE, *sites]
        here = next((c for c, i in sites.items() if i == current_site_id()), _NONE)
        site = c2.selectbox(
            "Site", site_codes, index=site_codes.index(here), key="ilc_setup_round_site"
        )
        own = c3.text_input("Our participant code", key="ilc_setup_round_own")
        if not st.form_submit_button("Create round", key="ilc_setup_round_submit"):
            return
    try:
        en_limit = _number("en_limit", en_text)
        values: dict[str, Any] = {
            "reference_value": _number("reference_value", ref["value"]),
            "reference_expanded_uncertainty": _number("reference_expanded_uncertainty", ref["u"]),
            "reference_coverage_factor": _number("reference_coverage_factor", ref["k"]),
            "sigma_pt": _number("sigma_pt", sigma_text),
            "en_limit": 1.0 if en_limit is None else en_limit,
        }
        with db_session() as session:
            created = create_round(
                session,
                current_user(),
                scheme_id=schemes[scheme],
                code=code,
                measurand=measurand,
                unit=unit,
                opened_on=opened,
                closes_on=closes,
                method=method,
                doe_convention=doe,
                subdiscipline_id=None if sub == _NONE else subs[sub],
                site_id=None if site == _NONE else sites[site],
                own_participant=own,
                **values,
            )
            new_id = created.id
    except CalibError as exc:
        _error(exc)
        return
    st.success(f"Created round {new_id}: {code.strip()} (open)")


def _plan_form(subs: dict[str, int], sites: dict[str, int]) -> None:
    st.subheader("PT-plan item")
    if not subs or not sites:
        st.info("Create a sub-discipline first.")
        return
    with st.form("ilc_setup_plan_form"):
        c1, c2 = st.columns(2)
        sub = c1.selectbox("Sub-discipline", list(subs), key="ilc_setup_plan_sub")
        site = c2.selectbox("Site", list(sites), key="ilc_setup_plan_site")
        c1, c2, c3 = st.columns(3)
        start = c1.date_input("Cycle start", value=today(), key="ilc_setup_plan_start")
        years = c2.number_input(
            "Cycle (years)", min_value=1, max_value=10, value=4, key="ilc_setup_plan_years"
        )
        minimum = c3.number_input(
            "Minimum rounds in the cycle", min_value=1, value=1, key="ilc_setup_plan_min"
        )
        notes = st.text_input("Notes", key="ilc_setup_plan_notes")
        if not st.form_submit_button("Save plan item", key="ilc_setup_plan_submit"):
            return
    try:
        with db_session() as session:
            item = set_plan_item(
                session,
                current_user(),
                subdiscipline_id=subs[sub],
                site_id=sites[site],
                cycle_start=start,
                cycle_years=int(years),
                min_rounds=int(minimum),
                notes=notes,
            )
            new_id = item.id
    except CalibError as exc:
        _error(exc)
        return
    st.success(f"Saved plan item {new_id}: {sub} at {site}")


def render() -> None:
    """Draw the set-up forms and the current schemes and rounds."""
    user = current_user()
    st.title("PT set-up")
    st.caption(
        "Register the PT schemes and rounds the lab takes part in (ISO/IEC 17025:2017 7.7.2) "
        "and the PT plan per sub-discipline and site (ILAC P9:01/2024 4.2)."
    )
    manager = allowed(user.role, Permission.MANAGE_LAB)
    _scheme_form()
    if manager:
        _subdiscipline_form()
    with db_session() as session:
        schemes = {f"{s.provider} – {s.name}": int(s.id or 0) for s in list_schemes(session, user)}
        subs = {s.code: int(s.id or 0) for s in list_subdisciplines(session, user)}
        sites = {s.code: int(s.id or 0) for s in list_sites(session, user)}
    _round_form(schemes, subs, sites)
    if manager:
        _plan_form(subs, sites)
    with db_session() as session:
        rounds = list_rounds(session, user)
    st.subheader("Rounds")
    st.dataframe(
        [
            {
                "id": r.id,
                "round": r.code,
                "provider": r.provider,
                "measurand": r.measurand,
                "unit": r.unit,
                "sub-discipline": r.subdiscipline,
                "site": r.site,
                "closes": r.closes_on.isoformat(),
                "method": r.method,
                "status": r.status,
            }
            for r in rounds
        ],
        hide_index=True,
        key="ilc_setup_rounds",
    )


if __name__ == "__main__":  # run as a Streamlit page script
    render()
