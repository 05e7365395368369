"""Assessment: the requirement checklist by site, drill-down to the records, evidence pack."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from calib.ui.context import current_site_id, current_user, db_session, today

_ICONS = {"conforming": "🟢 conforming", "finding": "🔴 finding", "missing": "🟡 missing"}
_STATE_KEY = "assessment_statuses"


def _statuses(site_id: int | None, as_of: dt.date, role: str) -> list[Any]:
    from calib.assessment.status import requirement_statuses

    key = (site_id, as_of.isoformat(), role)
    cached = st.session_state.get(_STATE_KEY)
    if isinstance(cached, tuple) and cached[0] == key:
        return list(cached[1])
    with st.spinner("Computing each requirement from the records..."), db_session() as session:
        statuses = requirement_statuses(session, current_user(), as_of=as_of, site_id=site_id)
    st.session_state[_STATE_KEY] = (key, statuses)
    return statuses


def _drill_down(status: Any) -> None:
    from calib.assessment.evidence import resolve_evidence

    st.subheader(f"{status.requirement_id} {status.title}")
    st.caption(f"{status.clause} · {_ICONS[status.status]}")
    for outcome in status.outcomes:
        with st.expander(f"{outcome.rule}: {outcome.state}", expanded=outcome.state != "pass"):
            for message in outcome.messages:
                st.write(f"- {message}")
    if not status.evidence:
        st.info("No records behind this requirement.")
        return
    with db_session() as session:
        records = resolve_evidence(session, status.evidence[:200])
    rows = [{"record": ref, **(state or {})} for ref, state in records.items()]
    st.markdown(f"**Records behind it** ({len(status.evidence)})")
    st.dataframe(pd.DataFrame(rows).astype(str), hide_index=True, key="assessment_records")


def _export(site_id: int | None, as_of: dt.date) -> None:
    from calib.assessment.evidence import pack_bytes

    st.subheader("Evidence pack")
    st.caption("report.pdf, evidence/*.json and *.csv, manifest.json with SHA-256 of every file")
    if st.button("Prepare evidence pack", key="assessment_prepare_pack"):
        with st.spinner("Building the pack..."), db_session() as session:
            data, manifest = pack_bytes(session, current_user(), as_of=as_of, site_id=site_id)
        st.session_state["assessment_pack"] = (
            data,
            f"evidence-pack-{manifest.site or 'all'}-{as_of}.zip",
        )
    prepared = st.session_state.get("assessment_pack")
    if isinstance(prepared, tuple):
        st.download_button(
            "Download evidence pack",
            data=prepared[0],
            file_name=prepared[1],
            mime="application/zip",
            key="assessment_download_pack",
        )


def render() -> None:
    """The checklist page."""
    st.title("Assessment")
    user = current_user()
    site_id = current_site_id()
    as_of = st.date_input("Assessment date", value=today(), key="assessment_as_of")
    if not isinstance(as_of, dt.date):
        as_of = today()
    if st.button("Recompute", key="assessment_recompute"):
        st.session_state.pop(_STATE_KEY, None)
    statuses = _statuses(site_id, as_of, user.role)
    counts = {s: sum(1 for x in statuses if x.status == s) for s in _ICONS}
    cols = st.columns(3)
    for col, (name, label) in zip(cols, _ICONS.items(), strict=True):
        col.metric(label.split(" ", 1)[1].capitalize(), counts[name])
    table = pd.DataFrame(
        [
            {
                "Id": s.requirement_id,
                "Clause": s.clause,
                "Requirement": s.title,
                "Status": _ICONS[s.status],
                "Summary": s.messages[0] if s.messages else "",
            }
            for s in statuses
        ]
    )
    st.dataframe(table, hide_index=True, key="assessment_checklist")
    ids = [s.requirement_id for s in statuses]
    chosen = st.selectbox(
        "Drill down to a requirement",
        ids,
        format_func=lambda i: f"{i} · {next(s.title for s in statuses if s.requirement_id == i)}",
        key="assessment_requirement",
    )
    status = next(s for s in statuses if s.requirement_id == chosen)
    _drill_down(status)
    _export(site_id, as_of)


if __name__ == "__main__":
    render()
