"""`calib evidence`: the assessor's evidence pack, its verification, statuses, logger import.

* ``calib evidence pack --out FILE.zip [--site CODE|ID] [--as-of DATE]``
* ``calib evidence verify FILE.zip`` (exit 1 on any mismatch)
* ``calib evidence status [--site] [--as-of] [--json]`` (exit 1 when a requirement has a finding)
* ``calib evidence env-import FILE.csv --room CODE``
* ``calib evidence add-room --code --name --site [--json]``
* ``calib evidence add-limit --room --quantity --unit [--low] [--high] [--procedure] [--json]``
* ``calib evidence add-check-standard --code --description --unit --site [--nominal --lsl --usl]``
* ``calib evidence add-check --standard CODE --value X [--date] [--by] [--json]``
* ``calib evidence add-scope-line --code --measurand --range-min --range-max --unit --cmc
  --cmc-unit --procedure``, ``retire-scope-line CODE``, ``assign-scope --site --line ... [--remove]``
* ``calib evidence add-certificate --number --kind master|site --site [--issued-on] [--master]``
* ``calib evidence start-cycle --certificate --body --standards``,
  ``add-cycle-step --step KEY [--date]``, ``add-surveillance [--date]``

The engine is imported inside each command (start-up speed).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer

from calib.cli_support import (
    EXIT_FINDINGS,
    EXIT_OK,
    cli_errors,
    cli_operator,
    dump_json,
    echo_created,
)

app = typer.Typer(
    help="Assessment evidence: pack, verify, status, logger import.", no_args_is_help=True
)


def _date(text: str | None) -> dt.date:
    return _day(text, "--as-of", "as_of")


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
            cli_operator(),
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
            session, cli_operator(), as_of=day, site_id=_site_id(session, site)
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
            cli_operator(),
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
            session, cli_operator(), site_id=_required_site(session, site), code=code, name=name
        )
        echo_created(json_output, "room", room, f"added room {room.code} (id {room.id})")


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
            cli_operator(),
            room_id=_room_id(session, room),
            quantity=quantity,
            unit=unit,
            low=low,
            high=high,
            procedure_id=_procedure_id(session, procedure),
        )
        echo_created(
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
            cli_operator(),
            site_id=_required_site(session, site),
            code=code,
            name=description,
            unit=unit,
            quantity=quantity,
            nominal=nominal,
        )
        if lsl is not None or usl is not None:
            set_specification_limit(
                session, cli_operator(), int(standard.id or 0), lsl=lsl, usl=usl
            )
        echo_created(
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

    day = _day(date, "--date", "date")
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
            session, cli_operator(), int(found.id or 0), [(at, value, None)], performed_by=by
        )
        echo_created(
            json_output,
            "check_measurement",
            measurement,
            f"added {value} {found.unit} to {found.code} on {day.isoformat()}",
        )


# --------------------------------------------------------------------------- scopes and cycle


def _day(text: str | None, flag: str, field: str) -> dt.date:
    """``--flag`` as a date (today when omitted), or exit 2 naming the field."""
    from uncertainty.errors import InvalidInputError

    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(
            f"{flag} must be a date YYYY-MM-DD, got {text!r}", field=field
        ) from exc


def _by_code(session: Any, model: Any, attribute: str, text: str, field: str) -> Any:
    """The row of ``model`` whose ``attribute`` or id is ``text``, or exit 2 naming ``field``."""
    from sqlmodel import select

    from uncertainty.errors import InvalidInputError

    for row in session.exec(select(model)):
        if getattr(row, attribute) == text or str(row.id) == text:
            return row
    raise InvalidInputError(f"no {field.replace('_', ' ')} {text!r}", field=field)


def _cycle_of(session: Any, certificate: str | None) -> int:
    """The cycle of the master certificate named, or the latest cycle."""
    from sqlmodel import col, select

    from calib.assessment.records import CertificationCycleRecord, ScopeCertificate
    from uncertainty.errors import InvalidInputError

    stmt = select(CertificationCycleRecord).order_by(
        col(CertificationCycleRecord.certified_on).desc()
    )
    if certificate is not None:
        cert = _by_code(session, ScopeCertificate, "number", certificate, "certificate")
        stmt = stmt.where(CertificationCycleRecord.certificate_id == cert.id)
    found = session.exec(stmt).first()
    if found is None:
        raise InvalidInputError(
            "no certification cycle: start one with 'calib evidence start-cycle'",
            field="certificate",
        )
    return int(found.id)


@app.command("add-scope-line")
@cli_errors
def add_scope_line_command(
    code: str = typer.Option(..., "--code", help="Line code (unique), e.g. SL-ELE-02."),
    measurand: str = typer.Option(..., "--measurand", help="e.g. 'DC voltage, DMM'."),
    range_min: float = typer.Option(..., "--range-min", help="Range from (below --range-max)."),
    range_max: float = typer.Option(..., "--range-max", help="Range to."),
    unit: str = typer.Option(..., "--unit", help="Range unit, e.g. V, mm, degC."),
    cmc: float = typer.Option(..., "--cmc", help="CMC (expanded uncertainty) > 0."),
    cmc_unit: str = typer.Option(
        ..., "--cmc-unit", help="CMC unit: the measurand's dimension or relative (%, µV/V)."
    ),
    procedure: str = typer.Option(..., "--procedure", help="Procedure code or id."),
    json_output: bool = _JSON,
) -> None:
    """Add a line to the controlled scope vocabulary (IECQ 03-1:2023 8.1.4)."""
    from calib.assessment.certification import add_scope_line
    from calib.db import ensure_database, session_scope

    with session_scope(ensure_database()) as session:
        line = add_scope_line(
            session, cli_operator(), code=code, measurand=measurand, range_min=range_min,
            range_max=range_max, unit=unit, cmc_value=cmc, cmc_unit=cmc_unit,
            procedure_id=_procedure_id(session, procedure),
        )  # fmt: skip
        echo_created(
            json_output, "scope_line", line, f"added scope line {line.code} (id {line.id})"
        )


@app.command("retire-scope-line")
@cli_errors
def retire_scope_line_command(
    line: str = typer.Argument(..., help="Scope line code or id."),
) -> None:
    """Retire a scope line: it leaves every site scope (audited)."""
    from calib.assessment.certification import retire_scope_line
    from calib.assessment.records import ScopeLineRecord
    from calib.db import ensure_database, session_scope

    with session_scope(ensure_database()) as session:
        row = _by_code(session, ScopeLineRecord, "code", line, "scope_line")
        retire_scope_line(session, cli_operator(), int(row.id))
        typer.echo(f"retired scope line {row.code}")


@app.command("assign-scope")
@cli_errors
def assign_scope_command(
    site: str = typer.Option(..., "--site", help="Site code or id."),
    lines: list[str] = typer.Option(..., "--line", help="Scope line code or id (repeatable)."),
    remove: bool = typer.Option(False, "--remove", help="Take the lines out of the site scope."),
) -> None:
    """Put scope lines (by code, never retyped wording) in a site's scope; all or none."""
    from calib.assessment.certification import assign_scope_line, unassign_scope_line
    from calib.assessment.records import ScopeLineRecord
    from calib.db import ensure_database, session_scope

    write = unassign_scope_line if remove else assign_scope_line
    with session_scope(ensure_database()) as session:
        site_id = _required_site(session, site)
        codes = []
        for text in lines:
            row = _by_code(session, ScopeLineRecord, "code", text, "scope_line")
            write(session, cli_operator(), site_id=site_id, scope_line_id=int(row.id))
            codes.append(row.code)
        verb = "removed from" if remove else "added to"
        typer.echo(f"{', '.join(codes)} {verb} the scope of site {site}")


