"""`calib trace import-dcc`: a PTB Digital Calibration Certificate (XML) into the register.

The DCC is parsed by :func:`traceability.dcc.parse_dcc` (pure), then mapped onto the
register and stored in ONE transaction by :func:`calib.trace_dcc.store_dcc` (shared with
the certificate-entry page) through the traceability services: issuer and
instrument, when they are to be created, through
:func:`traceability.service.import_register` (the validated, audited path of
``calib trace import``), the certificate with its points and point-level references
through :func:`calib.trace_entry.create_certificate` (validated, audited, released:
a DCC is an issued certificate). Any error rolls the whole transaction back; ``--dry-run``
does everything and then rolls back.

Mapping (the choice made here): ``--issuer ID`` names the register issuer; without it
the issuer whose id equals the DCC's ``dcc:calibrationLaboratoryCode`` or whose name
equals the laboratory's contact name is used, if exactly one matches. ``--instrument
ID`` names the instrument; without it the one instrument with the DCC item's serial
number is used. Nothing is created unless asked: ``--create-issuer KIND`` creates
``--issuer`` (named after the DCC's laboratory), ``--create-instrument`` creates
``--instrument`` (description, manufacturer, model, serial from the DCC item). An
existing instrument whose serial differs from the DCC item's is refused.

Exit codes: 0 stored (or would be, with ``--dry-run``), 2 bad input naming the DCC
element or the option.
"""

from __future__ import annotations

from pathlib import Path

import typer

from calib.cli_support import EXIT_OK, cli_errors, cli_operator, dump_json
from calib.commands.trace import _JSON, app
from calib.trace_dcc import DccImport, parse_references, store_dcc

__all__ = ["import_dcc"]


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def _read(path: Path) -> bytes:
    from uncertainty.errors import InvalidInputError

    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}", field=str(path)) from exc


@app.command("import-dcc")
@cli_errors
def import_dcc(
    file: Path = typer.Argument(..., help="Digital Calibration Certificate (PTB DCC 3.x XML)."),
    issuer: str | None = typer.Option(
        None, "--issuer", help="Register issuer id (default: the DCC laboratory's match)."
    ),
    instrument: str | None = typer.Option(
        None, "--instrument", help="Register instrument id (default: the item's serial match)."
    ),
    create_issuer: str | None = typer.Option(
        None,
        "--create-issuer",
        metavar="KIND",
        help="Create --issuer first: nmi, accredited_lab, crm_producer, primary or other.",
    ),
    create_instrument: bool = typer.Option(
        False, "--create-instrument", help="Create --instrument first from the DCC item."
    ),
    reference: list[str] = typer.Option(
        [], "--reference", help="POINT=CERT: point POINT (from 0) was calibrated against CERT."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Validate everything against the database, store nothing."
    ),
    json_output: bool = _JSON,
) -> None:
    """Import a DCC as a released certificate (all or nothing; --dry-run stores nothing)."""
    from calib.db import ensure_database, session_scope
    from traceability.dcc import parse_dcc

    parsed = parse_dcc(_read(file))
    pairs = parse_references(reference, len(parsed.certificate.points))
    result: DccImport | None = None
    try:
        with session_scope(ensure_database()) as session:
            result = store_dcc(
                session,
                cli_operator(),
                parsed,
                issuer=issuer,
                instrument=instrument,
                create_issuer=create_issuer,
                create_instrument=create_instrument,
                references=pairs,
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        assert result is not None
        result.dry_run = True
    assert result is not None
    if json_output:
        dump_json(result.document())
    else:
        verb = "would import" if dry_run else "imported"
        made = [
            what
            for what, done in (
                (f"issuer {result.issuer}", result.issuer_created),
                (f"instrument {result.instrument}", result.instrument_created),
            )
            if done
        ]
        typer.echo(
            f"{verb} {result.certificate}: {result.points} point(s), issuer {result.issuer}, "
            f"instrument {result.instrument}"
            + (f" ({'created' if not dry_run else 'to create'}: {', '.join(made)})" if made else "")
        )
        for index, path in enumerate(parsed.paths):
            point = parsed.certificate.points[index]
            typer.echo(
                f"  [{index}] {point.quantity} {point.value!r} {point.unit} "
                f"U={point.expanded_uncertainty!r} k={point.coverage_factor!r}  <- {path}"
            )
        for line in result.skipped:
            typer.echo(f"  skipped {line}")
    raise typer.Exit(EXIT_OK)
