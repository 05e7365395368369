"""Entering records one at a time: instruments, certificates (points, references, statements), events.

A certificate is entered as a ``draft`` (or released at once); releasing it makes it
immutable, and an amendment is a new certificate that supersedes it (ISO/IEC 17025:2017
7.8.8). Points are validated like a register document (unit against quantity, U ≥ 0,
k > 0, due not before the calibration date); references must be released certificates
calibrated on or before the calibration date. When a decision rule is given, each point
with a tolerance and an as-left (else as-found) error gets a statement of conformity
stored with the rule used (7.8.6, ILAC G8:2019).

References
----------
ISO/IEC 17025:2017 6.4.13, 7.8.4, 7.8.6, 7.8.8, 6.4.9; ILAC G8:2019 4.2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from calib.audit import audited_create, audited_update
from calib.permissions import Actor, Permission, require
from traceability.decision import decide
from traceability.records import (
    TraceCertificate,
    TraceConformityStatement,
    TraceEvent,
    TraceInstrument,
    TraceIssuer,
    TracePoint,
    TraceReference,
)
from traceability.register import EVENT_KINDS, INSTRUMENT_ROLES, INSTRUMENT_STATUSES, Event, Point
from traceability.schema import PointInput
from uncertainty.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "PointReference",
    "certificate_detail",
    "create_certificate",
    "create_instrument",
    "get_certificate",
    "list_certificates",
    "list_codes",
    "record_event",
    "release_certificate",
]

#: Events that take an instrument out of service (its status becomes ``quarantined``).
_QUARANTINING = frozenset({"out_of_tolerance", "intermediate_check_failed", "quarantine"})

PointReference = tuple[int, str]
"""(index of the point, code of the reference certificate that served it)."""


def create_instrument(
    session: Session,
    actor: Actor,
    *,
    code: str,
    description: str = "",
    role: str = "working",
    status: str = "in_service",
    site_id: int | None = None,
    manufacturer: str = "",
    model: str = "",
    serial: str = "",
    calibration_interval_months: float | None = None,
) -> TraceInstrument:
    """Add an instrument to the asset register (6.4.13)."""
    require(actor, Permission.EDIT_RECORDS)
    if not code.strip():
        raise InvalidInputError("instrument id must not be empty", field="code")
    if role not in INSTRUMENT_ROLES:
        raise InvalidInputError(
            f"must be one of {', '.join(INSTRUMENT_ROLES)}, got {role!r}", field="role"
        )
    if status not in INSTRUMENT_STATUSES:
        raise InvalidInputError(
            f"must be one of {', '.join(INSTRUMENT_STATUSES)}, got {status!r}", field="status"
        )
    if calibration_interval_months is not None and not calibration_interval_months > 0:
        raise InvalidInputError(
            f"must be > 0, got {calibration_interval_months}", field="calibration_interval_months"
        )
    if session.execute(
        select(col(TraceInstrument.id)).where(col(TraceInstrument.code) == code)
    ).first():
        raise InvalidInputError(f"instrument {code!r} already exists", field="code")
    return audited_create(
        session,
        TraceInstrument(
            code=code,
            description=description,
            role=role,
            status=status,
            site_id=site_id,
            manufacturer=manufacturer,
            model=model,
            serial=serial,
            calibration_interval_months=calibration_interval_months,
        ),
        actor,
    )


def _by_code(session: Session, model: Any, code: str, what: str, field: str) -> Any:
    row = session.execute(select(model).where(model.code == code)).scalar()
    if row is None:
        raise InvalidInputError(f"unknown {what} {code!r}", field=field)
    return row


def get_certificate(session: Session, actor: Actor, code: str) -> TraceCertificate:
    """One certificate by its number, or ``NotFoundError``."""
    require(actor, Permission.VIEW_RECORDS)
    row: TraceCertificate | None = session.execute(
        select(TraceCertificate).where(col(TraceCertificate.code) == code)
    ).scalar()
    if row is None:
        raise NotFoundError(f"certificate {code!r} is not in the register")
    return row


def _points(points: Sequence[PointInput | dict[str, Any]]) -> list[PointInput]:
    checked: list[PointInput] = []
    for j, raw in enumerate(points):
        try:
            point = raw if isinstance(raw, PointInput) else PointInput.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(x) for x in error["loc"])
            raise InvalidInputError(
                f"{error['msg']}, got {error.get('input')!r}", field=f"points[{j}].{where}"
            ) from exc
        try:
            Point(**point.model_dump())
        except InvalidInputError as exc:
            raise InvalidInputError(str(exc.args[0]), field=f"points[{j}].{exc.field}") from exc
        checked.append(point)
    if not checked:
        raise InvalidInputError("a certificate needs at least one point", field="points")
    return checked


def create_certificate(
    session: Session,
    actor: Actor,
    *,
    code: str,
    instrument: str,
    issuer: str,
    calibrated_on: dt.date,
    points: Sequence[PointInput | dict[str, Any]],
    references: Sequence[PointReference] = (),
    due_on: dt.date | None = None,
    issued_on: dt.date | None = None,
    supersedes: str | None = None,
    job_id: int | None = None,
    decision_rule: str | None = None,
    release: bool = False,
) -> TraceCertificate:
    """Enter a certificate with its points, point-level references and statements.

    ``references`` pairs a point index with the reference certificate used for it; the
    link is stored at the point's quantity (a reference serves the certificate's points
    of that quantity). ``supersedes`` amends a released certificate of the same
    instrument. ``release`` needs the approve permission.

    Raises
    ------
    InvalidInputError
        Naming the field: duplicate number, unknown instrument / issuer / reference,
        due before the calibration date, a point's unit not fitting its quantity,
        negative U, a reference that is a draft or dated after the calibration.
    """
    require(actor, Permission.EDIT_RECORDS)
    if release:
        require(actor, Permission.APPROVE_RECORDS)
    if not code.strip():
        raise InvalidInputError("certificate number must not be empty", field="code")
    if session.execute(
        select(col(TraceCertificate.id)).where(col(TraceCertificate.code) == code)
    ).first():
        raise InvalidInputError(f"certificate {code!r} already exists", field="code")
    inst = _by_code(session, TraceInstrument, instrument, "instrument", "instrument")
    iss = _by_code(session, TraceIssuer, issuer, "issuer", "issuer")
    if due_on is not None and due_on < calibrated_on:
        raise InvalidInputError(
            f"due {due_on} is before calibrated_on {calibrated_on}", field="due_on"
        )
    if issued_on is not None and issued_on < calibrated_on:
        raise InvalidInputError(
            f"issued_on {issued_on} is before calibrated_on {calibrated_on}", field="issued_on"
        )
    checked = _points(points)
    old: TraceCertificate | None = None
    if supersedes is not None:
        old = _by_code(session, TraceCertificate, supersedes, "certificate", "supersedes")
        if old.status != "released" or old.instrument_id != inst.id:
            raise InvalidInputError(
                f"{supersedes} must be a released certificate of {instrument}", field="supersedes"
            )
    links: list[tuple[int, str]] = []
    seen: set[tuple[int, str | None]] = set()
    for n, (index, ref_code) in enumerate(references):
        where = f"references[{n}]"
        if not 0 <= index < len(checked):
            raise InvalidInputError(f"no point {index}", field=f"{where}.point")
        used = _by_code(session, TraceCertificate, ref_code, "reference certificate", where)
        if used.status != "released":
            raise InvalidInputError(
                f"{ref_code} is a draft, not a released certificate", field=where
            )
        if used.calibrated_on > calibrated_on:
            raise InvalidInputError(
                f"{ref_code} was calibrated on {used.calibrated_on}, after {calibrated_on}",
                field=where,
            )
        key = (used.id, checked[index].quantity)
        if key not in seen:
            seen.add(key)
            links.append((used.id, checked[index].quantity))
    cert = audited_create(
        session,
        TraceCertificate(
            code=code,
            instrument_id=inst.id,
            issuer_id=iss.id,
            calibrated_on=calibrated_on,
            due_on=due_on,
            issued_on=issued_on,
            supersedes_id=old.id if old is not None else None,
            job_id=job_id,
            status="draft",
        ),
        actor,
    )
    assert_id = cert.id
    if assert_id is None:  # pragma: no cover - flushed rows have ids
        raise ConflictError("certificate was not stored")
    for j, p in enumerate(checked):
        row = audited_create(
            session, TracePoint(certificate_id=assert_id, position=j, **p.model_dump()), actor
        )
        if decision_rule is not None and p.tolerance:
            measured = p.as_left_error if p.as_left_error is not None else p.as_found_error
            if measured is not None and row.id is not None:
                statement = decide(
                    decision_rule,
                    measured,
                    -p.tolerance,
                    p.tolerance,
                    p.expanded_uncertainty,
                    p.coverage_factor,
                )
                audited_create(
                    session,
                    TraceConformityStatement(
                        point_id=row.id,
                        rule=statement.rule,
                        clause=statement.clause,
                        outcome=statement.outcome,
                        measured=statement.measured,
                        lower_limit=statement.lower_limit,
                        upper_limit=statement.upper_limit,
                        guard_band=statement.guard_band,
                        expanded_uncertainty=statement.expanded_uncertainty,
                        tur=statement.tur if statement.tur != float("inf") else None,
                        probability_of_false_accept=statement.probability_of_false_accept,
                    ),
                    actor,
                )
    for n, (used_id, quantity) in enumerate(links):
        audited_create(
            session,
            TraceReference(
                certificate_id=assert_id,
                reference_certificate_id=used_id,
                position=n,
                quantity=quantity,
            ),
            actor,
        )
    if release:
        cert = audited_update(session, cert, {"status": "released"}, actor)
    return cert


def release_certificate(session: Session, actor: Actor, code: str) -> TraceCertificate:
    """Release a draft certificate; from then on it is immutable (amend by superseding)."""
    require(actor, Permission.APPROVE_RECORDS)
    cert = get_certificate(session, actor, code)
    return audited_update(session, cert, {"status": "released"}, actor)


def record_event(
    session: Session,
    actor: Actor,
    *,
    instrument: str,
    kind: str,
    on: dt.date,
    code: str | None = None,
    quantity: str | None = None,
    value: float | None = None,
    unit: str | None = None,
    error: float | None = None,
    range_min: float | None = None,
    range_max: float | None = None,
    notes: str = "",
) -> TraceEvent:
    """Record an event; out-of-tolerance, failed check and quarantine set ``quarantined``.

    ``returned_to_service`` sets the instrument back to ``in_service`` (ISO/IEC
    17025:2017 6.4.9, 6.4.10).
    """
    require(actor, Permission.EDIT_RECORDS)
    if kind not in EVENT_KINDS:
        raise InvalidInputError(
            f"must be one of {', '.join(EVENT_KINDS)}, got {kind!r}", field="kind"
        )
    inst = _by_code(session, TraceInstrument, instrument, "instrument", "instrument")
    Event(instrument, kind, on, quantity, value, unit, error, range_min, range_max, code)
    event = audited_create(
        session,
        TraceEvent(
            code=code,
            instrument_id=inst.id,
            kind=kind,
            occurred_on=on,
            quantity=quantity,
            value=value,
            unit=unit,
            error=error,
            range_min=range_min,
            range_max=range_max,
            notes=notes,
        ),
        actor,
    )
    status = (
        "quarantined"
        if kind in _QUARANTINING
        else "in_service"
        if kind == "returned_to_service"
        else None
    )
    if status is not None and inst.status != status and inst.status != "retired":
        audited_update(session, inst, {"status": status}, actor)
    return event


def list_certificates(
    session: Session, actor: Actor, *, instrument: str | None = None
) -> list[dict[str, Any]]:
    """Certificates (newest first) as plain rows for tables."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = (
        select(
            col(TraceCertificate.code),
            col(TraceInstrument.code),
            col(TraceIssuer.code),
            col(TraceCertificate.calibrated_on),
            col(TraceCertificate.due_on),
            col(TraceCertificate.status),
            col(TraceCertificate.job_id),
        )
        .join(TraceInstrument, col(TraceInstrument.id) == col(TraceCertificate.instrument_id))
        .join(TraceIssuer, col(TraceIssuer.id) == col(TraceCertificate.issuer_id))
        .order_by(col(TraceCertificate.calibrated_on).desc(), col(TraceCertificate.id).desc())
    )
    if instrument is not None:
        stmt = stmt.where(col(TraceInstrument.code) == instrument)
    keys = ("certificate", "instrument", "issuer", "calibrated_on", "due", "status", "job_id")
    return [dict(zip(keys, row, strict=True)) for row in session.execute(stmt)]


