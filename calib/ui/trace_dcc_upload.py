"""The "Upload DCC" expander of the certificate entry page.

A PTB Digital Calibration Certificate (XML) is parsed (:func:`traceability.dcc.parse_dcc`)
and previewed (certificate, item, laboratory, points with the element each came from,
what was skipped) before anything is saved; the register instrument and issuer default
to the DCC item's serial and laboratory when one matches. Saving goes through
:func:`calib.trace_dcc.store_dcc`, the same validated, audited transaction as
``calib trace import-dcc``; staff save a draft, managers may release at once.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from calib.permissions import Permission, Principal, allowed
from calib.trace_dcc import match_instrument, match_issuer, store_dcc
from calib.ui.context import db_session
from traceability.dcc import DccCertificate, parse_dcc
from uncertainty.errors import CalibError

__all__ = ["dcc_upload"]


def _preview(parsed: DccCertificate) -> None:
    cert, item, lab = parsed.certificate, parsed.item, parsed.laboratory
    issued = f", issued {cert.issued_on}" if cert.issued_on else ""
    st.markdown(
        f"**{cert.id}** (DCC {parsed.schema_version}), calibrated {cert.calibrated_on}{issued}  \n"
        f"Item: {item.description or '-'}; {item.manufacturer or '-'} {item.model or ''}; "
        f"serial {item.serial or '-'}  \n"
        f"Laboratory: {lab.name or '-'} (code {lab.code or '-'})"
    )
    rows = [
        {**point.model_dump(exclude_none=True), "DCC element": path}
        for point, path in zip(cert.points, parsed.paths, strict=True)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    for line in parsed.skipped:
        st.caption(f"Skipped {line}")


def _default(options: list[str], session_match: str | None) -> int:
    return options.index(session_match) if session_match in options else 0


def dcc_upload(user: Principal, codes: dict[str, list[str]]) -> None:
    """Draw the expander: upload, preview, choose instrument and issuer, save."""
    with st.expander("Upload DCC (PTB Digital Calibration Certificate, XML)"):
        upload = st.file_uploader("DCC file", type=["xml"], key="trace_dcc_file")
        if upload is None:
            st.caption("The certificate is previewed before anything is saved.")
            return
        try:
            parsed = parse_dcc(upload.getvalue())
        except CalibError as exc:
            st.error(f"Not read: {exc}")
            return
        _preview(parsed)
        with db_session() as session:
            matches: list[str | None] = []
            for match in (match_instrument, match_issuer):
                try:
                    matches.append(match(session, parsed))
                except CalibError:
                    matches.append(None)
        c1, c2 = st.columns(2)
        instrument = c1.selectbox(
            "Instrument",
            codes["instruments"],
            index=_default(codes["instruments"], matches[0]),
            key="trace_dcc_instrument",
        )
        issuer = c2.selectbox(
            "Issuer",
            codes["issuers"],
            index=_default(codes["issuers"], matches[1]),
            key="trace_dcc_issuer",
        )
        can_release = allowed(user.role, Permission.APPROVE_RECORDS)
        release = st.checkbox(
            "Release now", value=False, disabled=not can_release, key="trace_dcc_release"
        )
        if not st.button("Save DCC certificate", key="trace_dcc_save"):
            return
        try:
            with db_session() as session:
                result = store_dcc(
                    session,
                    user,
                    parsed,
                    issuer=str(issuer),
                    instrument=str(instrument),
                    release=release,
                )
        except CalibError as exc:
            st.error(f"Not saved: {exc}")
            return
        state = "released" if result.released else "draft"
        st.success(
            f"Certificate {result.certificate} saved from the DCC ({state}, "
            f"{result.points} point(s))."
        )
