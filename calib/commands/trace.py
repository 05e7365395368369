"""`calib trace` commands: chain check, out-of-tolerance impact, interval recommendations.

CONTRACTS section 4. Each command reads a register document (JSON) or, when no file is
given, the register in the database (``CALIB_DATABASE_URL``); ``calib trace import``
loads a document into the database (all or nothing). The engine is imported lazily
inside each function. Exit codes: 0 ok, 1 findings (a certificate not traceable), 2 bad
input naming the field.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from calib.cli_support import (
    EXIT_FINDINGS,
    EXIT_OK,
    cli_errors,
    cli_operator,
    dump_json,
    read_json_file,
)

if TYPE_CHECKING:
    from traceability.register import Register

app = typer.Typer(
    help="Traceability: chain checks, out-of-tolerance impact, calibration intervals.",
    no_args_is_help=True,
)

_FILE = typer.Argument(
    None, help="Register document (JSON, CONTRACTS section 4); omitted: the database."
)
_JSON = typer.Option(False, "--json", help="Print the machine-readable document.")


def _date(text: str, option: str) -> date:
    from uncertainty.errors import InvalidInputError

    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(f"must be a date YYYY-MM-DD, got {text!r}", field=option) from exc


def _load(path: Path) -> Register:
    from traceability.schema import load_register

    return load_register(read_json_file(path))


def _load_db() -> Register:
    from calib.db import ensure_database, session_scope
    from traceability.service import cached_register

    with session_scope(ensure_database()) as session:
        return cached_register(session)[0]


@app.command("import")
@cli_errors
def import_(
    file: Path = typer.Argument(..., help="Register document (JSON, CONTRACTS section 4)."),
    json_output: bool = _JSON,
) -> None:
    """Load a register document into the database (validated first; all or nothing)."""
    from calib.db import ensure_database, session_scope
    from traceability.service import import_register

    data = read_json_file(file)
    with session_scope(ensure_database()) as session:
        summary = import_register(session, cli_operator(), data)
    if json_output:
        dump_json({"imported": summary.counts})
    else:
        typer.echo(f"imported {summary}")
    raise typer.Exit(EXIT_OK)


@app.command("check")
@cli_errors
def check(
    file: Path | None = _FILE,
    as_of: str = typer.Option(
        ..., "--as-of", help="Date of the check (YYYY-MM-DD); past results keep their own date."
    ),
    json_output: bool = _JSON,
) -> None:
    """Check every certificate's chain to the SI as of a date (exit 1 if any is broken)."""
    from traceability.chain import check_register
    from traceability.schema import CheckReportDocument

    day = _date(as_of, "--as-of")
    register = _load(file) if file is not None else _load_db()
    result = check_register(register, day)
    if json_output:
        dump_json(CheckReportDocument.from_result(result))
    else:
        typer.echo(f"Traceability check as of {day}")
        typer.echo(f"{'certificate':<16} {'traceable':<10} {'chain':<40} findings")
        for verdict in result.verdicts:
            codes = ", ".join(f"{f.code} ({f.severity})" for f in verdict.findings) or "-"
            chain = " > ".join(verdict.chain)
            mark = "yes" if verdict.traceable else "NO"
            typer.echo(f"{verdict.certificate:<16} {mark:<10} {chain:<40} {codes}")
        typer.echo(f"{result.traceable} traceable, {result.not_traceable} not traceable")
    raise typer.Exit(EXIT_FINDINGS if result.not_traceable else EXIT_OK)


@app.command("impact")
@cli_errors
def impact(
    file: Path | None = _FILE,
    instrument: str = typer.Option(..., "--instrument", help="Instrument found out of tolerance."),
    found_on: str = typer.Option(..., "--found-on", help="Date it was found (YYYY-MM-DD)."),
    since: str = typer.Option(
        "last_calibration",
        "--since",
        help="Window start: last_calibration or last_passing_check.",
    ),
    max_depth: int | None = typer.Option(None, "--max-depth", help="Levels to follow."),
    record: bool = typer.Option(
        True,
        "--record/--no-record",
        help="Database mode: raise a nonconformity per impacted certificate (idempotent).",
    ),
    json_output: bool = _JSON,
) -> None:
    """Every downstream certificate since the instrument was last known good."""
    from traceability.impact import impact_analysis
    from traceability.schema import ImpactReportDocument
    from uncertainty.errors import InvalidInputError, NotFoundError

    day = _date(found_on, "--found-on")
    try:
        if file is not None:
            result = impact_analysis(_load(file), instrument, day, since=since, max_depth=max_depth)
            document = ImpactReportDocument.from_result(result)
        else:
            from calib.db import ensure_database, session_scope
            from traceability.service import impact as impact_service

            with session_scope(ensure_database()) as session:
                document = impact_service(
                    session,
                    cli_operator(),
                    instrument,
                    day,
                    since=since,
                    max_depth=max_depth,
                    record=record,
                )
    except NotFoundError as exc:
        raise InvalidInputError(str(exc), field="--instrument") from exc
    if json_output:
        dump_json(document)
    else:
        start = document.window[0] or "first use"
        typer.echo(f"Impact of {instrument} found out of tolerance on {day}")
        typer.echo(f"window {start} to {document.window[1]} (since {since})")
        typer.echo(f"{'certificate':<16} {'depth':<6} {'impacted':<9} reason")
        for item in document.affected:
            mark = "YES" if item.impacted else "no"
            nc = f" [{item.nonconformity}]" if item.nonconformity else ""
            typer.echo(f"{item.certificate:<16} {item.depth:<6} {mark:<9} {item.reason}{nc}")
        typer.echo(f"{document.impacted_count} impacted of {len(document.affected)} affected")
    raise typer.Exit(EXIT_OK)


@app.command("interval")
@cli_errors
def interval(
    file: Path | None = _FILE,
    instrument: str = typer.Option(..., "--instrument", help="Instrument to review."),
    json_output: bool = _JSON,
) -> None:
    """Interval recommendations from the as-found history (ILAC G24); never applied."""
    from traceability.intervals import recommend_intervals
    from traceability.schema import IntervalReportDocument
    from uncertainty.errors import InvalidInputError, NotFoundError

    register = _load(file) if file is not None else _load_db()
    try:
        report = recommend_intervals(register, instrument)
    except NotFoundError as exc:
        raise InvalidInputError(str(exc), field="--instrument") from exc
    if json_output:
        dump_json(IntervalReportDocument.from_report(report))
    else:
        current = report.current_interval_months
        shown = f"{current:.1f} months" if current is not None else "unknown"
        typer.echo(f"Interval review of {instrument} (current interval {shown})")
        for rec in report.recommendations:
            months = f"{rec.interval_months:.1f} months" if rec.interval_months else "none"
            typer.echo(f"- {rec.method}: {months} [{rec.clause}]")
            typer.echo(f"    {rec.reasoning}")
        typer.echo("Recommendations only: the interval is not changed.")
    raise typer.Exit(EXIT_OK)


from calib.commands import trace_dcc as _trace_dcc  # noqa: E402, F401 - registers `import-dcc`
