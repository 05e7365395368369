"""The certification cycle in the database: start it, record its steps and surveillance.

The cycle belongs to a master certificate and starts on its issue date; validity
(3 years) and the surveillance schedule follow
(:func:`calib.assessment.cycle.certification_cycle`). Steps come from a controlled
list and are recorded once each, with dates in the cycle's order.

References
----------
IECQ FAQ "Conformity assessment certification process" and "validity of IECQ
certification"; ISO/IEC 17021-1:2015 9.6.2.2 (surveillance at least once a calendar year).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from calib.assessment.cycle import (
    CERTIFICATION_STEPS,
    CertificationCycle,
    add_months,
    certification_cycle,
)
from calib.assessment.records import (
    CertificationCycleRecord,
    CertificationStepRecord,
    ScopeCertificate,
)
from calib.audit import audited_create
from calib.permissions import Actor, Permission, require
from uncertainty.errors import InvalidInputError

__all__ = [
    "CERTIFICATE_VALIDITY_YEARS",
    "STEPS_BEFORE_CERTIFICATION",
    "add_cycle_step",
    "current_cycle",
    "list_cycles",
    "record_surveillance",
    "start_certification_cycle",
]

CERTIFICATE_VALIDITY_YEARS = 3
"""IECQ FAQ: "IECQ certification is valid for three years and requires surveillance audits"."""

STEPS_BEFORE_CERTIFICATION: tuple[str, ...] = tuple(
    key for key, _ in CERTIFICATION_STEPS if key != "certification"
)
"""Steps recorded by hand before the certificate (``certification`` is its issue date)."""


def _cycle(session: Session, cycle_id: int) -> CertificationCycleRecord:
    record = session.get(CertificationCycleRecord, cycle_id)
    if record is None:
        raise InvalidInputError(f"no certification cycle with id {cycle_id}", field="cycle_id")
    return record


def start_certification_cycle(
    session: Session,
    actor: Actor,
    *,
    certificate_id: int,
    certification_body: str,
    standards: str,
) -> CertificationCycleRecord:
    """Start the cycle of a master certificate: certified on its issue date.

    Validity (3 years) and the surveillance schedule follow from the certificate
    (:func:`calib.assessment.cycle.certification_cycle`).
    """
    require(actor, Permission.MANAGE_LAB)
    certificate = session.get(ScopeCertificate, certificate_id)
    if certificate is None or certificate.kind != "master":
        raise InvalidInputError(
            f"a certification cycle belongs to a master certificate; {certificate_id} is not one",
            field="certificate_id",
        )
    body, standards = certification_body.strip(), standards.strip()
    if not body:
        raise InvalidInputError(
            "name the certification body (e.g. an IECQ CB)", field="certification_body"
        )
    if not standards:
        raise InvalidInputError(
            "name the applicable standards (e.g. ISO/IEC 17025:2017)", field="standards"
        )
    existing = session.exec(
        select(CertificationCycleRecord).where(
            CertificationCycleRecord.certificate_id == certificate_id
        )
    ).first()
    if existing is not None:
        raise InvalidInputError(
            f"certificate {certificate.number} already has a certification cycle",
            field="certificate_id",
        )
    cycle = CertificationCycleRecord(
        certificate_id=certificate_id,
        certification_body=body,
        standards=standards,
        certified_on=certificate.issued_on,
    )
    return audited_create(session, cycle, actor)


def list_cycles(session: Session, actor: Actor) -> list[CertificationCycleRecord]:
    """Certification cycles, newest first."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(CertificationCycleRecord).order_by(
        col(CertificationCycleRecord.certified_on).desc()
    )
    return list(session.exec(stmt))


def _steps(session: Session, cycle_id: int) -> dict[str, dt.date]:
    return {
        s.key: s.done_on
        for s in session.exec(
            select(CertificationStepRecord).where(CertificationStepRecord.cycle_id == cycle_id)
        )
    }


