"""Traceability services: import, chain checks, impact with nonconformities, intervals, assets.

Every function takes ``(session, actor, ...)`` and checks the actor's permission first.
The register is built from the database in bulk (:mod:`calib.trace_store`) and kept,
with its memoised :class:`~traceability.chain.ChainChecker`, until the next audited write
(the cache key is the audit chain's head hash, which every audited write changes).

Queries for the assessment checklist: :func:`equipment_status_for_jobs` ("no job used a
reference standard past its due date or out of service") and
:func:`certificate_findings` (per certificate: traceable, findings; "every reported U is
at least the CMC and the reference's U").

References
----------
ISO/IEC 17025:2017 6.4.7, 6.4.9, 6.4.13, 6.5, 7.10.1; ILAC P10:07/2020; ILAC P14:09/2020.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from calib.audit import audited_create, audited_update
from calib.permissions import Actor, Permission, require
from calib.quality import raise_nonconformity
from calib.records import AuditHead, Job, Nonconformity
from calib.trace_store import load_register_from_db, write_register
from traceability.chain import CertificateVerdict, ChainChecker, CheckResult, check_register
from traceability.findings import Finding
from traceability.impact import impact_analysis
from traceability.intervals import IntervalReport, recommend_intervals
from traceability.records import (
    NOTIFICATION_STATUSES,
    TraceCertificate,
    TraceImpactItem,
    TraceInstrument,
)
from traceability.register import Register
from traceability.schema import (
    CheckReportDocument,
    ImpactReportDocument,
    IntervalReportDocument,
    parse_register,
)
from uncertainty.errors import InvalidInputError, NotFoundError

__all__ = [
    "AssetStatus",
    "CertificateFindings",
    "EquipmentStatusReport",
    "ImportSummary",
    "JobEquipmentStatus",
    "as_found_series",
    "asset_register",
    "cached_register",
    "certificate_findings",
    "chain_graph",
    "check",
    "check_report",
    "equipment_status_for_jobs",
    "impact",
    "impact_items",
    "import_register",
    "interval_report",
    "intervals",
    "record_customer_notification",
]

#: Findings about the standards a calibration used, judged on the day of use.
EQUIPMENT_CODES = frozenset(
    {
        "REFERENCE_EXPIRED_AT_USE",
        "REFERENCE_QUARANTINED_AT_USE",
        "REFERENCE_NOT_YET_CALIBRATED_AT_USE",
        "REFERENCE_SUPERSEDED",
    }
)
#: Findings about reported uncertainties (ILAC P14:09/2020 6.4; JCGM 200:2012 2.41).
UNCERTAINTY_CODES = frozenset({"UNCERTAINTY_BELOW_CMC", "UNCERTAINTY_BELOW_REFERENCE"})

_cache_lock = threading.Lock()
#: The cached checker memoises per date: one engine query at a time per process.
_engine_lock = threading.RLock()
_cache: dict[str, tuple[str, Register, ChainChecker]] = {}


@dataclass(frozen=True)
class ImportSummary:
    """Records added by :func:`import_register`, per kind."""

    counts: dict[str, int]

    def __str__(self) -> str:
        return ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in self.counts.items())


def import_register(session: Session, actor: Actor, data: Any) -> ImportSummary:
    """Validate a whole register document, then store it; nothing is stored on any error.

    The document (CONTRACTS section 4) is validated completely first (structure, units,
    dates, U and k, duplicate and unknown ids: :func:`traceability.schema.load_register`),
    then checked against the database (ids already present, unknown site codes).

    Raises
    ------
    InvalidInputError
        Naming the record id and field, e.g. ``certificates[C-050].due``.
    """
    require(actor, Permission.EDIT_RECORDS)
    document = parse_register(data)
    document.to_register()  # complete validation before any write
    return ImportSummary(write_register(session, actor, document))


def cached_register(session: Session) -> tuple[Register, ChainChecker]:
    """The register built from the database and its checker, reused until the next write."""
    head = session.execute(select(col(AuditHead.hash)).where(col(AuditHead.id) == 1)).scalar() or ""
    bind = session.get_bind()
    key = str(bind.url) if hasattr(bind, "url") else str(id(bind))
    with _cache_lock:
        found = _cache.get(key)
    if found is not None and found[0] == head:
        return found[1], found[2]
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of acyclic objects: the cyclic GC only slows the build
    try:
        register = load_register_from_db(session)
    finally:
        if gc_was_enabled:
            gc.enable()
    checker = ChainChecker(register)
    with _cache_lock:
        _cache[key] = (head, register, checker)
    return register, checker


def _register(session: Session, actor: Actor) -> tuple[Register, ChainChecker]:
    require(actor, Permission.VIEW_RECORDS)
    return cached_register(session)


def check(
    session: Session,
    actor: Actor,
    *,
    as_of: dt.date,
    certificates: Iterable[str] | None = None,
) -> CheckResult:
    """Check every released certificate (or ``certificates``) issued on or before ``as_of``."""
    register, checker = _register(session, actor)
    if certificates is not None:
        certificates = list(certificates)
        for code in certificates:
            if code not in register.certificates:
                raise NotFoundError(f"certificate {code!r} is not in the register")
    with _engine_lock:
        return check_register(register, as_of, certificates=certificates, checker=checker)


def chain_graph(
    session: Session, actor: Actor, certificate: str, *, as_of: dt.date
) -> tuple[CertificateVerdict, str]:
    """One certificate's verdict and its chain as Graphviz DOT text (links by verdict)."""
    from traceability.graph import chain_dot

    register, checker = _register(session, actor)
    if certificate not in register.certificates:
        raise NotFoundError(f"certificate {certificate!r} is not in the register")
    with _engine_lock:
        return checker.verdict(certificate, as_of), chain_dot(checker, certificate, as_of)


