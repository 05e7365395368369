"""Services for the lab records: read and write through permissions and the audit trail.

Every function takes a ``Session`` and the acting user (:class:`~calib.permissions.Actor`)
and calls :func:`~calib.permissions.require` first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from calib.audit import audited_create, audited_update
from calib.permissions import Actor, Permission, require
from calib.records import (
    Authorisation,
    CorrectiveAction,
    Customer,
    Job,
    Lab,
    Nonconformity,
    Person,
    Procedure,
    Site,
)
from uncertainty.errors import InvalidInputError, NotFoundError

__all__ = [
    "AuthorisationStatus",
    "LabOverview",
    "create_customer",
    "create_job",
    "expiring_authorisations",
    "get_job",
    "get_lab",
    "lab_overview",
    "list_customers",
    "list_jobs",
    "list_people",
    "list_procedures",
    "list_sites",
    "month_bounds",
    "release_job",
    "update_job",
]


def get_lab(session: Session, actor: Actor) -> Lab:
    """The lab of this database (``NotFoundError`` before ``calib demo`` or set-up)."""
    require(actor, Permission.VIEW_RECORDS)
    lab = session.exec(select(Lab).order_by(col(Lab.id))).first()
    if lab is None:
        raise NotFoundError("no lab in this database yet; run `calib demo` or add one")
    return lab


def list_sites(session: Session, actor: Actor) -> list[Site]:
    """Sites, the master site first."""
    require(actor, Permission.VIEW_RECORDS)
    return list(session.exec(select(Site).order_by(col(Site.is_master).desc(), col(Site.id))))


def list_people(session: Session, actor: Actor, *, site_id: int | None = None) -> list[Person]:
    """Staff, optionally of one site."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(Person).order_by(col(Person.name))
    if site_id is not None:
        stmt = stmt.where(Person.site_id == site_id)
    return list(session.exec(stmt))


def list_customers(session: Session, actor: Actor) -> list[Customer]:
    """Customers by name."""
    require(actor, Permission.VIEW_RECORDS)
    return list(session.exec(select(Customer).order_by(col(Customer.name))))


def list_procedures(session: Session, actor: Actor) -> list[Procedure]:
    """Procedures by code and version."""
    require(actor, Permission.VIEW_RECORDS)
    return list(
        session.exec(select(Procedure).order_by(col(Procedure.code), col(Procedure.version)))
    )


def create_customer(session: Session, actor: Actor, **fields: Any) -> Customer:
    """Add a customer (``name`` required)."""
    require(actor, Permission.EDIT_RECORDS)
    if not str(fields.get("name", "")).strip():
        raise InvalidInputError("customer name must not be empty", field="name")
    return audited_create(session, Customer(**fields), actor)


def get_job(session: Session, actor: Actor, job_id: int) -> Job:
    """One job or ``NotFoundError``."""
    require(actor, Permission.VIEW_RECORDS)
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"no job with id {job_id}")
    return job


