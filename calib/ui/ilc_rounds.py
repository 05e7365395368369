"""The "PT rounds" page: round list with filters, then one round's scores and charts.

Everybody reads; managers score a closed or open round (scores are stored and an
unsatisfactory result of our lab opens a nonconformity and corrective action).
"""

from __future__ import annotations

import streamlit as st

from calib.permissions import Permission, allowed
from calib.ui.context import current_site_id, current_user, db_session, today
from calib.ui.ilc_charts import en_chart, score_frame, style_verdicts, z_chart
from ilc.records import ROUND_STATUSES
from ilc.service import (
    get_round,
    list_results,
    list_rounds,
    list_subdisciplines,
    new_round_version,
    round_scores,
    score_round,
)
from uncertainty.errors import CalibError

__all__ = ["render"]


def render() -> None:
    """Draw the round list and the selected round."""
    user = current_user()
    st.title("PT rounds")
    st.caption(
        "Proficiency tests and inter-laboratory comparisons (ISO/IEC 17025:2017 7.7.2); "
        "scores per ISO 13528:2022 clause 9."
    )
    notice = st.session_state.pop("ilc_notice", None)
    if notice:
        st.success(notice)
    with db_session() as session:
        subs = {s.code: int(s.id or 0) for s in list_subdisciplines(session, user)}
    c1, c2 = st.columns(2)
    status = c1.selectbox("Status", ["all", *ROUND_STATUSES], key="ilc_rounds_status")
    sub = c2.selectbox("Sub-discipline", ["all", *subs], key="ilc_rounds_sub")
    with db_session() as session:
        rounds = list_rounds(
            session,
            user,
            status=None if status == "all" else status,
            subdiscipline_id=None if sub == "all" else subs[sub],
            site_id=current_site_id(),
        )
    if not rounds:
        st.info("No rounds match the filters.")
        return
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
                "version": r.version,
                "results": r.results,
                "our verdict": r.own_verdict or "–",
            }
            for r in rounds
        ],
        hide_index=True,
    )
    labels = {r.id: f"{r.code} – {r.measurand} ({r.status})" for r in rounds}
    round_id = st.selectbox(
        "Round", list(labels), format_func=lambda i: labels[i], key="ilc_rounds_selected"
    )
    _render_round(int(round_id))


def _render_round(round_id: int) -> None:
    user = current_user()
    with db_session() as session:
        pt_round = get_round(session, user, round_id)
        pairs = round_scores(session, user, round_id)
        results = list_results(session, user, round_id)
    st.subheader(f"{pt_round.code}: {pt_round.measurand} [{pt_round.unit}]")
    if pt_round.status != "scored":
        st.write(f"{len(results)} results entered; method `{pt_round.method}`; not scored yet.")
        if results:
            st.dataframe(
                [
                    {
                        "participant": r.participant,
                        "value": r.value,
                        "U": r.expanded_uncertainty,
                        "k": r.coverage_factor,
                        "our lab": r.is_own_lab,
                    }
                    for r in results
                ],
                hide_index=True,
                column_config={
                    "value": st.column_config.NumberColumn(format="%.10g"),
                    "U": st.column_config.NumberColumn(format="%.2g"),
                    "k": st.column_config.NumberColumn(format="%.3g"),
                },
            )
        if allowed(user.role, Permission.APPROVE_RECORDS) and results:
            if st.button("Score round", key="ilc_score_button", type="primary"):
                try:
                    with db_session() as session:
                        outcome = score_round(session, user, round_id, as_of=today())
                except CalibError as exc:
                    st.error(str(exc))
                    return
                st.session_state["ilc_notice"] = (
                    f"Scored {len(outcome.scores)} results; "
                    f"{len(outcome.nonconformities)} nonconformity(ies) opened."
                )
                st.rerun()
        return
    first = pairs[0][1]
    sigma = "–" if first.sigma_pt is None else f"{first.sigma_pt:.4g}"
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Assigned value x_pt", f"{first.assigned_value:.10g}")
    c2.metric("u(x_pt)", f"{first.assigned_standard_uncertainty:.3g}")
    c3.metric("σ_pt", sigma)
    c4.metric("Method", first.method)
    st.caption(
        f"En limit {first.en_limit:g}; degrees of equivalence: {first.doe_convention} "
        f"convention; scored on {pt_round.scored_on} by {pt_round.scored_by}."
    )
    frame = score_frame(pairs)
    st.dataframe(style_verdicts(frame.drop(columns=["own"])), hide_index=True, key="ilc_scores")
    left, right = st.columns(2)
    left.altair_chart(en_chart(frame, first.en_limit), use_container_width=True)
    right.altair_chart(z_chart(frame), use_container_width=True)
    if allowed(user.role, Permission.EDIT_RECORDS) and st.button(
        "New version of this round", key="ilc_new_version"
    ):
        try:
            with db_session() as session:
                copy = new_round_version(session, user, round_id)
        except CalibError as exc:
            st.error(str(exc))
            return
        st.success(f"Version {copy.version} created (id {copy.id}); edit it under PT results.")


if __name__ == "__main__":  # run as a Streamlit page script
    render()
