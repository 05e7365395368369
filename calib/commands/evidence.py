"""`calib evidence`: the assessor's evidence pack, its verification, statuses, logger import.

* ``calib evidence pack --out FILE.zip [--site CODE|ID] [--as-of DATE]``
* ``calib evidence verify FILE.zip`` (exit 1 on any mismatch)
* ``calib evidence status [--site] [--as-of] [--json]`` (exit 1 when a requirement has a finding)
* ``calib evidence env-import FILE.csv --room CODE``
* ``calib evidence add-room --code --name --site [--json]``
* ``calib evidence add-limit --room --quantity --unit [--low] [--high] [--procedure] [--json]``
* ``calib evidence add-check-standard --code --description --unit --site [--nominal --lsl --usl]``
* ``calib evidence add-check --standard CODE --value X [--date] [--by] [--json]``

The engine is imported inside each command (start-up speed).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer

from calib.cli_support import EXIT_FINDINGS, EXIT_OK, cli_errors, dump_json

app = typer.Typer(
    help="Assessment evidence: pack, verify, status, logger import.", no_args_is_help=True
)


def _operator() -> Any:
    import getpass

    from calib.permissions import Principal

    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "operator"
    return Principal(username=f"cli:{login}", role="admin")


def _date(text: str | None) -> dt.date:
    from uncertainty.errors import InvalidInputError

    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(
            f"--as-of must be a date YYYY-MM-DD, got {text!r}", field="as_of"
        ) from exc


def _site_id(session: Any, site: str | None) -> int | None:
    from sqlmodel import select

    from calib.records import Site
    from uncertainty.errors import InvalidInputError

    if site is None:
        return None
    for row in session.exec(select(Site)):
        if row.code == site or str(row.id) == site:
            return int(row.id)
    raise InvalidInputError(f"no site {site!r}: give a site code or id", field="site")


_SITE = typer.Option(None, "--site", help="Site code or id (default: all sites).")
_AS_OF = typer.Option(None, "--as-of", help="Assessment date YYYY-MM-DD (default: today).")


@app.command("pack")
@cli_errors
def pack(
    out: Path = typer.Option(..., "--out", help="Pack to write: FILE.zip (or a new directory)."),
    site: str | None = _SITE,
    as_of: str | None = _AS_OF,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing ZIP."),
) -> None:
    """Write the evidence pack: report.pdf, evidence/*.json|csv, manifest.json."""
    from calib.assessment.evidence import build_pack
    from calib.db import ensure_database, session_scope

    day = _date(as_of)
    with session_scope(ensure_database()) as session:
        manifest = build_pack(
            session,
            _operator(),
            out,
            as_of=day,
            site_id=_site_id(session, site),
            overwrite=overwrite,
        )
    counts = {
        s: sum(1 for r in manifest.requirements if r.status == s)
        for s in ("conforming", "finding", "missing")
    }
    typer.echo(
        f"wrote {out}: {len(manifest.files)} files, {len(manifest.requirements)} requirements "
        f"({counts['conforming']} conforming, {counts['finding']} finding, "
        f"{counts['missing']} missing)"
    )


@app.command("verify")
@cli_errors
def verify(
    path: Path = typer.Argument(..., help="The pack (ZIP or directory)."),
    json_output: bool = typer.Option(False, "--json", help="Print the verification report."),
) -> None:
    """Recompute every SHA-256 of a pack: exit 0 when intact, 1 on any mismatch."""
    from calib.assessment.pack import verify_pack

    report = verify_pack(path)
    if json_output:
        dump_json(report.model_dump(mode="json", exclude={"manifest"}))
    elif report.ok:
        typer.echo(f"pack intact: {report.checked} files match the manifest")
    else:
        typer.echo(f"pack NOT intact: {len(report.problems)} problem(s)")
        for problem in report.problems:
            typer.echo(f"  {problem.code}: {problem.path}: {problem.message}")
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FINDINGS)


@app.command("status")
@cli_errors
def status(
    site: str | None = _SITE,
    as_of: str | None = _AS_OF,
    json_output: bool = typer.Option(False, "--json", help="Print the statuses as JSON."),
) -> None:
    """Each requirement's computed status; exit 1 when any requirement has a finding."""
    from calib.assessment.status import requirement_statuses
    from calib.db import ensure_database, session_scope

    day = _date(as_of)
    with session_scope(ensure_database()) as session:
        statuses = requirement_statuses(
            session, _operator(), as_of=day, site_id=_site_id(session, site)
        )
    if json_output:
        dump_json(
            {
                "as_of": day.isoformat(),
                "site": site,
                "requirements": [s.model_dump(mode="json") for s in statuses],
            }
        )
    else:
        for s in statuses:
            typer.echo(f"{s.requirement_id:<9} {s.status:<11} {s.clause:<28} {s.title}")
            if s.status != "conforming":
                for message in s.messages[:3]:
                    typer.echo(f"          - {message}")
    findings = any(s.status == "finding" for s in statuses)
    raise typer.Exit(EXIT_FINDINGS if findings else EXIT_OK)


@app.command("env-import")
@cli_errors
def env_import(
    path: Path = typer.Argument(..., help="Logger CSV (time column, one column per quantity)."),
    room: str = typer.Option(..., "--room", help="Room code or id."),
    as_of: str | None = _AS_OF,
) -> None:
    """Import a logger CSV into a room; excursions and affected jobs are flagged."""
    from sqlmodel import select

    from calib.assessment.records import Room
    from calib.assessment.service import import_logger_csv
    from calib.db import ensure_database, session_scope
    from uncertainty.errors import InvalidInputError

    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}", field=str(path)) from exc
    with session_scope(ensure_database()) as session:
        found = next(
            (r for r in session.exec(select(Room)) if r.code == room or str(r.id) == room), None
        )
        if found is None:
            raise InvalidInputError(f"no room {room!r}: give a room code or id", field="room")
        batch, excursions, flagged = import_logger_csv(
            session,
            _operator(),
            room_id=int(found.id or 0),
            content=content,
            filename=path.name,
            as_of=_date(as_of),
        )
        typer.echo(
            f"imported {batch.readings} readings into {found.code} (sha256 {batch.sha256[:12]}…): "
            f"{len(excursions)} excursions, {len(flagged)} jobs flagged for impact assessment"
        )


def _room_id(session: Any, room: str) -> int:
    from sqlmodel import select

    from calib.assessment.records import Room
    from uncertainty.errors import InvalidInputError

    for row in session.exec(select(Room)):
        if row.code == room or str(row.id) == room:
            return int(row.id)
    raise InvalidInputError(f"no room {room!r}: give a room code or id", field="room")


def _procedure_id(session: Any, procedure: str | None) -> int | None:
    from sqlmodel import select

    from calib.records import Procedure
    from uncertainty.errors import InvalidInputError

    if procedure is None:
        return None
    for row in session.exec(select(Procedure)):
        if row.code == procedure or str(row.id) == procedure:
            return int(row.id)
    raise InvalidInputError(
        f"no procedure {procedure!r}: give a procedure code or id", field="procedure"
    )


def _required_site(session: Any, site: str) -> int:
    found = _site_id(session, site)
    return int(found or 0)


_JSON = typer.Option(False, "--json", help="Print the created record as JSON.")


def _report(json_output: bool, kind: str, record: Any, text: str) -> None:
    if json_output:
        dump_json({"created": kind, "record": record.model_dump(mode="json")})
    else:
        typer.echo(text)


@app.command("add-room")
@cli_errors
def add_room(
    code: str = typer.Option(..., "--code", help="Room code (unique)."),
    name: str = typer.Option(..., "--name", help="Room name."),
    site: str = typer.Option(..., "--site", help="Site code or id."),
    json_output: bool = _JSON,
) -> None:
    """Add a room with a data logger (ISO/IEC 17025:2017 6.3.1)."""
    from calib.assessment.service import create_room
    from calib.db import ensure_database, session_scope

    with session_scope(ensure_database()) as session:
        room = create_room(
            session, _operator(), site_id=_required_site(session, site), code=code, name=name
        )
        _report(json_output, "room", room, f"added room {room.code} (id {room.id})")


@app.command("add-limit")
@cli_errors
def add_limit_command(
    room: str = typer.Option(..., "--room", help="Room code or id."),
    quantity: str = typer.Option(..., "--quantity", help="e.g. temperature, humidity."),
    unit: str = typer.Option(..., "--unit", help="e.g. degC, %RH."),
    low: float | None = typer.Option(None, "--low", help="Low limit (omit: none)."),
    high: float | None = typer.Option(None, "--high", help="High limit (omit: none)."),
    procedure: str | None = typer.Option(
        None, "--procedure", help="Procedure code or id (omit: all procedures)."
    ),
    json_output: bool = _JSON,
) -> None:
    """Add an environmental limit to a room (ISO/IEC 17025:2017 6.3.2)."""
    from calib.assessment.service import add_limit
    from calib.db import ensure_database, session_scope

    with session_scope(ensure_database()) as session:
        record = add_limit(
            session,
            _operator(),
            room_id=_room_id(session, room),
            quantity=quantity,
            unit=unit,
            low=low,
            high=high,
            procedure_id=_procedure_id(session, procedure),
        )
        _report(
            json_output,
            "limit",
            record,
            f"added limit {record.quantity} {record.low}..{record.high} {record.unit} to {room}",
        )


@app.command("add-check-standard")
@cli_errors
def add_check_standard(
    code: str = typer.Option(..., "--code", help="Check standard code (unique)."),
    description: str = typer.Option(..., "--description", help="What it is."),
    unit: str = typer.Option(..., "--unit", help="Unit of the measured value."),
    site: str = typer.Option(..., "--site", help="Site code or id."),
    quantity: str = typer.Option("", "--quantity", help="e.g. mass."),
    nominal: float | None = typer.Option(None, "--nominal", help="Nominal value."),
    lsl: float | None = typer.Option(None, "--lsl", help="Lower specification limit."),
    usl: float | None = typer.Option(None, "--usl", help="Upper specification limit."),
    json_output: bool = _JSON,
) -> None:
    """Register a check standard (6.4.10), optionally with specification limits."""
    from calib.assessment.service import create_check_standard, set_specification_limit
    from calib.db import ensure_database, session_scope

    with session_scope(ensure_database()) as session:
        standard = create_check_standard(
            session,
            _operator(),
            site_id=_required_site(session, site),
            code=code,
            name=description,
            unit=unit,
            quantity=quantity,
            nominal=nominal,
        )
        if lsl is not None or usl is not None:
            set_specification_limit(session, _operator(), int(standard.id or 0), lsl=lsl, usl=usl)
        _report(
            json_output,
            "check_standard",
            standard,
            f"added check standard {standard.code} (id {standard.id})",
        )


@app.command("add-check")
@cli_errors
def add_check(
    standard: str = typer.Option(..., "--standard", help="Check standard code or id."),
    value: float = typer.Option(..., "--value", help="Measured value."),
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)."),
    by: str = typer.Option("", "--by", help="Who measured (default: the operator)."),
    json_output: bool = _JSON,
) -> None:
    """Enter one measurement of a check standard."""
    from sqlmodel import select

    from calib.assessment.records import CheckStandard
    from calib.assessment.service import add_check_measurements
    from calib.db import ensure_database, session_scope
    from uncertainty.errors import InvalidInputError

    if date is None:
        day = dt.date.today()
    else:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise InvalidInputError(
                f"--date must be a date YYYY-MM-DD, got {date!r}", field="date"
            ) from exc
    with session_scope(ensure_database()) as session:
        found = next(
            (
                s
                for s in session.exec(select(CheckStandard))
                if s.code == standard or str(s.id) == standard
            ),
            None,
        )
        if found is None:
            raise InvalidInputError(
                f"no check standard {standard!r}: give a code or id", field="standard"
            )
        at = dt.datetime.combine(day, dt.time(12), dt.UTC)
        (measurement,) = add_check_measurements(
            session, _operator(), int(found.id or 0), [(at, value, None)], performed_by=by
        )
        _report(
            json_output,
            "check_measurement",
            measurement,
            f"added {value} {found.unit} to {found.code} on {day.isoformat()}",
        )
