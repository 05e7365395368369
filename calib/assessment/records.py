"""Assessment records: the SQLModel tables behind the assessor's checklist.

* Environmental controls (ISO/IEC 17025:2017 6.3): :class:`Room`,
  :class:`EnvironmentLimitRecord` (per room, optionally per procedure),
  :class:`LoggerImport` (one audited record per imported CSV, with its SHA-256),
  :class:`LoggerReading` (bulk, **not** audited row by row: the import batch is),
  :class:`JobLocation` (where and when a job was performed),
  :class:`ExcursionRecord` and :class:`ImpactAssessment` (7.10).
* Check standards (7.7.1, 6.4.10; IECQ 03-2 capability analysis and SPC):
  :class:`CheckStandard`, :class:`CheckMeasurement`, :class:`SpecificationLimit`.
* Multisite scopes (IECQ 03-1:2023 5.2, 8.1.4, Annex D): :class:`ScopeLineRecord`
  (the controlled vocabulary), :class:`SiteScopeLine`, :class:`ScopeCertificate`.
* Certification cycle: :class:`CertificationCycleRecord`, :class:`CertificationStepRecord`.
* Assessor review: :class:`Finding` (major / minor / observation; response,
  verification, closure).
* Management system (8.1.3, 8.9, 7.2.1.5): :class:`QualityDocument`,
  :class:`ManagementReview`, :class:`MethodValidation`.

Datetimes are timezone-aware UTC. Every write goes through :mod:`calib.audit`.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "FINDING_GRADES",
    "FINDING_STATUSES",
    "CertificationCycleRecord",
    "CertificationStepRecord",
    "CheckMeasurement",
    "CheckStandard",
    "EnvironmentLimitRecord",
    "ExcursionRecord",
    "Finding",
    "ImpactAssessment",
    "JobLocation",
    "LoggerImport",
    "LoggerReading",
    "ManagementReview",
    "MethodValidation",
    "QualityDocument",
    "Room",
    "ScopeCertificate",
    "ScopeLineRecord",
    "SiteScopeLine",
    "SpecificationLimit",
]

FINDING_GRADES: tuple[str, ...] = ("major", "minor", "observation")
FINDING_STATUSES: tuple[str, ...] = ("open", "responded", "verified", "closed")


class Room(SQLModel, table=True):
    """A laboratory room with a data logger (ISO/IEC 17025:2017 6.3.3)."""

    __tablename__ = "env_room"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    code: str = Field(unique=True)
    name: str
    logging_interval_minutes: int = 60


class EnvironmentLimitRecord(SQLModel, table=True):
    """Limits of one quantity in a room; with ``procedure_id`` they apply to that procedure."""

    __tablename__ = "env_limit"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="env_room.id", index=True)
    procedure_id: int | None = Field(default=None, foreign_key="procedure.id")
    quantity: str
    unit: str
    low: float | None = None
    high: float | None = None


class LoggerImport(SQLModel, table=True):
    """One imported logger file: the audited record of a batch of readings."""

    __tablename__ = "env_logger_import"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="env_room.id", index=True)
    filename: str
    sha256: str = Field(max_length=64)
    readings: int
    first_time: dt.datetime | None = None
    last_time: dt.datetime | None = None
    imported_at: dt.datetime
    imported_by: str


class LoggerReading(SQLModel, table=True):
    """One logged value. Bulk-inserted; the :class:`LoggerImport` batch is audited."""

    __tablename__ = "env_reading"
    __audited__: ClassVar[bool] = False
    __table_args__ = (Index("ix_env_reading_room_time", "room_id", "time"),)

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="env_logger_import.id", index=True)
    room_id: int = Field(foreign_key="env_room.id")
    time: dt.datetime
    quantity: str
    value: float
    unit: str


class JobLocation(SQLModel, table=True):
    """Where and when a job's measurements were made."""

    __tablename__ = "env_job_location"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", unique=True)
    room_id: int = Field(foreign_key="env_room.id", index=True)
    started_at: dt.datetime
    finished_at: dt.datetime


class ExcursionRecord(SQLModel, table=True):
    """An interval outside the limits (or without data) in a room."""

    __tablename__ = "env_excursion"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="env_room.id", index=True)
    quantity: str
    kind: str
    start: dt.datetime
    end: dt.datetime
    max_deviation: float | None = None
    worst_value: float | None = None
    readings: int = 0
    unit: str = ""
    detected_on: dt.date
    status: str = "open"


