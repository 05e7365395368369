"""`calib satisfaction` commands (CONTRACTS.md section 5).

``calib satisfaction report --responses R.csv [--jobs J.csv] [--complaints C.csv]
[--baseline-periods N] [--target 0.8] [--confidence 0.95] --json``: exit 0 ok,
1 when a signal fired, 2 bad input. Without ``--responses`` the report reads the
database (``CALIB_DATABASE_URL``). ``calib satisfaction invite --job ID`` prints a
single-use feedback link (base ``CALIB_PUBLIC_URL``, default
http://localhost:8501); ``calib satisfaction triggers`` opens a corrective action
for every new signal. The engine is imported inside the command so that the CLI
starts quickly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from calib.cli_support import EXIT_FINDINGS, EXIT_OK, cli_errors, cli_operator, dump_json

app = typer.Typer(
    help="Customer-satisfaction metrics, control charts and triggers.", no_args_is_help=True
)


@app.command("report")
@cli_errors
def report(
    responses: Path | None = typer.Option(
        None, "--responses", help="Responses CSV (R.csv); omit to read the database."
    ),
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
    site: int | None = typer.Option(
        None, "--site", help="Database mode: only jobs of this site id (default all sites)."
    ),
) -> None:
    """Metrics with intervals, monthly p-/u-charts and trigger signals (CSV files or database)."""
    from satisfaction.report import build_report, format_report

    if responses is None:
        if jobs is not None or complaints is not None:
            from uncertainty.errors import InvalidInputError

            raise InvalidInputError(
                "--jobs and --complaints need --responses (without it the database is read)",
                field="--responses",
            )
        _report_from_database(site, baseline_periods, target, confidence, as_json)
        return
    if site is not None:
        from uncertainty.errors import InvalidInputError

        raise InvalidInputError("--site applies to the database mode only", field="--site")
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


def _report_from_database(
    site: int | None,
    baseline_periods: int,
    target: float | None,
    confidence: float,
    as_json: bool,
) -> None:
    from calib.db import ensure_database, session_scope
    from satisfaction.report import format_report
    from satisfaction.service import satisfaction_report

    with session_scope(ensure_database()) as session:
        document = satisfaction_report(
            session,
            cli_operator(),
            site_id=site,
            baseline_periods=baseline_periods,
            target=target,
            confidence=confidence,
        )
    if as_json:
        dump_json(document)
    else:
        typer.echo(format_report(document))
    raise typer.Exit(EXIT_FINDINGS if document.signals else EXIT_OK)


@app.command("invite")
@cli_errors
def invite(
    job: int = typer.Option(..., "--job", help="Database id of a delivered job."),
    valid_days: int = typer.Option(30, "--valid-days", min=1, help="Days the link stays valid."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print a single-use feedback link for a delivered job (only its hash is stored)."""
    from calib.db import ensure_database, session_scope
    from satisfaction.service import feedback_url
    from satisfaction.service import invite as make_invitation

    now = dt.datetime.now(dt.UTC)
    with session_scope(ensure_database()) as session:
        token, invitation = make_invitation(
            session, cli_operator(), job, now, validity=dt.timedelta(days=valid_days)
        )
        url = feedback_url(token)
        expires = invitation.expires_at
    if as_json:
        dump_json({"job_id": job, "url": url, "expires_at": expires.isoformat()})
    else:
        typer.echo(url)
        typer.echo(f"valid until {expires:%Y-%m-%d %H:%M} UTC; single use", err=True)


@app.command("triggers")
@cli_errors
def triggers(
    site: int | None = typer.Option(None, "--site", help="Only jobs of this site id."),
    baseline_periods: int = typer.Option(6, "--baseline-periods", help="Baseline months."),
    target: float | None = typer.Option(None, "--target", help="CSAT target share."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Open a nonconformity and corrective action for every new signal (idempotent)."""
    from calib.db import ensure_database, session_scope
    from satisfaction.service import evaluate_triggers

    with session_scope(ensure_database()) as session:
        created = evaluate_triggers(
            session,
            cli_operator(),
            as_of=dt.date.today(),
            site_id=site,
            baseline_periods=baseline_periods,
            target=target,
        )
        rows = [
            {
                "signal_id": s.id,
                "rule": s.rule,
                "chart": s.chart,
                "period": s.period,
                "nonconformity_id": s.nonconformity_id,
                "corrective_action_id": s.corrective_action_id,
            }
            for s in created
        ]
    if as_json:
        dump_json({"created": rows})
    elif not rows:
        typer.echo("no new signals")
    else:
        for row in rows:
            typer.echo(
                f"{row['rule']} {row['period']} ({row['chart']}): corrective action "
                f"{row['corrective_action_id']} opened"
            )
