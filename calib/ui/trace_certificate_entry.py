"""The "Certificate entry" page: a certificate with its points and a reference per point.

Staff enter drafts; managers may release at once. A released certificate is immutable:
an amendment is a new certificate that supersedes it (ISO/IEC 17025:2017 7.8.8). The
points table is a data editor whose input stays fixed; edits are applied on Save.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import streamlit as st

from calib.permissions import Permission, allowed
from calib.trace_entry import create_certificate, list_codes
from calib.ui.context import current_user, db_session, today
from calib.ui.trace_dcc_upload import dcc_upload
from traceability.decision import DECISION_RULES
from uncertainty.errors import CalibError

__all__ = ["render"]

_EMPTY = pd.DataFrame(
    {
        "quantity": ["DC voltage"],
        "value": [10.0],
        "unit": ["V"],
        "expanded_uncertainty": [2.5e-5],
        "coverage_factor": [2.0],
        "tolerance": [3.5e-4],
        "as_found_error": [None],
        "as_left_error": [None],
        "reference": [None],
    }
).astype({"as_found_error": "float64", "as_left_error": "float64", "reference": "object"})


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def render() -> None:
    """Draw the entry form and store the certificate on Save."""
    user = current_user()
    st.title("Certificate entry")
    st.caption(
        "Points with quantity, value, unit, U and k, tolerance (± half-width) and as-found / "
        "as-left errors; choose the reference certificate used for each point."
    )
    with db_session() as session:
        codes = list_codes(session, user)
    if not codes["instruments"] or not codes["issuers"]:
        st.info("The register has no instrument or issuer yet (use `calib trace import`).")
        return
    dcc_upload(user, codes)
    c1, c2, c3 = st.columns(3)
    number = c1.text_input("Certificate number", key="trace_entry_number")
    instrument = c2.selectbox("Instrument", codes["instruments"], key="trace_entry_instrument")
    issuer = c3.selectbox(
        "Issuer",
        codes["issuers"],
        index=codes["issuers"].index("OWN") if "OWN" in codes["issuers"] else 0,
        key="trace_entry_issuer",
    )
    d1, d2, d3 = st.columns(3)
    calibrated_on = d1.date_input("Calibrated on", value=today(), key="trace_entry_calibrated")
    due_on = d2.date_input("Due", value=today() + dt.timedelta(days=365), key="trace_entry_due")
    rule = d3.selectbox(
        "Decision rule (ILAC G8)", ["none", *DECISION_RULES], key="trace_entry_rule"
    )
    supersedes = st.selectbox(
        "Amends (supersedes)", ["", *codes["certificates"]], key="trace_entry_supersedes"
    )
    edited = st.data_editor(
        _EMPTY,
        num_rows="dynamic",
        hide_index=True,
        key="trace_entry_points",
        column_config={
            "reference": st.column_config.SelectboxColumn(
                "reference certificate", options=codes["certificates"]
            )
        },
    )
    can_release = allowed(user.role, Permission.APPROVE_RECORDS)
    release = st.checkbox("Release now", value=False, disabled=not can_release)
    if not st.button("Save", type="primary", key="trace_entry_save"):
        return
    points, references = [], []
    for j, row in enumerate(edited.to_dict("records")):
        points.append(
            {
                key: _clean(row.get(key))
                for key in (
                    "quantity",
                    "value",
                    "unit",
                    "expanded_uncertainty",
                    "coverage_factor",
                    "tolerance",
                    "as_found_error",
                    "as_left_error",
                )
            }
        )
        if _clean(row.get("reference")):
            references.append((j, str(row["reference"])))
    try:
        with db_session() as session:
            cert = create_certificate(
                session,
                user,
                code=number.strip(),
                instrument=str(instrument),
                issuer=str(issuer),
                calibrated_on=calibrated_on,
                due_on=due_on,
                points=points,
                references=references,
                supersedes=supersedes or None,
                decision_rule=None if rule == "none" else str(rule),
                release=release,
            )
    except CalibError as exc:
        st.error(f"Not saved: {exc}")
        return
    st.success(f"Certificate {cert.code} saved ({cert.status}).")


if __name__ == "__main__":  # run as a Streamlit page script
    render()
