"""Services for the lab records: read and write through permissions and the audit trail.

Every function takes a ``Session`` and the acting user (:class:`~calib.permissions.Actor`)
and calls :func:`~calib.permissions.require` first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from calib.audit import audited_create, audited_update, new_version
from calib.lab_personnel import required_text, valid_authorisation, valid_email
from calib.permissions import Actor, Permission, require
from calib.records import (
    Authorisation,
    CorrectiveAction,
    Customer,
    Job,
    JobInstrument,
    Lab,
    Nonconformity,
    Person,
    Procedure,
    Site,
)
from uncertainty.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "USABLE_INSTRUMENT_STATES",
    "AuthorisationStatus",
    "LabOverview",
    "approve_procedure",
    "create_customer",
    "create_job",
    "create_procedure",
    "expiring_authorisations",
    "get_job",
    "get_lab",
    "instruments_by_job",
    "lab_instruments",
    "lab_overview",
    "list_customers",
    "list_jobs",
    "list_people",
    "list_procedures",
    "list_sites",
    "log_job",
    "month_bounds",
    "procedure_in_force",
    "release_job",
    "revise_procedure",
    "update_customer",
    "update_job",
    "version_in_force",
]


def get_lab(session: Session, actor: Actor) -> Lab:
    """The lab of this database (``NotFoundError`` before set-up: ``calib lab init``)."""
    require(actor, Permission.VIEW_RECORDS)
    lab = session.exec(select(Lab).order_by(col(Lab.id))).first()
    if lab is None:
        raise NotFoundError(
            "no lab in this database yet; set it up with `calib lab init` (or `calib demo`)"
        )
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


_CUSTOMER_FIELDS = frozenset({"name", "contact_name", "contact_email", "city", "country"})


def _customer_values(
    session: Session, changes: dict[str, Any], customer_id: int | None = None
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in _CUSTOMER_FIELDS:
            raise InvalidInputError(
                f"a customer has no field {key!r}; allowed: {', '.join(sorted(_CUSTOMER_FIELDS))}",
                field=key,
            )
        if key == "name":
            clean[key] = required_text(value, "name")
            same = [
                c
                for c in session.exec(select(Customer))
                if c.name.casefold() == clean[key].casefold() and c.id != customer_id
            ]
            if same:
                raise ConflictError(
                    f"name: customer {same[0].id} is already called {same[0].name!r}"
                )
        elif key == "contact_email":
            clean[key] = valid_email(value, "contact_email")
        else:
            clean[key] = str(value or "").strip()
    return clean


def create_customer(session: Session, actor: Actor, **fields: Any) -> Customer:
    """Add a customer (ISO/IEC 17025:2017 7.1): ``name`` required and unique, e-mail checked."""
    require(actor, Permission.MANAGE_LAB)
    if "name" not in fields:
        raise InvalidInputError("customer name must not be empty", field="name")
    return audited_create(session, Customer(**_customer_values(session, fields)), actor)


def update_customer(
    session: Session, actor: Actor, customer_id: int, changes: dict[str, Any]
) -> Customer:
    """Change a customer's name, contact or address."""
    require(actor, Permission.MANAGE_LAB)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise InvalidInputError(f"no customer with id {customer_id}", field="customer_id")
    clean = _customer_values(session, changes, customer_id)
    return audited_update(session, customer, clean, actor)


# --------------------------------------------------------------------------- procedures


def _procedure(session: Session, procedure_id: int) -> Procedure:
    procedure = session.get(Procedure, procedure_id)
    if procedure is None:
        raise InvalidInputError(f"no procedure with id {procedure_id}", field="procedure_id")
    return procedure


def _versions(session: Session, code: str) -> list[Procedure]:
    return list(
        session.exec(
            select(Procedure).where(Procedure.code == code).order_by(col(Procedure.version))
        )
    )