def certificate_detail(session: Session, actor: Actor, code: str) -> dict[str, Any]:
    """A certificate with its points, references and conformity statements."""
    cert = get_certificate(session, actor, code)
    points = list(
        session.execute(
            select(TracePoint)
            .where(col(TracePoint.certificate_id) == cert.id)
            .order_by(col(TracePoint.position))
        ).scalars()
    )
    statements = {
        s.point_id: s
        for s in session.execute(
            select(TraceConformityStatement).where(
                col(TraceConformityStatement.point_id).in_([p.id for p in points])
            )
        ).scalars()
    }
    references = [
        {"certificate": ref_code, "quantity": quantity}
        for ref_code, quantity in session.execute(
            select(col(TraceCertificate.code), col(TraceReference.quantity))
            .join(
                TraceCertificate,
                col(TraceCertificate.id) == col(TraceReference.reference_certificate_id),
            )
            .where(col(TraceReference.certificate_id) == cert.id)
            .order_by(col(TraceReference.position))
        )
    ]
    return {
        "certificate": cert,
        "points": points,
        "statements": statements,
        "references": references,
    }


def list_codes(session: Session, actor: Actor) -> dict[str, list[str]]:
    """Codes for selection lists: instruments, issuers and released certificates."""
    require(actor, Permission.VIEW_RECORDS)
    return {
        "instruments": list(
            session.execute(
                select(col(TraceInstrument.code)).order_by(col(TraceInstrument.code))
            ).scalars()
        ),
        "issuers": list(
            session.execute(select(col(TraceIssuer.code)).order_by(col(TraceIssuer.code))).scalars()
        ),
        "certificates": list(
            session.execute(
                select(col(TraceCertificate.code))
                .where(col(TraceCertificate.status) == "released")
                .order_by(col(TraceCertificate.code))
            ).scalars()
        ),
    }
