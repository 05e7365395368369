"""`calib budget` commands: `evaluate` (CONTRACTS.md section 1); `fit` is wired in cli.py.

The engine is imported inside the command so that `calib budget evaluate` starts fast
(no database, no Streamlit).
"""

from __future__ import annotations

from pathlib import Path

import typer

from calib.cli_support import cli_errors, dump_json, read_json_file

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
