"""`calib evidence`: the assessor's evidence pack, its verification, statuses, logger import.

* ``calib evidence pack --out FILE.zip [--site CODE|ID] [--as-of DATE]``
* ``calib evidence verify FILE.zip`` (exit 1 on any mismatch)
* ``calib evidence status [--site] [--as-of] [--json]`` (exit 1 when a requirement has a finding)
* ``calib evidence env-import FILE.csv --room CODE``

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