class ImpactAssessment(SQLModel, table=True):
    """Impact of an excursion on a job performed during it (ISO/IEC 17025:2017 7.10)."""

    __tablename__ = "env_impact_assessment"
    __table_args__ = (UniqueConstraint("job_id", "excursion_id", name="uq_env_impact"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    excursion_id: int = Field(foreign_key="env_excursion.id", index=True)
    status: str = "open"
    assessment: str = ""
    decision: str | None = None
    assessed_by: str | None = None
    assessed_on: dt.date | None = None
    nonconformity_id: int | None = Field(default=None, foreign_key="nonconformity.id")


class CheckStandard(SQLModel, table=True):
    """A check standard measured regularly to monitor a process (6.4.10, 7.7.1)."""

    __tablename__ = "check_standard"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    procedure_id: int | None = Field(default=None, foreign_key="procedure.id")
    code: str = Field(unique=True)
    name: str
    quantity: str = ""
    unit: str
    nominal: float | None = None
    baseline: int = 20
    subgroup_size: int = 1


class CheckMeasurement(SQLModel, table=True):
    """One measurement of a check standard (``subgroup`` groups X-bar/R subgroups)."""

    __tablename__ = "check_measurement"

    id: int | None = Field(default=None, primary_key=True)
    check_standard_id: int = Field(foreign_key="check_standard.id", index=True)
    measured_at: dt.datetime
    value: float
    subgroup: int | None = None
    performed_by: str = ""
    note: str = ""


class SpecificationLimit(SQLModel, table=True):
    """Specification limits of a monitored process, for capability indices."""

    __tablename__ = "spec_limit"

    id: int | None = Field(default=None, primary_key=True)
    check_standard_id: int = Field(foreign_key="check_standard.id", unique=True)
    lsl: float | None = None
    usl: float | None = None
    source: str = ""


class ScopeLineRecord(SQLModel, table=True):
    """One line of the controlled scope vocabulary (measurand, range, CMC, procedure)."""

    __tablename__ = "scope_line"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    measurand: str
    range_min: float | None = None
    range_max: float | None = None
    unit: str | None = None
    cmc: str | None = None
    procedure_id: int | None = Field(default=None, foreign_key="procedure.id")
    active: bool = True


class SiteScopeLine(SQLModel, table=True):
    """A scope line assigned to a site."""

    __tablename__ = "site_scope_line"
    __table_args__ = (UniqueConstraint("site_id", "scope_line_id", name="uq_site_scope_line"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    scope_line_id: int = Field(foreign_key="scope_line.id")


class ScopeCertificate(SQLModel, table=True):
    """A master or site certificate; site certificates cite the master."""

    __tablename__ = "scope_certificate"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    kind: str
    master_certificate_id: int | None = Field(default=None, foreign_key="scope_certificate.id")
    issued_on: dt.date
    valid_until: dt.date


class CertificationCycleRecord(SQLModel, table=True):
    """A certification cycle: issue date, certification body, standards."""

    __tablename__ = "certification_cycle"

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int | None = Field(default=None, foreign_key="scope_certificate.id")
    certification_body: str
    standards: str
    certified_on: dt.date


class CertificationStepRecord(SQLModel, table=True):
    """A completed step of a certification cycle (key from ``CERTIFICATION_STEPS``)."""

    __tablename__ = "certification_step"
    __table_args__ = (UniqueConstraint("cycle_id", "key", name="uq_certification_step"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="certification_cycle.id", index=True)
    key: str
    done_on: dt.date
    note: str = ""


class Finding(SQLModel, table=True):
    """An assessor's finding and its life: response, verification, closure.

    ``grade`` is one of :data:`FINDING_GRADES`; ``status`` follows
    :data:`FINDING_STATUSES`. A major or minor finding is linked to a
    nonconformity (``nonconformity_id``) whose corrective action must be verified
    effective before the finding closes (or ``closure_note`` says why not). ``evidence_refs`` is a newline-separated list of
    record references (``job:12``, ``env_excursion:3``, a document...).
    """

    __tablename__ = "assessment_finding"
    __immutable_statuses__: ClassVar[frozenset[str]] = frozenset({"closed"})

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True)
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    requirement_id: str
    clause: str
    grade: str
    statement: str
    evidence_refs: str = ""
    raised_by: str
    raised_on: dt.date
    due_on: dt.date | None = None
    response: str = ""
    responded_by: str | None = None
    responded_on: dt.date | None = None
    verification: str = ""
    verified_by: str | None = None
    verified_on: dt.date | None = None
    closed_on: dt.date | None = None
    status: str = "open"
    #: The nonconformity a major or minor finding opened (or was linked to) in the
    #: lab's quality system (ISO/IEC 17025:2017 8.7.1); ``None`` for observations.
    nonconformity_id: int | None = Field(default=None, foreign_key="nonconformity.id", index=True)
    #: How closure was justified: the corrective action verified effective, or why
    #: the finding was closed without one.
    closure_note: str = ""


class QualityDocument(SQLModel, table=True):
    """A document of the management system (manual, policy, procedure; 8.2, 8.3)."""

    __tablename__ = "quality_document"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True)
    title: str
    kind: str = "manual"
    version: int = 1
    supersedes_id: int | None = Field(default=None, foreign_key="quality_document.id")
    approved_on: dt.date | None = None
    review_due: dt.date | None = None
    status: str = "draft"


class ManagementReview(SQLModel, table=True):
    """A management review meeting (ISO/IEC 17025:2017 8.9)."""

    __tablename__ = "management_review"

    id: int | None = Field(default=None, primary_key=True)
    held_on: dt.date
    chaired_by: str
    inputs: str = ""
    outputs: str = ""


class MethodValidation(SQLModel, table=True):
    """Validation or verification of a procedure version (7.2.1.5, 7.2.2)."""

    __tablename__ = "method_validation"

    id: int | None = Field(default=None, primary_key=True)
    procedure_id: int = Field(foreign_key="procedure.id", index=True)
    validated_on: dt.date
    validated_by: str
    summary: str = ""
