"""`calib budget` commands: `evaluate` (CONTRACTS.md section 1); `fit` is wired in cli.py.

The engine is imported inside the command so that `calib budget evaluate` starts fast
(no database, no Streamlit).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from calib.cli_support import cli_errors, cli_operator, dump_json, read_json_file

if TYPE_CHECKING:
    from sqlmodel import Session

    from uncertainty.records import UncertaintyBudget

app = typer.Typer(help="Uncertainty budgets (GUM, JCGM 101 Monte Carlo).", no_args_is_help=True)


@app.command("evaluate")
@cli_errors
def evaluate(
    file: Path = typer.Argument(..., help="Budget document (JSON, CONTRACTS.md section 1)."),
    json_output: bool = typer.Option(False, "--json", help="Print the result document as JSON."),
    monte_carlo: bool = typer.Option(
        False, "--monte-carlo", help="Also run Monte Carlo (JCGM 101) and validate the GUF."
    ),
    trials: int | None = typer.Option(None, "--trials", min=100, help="Monte Carlo trials M."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Monte Carlo seed (recorded)."),
) -> None:
    """Evaluate an uncertainty budget: GUF table and statement, optionally Monte Carlo."""
    from calib.commands.progress import monte_carlo_progress
    from uncertainty.budget import evaluate_budget

    data = read_json_file(file)
    run_mc = True if (monte_carlo or trials is not None) else None
    wants_mc = bool(run_mc) or (isinstance(data, dict) and data.get("monte_carlo") is not None)
    from uncertainty.errors import CalibError

    try:
        with monte_carlo_progress(enabled=wants_mc) as (progress, cancel):
            result = evaluate_budget(
                data, monte_carlo=run_mc, trials=trials, seed=seed, progress=progress, cancel=cancel
            )
    except CalibError as exc:
        from uncertainty.montecarlo import MonteCarloCancelled  # only loaded when needed

        if not isinstance(exc, MonteCarloCancelled):
            raise
        typer.echo("cancelled", err=True)  # Ctrl-C between chunks is not bad input
        raise typer.Exit(130) from None
    if json_output:
        dump_json(result)
        return
    from uncertainty.report import render_text

    typer.echo(render_text(result), nl=False)


# ------------------------------------------------------------------ budgets in the database
# These commands act as ``cli:<login>`` with admin rights (audited under that name). The
# database and service are imported inside each command (``evaluate`` stays light).


def _budget_row(budget: UncertaintyBudget) -> dict[str, object]:
    keys = (
        "id",
        "procedure_id",
        "name",
        "version",
        "supersedes_id",
        "status",
        "measurand",
        "output",
        "range_min",
        "range_max",
        "range_unit",
        "cmc_expanded_uncertainty",
        "cmc_unit",
        "created_by",
        "submitted_by",
        "approved_by",
        "approved_at",
        "rejection_reason",
    )
    return {key: _plain(getattr(budget, key)) for key in keys}


def _plain(value: object) -> object:
    """Datetimes as ISO 8601 text (JSON output)."""
    import datetime as dt

    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def _procedure_id(session: Session, code: str) -> int:
    from sqlmodel import col, select

    from calib.records import Procedure
    from uncertainty.errors import NotFoundError

    found = session.exec(
        select(Procedure).where(Procedure.code == code).order_by(col(Procedure.version).desc())
    ).first()
    if found is None:
        raise NotFoundError(f"procedure {code!r} does not exist")
    return int(found.id or 0)


@app.command("list")
@cli_errors
def list_command(
    procedure: str | None = typer.Option(None, "--procedure", help="Procedure code."),
    status: str | None = typer.Option(None, "--status", help="draft, submitted or approved."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List stored budgets (all versions)."""
    from calib.db import ensure_database, session_scope
    from uncertainty.service import list_budgets

    actor = cli_operator()
    with session_scope(ensure_database()) as session:
        pid = _procedure_id(session, procedure) if procedure else None
        rows = [
            _budget_row(b) for b in list_budgets(session, actor, procedure_id=pid, status=status)
        ]
    if json_output:
        dump_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['id']:>4}  v{row['version']}  {row['status']:<9}  {row['name']}")