@app.command("add-certificate")
@cli_errors
def add_certificate_command(
    number: str = typer.Option(..., "--number", help="Certificate number (unique)."),
    kind: str = typer.Option(..., "--kind", help="master (head office) or site."),
    site: str = typer.Option(..., "--site", help="Site code or id."),
    issued_on: str | None = typer.Option(None, "--issued-on", help="YYYY-MM-DD (default today)."),
    master: str | None = typer.Option(
        None, "--master", help="Master certificate number (site certificates cite it)."
    ),
    json_output: bool = _JSON,
) -> None:
    """Issue a master or site certificate (valid 3 years; scope rendered from the lines)."""
    from calib.assessment.certification import issue_certificate
    from calib.assessment.records import ScopeCertificate
    from calib.db import ensure_database, session_scope

    day = _day(issued_on, "--issued-on", "issued_on")
    with session_scope(ensure_database()) as session:
        master_id = (
            None
            if master is None
            else int(_by_code(session, ScopeCertificate, "number", master, "master").id)
        )
        cert = issue_certificate(
            session, cli_operator(), number=number, site_id=_required_site(session, site),
            kind=kind, issued_on=day, master_certificate_id=master_id,
        )  # fmt: skip
        echo_created(
            json_output,
            "certificate",
            cert,
            f"issued {cert.kind} certificate {cert.number}, valid until {cert.valid_until}",
        )