def create_procedure(
    session: Session, actor: Actor, *, code: str, title: str, quantity: str = ""
) -> Procedure:
    """Add version 1 of a new procedure as a draft (ISO/IEC 17025:2017 7.2.1)."""
    require(actor, Permission.MANAGE_LAB)
    clean_code = required_text(code, "code")
    if _versions(session, clean_code):
        raise ConflictError(
            f"code: procedure {clean_code} exists already; add a new version of it instead"
        )
    procedure = Procedure(
        code=clean_code,
        title=required_text(title, "title"),
        quantity=str(quantity or "").strip(),
        status="draft",
    )
    return audited_create(session, procedure, actor)


def revise_procedure(
    session: Session,
    actor: Actor,
    procedure_id: int,
    *,
    title: str | None = None,
    quantity: str | None = None,
) -> Procedure:
    """Start the next version of the latest version of a procedure, as a draft (7.2.1.5).

    The approved version stays in force until the new one is approved with its own
    ``effective_from``. Refused while a draft of the code is pending.
    """
    require(actor, Permission.MANAGE_LAB)
    procedure = _procedure(session, procedure_id)
    latest = _versions(session, procedure.code)[-1]
    if latest.id != procedure.id:
        raise InvalidInputError(
            f"{procedure.code} v{procedure.version} is not the latest version "
            f"(v{latest.version} is)",
            field="procedure_id",
        )
    if procedure.status == "draft":
        raise ConflictError(
            f"procedure_id: {procedure.code} v{procedure.version} is still a draft; edit or "
            "approve it instead of adding another version"
        )
    changes: dict[str, Any] = {"effective_from": None, "effective_to": None}
    if title is not None:
        changes["title"] = required_text(title, "title")
    if quantity is not None:
        changes["quantity"] = quantity.strip()
    return new_version(session, procedure, changes, actor)


def approve_procedure(
    session: Session, actor: Actor, procedure_id: int, *, effective_from: dt.date
) -> Procedure:
    """Approve a draft version from ``effective_from`` (7.2.1.1); it becomes immutable.

    ``effective_from`` may not precede that of the version it supersedes.
    """
    require(actor, Permission.APPROVE_RECORDS)
    procedure = _procedure(session, procedure_id)
    if procedure.status != "draft":
        raise ConflictError(
            f"procedure_id: {procedure.code} v{procedure.version} is {procedure.status}, "
            "only a draft can be approved"
        )
    if not isinstance(effective_from, dt.date):
        raise InvalidInputError("effective_from must be a date", field="effective_from")
    earlier = [p for p in _versions(session, procedure.code) if p.version < procedure.version]
    previous = [p.effective_from for p in earlier if p.effective_from is not None]
    if previous and effective_from < max(previous):
        raise InvalidInputError(
            f"effective_from {effective_from} precedes v{earlier[-1].version}'s {max(previous)}",
            field="effective_from",
        )
    return audited_update(
        session, procedure, {"status": "approved", "effective_from": effective_from}, actor
    )


def procedure_in_force(session: Session, procedure: Procedure, day: dt.date) -> str | None:
    """Why ``procedure`` may not be used on ``day``, or ``None`` when it may.

    The test of the assessment rule ``procedures_approved_and_current``
    (ISO/IEC 17025:2017 7.2.1.1): approved, effective on ``day`` and not superseded by
    a newer approved version already effective. Internal helper: callers check permissions.
    """
    label = f"{procedure.code} v{procedure.version}"
    if procedure.status != "approved":
        return f"{label} is {procedure.status}, not approved"
    if procedure.effective_from is not None and day < procedure.effective_from:
        return f"{label} is effective only from {procedure.effective_from}"
    for newer in _versions(session, procedure.code):
        if (
            newer.version > procedure.version
            and newer.status == "approved"
            and newer.effective_from is not None
            and newer.effective_from <= day
        ):
            return f"{label} is superseded by v{newer.version} (effective {newer.effective_from})"
    return None


