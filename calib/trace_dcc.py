"""Storing a parsed Digital Calibration Certificate (DCC) in the traceability register.

The service side of ``calib trace import-dcc`` and of the "Upload DCC" expander of the
certificate entry page (both call :func:`store_dcc`). The DCC is parsed by
:func:`traceability.dcc.parse_dcc` (pure), then mapped onto the register and stored in
the caller's transaction: issuer and instrument, when they are to be created, through
:func:`traceability.service.import_register` (the validated, audited path of
``calib trace import``), the certificate with its points and point-level references
through :func:`calib.trace_entry.create_certificate` (validated, audited, released unless
asked otherwise). Any error leaves the caller's transaction to roll back whole.

Mapping: an explicit issuer id names the register issuer; without it the issuer whose id
equals the DCC's ``dcc:calibrationLaboratoryCode`` or whose name equals the laboratory's
contact name is used, if exactly one matches. An explicit instrument id names the
instrument; without it the one instrument with the DCC item's serial number is used.
Nothing is created unless asked. Errors name the CLI option (``--issuer``...) or the DCC
element, so the command and the page show the same message.

Database and service modules are imported inside the functions (``calib`` start-up speed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, get_args

if TYPE_CHECKING:
    from sqlmodel import Session

    from calib.permissions import Actor
    from traceability.dcc import DccCertificate

__all__ = [
    "DccImport",
    "match_instrument",
    "match_issuer",
    "parse_references",
    "store_dcc",
]


@dataclass
class DccImport:
    """What :func:`store_dcc` did (or, in a dry run, would do)."""

    certificate: str
    issuer: str
    instrument: str
    issuer_created: bool
    instrument_created: bool
    points: int
    released: bool = True
    references: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    dry_run: bool = False

    def document(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return {
            "certificate": self.certificate,
            "issuer": {"id": self.issuer, "created": self.issuer_created},
            "instrument": {"id": self.instrument, "created": self.instrument_created},
            "points": self.points,
            "references": self.references,
            "skipped": self.skipped,
            "dry_run": self.dry_run,
            "stored": not self.dry_run,
        }


def parse_references(texts: list[str], points: int) -> list[tuple[int, str]]:
    """``POINT=CERT`` options -> (point index, certificate); POINT counts from 0."""
    from uncertainty.errors import InvalidInputError

    pairs: list[tuple[int, str]] = []
    for text in texts:
        index, sep, cert = text.partition("=")
        if not sep or not index.strip().isdigit() or not cert.strip():
            raise InvalidInputError(
                f"must be POINT=CERT (point number from 0, reference certificate id), got {text!r}",
                field="--reference",
            )
        if int(index) >= points:
            raise InvalidInputError(
                f"no point {int(index)}: the DCC gives {points} point(s), numbered from 0",
                field="--reference",
            )
        pairs.append((int(index), cert.strip()))
    return pairs


def match_issuer(session: Session, parsed: DccCertificate) -> str:
    """The one issuer whose id is the DCC laboratory's code or whose name is its name."""
    from sqlalchemy import or_, select
    from sqlmodel import col

    from traceability.records import TraceIssuer
    from uncertainty.errors import InvalidInputError

    lab = parsed.laboratory
    conditions = [col(TraceIssuer.code) == lab.code] if lab.code else []
    conditions += [col(TraceIssuer.name) == lab.name] if lab.name else []
    found = (
        sorted(session.execute(select(col(TraceIssuer.code)).where(or_(*conditions))).scalars())
        if conditions
        else []
    )
    if len(found) != 1:
        shown = f"code {lab.code!r}, name {lab.name!r}"
        why = "matches no issuer" if not found else f"matches {', '.join(found)}"
        raise InvalidInputError(
            f"the DCC's calibration laboratory ({shown}) {why}; name the register issuer "
            "with --issuer (and --create-issuer KIND to create it)",
            field="--issuer",
        )
    return str(found[0])


def _instrument_row(session: Session, code: str) -> Any:
    from sqlalchemy import select
    from sqlmodel import col

    from traceability.records import TraceInstrument

    return session.execute(
        select(TraceInstrument).where(col(TraceInstrument.code) == code)
    ).scalar()


def match_instrument(session: Session, parsed: DccCertificate) -> str:
    """The one instrument whose serial is the DCC item's serial."""
    from sqlalchemy import select
    from sqlmodel import col

    from traceability.records import TraceInstrument
    from uncertainty.errors import InvalidInputError

    serial = parsed.item.serial
    code, stored_serial = col(TraceInstrument.code), col(TraceInstrument.serial)
    found = (
        sorted(session.execute(select(code).where(stored_serial == serial)).scalars())
        if serial
        else []
    )
    if len(found) != 1:
        why = (
            "the DCC item has no serial number"
            if not serial
            else f"serial {serial!r} matches " + (", ".join(found) if found else "no instrument")
        )
        raise InvalidInputError(
            f"{why}; name the register instrument with --instrument (and --create-instrument "
            "to create it)",
            field="--instrument",
        )
    return str(found[0])


