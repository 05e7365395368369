"""Lab records: the SQLModel tables of the foundation.

ISO/IEC 17025:2017 6.2 (personnel: competence, training, authorisation),
7.1 (requests from customers), 7.2 (methods/procedures), 7.10 (nonconforming
work) and 8.7 (corrective actions).

Conventions every domain follows (docs/foundation.md):

* tables are SQLModel tables on ``SQLModel.metadata``; the primary key is ``id``;
* every write goes through :mod:`calib.audit`; a class opts out with
  ``__audited__ = False`` (only for bookkeeping tables);
* a record with a ``status`` listed in ``__immutable_statuses__`` cannot be updated
  or deleted; a change is a new version (``version`` and ``supersedes_id`` columns).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "AUTH_ROLES",
    "AuditEntry",
    "AuditHead",
    "Authorisation",
    "CorrectiveAction",
    "Customer",
    "Job",
    "JobInstrument",
    "Lab",
    "Nonconformity",
    "Person",
    "Procedure",
    "Qualification",
    "Site",
    "Training",
    "User",
]

AUTH_ROLES: tuple[str, ...] = ("admin", "manager", "staff", "assessor")


class Lab(SQLModel, table=True):
    """The laboratory (one per database)."""

    __tablename__ = "lab"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    legal_entity: str = ""
    accreditation_body: str = ""
    accreditation_number: str = ""


class Site(SQLModel, table=True):
    """A site of the lab: exactly one master site, any number of additional sites."""

    __tablename__ = "site"

    id: int | None = Field(default=None, primary_key=True)
    lab_id: int = Field(foreign_key="lab.id", index=True)
    code: str = Field(unique=True)
    name: str
    is_master: bool = False
    street: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""


class Person(SQLModel, table=True):
    """A member of staff (ISO/IEC 17025 6.2)."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str
    email: str = ""
    job_title: str = ""
    active: bool = True


class Training(SQLModel, table=True):
    """A training record of a person (ISO/IEC 17025 6.2.5 c)."""

    __tablename__ = "training"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    title: str
    provider: str = ""
    completed_on: dt.date


class Qualification(SQLModel, table=True):
    """A qualification (education, certificate) of a person (ISO/IEC 17025 6.2.2)."""

    __tablename__ = "qualification"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    title: str
    issuer: str = ""
    awarded_on: dt.date


class Procedure(SQLModel, table=True):
    """A calibration procedure (method), versioned (ISO/IEC 17025 7.2).

    ``status`` is ``draft``, ``approved`` or ``withdrawn``; an approved procedure is
    immutable, a revision is a new version that supersedes it.
    """

    __tablename__ = "procedure"
    __immutable_statuses__: ClassVar[frozenset[str]] = frozenset({"approved"})

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True)
    title: str
    quantity: str = ""
    version: int = 1
    supersedes_id: int | None = Field(default=None, foreign_key="procedure.id")
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    status: str = "draft"


class Authorisation(SQLModel, table=True):
    """Authorisation of a person to perform a procedure (ISO/IEC 17025 6.2.5 f, 6.2.6)."""

    __tablename__ = "authorisation"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    procedure_id: int = Field(foreign_key="procedure.id", index=True)
    valid_from: dt.date
    valid_until: dt.date
    authorised_by_id: int | None = Field(default=None, foreign_key="person.id")


class Customer(SQLModel, table=True):
    """A customer of the lab (ISO/IEC 17025 7.1)."""

    __tablename__ = "customer"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    contact_name: str = ""
    contact_email: str = ""
    city: str = ""
    country: str = ""


class Job(SQLModel, table=True):
    """A calibration job: one item, one procedure, one certificate.

    ``status`` is ``received``, ``in_progress`` or ``released``; a released job
    (certificate issued) is immutable.
    """

    __tablename__ = "job"
    __immutable_statuses__: ClassVar[frozenset[str]] = frozenset({"released"})

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    procedure_id: int = Field(foreign_key="procedure.id", index=True)
    item_description: str
    item_serial: str = ""
    received_on: dt.date
    due_on: dt.date
    delivered_on: dt.date | None = None
    certificate_number: str | None = Field(default=None, unique=True)
    performed_by_id: int | None = Field(default=None, foreign_key="person.id")
    authorised_by_id: int | None = Field(default=None, foreign_key="person.id")
    status: str = "received"


class JobInstrument(SQLModel, table=True):
    """An instrument of the asset register used for a job (ISO/IEC 17025:2017 7.5.1).

    ``instrument_code`` is the register code (``trace_instrument.code``). It is a code,
    not a foreign key: the foundation tables must not depend on a domain's table (an
    unresolved foreign key breaks every flush when that domain is not installed);
    :func:`calib.lab.log_job` checks the code against the register.
    """

    __tablename__ = "job_instrument"
    __table_args__ = (UniqueConstraint("job_id", "instrument_code"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    instrument_code: str = Field(index=True)


class Nonconformity(SQLModel, table=True):
    """A nonconforming work record (ISO/IEC 17025 7.10), linked to what raised it.

    ``source_table``/``source_id`` name the record that raised it (a job, an ILC
    score, a satisfaction signal...); ``status`` is ``open`` or ``closed``.
    """

    __tablename__ = "nonconformity"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    reference: str = Field(unique=True)
    raised_on: dt.date
    raised_by: str
    description: str
    severity: str = "minor"
    source_table: str | None = None
    source_id: str | None = None
    status: str = "open"


class CorrectiveAction(SQLModel, table=True):
    """A corrective action (ISO/IEC 17025 8.7): root cause, actions, effectiveness.

    It cannot be closed without a recorded effectiveness verification
    (8.7.1 e): ``effectiveness_check``, ``effectiveness_verified_on`` and
    ``effectiveness_verified_by`` must all be set.
    """

    __tablename__ = "corrective_action"

    id: int | None = Field(default=None, primary_key=True)
    nonconformity_id: int = Field(foreign_key="nonconformity.id", index=True)
    opened_on: dt.date
    root_cause: str = ""
    actions: str = ""
    due_on: dt.date | None = None
    effectiveness_check: str | None = None
    effectiveness_verified_on: dt.date | None = None
    effectiveness_verified_by: str | None = None
    closed_on: dt.date | None = None
    status: str = "open"


class User(SQLModel, table=True):
    """A sign-in account. Customers never sign in.

    Sign-in bookkeeping (failed attempts, lock, last sign-in) and the password hash
    are excluded from the audit JSON; a password reset is still an audited update.
    """

    __tablename__ = "app_user"
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset(
        {"password_hash", "failed_attempts", "locked_until", "last_login_at"}
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    email: str | None = Field(default=None, index=True)
    display_name: str = ""
    role: str
    password_hash: str | None = None
    active: bool = True
    person_id: int | None = Field(default=None, foreign_key="person.id")
    failed_attempts: int = 0
    locked_until: dt.datetime | None = None
    last_login_at: dt.datetime | None = None


class AuditEntry(SQLModel, table=True):
    """One link of the append-only, hash-chained audit log (see :mod:`calib.audit`)."""

    __tablename__ = "audit_entry"
    __audited__: ClassVar[bool] = False

    sequence: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    recorded_at: dt.datetime
    actor: str
    action: str
    table_name: str = Field(index=True)
    record_id: str = Field(index=True)
    before: str | None = None
    after: str | None = None
    prev_hash: str
    hash: str


class AuditHead(SQLModel, table=True):
    """The chain head (one row, id 1): locked by every append so the chain never forks."""

    __tablename__ = "audit_head"
    __audited__: ClassVar[bool] = False

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    sequence: int = 0
    hash: str = ""