def version_in_force(session: Session, actor: Actor, code: str, day: dt.date) -> Procedure:
    """The version of procedure ``code`` usable on ``day`` (see :func:`procedure_in_force`).

    Raises ``InvalidInputError`` naming ``procedure`` with the reason the latest version
    is not usable when none is.
    """
    require(actor, Permission.VIEW_RECORDS)
    versions = _versions(session, code)
    if not versions:
        raise InvalidInputError(f"procedure: no procedure with code {code!r}", field="procedure")
    for proc in reversed(versions):
        if procedure_in_force(session, proc, day) is None:
            return proc
    raise InvalidInputError(
        f"procedure: no version of {code} is usable on {day} "
        f"({procedure_in_force(session, versions[-1], day)})",
        field="procedure",
    )


# --------------------------------------------------------------------------- jobs


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
    procedure_code: str | None = None,
    person_id: int | None = None,
) -> list[Job]:
    """Jobs, newest first, optionally of one site, received in ``[from, until)``,
    of one procedure code (any version) or performed or authorised by one person."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(Job).order_by(col(Job.received_on).desc(), col(Job.id).desc())
    if site_id is not None:
        stmt = stmt.where(Job.site_id == site_id)
    if received_from is not None:
        stmt = stmt.where(Job.received_on >= received_from)
    if received_until is not None:
        stmt = stmt.where(Job.received_on < received_until)
    if procedure_code is not None:
        stmt = stmt.join(Procedure, col(Procedure.id) == Job.procedure_id).where(
            Procedure.code == procedure_code
        )
    if person_id is not None:
        stmt = stmt.where(
            (col(Job.performed_by_id) == person_id) | (col(Job.authorised_by_id) == person_id)
        )
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


def _check_authorised(
    session: Session, person_id: object, field_name: str, code: str, day: dt.date
) -> Person:
    person = session.get(Person, person_id) if isinstance(person_id, int) else None
    if person is None:
        raise InvalidInputError(f"{field_name}: no person with id {person_id}", field=field_name)
    if valid_authorisation(session, int(person.id or 0), code, day) is None:
        raise InvalidInputError(
            f"{field_name}: {person.name} holds no authorisation for {code} valid on {day} "
            "(ISO/IEC 17025:2017 6.2.5 f); grant one first",
            field=field_name,
        )
    return person


#: Calibration states (``traceability.service.asset_register``) in which an instrument may
#: be used: not retired, quarantined, overdue or never calibrated (6.4.7, 6.4.9, 6.4.13).
USABLE_INSTRUMENT_STATES = frozenset({"current", "due_soon"})


def _asset_states(session: Session, actor: Actor, day: dt.date) -> dict[str, Any]:
    """The lab's instruments by code with their calibration state on ``day``."""
    try:
        from traceability.service import asset_register
    except ModuleNotFoundError as exc:  # the traceability domain is optional
        raise InvalidInputError(
            "instrument_codes: the asset register (traceability) is not installed",
            field="instrument_codes",
        ) from exc
    return {row.instrument: row for row in asset_register(session, actor, as_of=day)}


def lab_instruments(
    session: Session, actor: Actor, *, as_of: dt.date
) -> list[tuple[str, str, str]]:
    """``(code, description, state on as_of)`` of every lab instrument that is not retired."""
    require(actor, Permission.VIEW_RECORDS)
    rows = _asset_states(session, actor, as_of).values()
    return sorted((r.instrument, r.description, r.state) for r in rows if r.state != "retired")


def _checked_instruments(
    session: Session, actor: Actor, codes: Iterable[str], day: dt.date
) -> list[str]:
    wanted = list(dict.fromkeys(str(c).strip() for c in codes if str(c).strip()))
    if not wanted:
        return []
    states = _asset_states(session, actor, day)
    for code in wanted:
        row = states.get(code)
        if row is None:
            raise InvalidInputError(
                f"instrument_codes: no lab instrument {code!r} in the asset register",
                field="instrument_codes",
            )
        if row.state not in USABLE_INSTRUMENT_STATES:
            due = f", due {row.due}" if row.due is not None else ""
            raise InvalidInputError(
                f"instrument_codes: {code} is {row.state.replace('_', ' ')} on {day}{due} "
                "(ISO/IEC 17025:2017 6.4.7, 6.4.9)",
                field="instrument_codes",
            )
    return wanted


