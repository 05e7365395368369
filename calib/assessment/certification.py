"""Scopes, certificates, certification cycle and management-system records.

The scope vocabulary (:class:`ScopeLineRecord`) is the only place where scope
wording lives; site certificates reference lines by id and the wording is
rendered (:func:`calib.assessment.scopes.render_certificate`), never retyped.
The consistency report applies the multisite rules of IECQ 03-1:2023 (5.2,
8.1.4, Annex D) to the stored certificates.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlmodel import Session, col, select

from calib.assessment.cycle import add_months
from calib.assessment.cycle_service import CERTIFICATE_VALIDITY_YEARS
from calib.assessment.records import (
    ManagementReview,
    MethodValidation,
    QualityDocument,
    ScopeCertificate,
    ScopeLineRecord,
    SiteScopeLine,
)
from calib.assessment.scopes import (
    Certificate,
    RenderedCertificate,
    ScopeLine,
    ScopeReport,
    Site,
    consistency_report,
    render_certificate,
    render_line,
)
from calib.audit import audited_create, audited_delete, audited_update
from calib.permissions import Actor, Permission, require
from calib.records import Procedure
from calib.records import Site as SiteRecord
from uncertainty.errors import ConflictError, InvalidInputError
from uncertainty.units import delta_unit, parse_unit

__all__ = [
    "ScopeState",
    "add_management_review",
    "add_method_validation",
    "add_quality_document",
    "add_scope_line",
    "assign_scope_line",
    "check_cmc_unit",
    "issue_certificate",
    "list_certificates",
    "list_management_reviews",
    "list_method_validations",
    "list_quality_documents",
    "list_scope_lines",
    "retire_scope_line",
    "scope_state",
    "unassign_scope_line",
]


def _scope_line(session: Session, scope_line_id: int) -> ScopeLineRecord:
    line = session.get(ScopeLineRecord, scope_line_id)
    if line is None:
        raise InvalidInputError(f"no scope line with id {scope_line_id}", field="scope_line_id")
    return line


def _site(session: Session, site_id: int) -> SiteRecord:
    site = session.get(SiteRecord, site_id)
    if site is None:
        raise InvalidInputError(f"no site with id {site_id}", field="site_id")
    return site


def _finite(value: float | None, name: str, what: str) -> float:
    if value is None or not math.isfinite(value):
        raise InvalidInputError(f"{what} must be a finite number, got {value!r}", field=name)
    return float(value)


def check_cmc_unit(cmc_unit: str, range_unit: str) -> None:
    """Refuse a CMC unit that is neither the measurand's dimension nor relative.

    A CMC is an expanded uncertainty of the measurand (ILAC P14:09/2020), stated
    like any uncertainty "in the same unit as that of the measurand or in a term
    relative to the measurand (e.g. percent)" (ISO/IEC 17025:2017 7.8.4.1 a): a
    unit of the same dimension (``mV`` for a range in ``V``; ``K`` for ``degC``, a
    temperature difference) or a relative one (``%``, ``µV/V``: dimensionless).

    Raises
    ------
    InvalidInputError
        ``field="cmc_unit"`` for an unknown or incompatible unit.
    """
    cmc = parse_unit(cmc_unit, field="cmc_unit")
    measurand = delta_unit(parse_unit(range_unit, field="unit"))
    if cmc.dimensionless or delta_unit(cmc).dimensionality == measurand.dimensionality:
        return
    raise InvalidInputError(
        f"CMC unit {cmc_unit!r} is not compatible with the measurand's unit {range_unit!r}: "
        f"give it in a unit of the same dimension or relative (%, µV/V)",
        field="cmc_unit",
    )


def add_scope_line(
    session: Session,
    actor: Actor,
    *,
    code: str,
    measurand: str,
    range_min: float | None,
    range_max: float | None,
    unit: str,
    cmc_value: float | None,
    cmc_unit: str,
    procedure_id: int | None,
) -> ScopeLineRecord:
    """Add a line to the controlled scope vocabulary (managers: ``manage_lab``).

    Every line is complete and unambiguous (IECQ 03-1:2023 8.1.4): a unique code,
    a measurand, a range ``range_min < range_max`` in a known unit, a CMC > 0 in a
    unit compatible with the measurand (:func:`check_cmc_unit`) and an existing
    procedure; its wording may not repeat an active line's. The CMC wording is
    built from value and unit (``0.3 K``), never typed.

    Raises
    ------
    InvalidInputError
        Naming the field (``code``, ``measurand``, ``range_min``, ``range_max``,
        ``unit``, ``cmc_value``, ``cmc_unit``, ``procedure_id``).
    """
    require(actor, Permission.MANAGE_LAB)
    code, measurand, unit, cmc_unit = (
        code.strip(),
        measurand.strip(),
        unit.strip(),
        cmc_unit.strip(),
    )
    if not code:
        raise InvalidInputError("scope line code must not be empty", field="code")
    if session.exec(select(ScopeLineRecord).where(ScopeLineRecord.code == code)).first():
        raise InvalidInputError(f"a scope line with code {code!r} already exists", field="code")
    if not measurand:
        raise InvalidInputError("measurand must not be empty", field="measurand")
    low = _finite(range_min, "range_min", "range_min")
    high = _finite(range_max, "range_max", "range_max")
    if not low < high:
        raise InvalidInputError(
            f"range_min {low:g} must be below range_max {high:g}", field="range_min"
        )
    if not unit:
        raise InvalidInputError("the range needs a unit (e.g. V, mm, degC)", field="unit")
    parse_unit(unit, field="unit")
    cmc = _finite(cmc_value, "cmc_value", "CMC")
    if cmc <= 0:
        raise InvalidInputError(f"CMC must be greater than 0, got {cmc:g}", field="cmc_value")
    if not cmc_unit:
        raise InvalidInputError("the CMC needs a unit (e.g. mV, %, µV/V)", field="cmc_unit")
    check_cmc_unit(cmc_unit, unit)
    if procedure_id is None or session.get(Procedure, procedure_id) is None:
        raise InvalidInputError(
            f"no procedure with id {procedure_id}: a scope line names its procedure",
            field="procedure_id",
        )
    line = ScopeLineRecord(
        code=code,
        measurand=measurand,
        range_min=low,
        range_max=high,
        unit=unit,
        cmc=f"{cmc:g} {cmc_unit}",
        procedure_id=procedure_id,
    )
    procedures = {p.id: p.code for p in session.exec(select(Procedure))}
    wording = render_line(_engine_line(line, procedures)).casefold()
    for other in session.exec(select(ScopeLineRecord).where(col(ScopeLineRecord.active))):
        if render_line(_engine_line(other, procedures)).casefold() == wording:
            raise InvalidInputError(
                f"scope line {other.code} already has this wording; one line per activity",
                field="measurand",
            )
    return audited_create(session, line, actor)


def retire_scope_line(session: Session, actor: Actor, scope_line_id: int) -> ScopeLineRecord:
    """Retire a vocabulary line: it leaves every site scope (each removal audited).

    The line stays in the database (certificates issued before cite it in the
    audit trail) but is no longer offered nor rendered.
    """
    require(actor, Permission.MANAGE_LAB)
    line = _scope_line(session, scope_line_id)
    if not line.active:
        raise ConflictError(f"scope line {line.code} is already retired")
    for assignment in session.exec(
        select(SiteScopeLine).where(SiteScopeLine.scope_line_id == scope_line_id)
    ):
        audited_delete(session, assignment, actor)
    return audited_update(session, line, {"active": False}, actor)


def _assignment(session: Session, site_id: int, scope_line_id: int) -> SiteScopeLine | None:
    return session.exec(
        select(SiteScopeLine).where(
            SiteScopeLine.site_id == site_id, SiteScopeLine.scope_line_id == scope_line_id
        )
    ).first()


def assign_scope_line(
    session: Session, actor: Actor, *, site_id: int, scope_line_id: int
) -> SiteScopeLine:
    """Put an active vocabulary line in a site's scope (by id: wording is never retyped)."""
    require(actor, Permission.MANAGE_LAB)
    site = _site(session, site_id)
    line = _scope_line(session, scope_line_id)
    if not line.active:
        raise InvalidInputError(f"scope line {line.code} is retired", field="scope_line_id")
    if _assignment(session, site_id, scope_line_id) is not None:
        raise InvalidInputError(
            f"scope line {line.code} is already in the scope of site {site.code}",
            field="scope_line_id",
        )
    return audited_create(
        session, SiteScopeLine(site_id=site_id, scope_line_id=scope_line_id), actor
    )


