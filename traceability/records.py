"""Stored traceability records: bodies, issuers and CMC lines, assets, certificates, events.

ISO/IEC 17025:2017 6.4.13 (equipment records: identity, manufacturer, model, serial,
location, calibration dates and results, due dates, damage and repairs), 6.5
(metrological traceability), 7.8.4 (calibration certificates), 7.8.6 (statements of
conformity with the decision rule), 7.8.8 (amendments), 6.4.9 and 7.10 (nonconforming
equipment and its impact on previous results).

Conventions (docs/foundation.md): every write goes through :mod:`calib.audit`; each
record has an integer ``id`` and the register's own identifier in ``code`` (``STD-1``,
``C-050``); quantities are a magnitude, a unit string, the expanded uncertainty ``U``
and its coverage factor ``k``. A ``released`` certificate is immutable: an amendment is
a new certificate whose ``supersedes_id`` names it (its points, references and
statements are refused by the service once it is released).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "CERTIFICATE_STATUSES",
    "NOTIFICATION_STATUSES",
    "TraceAccreditationBody",
    "TraceCertificate",
    "TraceCmcLine",
    "TraceConformityStatement",
    "TraceEvent",
    "TraceImpactItem",
    "TraceInstrument",
    "TraceIssuer",
    "TracePoint",
    "TracePolicy",
    "TraceReference",
]

#: ``draft``: being entered; ``released``: issued, immutable (amend by superseding).
CERTIFICATE_STATUSES: tuple[str, ...] = ("draft", "released")
#: Customer notification of an impacted certificate (ISO/IEC 17025:2017 7.10.1 d).
NOTIFICATION_STATUSES: tuple[str, ...] = ("pending", "notified", "not_required")


class TraceAccreditationBody(SQLModel, table=True):
    """An accreditation body; ``ilac_mra``: signatory of the ILAC MRA for calibration."""

    __tablename__ = "trace_accreditation_body"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str = ""
    ilac_mra: bool = False


class TraceIssuer(SQLModel, table=True):
    """Who issues certificates: ``nmi``, ``accredited_lab``, ``crm_producer``, ``primary``, ``other``.

    The accreditation (number, validity, body) applies to accredited labs;
    ``traceability_evidence`` names an evidence record (ILAC P10:07/2020 section 2).
    """

    __tablename__ = "trace_issuer"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str = ""
    kind: str
    accreditation_body_id: int | None = Field(
        default=None, foreign_key="trace_accreditation_body.id", index=True
    )
    accreditation_number: str | None = None
    accreditation_valid_from: dt.date | None = None
    accreditation_valid_until: dt.date | None = None
    traceability_evidence: str | None = None


class TraceCmcLine(SQLModel, table=True):
    """A CMC / scope line of an issuer: quantity, range [min, max] in ``unit``, U and k."""

    __tablename__ = "trace_cmc_line"

    id: int | None = Field(default=None, primary_key=True)
    issuer_id: int = Field(foreign_key="trace_issuer.id", index=True)
    position: int = 0
    quantity: str
    range_min: float
    range_max: float
    unit: str
    expanded_uncertainty: float
    coverage_factor: float = 2.0


class TraceInstrument(SQLModel, table=True):
    """An asset of the register (ISO/IEC 17025:2017 6.4.13).

    ``role``: ``reference``, ``working`` or ``check_standard``; ``status``:
    ``in_service``, ``quarantined`` or ``retired``. ``customer_id`` marks a customer's
    item calibrated by the lab (not a lab asset: the asset lists leave it out).
    """

    __tablename__ = "trace_instrument"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    description: str = ""
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    role: str = "working"
    status: str = "in_service"
    calibration_interval_months: float | None = None
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)


class TraceCertificate(SQLModel, table=True):
    """A calibration certificate (ISO/IEC 17025:2017 7.8.4); released = immutable.

    ``supersedes_id`` names the certificate this one amends (7.8.8); ``job_id`` links
    a certificate the lab issued to its customer job.
    """

    __tablename__ = "trace_certificate"
    __immutable_statuses__: ClassVar[frozenset[str]] = frozenset({"released"})

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    instrument_id: int = Field(foreign_key="trace_instrument.id", index=True)
    issuer_id: int = Field(foreign_key="trace_issuer.id", index=True)
    calibrated_on: dt.date = Field(index=True)
    due_on: dt.date | None = None
    issued_on: dt.date | None = None
    supersedes_id: int | None = Field(default=None, foreign_key="trace_certificate.id", index=True)
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True)
    status: str = "released"


class TracePoint(SQLModel, table=True):
    """A calibration point: value ± U (k), tolerance (± half-width), as-found / as-left errors."""

    __tablename__ = "trace_point"

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="trace_certificate.id", index=True)
    position: int = 0
    quantity: str
    value: float
    unit: str
    expanded_uncertainty: float
    coverage_factor: float = 2.0
    tolerance: float | None = None
    as_found_error: float | None = None
    as_left_error: float | None = None


class TraceReference(SQLModel, table=True):
    """A reference standard's certificate used for a calibration (point level by quantity).

    ``quantity`` set: the reference serves only the certificate's points of that quantity.
    """

    __tablename__ = "trace_reference"

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="trace_certificate.id", index=True)
    reference_certificate_id: int = Field(foreign_key="trace_certificate.id", index=True)
    position: int = 0
    quantity: str | None = None


class TraceConformityStatement(SQLModel, table=True):
    """A statement of conformity for one point, with the decision rule used (7.8.6, ILAC G8)."""

    __tablename__ = "trace_conformity_statement"

    id: int | None = Field(default=None, primary_key=True)
    point_id: int = Field(foreign_key="trace_point.id", index=True)
    rule: str
    clause: str
    outcome: str
    measured: float
    lower_limit: float
    upper_limit: float
    guard_band: float
    expanded_uncertainty: float
    tur: float | None = None
    probability_of_false_accept: float | None = None


class TraceEvent(SQLModel, table=True):
    """Something that happened to an instrument (out of tolerance, check, quarantine, repair)."""

    __tablename__ = "trace_event"

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, unique=True)
    instrument_id: int = Field(foreign_key="trace_instrument.id", index=True)
    kind: str
    occurred_on: dt.date = Field(index=True)
    quantity: str | None = None
    value: float | None = None
    unit: str | None = None
    error: float | None = None
    range_min: float | None = None
    range_max: float | None = None
    notes: str = ""


class TracePolicy(SQLModel, table=True):
    """Register-wide settings (one row): the minimum test uncertainty ratio."""

    __tablename__ = "trace_policy"

    id: int | None = Field(default=None, primary_key=True)
    tur_minimum: float = 4.0


class TraceImpactItem(SQLModel, table=True):
    """A certificate found impacted by an out-of-tolerance standard, with its nonconformity.

    One row per (instrument found out, found-on date, certificate): re-running the
    impact analysis never duplicates it. ``customer_notification`` is ``pending``,
    ``notified`` or ``not_required`` (ISO/IEC 17025:2017 7.10.1 d).
    """

    __tablename__ = "trace_impact_item"
    __table_args__ = (UniqueConstraint("instrument_id", "found_on", "certificate_id"),)

    id: int | None = Field(default=None, primary_key=True)
    instrument_id: int = Field(foreign_key="trace_instrument.id", index=True)
    found_on: dt.date
    certificate_id: int = Field(foreign_key="trace_certificate.id", index=True)
    depth: int
    reason: str
    nonconformity_id: int | None = Field(default=None, foreign_key="nonconformity.id")
    customer_notification: str = "pending"
    notified_on: dt.date | None = None