@app.command("show")
@cli_errors
def show_command(
    budget_id: int = typer.Argument(..., help="Budget id."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a stored budget, its last evaluation and its comments."""
    from calib.db import ensure_database, session_scope
    from uncertainty.report import render_text
    from uncertainty.service import get_budget, last_evaluation, list_comments, result_of

    actor = cli_operator()
    with session_scope(ensure_database()) as session:
        budget = get_budget(session, actor, budget_id)
        row = _budget_row(budget)
        evaluation = last_evaluation(session, actor, budget_id)
        result = result_of(evaluation) if evaluation is not None else None
        comments = [
            {
                "author": c.author,
                "kind": c.kind,
                "created_at": _plain(c.created_at),
                "text": c.text,
            }
            for c in list_comments(session, actor, budget_id)
        ]
        document = budget.document
    if json_output:
        dump_json(
            {
                **row,
                "document": json.loads(document),
                "last_evaluation": None
                if evaluation is None
                else {
                    "evaluated_at": _plain(evaluation.evaluated_at),
                    "evaluated_by": evaluation.evaluated_by,
                    "engine_version": evaluation.engine_version,
                    "seed": evaluation.seed,
                    "trials": evaluation.trials,
                    "result": result.model_dump(mode="json") if result is not None else None,
                },
                "comments": comments,
            }
        )
        return
    typer.echo(f"#{row['id']} {row['name']} (v{row['version']}, {row['status']})")
    if result is not None:
        typer.echo(render_text(result), nl=False)
    for comment in comments:
        typer.echo(f"- {comment['author']} ({comment['kind']}): {comment['text']}")


@app.command("import")
@cli_errors
def import_command(
    file: Path = typer.Argument(..., help="Budget document (JSON)."),
    procedure: str = typer.Option(..., "--procedure", help="Procedure code, e.g. CP-MAS-01."),
    measurand: str = typer.Option("", "--measurand"),
    cmc: float | None = typer.Option(None, "--cmc", help="Claimed CMC (expanded uncertainty)."),
    cmc_unit: str = typer.Option("", "--cmc-unit"),
    range_min: float | None = typer.Option(None, "--range-min"),
    range_max: float | None = typer.Option(None, "--range-max"),
    range_unit: str = typer.Option("", "--range-unit"),
) -> None:
    """Store a budget document as a new draft for a procedure and CMC line."""
    from calib.db import ensure_database, session_scope
    from uncertainty.service import CmcLine, import_budget

    text = file.read_text(encoding="utf-8") if file.exists() else None
    if text is None:
        from calib.cli_support import bad_input

        bad_input(f"file {str(file)!r} does not exist")
    line = CmcLine(
        measurand=measurand,
        cmc_expanded_uncertainty=cmc,
        cmc_unit=cmc_unit,
        range_min=range_min,
        range_max=range_max,
        range_unit=range_unit,
    )
    actor = cli_operator()
    with session_scope(ensure_database()) as session:
        created = import_budget(
            session,
            actor,
            procedure_id=_procedure_id(session, procedure),
            text=text,
            line=line,
        )
        typer.echo(f"budget {created.id} stored as a draft")


@app.command("export")
@cli_errors
def export_command(
    budget_id: int = typer.Argument(..., help="Budget id."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
) -> None:
    """Write the stored budget document (JSON; `calib budget evaluate` reads it)."""
    from calib.db import ensure_database, session_scope
    from uncertainty.service import export_budget

    with session_scope(ensure_database()) as session:
        text = export_budget(session, cli_operator(), budget_id)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")


def _transition(name: str, budget_id: int, reason: str | None = None) -> None:
    from calib.db import ensure_database, session_scope
    from uncertainty import service

    actor = cli_operator()
    with session_scope(ensure_database()) as session:
        if name == "reject":
            budget = service.reject_budget(session, actor, budget_id, reason or "")
        elif name == "evaluate":
            service.evaluate_stored_budget(session, actor, budget_id)
            budget = service.get_budget(session, actor, budget_id)
        else:
            action = {
                "submit": service.submit_budget,
                "approve": service.approve_budget,
                "revise": service.revise_budget,
            }[name]
            budget = action(session, actor, budget_id)
        typer.echo(f"budget {budget.id}: {budget.status} (v{budget.version})")


@app.command("evaluate-stored")
@cli_errors
def evaluate_stored_command(budget_id: int = typer.Argument(..., help="Budget id.")) -> None:
    """Evaluate a stored budget (GUF) and store the result."""
    _transition("evaluate", budget_id)


@app.command("submit")
@cli_errors
def submit_command(budget_id: int = typer.Argument(..., help="Budget id.")) -> None:
    """Submit a draft (evaluated since its last change) for approval."""
    _transition("submit", budget_id)


@app.command("approve")
@cli_errors
def approve_command(budget_id: int = typer.Argument(..., help="Budget id.")) -> None:
    """Approve a submitted budget (not by the person who submitted it)."""
    _transition("approve", budget_id)


@app.command("reject")
@cli_errors
def reject_command(
    budget_id: int = typer.Argument(..., help="Budget id."),
    reason: str = typer.Option(..., "--reason", help="Why the budget goes back to draft."),
) -> None:
    """Send a submitted budget back to draft with a reason."""
    _transition("reject", budget_id, reason)


@app.command("revise")
@cli_errors
def revise_command(budget_id: int = typer.Argument(..., help="Budget id.")) -> None:
    """Start a new draft version of an approved budget."""
    _transition("revise", budget_id)


@app.command("coverage")
@cli_errors
def coverage_command(
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """For each current procedure: approved budget? does its U support the claimed CMC?"""
    import datetime as dt

    from calib.cli_support import EXIT_FINDINGS, EXIT_OK, bad_input
    from calib.db import ensure_database, session_scope
    from uncertainty.service import approved_budget_coverage

    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        bad_input(f"--as-of: expected YYYY-MM-DD, got {as_of!r}")
    with session_scope(ensure_database()) as session:
        rows = approved_budget_coverage(session, cli_operator(), as_of=day)
    if json_output:
        dump_json([row.model_dump(mode="json") for row in rows])
    else:
        for row in rows:
            verdict = (
                "no approved budget"
                if not row.has_approved_budget
                else {True: "supports CMC", False: "U below CMC", None: "no CMC to compare"}[
                    row.all_support_cmc
                ]
            )
            ids = ", ".join(str(i) for i in row.approved_budget_ids) or "-"
            typer.echo(f"{row.procedure_code:<10} v{row.procedure_version}  {verdict:<20} {ids}")
    gaps = any(not r.has_approved_budget or r.all_support_cmc is False for r in rows)
    raise typer.Exit(EXIT_FINDINGS if gaps else EXIT_OK)