def check_report(session: Session, actor: Actor, *, as_of: dt.date) -> CheckReportDocument:
    """The ``calib trace check --json`` document from the database."""
    return CheckReportDocument.from_result(check(session, actor, as_of=as_of))


def _instrument_row(session: Session, code: str) -> TraceInstrument:
    row: TraceInstrument | None = session.execute(
        select(TraceInstrument).where(col(TraceInstrument.code) == code)
    ).scalar()
    if row is None:
        raise NotFoundError(f"instrument {code!r} is not in the register")
    return row


def impact(
    session: Session,
    actor: Actor,
    instrument: str,
    found_on: dt.date,
    *,
    since: str = "last_calibration",
    max_depth: int | None = None,
    record: bool = True,
    raised_on: dt.date | None = None,
) -> ImpactReportDocument:
    """Out-of-tolerance impact from the database; ``record`` raises one NC per impacted item.

    With ``record`` every impacted certificate gets a :class:`TraceImpactItem` linked to
    a nonconformity (``calib.quality.raise_nonconformity``, source ``trace_certificate``)
    and a customer-notification status (``pending`` when the certificate belongs to a
    customer job, else ``not_required``). Idempotent: a second run finds the items and
    raises nothing new. Existing items are reported either way.

    References
    ----------
    ISO/IEC 17025:2017 6.4.9, 7.10.1 (b, d).
    """
    register, _ = _register(session, actor)
    if record:
        require(actor, Permission.RAISE_NONCONFORMITY)
    result = impact_analysis(register, instrument, found_on, since=since, max_depth=max_depth)
    document = ImpactReportDocument.from_result(result)
    impacted = [row for row in document.affected if row.impacted]
    if not impacted:
        return document
    inst = _instrument_row(session, instrument)
    codes = [row.certificate for row in impacted]
    cert_rows: dict[str, tuple[int, int | None]] = {}
    for start in range(0, len(codes), 500):
        for code, ident, job in session.execute(
            select(
                col(TraceCertificate.code), col(TraceCertificate.id), col(TraceCertificate.job_id)
            ).where(col(TraceCertificate.code).in_(codes[start : start + 500]))
        ):
            cert_rows[code] = (ident, job)
    existing = {
        item.certificate_id: item
        for item in session.execute(
            select(TraceImpactItem).where(
                col(TraceImpactItem.instrument_id) == inst.id,
                col(TraceImpactItem.found_on) == found_on,
            )
        ).scalars()
    }
    references = dict(
        session.execute(select(col(Nonconformity.id), col(Nonconformity.reference))).all()
    )
    for row in impacted:
        ident, job = cert_rows[row.certificate]
        item = existing.get(ident)
        if item is None and record:
            nc = raise_nonconformity(
                session,
                actor,
                description=(
                    f"Certificate {row.certificate} (instrument {row.instrument}, calibrated "
                    f"{row.calibrated_on}) rests on {instrument}, found out of tolerance on "
                    f"{found_on}: {row.reason}. Evaluate the effect and notify the customer "
                    "where needed (ISO/IEC 17025:2017 6.4.9, 7.10.1)."
                ),
                raised_on=raised_on or found_on,
                severity="major" if row.depth == 1 else "minor",
                source_table="trace_certificate",
                source_id=ident,
            )
            references[nc.id] = nc.reference  # type: ignore[index]
            item = audited_create(
                session,
                TraceImpactItem(
                    instrument_id=inst.id,  # type: ignore[arg-type]
                    found_on=found_on,
                    certificate_id=ident,
                    depth=row.depth,
                    reason=row.reason,
                    nonconformity_id=nc.id,
                    customer_notification="pending" if job is not None else "not_required",
                ),
                actor,
            )
            existing[ident] = item
        if item is not None:
            row.nonconformity = references.get(item.nonconformity_id or -1)
            row.customer_notified = (
                None
                if item.customer_notification == "not_required"
                else item.customer_notification == "notified"
            )
    return document


