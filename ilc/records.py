"""Stored proficiency-testing records: schemes, rounds, results, scores and the PT plan.

ISO/IEC 17025:2017 7.7.2 (participation in proficiency testing / inter-laboratory
comparisons), 7.7.3 (analysis of the data, action when outside criteria);
ILAC P9:01/2024 4.2 (a PT plan covering every sub-discipline of the scope over the
accreditation cycle, at least one activity per sub-discipline per cycle).

Conventions (docs/foundation.md): every write goes through :mod:`calib.audit`;
datetimes are timezone-aware UTC; quantities are a magnitude plus the round's unit
string, with the reported expanded uncertainty ``U`` and its coverage factor ``k``
(never a pre-divided standard uncertainty, ISO 13528:2022 9.6). A round whose
status is ``scored`` is immutable: a change is a new version (``version``,
``supersedes_id``); results of a ``closed`` or ``scored`` round are refused by the
service (:mod:`ilc.service`).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "ROUND_STATUSES",
    "PTPlanItem",
    "PTResult",
    "PTRound",
    "PTScheme",
    "PTScore",
    "PTSubdiscipline",
]

#: ``open``: results may be entered; ``closed``: entry finished, waiting for the
#: report; ``scored``: scores stored, immutable.
ROUND_STATUSES: tuple[str, ...] = ("open", "closed", "scored")


class PTScheme(SQLModel, table=True):
    """A proficiency-testing scheme or comparison programme and its provider."""

    __tablename__ = "pt_scheme"

    id: int | None = Field(default=None, primary_key=True)
    provider: str
    name: str
    accredited_17043: bool = False
    website: str = ""


class PTSubdiscipline(SQLModel, table=True):
    """A sub-discipline of the lab's scope for PT planning (ILAC P9 4.2), e.g. DC voltage."""

    __tablename__ = "pt_subdiscipline"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str
    quantity: str = ""


class PTPlanItem(SQLModel, table=True):
    """The PT plan for one sub-discipline at one site over the accreditation cycle.

    ``min_rounds`` participations are required per cycle of ``cycle_years`` years
    starting on ``cycle_start`` (ILAC P9: at least one per sub-discipline per cycle,
    typically 4 years).
    """

    __tablename__ = "pt_plan_item"
    __table_args__ = (UniqueConstraint("subdiscipline_id", "site_id"),)

    id: int | None = Field(default=None, primary_key=True)
    subdiscipline_id: int = Field(foreign_key="pt_subdiscipline.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    cycle_start: dt.date
    cycle_years: int = 4
    min_rounds: int = 1
    notes: str = ""


class PTRound(SQLModel, table=True):
    """One round of a scheme: measurand, unit, dates and how it is scored.

    ``method`` is one of :data:`ilc.METHODS`; ``reference_*`` only for ``reference``.
    After scoring, ``assigned_value`` / ``assigned_expanded_uncertainty`` hold x_pt
    and U(x_pt) as used, ``status`` is ``scored`` and the round is immutable.
    """

    __tablename__ = "pt_round"
    __immutable_statuses__: ClassVar[frozenset[str]] = frozenset({"scored"})

    id: int | None = Field(default=None, primary_key=True)
    scheme_id: int = Field(foreign_key="pt_scheme.id", index=True)
    subdiscipline_id: int | None = Field(default=None, foreign_key="pt_subdiscipline.id")
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    code: str = Field(index=True)
    measurand: str = Field(index=True)
    unit: str
    opened_on: dt.date
    closes_on: dt.date
    report_on: dt.date | None = None
    method: str = "reference"
    reference_value: float | None = None
    reference_expanded_uncertainty: float | None = None
    reference_coverage_factor: float | None = None
    sigma_pt: float | None = None
    en_limit: float = 1.0
    doe_convention: str = "covariance"
    own_participant: str = ""
    assigned_value: float | None = None
    assigned_expanded_uncertainty: float | None = None
    scored_on: dt.date | None = None
    scored_by: str | None = None
    status: str = "open"
    version: int = 1
    supersedes_id: int | None = Field(default=None, foreign_key="pt_round.id")


class PTResult(SQLModel, table=True):
    """One participant's reported result (value, U as reported and its k)."""

    __tablename__ = "pt_result"
    __table_args__ = (UniqueConstraint("round_id", "participant"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="pt_round.id", index=True)
    position: int = 0
    participant: str
    value: float
    expanded_uncertainty: float | None = None
    coverage_factor: float | None = None
    exclude_from_reference: bool = False
    is_own_lab: bool = False
    entered_by: str
    entered_at: dt.datetime


class PTScore(SQLModel, table=True):
    """The stored scores of one result, with the method and convention used.

    Undefined numbers (no U reported, no σ_pt) are ``NULL``. ISO 13528:2022 9.3-9.8.
    """

    __tablename__ = "pt_score"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="pt_round.id", index=True)
    result_id: int = Field(foreign_key="pt_result.id", unique=True)
    participant: str
    method: str
    doe_convention: str
    en_limit: float
    z_choice: str | None = None
    assigned_value: float
    assigned_standard_uncertainty: float
    sigma_pt: float | None = None
    deviation: float
    d_percent: float | None = None
    en: float | None = None
    zeta: float | None = None
    z: float | None = None
    z_prime: float | None = None
    en_verdict: str | None = None
    z_verdict: str | None = None
    zeta_verdict: str | None = None
    doe_expanded_uncertainty: float | None = None
    covariance_applied: bool = False
    contributed_to_reference: bool = False
    uncertainty_flag: str | None = None
    scored_at: dt.datetime
    scored_by: str