@app.command("start-cycle")
@cli_errors
def start_cycle_command(
    certificate: str = typer.Option(..., "--certificate", help="Master certificate number."),
    body: str = typer.Option(..., "--body", help="Certification body."),
    standards: str = typer.Option(..., "--standards", help="Applicable standards."),
    json_output: bool = _JSON,
) -> None:
    """Start the certification cycle of a master certificate (certified on its issue date)."""
    from calib.assessment.cycle_service import start_certification_cycle
    from calib.assessment.records import ScopeCertificate
    from calib.db import ensure_database, session_scope

    with session_scope(ensure_database()) as session:
        cert = _by_code(session, ScopeCertificate, "number", certificate, "certificate")
        cycle = start_certification_cycle(
            session, cli_operator(), certificate_id=int(cert.id),
            certification_body=body, standards=standards,
        )  # fmt: skip
        echo_created(
            json_output, "certification_cycle", cycle, f"started the cycle of {cert.number}"
        )


_CYCLE = typer.Option(
    None, "--certificate", help="Master certificate number (default: the latest cycle)."
)
_NOTE = typer.Option("", "--note", help="What was done, outcome.")


@app.command("add-cycle-step")
@cli_errors
def add_cycle_step_command(
    step: str = typer.Option(
        ...,
        "--step",
        help="applicable_standards, certification_body, evaluation, report, recertification "
        "(surveillance: add-surveillance).",
    ),
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default today)."),
    note: str = _NOTE,
    certificate: str | None = _CYCLE,
    json_output: bool = _JSON,
) -> None:
    """Record a completed step of the certification cycle (dates in the cycle's order)."""
    from calib.assessment.cycle_service import add_cycle_step
    from calib.db import ensure_database, session_scope

    day = _day(date, "--date", "done_on")
    with session_scope(ensure_database()) as session:
        record = add_cycle_step(
            session,
            cli_operator(),
            _cycle_of(session, certificate),
            key=step,
            done_on=day,
            note=note,
        )
        echo_created(json_output, "certification_step", record, f"recorded {record.key} on {day}")


@app.command("add-surveillance")
@cli_errors
def add_surveillance_command(
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default today)."),
    note: str = _NOTE,
    certificate: str | None = _CYCLE,
    json_output: bool = _JSON,
) -> None:
    """Record the next surveillance visit of the certification cycle."""
    from calib.assessment.cycle_service import record_surveillance
    from calib.db import ensure_database, session_scope

    day = _day(date, "--date", "done_on")
    with session_scope(ensure_database()) as session:
        record = record_surveillance(
            session, cli_operator(), _cycle_of(session, certificate), done_on=day, note=note
        )
        echo_created(json_output, "certification_step", record, f"recorded {record.key} on {day}")