def _check_step_order(
    key: str, done_on: dt.date, record: CertificationCycleRecord, done: dict[str, dt.date]
) -> None:
    """Dates in the order of the cycle (IECQ FAQ steps; surveillance between issue and expiry)."""
    planned = [
        s.key for s in certification_cycle(certified_on=record.certified_on, as_of=done_on).steps
    ]
    if key not in planned or key == "certification":
        raise InvalidInputError(
            f"step must be one of {', '.join(k for k in planned if k != 'certification')}, "
            f"got {key!r} (certification is the certificate's issue date)",
            field="key",
        )
    if key in done:
        raise InvalidInputError(f"step {key} is already recorded ({done[key]})", field="key")
    expiry = add_months(record.certified_on, 12 * CERTIFICATE_VALIDITY_YEARS) - dt.timedelta(days=1)
    position = planned.index(key)
    if key in STEPS_BEFORE_CERTIFICATION:
        if done_on > record.certified_on:
            raise InvalidInputError(
                f"{key} on {done_on} is after certification ({record.certified_on})",
                field="done_on",
            )
    else:
        if not record.certified_on < done_on <= expiry:
            raise InvalidInputError(
                f"{key} on {done_on} must fall after certification ({record.certified_on}) "
                f"and by expiry ({expiry})",
                field="done_on",
            )
        earlier = [k for k in planned[:position] if k not in STEPS_BEFORE_CERTIFICATION]
        missing = [k for k in earlier if k not in done and k != "certification"]
        if missing:
            raise InvalidInputError(f"record {missing[0]} before {key}", field="key")
    for other, other_on in done.items():
        if other not in planned:
            continue
        if planned.index(other) < position and other_on > done_on:
            raise InvalidInputError(
                f"{key} on {done_on} is before {other} ({other_on}), an earlier step",
                field="done_on",
            )
        if planned.index(other) > position and other_on < done_on:
            raise InvalidInputError(
                f"{key} on {done_on} is after {other} ({other_on}), a later step",
                field="done_on",
            )


def add_cycle_step(
    session: Session, actor: Actor, cycle_id: int, *, key: str, done_on: dt.date, note: str = ""
) -> CertificationStepRecord:
    """Record a completed step of a certification cycle.

    ``key`` is one of :data:`STEPS_BEFORE_CERTIFICATION` (on or before the
    certification date), ``surveillance_N`` or ``recertification`` (after it, by
    expiry), once each and in the cycle's order.
    """
    require(actor, Permission.MANAGE_LAB)
    record = _cycle(session, cycle_id)
    _check_step_order(key, done_on, record, _steps(session, cycle_id))
    step = CertificationStepRecord(cycle_id=cycle_id, key=key, done_on=done_on, note=note.strip())
    return audited_create(session, step, actor)


def record_surveillance(
    session: Session, actor: Actor, cycle_id: int, *, done_on: dt.date, note: str = ""
) -> CertificationStepRecord:
    """Record the next surveillance audit of a cycle (``surveillance_1``, then ``_2``...)."""
    require(actor, Permission.MANAGE_LAB)
    record = _cycle(session, cycle_id)
    done = _steps(session, cycle_id)
    timeline = certification_cycle(certified_on=record.certified_on, as_of=done_on)
    pending = [
        s.key for s in timeline.steps if s.key.startswith("surveillance_") and s.key not in done
    ]
    if not pending:
        raise InvalidInputError(
            "every surveillance audit of this cycle is recorded; record recertification",
            field="done_on",
        )
    return add_cycle_step(session, actor, cycle_id, key=pending[0], done_on=done_on, note=note)


def current_cycle(
    session: Session, actor: Actor, *, as_of: dt.date
) -> tuple[CertificationCycleRecord, CertificationCycle] | None:
    """The latest certification cycle started on or before ``as_of``, evaluated then."""
    require(actor, Permission.VIEW_RECORDS)
    record = session.exec(
        select(CertificationCycleRecord)
        .where(CertificationCycleRecord.certified_on <= as_of)
        .order_by(col(CertificationCycleRecord.certified_on).desc())
    ).first()
    if record is None:
        return None
    done = _steps(session, int(record.id or 0))
    return record, certification_cycle(
        certified_on=record.certified_on, as_of=as_of, completed=done
    )
