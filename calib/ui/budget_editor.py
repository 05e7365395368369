"""The "Uncertainty budgets" page: list by procedure, editor, results, review.

Staff and managers edit drafts (model with live validation, inputs and correlations in
editable tables applied on an explicit Save), evaluate (GUF, optionally Monte Carlo with
a recorded seed and a progress bar), submit, and start a new version of an approved
budget. Managers and assessors approve or reject a submitted budget (never their own
submission). Assessors otherwise see budgets read-only and comment.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from calib.lab import list_procedures
from calib.permissions import Permission, allowed
from calib.ui.budget_charts import contributions_frame, histogram_chart, pareto_chart
from calib.ui.budget_tables import (
    DISTRIBUTION_CHOICES,
    NUMBER_COLUMNS,
    correlations_frame,
    document_from_tables,
    inputs_frame,
    model_lines,
)
from calib.ui.context import current_user, db_session
from uncertainty.errors import CalibError
from uncertainty.records import UncertaintyBudget
from uncertainty.service import (
    CmcLine,
    add_comment,
    approve_budget,
    check_cmc_line,
    evaluate_stored_budget,
    import_budget,
    last_evaluation,
    list_budgets,
    list_comments,
    reject_budget,
    result_of,
    revise_budget,
    submit_budget,
    update_draft,
)

__all__ = ["render"]


def _flash(message: str) -> None:
    st.session_state["budget_flash"] = message


def _budget_label(budget: UncertaintyBudget) -> str:
    return f"#{budget.id} {budget.name} (v{budget.version}, {budget.status})"


def _list(user: Any) -> tuple[dict[int, str], list[UncertaintyBudget]]:
    with db_session() as session:
        procedures = {
            int(p.id or 0): f"{p.code} v{p.version}" for p in list_procedures(session, user)
        }
    codes = ["All procedures", *procedures.values()]
    chosen = st.selectbox("Procedure", codes, key="budget_procedure")
    procedure_id = next((pid for pid, label in procedures.items() if label == chosen), None)
    with db_session() as session:
        budgets = list_budgets(session, user, procedure_id=procedure_id)
    st.dataframe(
        [
            {
                "id": b.id,
                "procedure": procedures.get(b.procedure_id, b.procedure_id),
                "budget": b.name,
                "version": b.version,
                "status": b.status,
                "measurand": b.measurand,
                "CMC": f"{b.cmc_expanded_uncertainty:g} {b.cmc_unit}"
                if b.cmc_expanded_uncertainty is not None
                else "",
                "submitted by": b.submitted_by,
                "approved by": b.approved_by,
            }
            for b in budgets
        ],
        hide_index=True,
        width="stretch",
    )
    return procedures, budgets


def _line_inputs(prefix: str, line: CmcLine, disabled: bool = False) -> CmcLine:
    """Fields of a CMC line (measurand, range, claimed CMC); 0 or empty means none."""
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    measurand = c1.text_input(
        "Measurand", value=line.measurand, key=f"{prefix}_measurand", disabled=disabled
    )
    low = c2.number_input(
        "Range from",
        value=line.range_min,
        key=f"{prefix}_range_min",
        format="%g",
        disabled=disabled,
    )
    high = c3.number_input(
        "Range to", value=line.range_max, key=f"{prefix}_range_max", format="%g", disabled=disabled
    )
    range_unit = c4.text_input(
        "Range unit", value=line.range_unit, key=f"{prefix}_range_unit", disabled=disabled
    )
    d1, d2, d3 = st.columns([1, 1, 2])
    cmc = d1.number_input(
        "CMC claimed (U, about 95 %)",
        value=line.cmc_expanded_uncertainty,
        min_value=0.0,
        key=f"{prefix}_cmc",
        format="%g",
        disabled=disabled,
    )
    cmc_unit = d2.text_input(
        "CMC unit", value=line.cmc_unit, key=f"{prefix}_cmc_unit", disabled=disabled
    )
    output = d3.text_input(
        "Model output (empty: the first)",
        value=line.output,
        key=f"{prefix}_output",
        disabled=disabled,
    )
    return CmcLine(
        measurand=measurand,
        output=output,
        range_min=low,
        range_max=high,
        range_unit=range_unit,
        cmc_expanded_uncertainty=cmc or None,
        cmc_unit=cmc_unit,
    )


def _line_form(user: Any, budget: UncertaintyBudget, editable: bool) -> None:
    current = CmcLine.model_validate(budget, from_attributes=True)
    with st.expander("CMC line", expanded=False):
        line = _line_inputs(f"budget_line_{budget.id}_{budget.version}", current, not editable)
        if editable and st.button("Save CMC line", key=f"budget_line_save_{budget.id}"):
            try:
                with db_session() as session:
                    update_draft(session, user, int(budget.id or 0), line=line)
                _flash("CMC line saved.")
                st.rerun()
            except CalibError as exc:
                st.error(f"Not saved: {exc}")


def _import_form(user: Any, procedures: dict[int, str]) -> None:
    with st.expander("Import a budget document (JSON)"):
        upload = st.file_uploader("Budget JSON", type=["json"], key="budget_upload")
        target = st.selectbox("For procedure", list(procedures.values()), key="budget_import_proc")
        line = _line_inputs("budget_import", CmcLine())
        if st.button("Import", key="budget_import", disabled=upload is None):
            procedure_id = next(pid for pid, label in procedures.items() if label == target)
            try:
                with db_session() as session:
                    created = import_budget(
                        session,
                        user,
                        procedure_id=procedure_id,
                        text=upload.getvalue() if upload is not None else b"",
                        line=line,
                    )
                    st.session_state["budget_select_next"] = int(created.id or 0)
                _flash(f"Imported budget #{created.id} as a draft.")
                st.rerun()
            except CalibError as exc:
                st.error(str(exc))


def _model_status(model_text: str, document: dict[str, Any]) -> None:
    """Live validation: parse the model, then check it against the stored inputs."""
    from uncertainty.budget import compile_budget
    from uncertainty.model import parse_model

    equations = [line for line in model_text.splitlines() if line.strip()]
    try:
        parse_model(equations)
        compile_budget({**document, "model": equations})
    except (CalibError, ValueError) as exc:
        st.error(f"Model: {exc}")
        return
    st.caption(":green[Model parses and its units agree.]")


def _editor(user: Any, budget: UncertaintyBudget, editable: bool) -> None:
    document: dict[str, Any] = json.loads(budget.document)
    tag = f"{budget.id}_{budget.document_sha256[:12]}"
    # Keep the data_editor inputs stable across reruns: built once per stored version.
    frames = st.session_state.setdefault(
        f"budget_frames_{tag}", (inputs_frame(document), correlations_frame(document))
    )
    model_text = st.text_area(
        "Model (one equation per line)",
        value=model_lines(document),
        key=f"budget_model_{tag}",
        disabled=not editable,
        height=100,
    )
    _model_status(model_text, document)
    number = {c: st.column_config.NumberColumn(c, format="%g") for c in NUMBER_COLUMNS}
    st.markdown("**Inputs** (fill the uncertainty fields of one form per input)")
    edited_inputs = st.data_editor(
        frames[0],
        key=f"budget_inputs_{tag}",
        disabled=not editable,
        num_rows="dynamic" if editable else "fixed",
        hide_index=True,
        width="stretch",
        column_config={
            "distribution": st.column_config.SelectboxColumn(
                "distribution", options=DISTRIBUTION_CHOICES
            ),
            "value": st.column_config.NumberColumn("value", format="%g"),
            **number,
        },
    )
    st.markdown("**Correlations** r(a, b)")
    edited_corr = st.data_editor(
        frames[1],
        key=f"budget_corr_{tag}",
        disabled=not editable,
        num_rows="dynamic" if editable else "fixed",
        hide_index=True,
        column_config={
            "coefficient": st.column_config.NumberColumn(
                "coefficient", min_value=-1.0, max_value=1.0, format="%g"
            )
        },
    )
    if editable and st.button("Save", key=f"budget_save_{tag}", type="primary"):
        try:
            new_doc = document_from_tables(document, model_text, edited_inputs, edited_corr)
            with db_session() as session:
                update_draft(session, user, int(budget.id or 0), document=new_doc)
            _flash("Saved. Evaluate the budget again before submitting it.")
            st.rerun()
        except CalibError as exc:
            st.error(f"Not saved: {exc}")


def _evaluate(user: Any, budget: UncertaintyBudget) -> None:
    c1, c2, c3, c4 = st.columns([1, 1, 1, 1])
    monte_carlo = c1.checkbox("Monte Carlo (JCGM 101)", key="budget_mc")
    trials = int(
        c2.number_input("Trials M", 1000, 10_000_000, 200_000, step=10_000, key="budget_trials")
    )
    seed_text = c3.text_input("Seed (empty: new)", key="budget_seed")
    if c4.button("Evaluate", key="budget_evaluate", type="primary"):
        seed = int(seed_text) if seed_text.strip().isdigit() else None
        bar = st.progress(0.0, text="Monte Carlo") if monte_carlo else None
        if monte_carlo:
            # A click reruns the script: Streamlit stops this run at the next progress
            # update (between chunks), the transaction rolls back and nothing is stored.
            st.button(
                "Cancel Monte Carlo",
                key="budget_mc_cancel",
                on_click=_flash,
                args=("Monte Carlo cancelled: nothing was stored.",),
            )

        def progress(done: int, total: int) -> None:
            if bar is not None and total:
                bar.progress(min(done / total, 1.0), text=f"Monte Carlo: {done:,} of {total:,}")

        try:
            with db_session() as session:
                evaluate_stored_budget(
                    session,
                    user,
                    int(budget.id or 0),
                    monte_carlo=monte_carlo,
                    trials=trials if monte_carlo else None,
                    seed=seed,
                    progress=progress,
                )
            _flash("Evaluated.")
            st.rerun()
        except CalibError as exc:
            st.error(f"Evaluation failed: {exc}")


def _results(user: Any, budget: UncertaintyBudget) -> None:
    with db_session() as session:
        evaluation = last_evaluation(session, user, int(budget.id or 0))
    if evaluation is None:
        st.info("Not evaluated yet.")
        return
    result = result_of(evaluation)
    stale = evaluation.document_sha256 != budget.document_sha256
    st.caption(
        f"Evaluated {evaluation.evaluated_at:%Y-%m-%d %H:%M} UTC by {evaluation.evaluated_by}, "
        f"engine {evaluation.engine_version}"
        + (
            f", Monte Carlo M = {evaluation.trials:,}, seed {evaluation.seed}"
            if evaluation.monte_carlo
            else ""
        )
        + (" — the budget changed since: evaluate again" if stale else "")
    )
    for warning in result.warnings:
        st.warning(warning)
    for name, output in result.outputs.items():
        st.success(output.statement)
        st.dataframe(contributions_frame(output), hide_index=True, width="stretch")
        st.altair_chart(pareto_chart(output), width="stretch")
        chart = histogram_chart(output)
        if chart is not None and output.monte_carlo is not None:
            st.altair_chart(chart, width="stretch")
            mc = output.monte_carlo
            st.markdown(
                f"Monte Carlo {name}: y = {mc.mean:.6g}, u = {mc.standard_uncertainty:.3g}, "
                f"symmetric [{mc.interval[0]:.6g}, {mc.interval[1]:.6g}], "
                f"shortest [{mc.shortest_interval[0]:.6g}, {mc.shortest_interval[1]:.6g}] {output.unit}"
            )
            if mc.validation is not None:
                v = mc.validation
                verdict = "validated" if v.validated else "NOT validated"
                text = (
                    f"GUF {verdict} by Monte Carlo (JCGM 101 8.2): d_low = {v.d_low:.2g}, "
                    f"d_high = {v.d_high:.2g}, δ = {v.delta:.2g}"
                )
                (st.success if v.validated else st.warning)(text)
    line = check_cmc_line(budget)
    if line.cmc_claimed is not None and line.expanded_uncertainty is not None:
        text = (
            f"CMC claimed {line.cmc_claimed:g} {line.cmc_unit}; this budget gives "
            f"U = {line.expanded_uncertainty:.3g} {line.cmc_unit}"
        )
        if line.supports_cmc:
            st.info(text + " (U ≥ CMC).")
        else:
            st.error(text + ": U is below the claimed CMC (ILAC P14 5.4).")


def _workflow(user: Any, budget: UncertaintyBudget) -> None:
    bid = int(budget.id or 0)
    actions: list[tuple[str, Any]] = []
    if budget.status == "draft" and allowed(user.role, Permission.EDIT_RECORDS):
        actions.append(("Submit for approval", submit_budget))
    if budget.status == "approved" and allowed(user.role, Permission.EDIT_RECORDS):
        actions.append(("New version", revise_budget))
    if budget.status == "submitted" and allowed(user.role, Permission.APPROVE_BUDGETS):
        actions.append(("Approve", approve_budget))
    columns = st.columns(max(len(actions), 1) + 1)
    for column, (label, action) in zip(columns, actions, strict=False):
        if column.button(label, key=f"budget_{label}"):
            try:
                with db_session() as session:
                    changed = action(session, user, bid)
                    st.session_state["budget_select_next"] = int(changed.id or 0)
                _flash(f"{label}: done.")
                st.rerun()
            except CalibError as exc:
                st.error(str(exc))
    with db_session() as session:
        text = session.get(UncertaintyBudget, bid)
        exported = text.document if text is not None else "{}"
    columns[-1].download_button(
        "Export JSON",
        exported,
        file_name=f"budget-{bid}-v{budget.version}.json",
        mime="application/json",
        key="budget_export",
    )
    if budget.status == "submitted" and allowed(user.role, Permission.APPROVE_BUDGETS):
        reason = st.text_input("Reason for rejecting", key="budget_reject_reason")
        if st.button("Reject", key="budget_reject"):
            try:
                with db_session() as session:
                    reject_budget(session, user, bid, reason)
                _flash("Rejected: the budget is a draft again.")
                st.rerun()
            except CalibError as exc:
                st.error(str(exc))


def _comments(user: Any, budget: UncertaintyBudget) -> None:
    st.subheader("Comments")
    with db_session() as session:
        comments = list_comments(session, user, int(budget.id or 0))
    for c in comments:
        st.markdown(
            f"**{c.author}** ({c.author_role}, {c.created_at:%Y-%m-%d}, {c.kind}): {c.text}"
        )
    if allowed(user.role, Permission.COMMENT):
        text = st.text_area("Add a comment", key="budget_comment_text")
        if st.button("Add comment", key="budget_comment"):
            try:
                with db_session() as session:
                    add_comment(session, user, int(budget.id or 0), text)
                _flash("Comment added.")
                st.rerun()
            except CalibError as exc:
                st.error(str(exc))


def render() -> None:
    """Draw the budget list and the selected budget."""
    user = current_user()
    st.title("Uncertainty budgets")
    st.caption(
        "GUM (JCGM 100:2008) budgets with Monte Carlo validation (JCGM 101:2008), one per "
        "CMC line; ISO/IEC 17025:2017 7.6, EA-4/02 M:2022 layout."
    )
    flash = st.session_state.pop("budget_flash", None)
    if flash:
        st.success(flash)
    procedures, budgets = _list(user)
    if allowed(user.role, Permission.EDIT_RECORDS) and procedures:
        _import_form(user, procedures)
    if not budgets:
        st.info("No budgets for this procedure yet.")
        return
    by_id = {int(b.id or 0): b for b in budgets}
    ids = list(by_id)
    pending = st.session_state.pop("budget_select_next", None)
    if pending in by_id:
        st.session_state["budget_pick"] = pending
    if st.session_state.get("budget_pick") not in by_id:
        st.session_state["budget_pick"] = ids[0]
    chosen = st.selectbox(
        "Budget", ids, format_func=lambda i: _budget_label(by_id[i]), key="budget_pick"
    )
    budget = by_id[chosen]
    editable = budget.status == "draft" and allowed(user.role, Permission.EDIT_RECORDS)
    st.header(_budget_label(budget))
    if budget.rejection_reason:
        st.warning(f"Rejected: {budget.rejection_reason}")
    if not editable:
        st.caption(
            "Read-only: "
            + (
                "approved budgets are changed through a new version."
                if budget.status == "approved"
                else f"the budget is {budget.status}."
                if allowed(user.role, Permission.EDIT_RECORDS)
                else "your role reviews and comments."
            )
        )
    _line_form(user, budget, editable)
    _editor(user, budget, editable)
    st.subheader("Results")
    if allowed(user.role, Permission.EDIT_RECORDS):
        _evaluate(user, budget)
    _results(user, budget)
    _workflow(user, budget)
    _comments(user, budget)


if __name__ == "__main__":  # Streamlit runs page scripts as __main__
    render()