def unassign_scope_line(
    session: Session, actor: Actor, *, site_id: int, scope_line_id: int
) -> None:
    """Take a line out of a site's scope (the removal is audited)."""
    require(actor, Permission.MANAGE_LAB)
    site = _site(session, site_id)
    line = _scope_line(session, scope_line_id)
    assignment = _assignment(session, site_id, scope_line_id)
    if assignment is None:
        raise InvalidInputError(
            f"scope line {line.code} is not in the scope of site {site.code}",
            field="scope_line_id",
        )
    audited_delete(session, assignment, actor)


def _overlapping_master(session: Session, start: dt.date, end: dt.date) -> ScopeCertificate | None:
    """A master certificate valid on some day of ``start`` to ``end``."""
    return session.exec(
        select(ScopeCertificate).where(
            ScopeCertificate.kind == "master",
            col(ScopeCertificate.issued_on) <= end,
            col(ScopeCertificate.valid_until) >= start,
        )
    ).first()


def issue_certificate(
    session: Session,
    actor: Actor,
    *,
    number: str,
    site_id: int,
    kind: str,
    issued_on: dt.date,
    master_certificate_id: int | None = None,
    validity_years: int = CERTIFICATE_VALIDITY_YEARS,
) -> ScopeCertificate:
    """Record a master or site certificate (validity 3 years, IECQ FAQ).

    The certificate holds no scope text: its scope of certification (the union of
    the site scopes) and its site scope are rendered from the vocabulary by id.
    The master goes to the head-office site, one valid master at a time (IECQ
    03-1:2023 Annex D); a site certificate cites a master valid on its issue
    date, covers a site with scope lines, and expires with its master (5.2: each
    site is linked to the master certificate).

    Raises
    ------
    InvalidInputError
        Naming the field (``number``, ``site_id``, ``kind``,
        ``master_certificate_id``, ``issued_on``, ``validity_years``).
    """
    require(actor, Permission.MANAGE_LAB)
    number = number.strip()
    if not number:
        raise InvalidInputError("certificate number must not be empty", field="number")
    if session.exec(select(ScopeCertificate).where(ScopeCertificate.number == number)).first():
        raise InvalidInputError(f"certificate {number!r} already exists", field="number")
    if kind not in ("master", "site"):
        raise InvalidInputError(f"kind must be master or site, got {kind!r}", field="kind")
    if validity_years < 1:
        raise InvalidInputError(
            f"validity_years must be >= 1, got {validity_years}", field="validity_years"
        )
    site = _site(session, site_id)
    valid_until = add_months(issued_on, 12 * validity_years) - dt.timedelta(days=1)
    if kind == "master":
        if master_certificate_id is not None:
            raise InvalidInputError(
                "a master certificate cites no master", field="master_certificate_id"
            )
        if not site.is_master:
            raise InvalidInputError(
                f"site {site.code} is not the head office: the master certificate goes to "
                "the head office (IECQ 03-1:2023 Annex D)",
                field="site_id",
            )
        current = _overlapping_master(session, issued_on, valid_until)
        if current is not None:
            raise InvalidInputError(
                f"master certificate {current.number} is valid from {current.issued_on} to "
                f"{current.valid_until}; one master at a time",
                field="kind",
            )
    else:
        master = (
            None
            if master_certificate_id is None
            else session.get(ScopeCertificate, master_certificate_id)
        )
        if master is None or master.kind != "master":
            raise InvalidInputError(
                f"a site certificate cites a master certificate; {master_certificate_id!r} is not one",
                field="master_certificate_id",
            )
        if site.is_master:
            raise InvalidInputError(
                f"site {site.code} is the head office: it holds the master certificate",
                field="site_id",
            )
        if not master.issued_on <= issued_on <= master.valid_until:
            raise InvalidInputError(
                f"issued_on {issued_on} is outside the validity of master {master.number} "
                f"({master.issued_on} to {master.valid_until})",
                field="issued_on",
            )
        if not session.exec(select(SiteScopeLine).where(SiteScopeLine.site_id == site_id)).first():
            raise InvalidInputError(
                f"site {site.code} has no scope lines: assign its activities first",
                field="site_id",
            )
        for other in session.exec(
            select(ScopeCertificate).where(
                ScopeCertificate.site_id == site_id,
                ScopeCertificate.master_certificate_id == master.id,
            )
        ):
            raise InvalidInputError(
                f"site {site.code} already holds {other.number} under master {master.number}",
                field="site_id",
            )
        valid_until = min(valid_until, master.valid_until)
    certificate = ScopeCertificate(
        number=number,
        site_id=site_id,
        kind=kind,
        master_certificate_id=master_certificate_id,
        issued_on=issued_on,
        valid_until=valid_until,
    )
    return audited_create(session, certificate, actor)


