"""`calib satisfaction` commands (CONTRACTS.md section 5).

``calib satisfaction report --responses R.csv [--jobs J.csv] [--complaints C.csv]
[--baseline-periods N] [--target 0.8] [--confidence 0.95] --json``: exit 0 ok,
1 when a signal fired, 2 bad input. The engine is imported inside the command
so that the CLI starts quickly.
"""

from __future__ import annotations

from pathlib import Path

import typer

from calib.cli_support import EXIT_FINDINGS, EXIT_OK, cli_errors, dump_json

app = typer.Typer(
    help="Customer-satisfaction metrics, control charts and triggers.", no_args_is_help=True
)


@app.command("report")
@cli_errors
def report(
    responses: Path = typer.Option(..., "--responses", help="Responses CSV (R.csv)."),
    jobs: Path | None = typer.Option(None, "--jobs", help="Jobs CSV (J.csv)."),
    complaints: Path | None = typer.Option(
        None, "--complaints", help="Complaints CSV (complaint_id,job_id,received_on); needs --jobs."
    ),
    baseline_periods: int = typer.Option(
        6, "--baseline-periods", help="Months with data that fix the control limits."
    ),
    target: float | None = typer.Option(
        None,
        "--target",
        help="CSAT target share, e.g. 0.8: signal when the upper bound is below it.",
    ),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of intervals."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON report document."),
) -> None:
    """Metrics with intervals, monthly p-/u-charts and trigger signals from CSV files."""
    from satisfaction.report import build_report, format_report
    from satisfaction.schema import (
        parse_complaints_csv,
        parse_jobs_csv,
        parse_responses_csv,
        read_csv_text,
    )

    response_rows = parse_responses_csv(read_csv_text(responses), source=responses.name)
    job_rows = parse_jobs_csv(read_csv_text(jobs), source=jobs.name) if jobs else None
    complaint_rows = (
        parse_complaints_csv(read_csv_text(complaints), source=complaints.name)
        if complaints
        else None
    )
    document = build_report(
        response_rows,
        job_rows,
        complaint_rows,
        confidence=confidence,
        baseline_periods=baseline_periods,
        target=target,
        sources=(responses.name, complaints.name if complaints else "C.csv"),
    )
    if as_json:
        dump_json(document)
    else:
        typer.echo(format_report(document))
    raise typer.Exit(EXIT_FINDINGS if document.signals else EXIT_OK)