def impact_items(
    session: Session, actor: Actor, instrument: str, found_on: dt.date
) -> list[TraceImpactItem]:
    """The stored impact items of one out-of-tolerance finding."""
    require(actor, Permission.VIEW_RECORDS)
    inst = _instrument_row(session, instrument)
    return list(
        session.execute(
            select(TraceImpactItem)
            .where(
                col(TraceImpactItem.instrument_id) == inst.id,
                col(TraceImpactItem.found_on) == found_on,
            )
            .order_by(col(TraceImpactItem.id))
        ).scalars()
    )


def record_customer_notification(
    session: Session, actor: Actor, item_id: int, *, status: str, on: dt.date | None = None
) -> TraceImpactItem:
    """Set the customer-notification status of an impact item (7.10.1 d)."""
    require(actor, Permission.RAISE_NONCONFORMITY)
    if status not in NOTIFICATION_STATUSES:
        raise InvalidInputError(
            f"must be one of {', '.join(NOTIFICATION_STATUSES)}, got {status!r}",
            field="customer_notification",
        )
    item = session.get(TraceImpactItem, item_id)
    if item is None:
        raise NotFoundError(f"no impact item with id {item_id}")
    changes: dict[str, Any] = {"customer_notification": status}
    if status == "notified":
        changes["notified_on"] = on or dt.date.today()
    return audited_update(session, item, changes, actor)


def intervals(session: Session, actor: Actor, instrument: str) -> IntervalReport:
    """Interval recommendations from the as-found history (ILAC G24); never applied."""
    register, _ = _register(session, actor)
    return recommend_intervals(register, instrument)


def as_found_series(session: Session, actor: Actor, instrument: str) -> list[dict[str, Any]]:
    """As-found / as-left errors per point over time (the interval page's chart data)."""
    register, _ = _register(session, actor)
    if instrument not in register.instruments:
        raise NotFoundError(f"instrument {instrument!r} is not in the register")
    rows: list[dict[str, Any]] = []
    for cert in register.certificates_by_instrument.get(instrument, []):
        for point in cert.points:
            if point.as_found_error is None and point.as_left_error is None:
                continue
            rows.append(
                {
                    "certificate": cert.id,
                    "calibrated_on": cert.calibrated_on,
                    "point": point.describe(),
                    "unit": point.unit,
                    "as_found_error": point.as_found_error,
                    "as_left_error": point.as_left_error,
                    "tolerance": point.tolerance,
                }
            )
    return rows