def store_dcc(
    session: Session,
    actor: Actor,
    parsed: DccCertificate,
    *,
    issuer: str | None = None,
    instrument: str | None = None,
    create_issuer: str | None = None,
    create_instrument: bool = False,
    references: list[tuple[int, str]] | None = None,
    release: bool = True,
) -> DccImport:
    """Map a parsed DCC onto the register and store it in ``session`` (not committed).

    The caller's transaction makes it all or nothing (``session_scope`` commits or
    rolls back). ``release`` (needs the approve permission) stores the certificate
    released, as an issued DCC is; ``False`` stores a draft. Raises
    ``InvalidInputError`` naming the option or the record field.
    """
    from sqlalchemy import select
    from sqlmodel import col

    from calib.permissions import Permission, require
    from calib.trace_entry import create_certificate
    from calib.trace_store import tur_minimum
    from traceability.records import TraceIssuer
    from traceability.schema import IssuerInput
    from traceability.service import import_register
    from uncertainty.errors import InvalidInputError

    require(actor, Permission.EDIT_RECORDS)
    creating: dict[str, Any] = {}
    if create_issuer is not None:
        kinds = get_args(IssuerInput.model_fields["kind"].annotation)
        if create_issuer not in kinds:
            raise InvalidInputError(
                f"must be one of {', '.join(kinds)}, got {create_issuer!r}",
                field="--create-issuer",
            )
        if not issuer:
            raise InvalidInputError("--create-issuer needs --issuer ID", field="--issuer")
        name = parsed.laboratory.name or parsed.laboratory.code
        creating["issuers"] = [{"id": issuer, "kind": create_issuer, "name": name}]
    elif issuer:
        known = session.execute(
            select(col(TraceIssuer.code)).where(col(TraceIssuer.code) == issuer)
        ).first()
        if known is None:
            raise InvalidInputError(
                f"unknown issuer {issuer!r}; create it with --create-issuer KIND",
                field="--issuer",
            )
    else:
        issuer = match_issuer(session, parsed)
    if create_instrument:
        if not instrument:
            raise InvalidInputError(
                "--create-instrument needs --instrument ID", field="--instrument"
            )
        creating["instruments"] = [parsed.item.instrument_input(instrument).model_dump()]
    elif instrument:
        row = _instrument_row(session, instrument)
        if row is None:
            raise InvalidInputError(
                f"unknown instrument {instrument!r}; create it with --create-instrument",
                field="--instrument",
            )
        if row.serial and parsed.item.serial and row.serial != parsed.item.serial:
            raise InvalidInputError(
                f"instrument {instrument!r} has serial {row.serial!r}, the DCC item "
                f"{parsed.item.serial!r}: not the same instrument",
                field="--instrument",
            )
    else:
        instrument = match_instrument(session, parsed)
    if creating:
        # The register import keeps the register's TUR minimum as it is.
        import_register(session, actor, {**creating, "tur_minimum": tur_minimum(session)})
    cert = parsed.for_register(issuer=issuer, instrument=instrument)
    pairs = references or []
    try:
        create_certificate(
            session,
            actor,
            code=cert.id,
            instrument=cert.instrument,
            issuer=cert.issuer,
            calibrated_on=cert.calibrated_on,
            issued_on=cert.issued_on,
            points=cert.points,
            references=pairs,
            release=release,
        )
    except InvalidInputError as exc:
        raise InvalidInputError(str(exc.args[0]), field=_dcc_field(parsed, exc.field)) from exc
    return DccImport(
        certificate=cert.id,
        issuer=issuer,
        instrument=instrument,
        issuer_created=create_issuer is not None,
        instrument_created=create_instrument,
        points=len(cert.points),
        released=release,
        references=[f"{index}={code}" for index, code in pairs],
        skipped=list(parsed.skipped),
    )


def _dcc_field(parsed: DccCertificate, field: str | None) -> str | None:
    """The DCC element or the option behind a field of ``create_certificate``."""
    core = "dcc:digitalCalibrationCertificate/dcc:administrativeData/dcc:coreData"
    head = (field or "").split(".")[0]
    if head == "code":
        return f"{core}/dcc:uniqueIdentifier"
    if head in ("issued_on", "due_on"):
        return f"{core}/dcc:issueDate"
    if head in ("issuer", "instrument"):
        return f"--{head}"
    if head.startswith("references"):
        return "--reference"
    if head.startswith("points[") and head.endswith("]") and head[7:-1].isdigit():
        index = int(head[7:-1])
        if index < len(parsed.paths):
            return parsed.paths[index]
    return field
