"""The "PT results" page: enter a round's results in an editable table, or upload them.

The editor's input table is built once per round and kept in ``st.session_state``
(never fed back from the editor's output: that makes every second edit vanish);
edits are applied only on an explicit Save, after validation of every cell, and a
successful Save rebuilds the input from the database under a new editor key.
Assessors see the table read-only.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session
from ilc.service import close_round, import_results, list_results, list_rounds, save_results
from ilc.tabular import parse_results_records
from uncertainty.errors import CalibError

__all__ = ["COLUMNS", "editor_key", "render"]

COLUMNS = [
    "participant",
    "value",
    "expanded_uncertainty",
    "coverage_factor",
    "exclude_from_reference",
    "own_lab",
]
_BASE = "ilc_entry_base"
_TOKEN = "ilc_entry_token"


def editor_key(round_id: int, token: int) -> str:
    """Session-state key of the editor of ``round_id`` (``token`` changes on each Save)."""
    return f"ilc_editor_{round_id}_{token}"


def _load(round_id: int) -> pd.DataFrame:
    user = current_user()
    with db_session() as session:
        results = list_results(session, user, round_id)
    frame = pd.DataFrame(
        [
            {
                "participant": r.participant,
                "value": r.value,
                "expanded_uncertainty": r.expanded_uncertainty,
                "coverage_factor": r.coverage_factor,
                "exclude_from_reference": r.exclude_from_reference,
                "own_lab": r.is_own_lab,
            }
            for r in results
        ],
        columns=COLUMNS,
    )
    return frame.astype(
        {
            "participant": "string",
            "value": "float64",
            "expanded_uncertainty": "float64",
            "coverage_factor": "float64",
            "exclude_from_reference": "bool",
            "own_lab": "bool",
        }
    )


def _base_frame(round_id: int) -> tuple[pd.DataFrame, int]:
    """The stable editor input for ``round_id`` (loaded once, kept until Save)."""
    token = int(st.session_state.get(_TOKEN, 0))
    stored = st.session_state.get(_BASE)
    if not (isinstance(stored, tuple) and stored[0] == round_id and stored[1] == token):
        stored = (round_id, token, _load(round_id))
        st.session_state[_BASE] = stored
    frame: pd.DataFrame = stored[2]
    return frame, token


def _reload() -> None:
    st.session_state[_TOKEN] = int(st.session_state.get(_TOKEN, 0)) + 1
    st.session_state.pop(_BASE, None)


def render() -> None:
    """Draw the round selector, the editor with Save, and the upload."""
    user = current_user()
    st.title("PT results")
    with db_session() as session:
        rounds = list_rounds(session, user, status="open", site_id=current_site_id())
    if not rounds:
        st.info("No open round. Rounds are created by the PT coordinator (`calib ilc`).")
        return
    labels = {r.id: f"{r.code} – {r.measurand} [{r.unit}]" for r in rounds}
    round_id = int(
        st.selectbox(
            "Open round", list(labels), format_func=lambda i: labels[i], key="ilc_entry_round"
        )
    )
    chosen = next(r for r in rounds if r.id == round_id)
    st.caption(
        f"Method {chosen.method}; closes {chosen.closes_on}. U as reported with its own k "
        "(ζ and z′ use u = U/k, ISO 13528:2022 9.6). Our lab: "
        f"{chosen.own_participant or 'tick own_lab on its row'}."
    )
    notice = st.session_state.pop("ilc_entry_notice", None)
    if notice:
        st.success(notice)
    frame, token = _base_frame(round_id)
    if not allowed(user.role, Permission.EDIT_RECORDS):
        st.dataframe(frame, hide_index=True)
        return
    edited = st.data_editor(
        frame,
        key=editor_key(round_id, token),
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "participant": st.column_config.TextColumn("participant", required=True),
            "value": st.column_config.NumberColumn("value", format="%.10g", required=True),
            "expanded_uncertainty": st.column_config.NumberColumn("U", format="%.3g", min_value=0),
            "coverage_factor": st.column_config.NumberColumn("k", format="%.3g"),
            "exclude_from_reference": st.column_config.CheckboxColumn("exclude from x_pt"),
            "own_lab": st.column_config.CheckboxColumn("our lab"),
        },
    )
    c1, c2 = st.columns([1, 4])
    if c1.button("Save", key="ilc_entry_save", type="primary"):
        try:
            records = [
                {str(k): v for k, v in record.items()}
                for record in edited.astype(object).where(edited.notna(), None).to_dict("records")
            ]
            rows = parse_results_records(records, first_row=1)
            with db_session() as session:
                stored = save_results(session, user, round_id, rows, replace=True)
        except CalibError as exc:
            st.error(f"Nothing saved: {exc}")
        else:
            st.session_state["ilc_entry_notice"] = f"Saved {len(stored)} results."
            _reload()
            st.rerun()
    if c2.button("Close round for entry", key="ilc_entry_close"):
        try:
            with db_session() as session:
                close_round(session, user, round_id)
        except CalibError as exc:
            st.error(str(exc))
        else:
            _reload()
            st.rerun()
    st.subheader("Upload results")
    upload = st.file_uploader(
        "CSV, Excel (.xlsx) or JSON with columns participant, value, "
        "expanded_uncertainty, coverage_factor[, exclude_from_reference, own_lab]",
        type=["csv", "xlsx", "json"],
        key="ilc_entry_upload",
    )
    if upload is not None and st.button("Import file", key="ilc_entry_import"):
        try:
            with db_session() as session:
                stored = import_results(session, user, round_id, upload.getvalue(), upload.name)
        except CalibError as exc:
            st.error(f"Nothing imported: {exc}")
        else:
            st.session_state["ilc_entry_notice"] = f"Imported {len(stored)} results."
            _reload()
            st.rerun()


if __name__ == "__main__":  # run as a Streamlit page script
    render()