def interval_report(session: Session, actor: Actor, instrument: str) -> IntervalReportDocument:
    """The ``calib trace interval --json`` document from the database."""
    return IntervalReportDocument.from_report(intervals(session, actor, instrument))


# ------------------------------------------------------------------------- assets


@dataclass(frozen=True)
class AssetStatus:
    """An instrument's calibration state on a date (ISO/IEC 17025:2017 6.4.13 d-f).

    ``state``: ``current``, ``due_soon`` (due within the horizon), ``overdue``,
    ``quarantined`` (status quarantined or out of service on the date), ``retired``,
    ``never_calibrated``.
    """

    instrument: str
    description: str
    role: str
    status: str
    site: str
    state: str
    last_certificate: str | None
    calibrated_on: dt.date | None
    due: dt.date | None
    days_to_due: int | None
    out_of_service_since: dt.date | None
    out_of_service_reason: str | None
    calibration_interval_months: float | None


def asset_register(
    session: Session,
    actor: Actor,
    *,
    as_of: dt.date,
    due_within_days: int = 30,
    site: str | None = None,
    state: str | None = None,
    include_customer_items: bool = False,
) -> list[AssetStatus]:
    """Every lab instrument with its calibration state on ``as_of`` (optionally one site/state).

    Customer items (instruments with a ``customer_id``) are left out unless
    ``include_customer_items``.
    """
    register, _ = _register(session, actor)
    customer_items: set[str] = set()
    if not include_customer_items:
        customer_items = set(
            session.execute(
                select(col(TraceInstrument.code)).where(
                    col(TraceInstrument.customer_id).is_not(None)
                )
            ).scalars()
        )
    rows: list[AssetStatus] = []
    for inst in register.instruments.values():
        if (site is not None and inst.site != site) or inst.id in customer_items:
            continue
        latest = register.latest_certificate(inst.id, as_of)
        event = register.out_of_service_event(inst.id, as_of)
        due = latest.due if latest is not None else None
        days = (due - as_of).days if due is not None else None
        if inst.status == "retired":
            found = "retired"
        elif inst.status == "quarantined" or event is not None:
            found = "quarantined"
        elif latest is None:
            found = "never_calibrated"
        elif days is not None and days < 0:
            found = "overdue"
        elif days is not None and days <= due_within_days:
            found = "due_soon"
        else:
            found = "current"
        if state is not None and found != state:
            continue
        rows.append(
            AssetStatus(
                instrument=inst.id,
                description=inst.description,
                role=inst.role,
                status=inst.status,
                site=inst.site,
                state=found,
                last_certificate=latest.id if latest is not None else None,
                calibrated_on=latest.calibrated_on if latest is not None else None,
                due=due,
                days_to_due=days,
                out_of_service_since=event.on if event is not None else None,
                out_of_service_reason=event.kind if event is not None else None,
                calibration_interval_months=inst.calibration_interval_months,
            )
        )
    return rows


# ------------------------------------------------------------- assessment queries


@dataclass(frozen=True)
class JobEquipmentStatus:
    """The standards one job's certificate used, judged on the day of use."""

    certificate: str
    job_id: int | None
    calibrated_on: dt.date
    references: tuple[str, ...]
    problems: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """No reference was expired, out of service, not yet calibrated or superseded."""
        return not self.problems