def list_certificates(session: Session, actor: Actor) -> list[ScopeCertificate]:
    """Stored certificates, oldest first."""
    require(actor, Permission.VIEW_RECORDS)
    return list(session.exec(select(ScopeCertificate).order_by(col(ScopeCertificate.id))))


def list_scope_lines(
    session: Session, actor: Actor, *, active_only: bool = True
) -> list[ScopeLineRecord]:
    """Vocabulary lines by code (the active ones unless ``active_only`` is false)."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(ScopeLineRecord).order_by(col(ScopeLineRecord.code))
    if active_only:
        stmt = stmt.where(col(ScopeLineRecord.active))
    return list(session.exec(stmt))


def _engine_line(record: ScopeLineRecord, procedures: dict[int | None, str]) -> ScopeLine:
    return ScopeLine(
        record.code,
        record.measurand,
        record.range_min,
        record.range_max,
        record.unit,
        record.cmc,
        None if record.procedure_id is None else procedures.get(record.procedure_id),
    )


@dataclass(frozen=True)
class ScopeState:
    """The stored scopes as engine objects, rendered certificates and the report."""

    lines: list[ScopeLine]
    sites: list[Site]
    site_scopes: dict[str, list[str]]
    certificates: list[Certificate]
    rendered: list[RenderedCertificate]
    report: ScopeReport
    site_names: dict[str, str]


def scope_state(session: Session, actor: Actor, *, as_of: dt.date | None = None) -> ScopeState:
    """Vocabulary, site scopes and stored certificates, rendered and checked.

    Each stored certificate's scope of certification is the union of the site
    scopes (the master's), as IECQ 03-1:2023 Annex D requires; its site scope is
    the lines assigned to its site. The report judges the certificates valid on
    ``as_of`` (default today); expired ones stay rendered and in ``report.history``.
    """
    require(actor, Permission.VIEW_RECORDS)
    as_of = as_of or dt.date.today()
    procedures: dict[int | None, str] = {p.id: p.code for p in session.exec(select(Procedure))}
    records = list(session.exec(select(ScopeLineRecord).order_by(col(ScopeLineRecord.code))))
    by_id = {r.id: r.code for r in records if r.active}
    lines = [_engine_line(r, procedures) for r in records if r.active]
    site_rows = list(session.exec(select(SiteRecord).order_by(col(SiteRecord.id))))
    certs = list(session.exec(select(ScopeCertificate).order_by(col(ScopeCertificate.id))))
    certified_sites = {c.site_id for c in certs if c.issued_on <= as_of <= c.valid_until}
    sites = [
        Site(s.code, s.name, is_head_office=s.is_master, listed=s.id in certified_sites)
        for s in site_rows
    ]
    code_of = {s.id: s.code for s in site_rows}
    scopes: dict[str, list[str]] = {s.code: [] for s in site_rows}
    for assignment in session.exec(select(SiteScopeLine).order_by(col(SiteScopeLine.id))):
        if assignment.scope_line_id in by_id:  # a retired line left every scope
            scopes[code_of[assignment.site_id]].append(by_id[assignment.scope_line_id])
    union = tuple(line.id for line in lines if any(line.id in v for v in scopes.values()))
    numbers = {c.id: c.number for c in certs}
    certificates = [
        Certificate(
            c.number,
            code_of[c.site_id],
            "master" if c.kind == "master" else "site",
            union,
            tuple(scopes.get(code_of[c.site_id], [])),
            master_id=None
            if c.master_certificate_id is None
            else numbers.get(c.master_certificate_id),
            issued_on=c.issued_on,
            valid_until=c.valid_until,
        )
        for c in certs
    ]
    rendered = [render_certificate(c, lines) for c in certificates]
    report = consistency_report(lines, sites, certificates, as_of=as_of)
    return ScopeState(
        lines, sites, scopes, certificates, rendered, report, {s.code: s.name for s in site_rows}
    )


def add_quality_document(
    session: Session,
    actor: Actor,
    *,
    code: str,
    title: str,
    kind: str,
    approved_on: dt.date | None,
    review_due: dt.date | None,
    status: str = "approved",
) -> QualityDocument:
    """Add a management-system document (ISO/IEC 17025:2017 8.2, 8.3)."""
    require(actor, Permission.MANAGE_LAB)
    doc = QualityDocument(
        code=code,
        title=title,
        kind=kind,
        approved_on=approved_on,
        review_due=review_due,
        status=status,
    )
    return audited_create(session, doc, actor)


def list_quality_documents(session: Session, actor: Actor) -> list[QualityDocument]:
    """Management-system documents by code and version."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(QualityDocument).order_by(col(QualityDocument.code), col(QualityDocument.version))
    return list(session.exec(stmt))


def add_management_review(
    session: Session, actor: Actor, *, held_on: dt.date, chaired_by: str, inputs: str, outputs: str
) -> ManagementReview:
    """Record a management review (ISO/IEC 17025:2017 8.9)."""
    require(actor, Permission.MANAGE_LAB)
    review = ManagementReview(
        held_on=held_on, chaired_by=chaired_by, inputs=inputs, outputs=outputs
    )
    return audited_create(session, review, actor)


def list_management_reviews(session: Session, actor: Actor) -> list[ManagementReview]:
    """Management reviews, newest first."""
    require(actor, Permission.VIEW_RECORDS)
    return list(
        session.exec(select(ManagementReview).order_by(col(ManagementReview.held_on).desc()))
    )


def add_method_validation(
    session: Session,
    actor: Actor,
    *,
    procedure_id: int,
    validated_on: dt.date,
    summary: str,
) -> MethodValidation:
    """Record the validation / verification / review of a procedure version (7.2.1.5)."""
    require(actor, Permission.MANAGE_LAB)
    validation = MethodValidation(
        procedure_id=procedure_id,
        validated_on=validated_on,
        validated_by=actor.username,
        summary=summary,
    )
    return audited_create(session, validation, actor)


def list_method_validations(session: Session, actor: Actor) -> list[MethodValidation]:
    """Method validations, newest first."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(MethodValidation).order_by(col(MethodValidation.validated_on).desc())
    return list(session.exec(stmt))