def list_jobs(
    session: Session,
    actor: Actor,
    *,
    site_id: int | None = None,
    received_from: dt.date | None = None,
    received_until: dt.date | None = None,
) -> list[Job]:
    """Jobs, newest first, optionally of one site and received in ``[from, until)``."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(Job).order_by(col(Job.received_on).desc(), col(Job.id).desc())
    if site_id is not None:
        stmt = stmt.where(Job.site_id == site_id)
    if received_from is not None:
        stmt = stmt.where(Job.received_on >= received_from)
    if received_until is not None:
        stmt = stmt.where(Job.received_on < received_until)
    return list(session.exec(stmt))


def create_job(session: Session, actor: Actor, **fields: Any) -> Job:
    """Register a job; ``due_on`` may not precede ``received_on``."""
    require(actor, Permission.EDIT_RECORDS)
    job = Job(**fields)
    if job.due_on < job.received_on:
        raise InvalidInputError(
            f"due_on {job.due_on} is before received_on {job.received_on}", field="due_on"
        )
    return audited_create(session, job, actor)


def update_job(session: Session, actor: Actor, job_id: int, changes: dict[str, Any]) -> Job:
    """Change a job that is not released (a released job raises ``ImmutableRecordError``)."""
    require(actor, Permission.EDIT_RECORDS)
    return audited_update(session, get_job(session, actor, job_id), changes, actor)


def release_job(
    session: Session,
    actor: Actor,
    job_id: int,
    *,
    certificate_number: str,
    delivered_on: dt.date,
    authorised_by_id: int,
) -> Job:
    """Issue the certificate and deliver: the job becomes immutable."""
    require(actor, Permission.APPROVE_RECORDS)
    job = get_job(session, actor, job_id)
    return audited_update(
        session,
        job,
        {
            "certificate_number": certificate_number,
            "delivered_on": delivered_on,
            "authorised_by_id": authorised_by_id,
            "status": "released",
        },
        actor,
    )


@dataclass(frozen=True)
class AuthorisationStatus:
    """An authorisation with its person and procedure, for lists."""

    authorisation_id: int
    person: str
    procedure: str
    valid_until: dt.date
    days_left: int


def expiring_authorisations(
    session: Session,
    actor: Actor,
    *,
    as_of: dt.date,
    within_days: int = 60,
    site_id: int | None = None,
    include_expired: bool = False,
) -> list[AuthorisationStatus]:
    """Authorisations that end within ``within_days`` of ``as_of`` (ISO/IEC 17025 6.2.6).

    Only the latest authorisation per person and procedure counts: a renewed one
    does not show. ``include_expired`` adds those already past their end date.
    """
    require(actor, Permission.VIEW_RECORDS)
    stmt = (
        select(Authorisation, Person, Procedure)
        .join(Person, col(Person.id) == Authorisation.person_id)
        .join(Procedure, col(Procedure.id) == Authorisation.procedure_id)
        .where(col(Person.active))
    )
    if site_id is not None:
        stmt = stmt.where(Person.site_id == site_id)
    latest: dict[tuple[int, str], tuple[Authorisation, Person, Procedure]] = {}
    for auth, person, procedure in session.exec(stmt):
        key = (auth.person_id, procedure.code)
        if key not in latest or latest[key][0].valid_until < auth.valid_until:
            latest[key] = (auth, person, procedure)
    horizon = as_of + dt.timedelta(days=within_days)
    out = []
    for auth, person, procedure in latest.values():
        expired = auth.valid_until < as_of
        if auth.valid_until <= horizon and (include_expired or not expired):
            out.append(
                AuthorisationStatus(
                    authorisation_id=int(auth.id or 0),
                    person=person.name,
                    procedure=f"{procedure.code} {procedure.title}",
                    valid_until=auth.valid_until,
                    days_left=(auth.valid_until - as_of).days,
                )
            )
    return sorted(out, key=lambda item: (item.valid_until, item.person))


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """First day of ``day``'s month and first day of the next month."""
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following


@dataclass(frozen=True)
class LabOverview:
    """Figures of the "Lab overview" page."""

    as_of: dt.date
    site_id: int | None
    jobs_received_this_month: int
    jobs_delivered_this_month: int
    on_time_delivered: int
    delivered_last_12_months: int
    open_corrective_actions: int
    open_nonconformities: int
    expiring_authorisations: list[AuthorisationStatus] = field(default_factory=list)
    expired_authorisations: list[AuthorisationStatus] = field(default_factory=list)

    @property
    def on_time_rate(self) -> float | None:
        """Share of jobs delivered on or before their due date over the last 12 months."""
        if self.delivered_last_12_months == 0:
            return None
        return self.on_time_delivered / self.delivered_last_12_months


def lab_overview(
    session: Session, actor: Actor, *, as_of: dt.date, site_id: int | None = None
) -> LabOverview:
    """Jobs this month, on-time delivery, expiring authorisations, open corrective actions."""
    require(actor, Permission.VIEW_RECORDS)
    start, end = month_bounds(as_of)
    year_ago = as_of - dt.timedelta(days=365)
    jobs = session.exec(
        select(Job).where((col(Job.received_on) >= year_ago) | (col(Job.delivered_on) >= year_ago))
    ).all()
    if site_id is not None:
        jobs = [job for job in jobs if job.site_id == site_id]
    received = sum(1 for job in jobs if start <= job.received_on < end)
    delivered_month = sum(
        1 for job in jobs if job.delivered_on is not None and start <= job.delivered_on < end
    )
    delivered_year = [
        job for job in jobs if job.delivered_on is not None and year_ago < job.delivered_on <= as_of
    ]
    on_time = sum(
        1
        for job in delivered_year
        if job.delivered_on is not None and job.delivered_on <= job.due_on
    )
    nc_stmt = select(Nonconformity)
    if site_id is not None:
        nc_stmt = nc_stmt.where(Nonconformity.site_id == site_id)
    ncs = {nc.id: nc for nc in session.exec(nc_stmt)}
    open_cas = sum(
        1
        for ca in session.exec(select(CorrectiveAction).where(CorrectiveAction.status == "open"))
        if ca.nonconformity_id in ncs
    )
    all_auth = expiring_authorisations(
        session, actor, as_of=as_of, within_days=60, site_id=site_id, include_expired=True
    )
    return LabOverview(
        as_of=as_of,
        site_id=site_id,
        jobs_received_this_month=received,
        jobs_delivered_this_month=delivered_month,
        on_time_delivered=on_time,
        delivered_last_12_months=len(delivered_year),
        open_corrective_actions=open_cas,
        open_nonconformities=sum(1 for nc in ncs.values() if nc.status == "open"),
        expiring_authorisations=[a for a in all_auth if a.days_left >= 0],
        expired_authorisations=[a for a in all_auth if a.days_left < 0],
    )