@dataclass(frozen=True)
class EquipmentStatusReport:
    """Answer to "did any job use a standard past due or out of service?" (6.4.7, 6.4.9)."""

    as_of: dt.date
    items: tuple[JobEquipmentStatus, ...]

    @property
    def ok(self) -> bool:
        """True when no job's certificate has an equipment problem."""
        return all(item.ok for item in self.items)

    @property
    def problems(self) -> tuple[JobEquipmentStatus, ...]:
        """The items with at least one problem."""
        return tuple(item for item in self.items if not item.ok)

    @property
    def statement(self) -> str:
        """One sentence for an assessor's checklist."""
        if self.ok:
            return (
                f"As of {self.as_of}, none of {len(self.items)} job certificates used a "
                "reference standard that was past due, out of service or superseded."
            )
        return (
            f"As of {self.as_of}, {len(self.problems)} of {len(self.items)} job certificates "
            "used a reference standard that was past due, out of service, not yet calibrated "
            "or superseded on the day of use."
        )


def _job_certificates(session: Session) -> dict[str, int | None]:
    return dict(
        session.execute(
            select(col(TraceCertificate.code), col(TraceCertificate.job_id)).where(
                col(TraceCertificate.job_id).is_not(None),
                col(TraceCertificate.status) == "released",
            )
        ).all()
    )


def equipment_status_for_jobs(
    session: Session, actor: Actor, *, as_of: dt.date, all_certificates: bool = False
) -> EquipmentStatusReport:
    """For each certificate linked to a job (issued on or before ``as_of``): the standards used.

    Each reference is judged on the certificate's calibration date (ISO/IEC 17025:2017
    6.4.7, 6.4.9, 6.5.1). ``all_certificates`` extends the check to every certificate of
    the register that names references.
    """
    register, checker = _register(session, actor)
    jobs = _job_certificates(session)
    items = []
    for cert in register.certificates.values():
        if cert.issued > as_of or (not all_certificates and cert.id not in jobs):
            continue
        if all_certificates and not cert.references and cert.id not in jobs:
            continue
        with _engine_lock:
            local = checker.local(cert.id).findings
        problems = tuple(f for f in local if f.code in EQUIPMENT_CODES)
        items.append(
            JobEquipmentStatus(
                cert.id,
                jobs.get(cert.id),
                cert.calibrated_on,
                tuple(r.certificate for r in cert.references),
                problems,
            )
        )
    return EquipmentStatusReport(as_of, tuple(items))


@dataclass(frozen=True)
class CertificateFindings:
    """Per certificate: traceable on ``as_of`` and its findings (CONTRACTS section 4)."""

    as_of: dt.date
    verdicts: tuple[CertificateVerdict, ...]

    @property
    def all_traceable(self) -> bool:
        """Every certificate traces to a recognised root without a ``fail`` finding."""
        return all(v.traceable for v in self.verdicts)

    @property
    def not_traceable(self) -> tuple[str, ...]:
        """Ids of the certificates that are not traceable."""
        return tuple(v.certificate for v in self.verdicts if not v.traceable)

    @property
    def uncertainty_problems(self) -> tuple[str, ...]:
        """Certificates reporting a U below the issuer's CMC or the reference's U."""
        return tuple(
            v.certificate
            for v in self.verdicts
            if any(f.code in UNCERTAINTY_CODES for f in v.findings)
        )

    @property
    def statement(self) -> str:
        """One sentence for an assessor's checklist."""
        traced = len(self.verdicts) - len(self.not_traceable)
        below = len(self.uncertainty_problems)
        return (
            f"As of {self.as_of}, {traced} of {len(self.verdicts)} certificates trace to the SI; "
            + (
                "every reported U is at least the CMC and the reference's U."
                if below == 0
                else f"{below} report a U below the CMC or below their reference's U."
            )
        )


def certificate_findings(session: Session, actor: Actor, *, as_of: dt.date) -> CertificateFindings:
    """Verdict and findings of every certificate issued on or before ``as_of``."""
    return CertificateFindings(as_of, check(session, actor, as_of=as_of).verdicts)


def job_for_certificate(session: Session, code: str) -> Job | None:
    """The customer job a certificate belongs to, if any."""
    job_id = session.execute(
        select(col(TraceCertificate.job_id)).where(col(TraceCertificate.code) == code)
    ).scalar()
    return session.get(Job, job_id) if job_id is not None else None