def instruments_by_job(
    session: Session, actor: Actor, job_ids: Iterable[int]
) -> dict[int, list[str]]:
    """The instrument codes recorded for each of ``job_ids`` (7.5.1)."""
    require(actor, Permission.VIEW_RECORDS)
    ids = list(job_ids)
    out: dict[int, list[str]] = {job_id: [] for job_id in ids}
    if not ids:
        return out
    stmt = (
        select(JobInstrument)
        .where(col(JobInstrument.job_id).in_(ids))
        .order_by(col(JobInstrument.instrument_code))
    )
    for link in session.exec(stmt):
        out[link.job_id].append(link.instrument_code)
    return out


def log_job(
    session: Session,
    actor: Actor,
    *,
    site_id: int,
    customer_id: int,
    procedure_id: int,
    item_description: str,
    received_on: dt.date,
    due_on: dt.date,
    performed_by_id: int,
    authorised_by_id: int | None = None,
    item_serial: str = "",
    instrument_codes: Sequence[str] = (),
) -> Job:
    """Log a job someone performs, refusing what the assessment would find.

    The job date is ``received_on`` (the date ``calib/assessment/rules_lab.py`` uses
    for a job without a recorded location). Refused, naming the field, when:
    the procedure is not approved, not yet effective or superseded that day
    (``procedures_approved_and_current``, 7.2.1.1); the performer, or the authoriser
    when given, holds no authorisation for the procedure code valid that day
    (``authorisations_valid_at_job_date``, 6.2.5 f, 6.2.6); ``due_on`` precedes
    ``received_on``; an instrument (asset-register code) that is not a lab instrument or is
    retired, quarantined, overdue or never calibrated on the job date (6.4.7, 6.4.9;
    ``instrument_codes``). The job is stored ``in_progress`` with one
    :class:`~calib.records.JobInstrument` per instrument (7.5.1); release it with
    :func:`release_job`.
    """
    require(actor, Permission.EDIT_RECORDS)
    for model, value, name in (
        (Site, site_id, "site_id"),
        (Customer, customer_id, "customer_id"),
    ):
        if not isinstance(value, int) or session.get(model, value) is None:
            raise InvalidInputError(f"{name}: no {model.__tablename__} with id {value}", field=name)
    procedure = _procedure(session, procedure_id)
    if not isinstance(received_on, dt.date) or not isinstance(due_on, dt.date):
        bad = "received_on" if not isinstance(received_on, dt.date) else "due_on"
        raise InvalidInputError(f"{bad} must be a date", field=bad)
    if due_on < received_on:
        raise InvalidInputError(
            f"due_on {due_on} is before received_on {received_on}", field="due_on"
        )
    why = procedure_in_force(session, procedure, received_on)
    if why is not None:
        raise InvalidInputError(f"procedure_id: {why} on {received_on}", field="procedure_id")
    _check_authorised(session, performed_by_id, "performed_by_id", procedure.code, received_on)
    if authorised_by_id is not None:
        _check_authorised(
            session, authorised_by_id, "authorised_by_id", procedure.code, received_on
        )
    codes = _checked_instruments(session, actor, instrument_codes, received_on)
    job = Job(
        site_id=site_id,
        customer_id=customer_id,
        procedure_id=procedure_id,
        item_description=required_text(item_description, "item_description"),
        item_serial=str(item_serial or "").strip(),
        received_on=received_on,
        due_on=due_on,
        performed_by_id=performed_by_id,
        authorised_by_id=authorised_by_id,
        status="in_progress",
    )
    audited_create(session, job, actor)
    for code in codes:
        audited_create(session, JobInstrument(job_id=int(job.id or 0), instrument_code=code), actor)
    return job


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
