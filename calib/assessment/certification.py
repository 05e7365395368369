"""Scopes, certificates, certification cycle and management-system records.

The scope vocabulary (:class:`ScopeLineRecord`) is the only place where scope
wording lives; site certificates reference lines by id and the wording is
rendered (:func:`calib.assessment.scopes.render_certificate`), never retyped.
The consistency report applies the multisite rules of IECQ 03-1:2023 (5.2,
8.1.4, Annex D) to the stored certificates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from calib.assessment.cycle import CertificationCycle, certification_cycle
from calib.assessment.records import (
    CertificationCycleRecord,
    CertificationStepRecord,
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
)
from calib.audit import audited_create
from calib.permissions import Actor, Permission, require
from calib.records import Procedure
from calib.records import Site as SiteRecord
from uncertainty.errors import InvalidInputError, NotFoundError

__all__ = [
    "ScopeState",
    "add_cycle_step",
    "add_management_review",
    "add_method_validation",
    "add_quality_document",
    "add_scope_line",
    "assign_scope_line",
    "current_cycle",
    "issue_certificate",
    "list_management_reviews",
    "list_method_validations",
    "list_quality_documents",
    "scope_state",
]


def add_scope_line(
    session: Session,
    actor: Actor,
    *,
    code: str,
    measurand: str,
    range_min: float | None,
    range_max: float | None,
    unit: str | None,
    cmc: str | None,
    procedure_id: int | None,
) -> ScopeLineRecord:
    """Add a line to the controlled scope vocabulary."""
    require(actor, Permission.MANAGE_LAB)
    if not code.strip() or not measurand.strip():
        raise InvalidInputError("a scope line needs a code and a measurand", field="code")
    line = ScopeLineRecord(
        code=code,
        measurand=measurand,
        range_min=range_min,
        range_max=range_max,
        unit=unit,
        cmc=cmc,
        procedure_id=procedure_id,
    )
    return audited_create(session, line, actor)


def assign_scope_line(
    session: Session, actor: Actor, *, site_id: int, scope_line_id: int
) -> SiteScopeLine:
    """Put a vocabulary line in a site's scope."""
    require(actor, Permission.MANAGE_LAB)
    if session.get(ScopeLineRecord, scope_line_id) is None:
        raise NotFoundError(f"no scope line with id {scope_line_id}")
    return audited_create(
        session, SiteScopeLine(site_id=site_id, scope_line_id=scope_line_id), actor
    )


def issue_certificate(
    session: Session,
    actor: Actor,
    *,
    number: str,
    site_id: int,
    kind: str,
    issued_on: dt.date,
    master_certificate_id: int | None = None,
    validity_years: int = 3,
) -> ScopeCertificate:
    """Record a master or site certificate (validity 3 years, IECQ FAQ)."""
    require(actor, Permission.MANAGE_LAB)
    if kind not in ("master", "site"):
        raise InvalidInputError(f"kind must be master or site, got {kind!r}", field="kind")
    from calib.assessment.cycle import add_months

    certificate = ScopeCertificate(
        number=number,
        site_id=site_id,
        kind=kind,
        master_certificate_id=master_certificate_id,
        issued_on=issued_on,
        valid_until=add_months(issued_on, 12 * validity_years) - dt.timedelta(days=1),
    )
    return audited_create(session, certificate, actor)


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


def scope_state(session: Session, actor: Actor) -> ScopeState:
    """Vocabulary, site scopes and stored certificates, rendered and checked.

    Each stored certificate's scope of certification is the union of the site
    scopes (the master's), as IECQ 03-1:2023 Annex D requires; its site scope is
    the lines assigned to its site.
    """
    require(actor, Permission.VIEW_RECORDS)
    procedures = {p.id: p.code for p in session.exec(select(Procedure))}
    records = list(session.exec(select(ScopeLineRecord).order_by(col(ScopeLineRecord.code))))
    by_id = {r.id: r.code for r in records}
    lines = [
        ScopeLine(
            r.code,
            r.measurand,
            r.range_min,
            r.range_max,
            r.unit,
            r.cmc,
            None if r.procedure_id is None else procedures.get(r.procedure_id),
        )
        for r in records
        if r.active
    ]
    site_rows = list(session.exec(select(SiteRecord).order_by(col(SiteRecord.id))))
    certs = list(session.exec(select(ScopeCertificate).order_by(col(ScopeCertificate.id))))
    certified_sites = {c.site_id for c in certs}
    sites = [
        Site(s.code, s.name, is_head_office=s.is_master, listed=s.id in certified_sites)
        for s in site_rows
    ]
    code_of = {s.id: s.code for s in site_rows}
    scopes: dict[str, list[str]] = {s.code: [] for s in site_rows}
    for assignment in session.exec(select(SiteScopeLine).order_by(col(SiteScopeLine.id))):
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
        )
        for c in certs
    ]
    rendered = [render_certificate(c, lines) for c in certificates]
    report = consistency_report(lines, sites, certificates)
    return ScopeState(
        lines, sites, scopes, certificates, rendered, report, {s.code: s.name for s in site_rows}
    )


def add_cycle_step(
    session: Session, actor: Actor, cycle_id: int, *, key: str, done_on: dt.date, note: str = ""
) -> CertificationStepRecord:
    """Record a completed step of a certification cycle."""
    require(actor, Permission.MANAGE_LAB)
    step = CertificationStepRecord(cycle_id=cycle_id, key=key, done_on=done_on, note=note)
    return audited_create(session, step, actor)


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
    done = {
        s.key: s.done_on
        for s in session.exec(
            select(CertificationStepRecord).where(CertificationStepRecord.cycle_id == record.id)
        )
    }
    return record, certification_cycle(
        certified_on=record.certified_on, as_of=as_of, completed=done
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
