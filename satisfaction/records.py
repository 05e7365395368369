"""Satisfaction records: feedback invitations, responses, complaints, signals.

ISO/IEC 17025:2017 7.9 (complaints), 8.6.2 (feedback from customers), 8.7
(corrective action); ISO 10004:2018 (monitoring customer satisfaction).

* :class:`FeedbackInvitation` — a single-use link bound to one delivered job;
  only the SHA-256 digest of the token is stored.
* :class:`FeedbackResponse` — the customer's answers; **one per job**, enforced
  by a UNIQUE constraint on ``job_id`` and written in the same transaction that
  marks the invitation used; immutable once submitted (status ``submitted``).
* :class:`Complaint` — the 7.9 workflow (received, acknowledged, validated,
  investigated, outcome approved, closed); immutable once closed.
* :class:`SatisfactionSignal` — a trigger that fired, with the nonconformity and
  corrective action it opened; UNIQUE on (rule, chart, period, scope) so that
  evaluating the triggers again never duplicates an action.

Datetimes are timezone-aware UTC. Every write goes through :mod:`calib.audit`.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "COMPLAINT_STATUSES",
    "Complaint",
    "FeedbackInvitation",
    "FeedbackResponse",
    "SatisfactionSignal",
]

COMPLAINT_STATUSES: tuple[str, ...] = (
    "received",
    "acknowledged",
    "validated",
    "investigated",
    "outcome_approved",
    "closed",
)
"""Complaint workflow states in order (ISO/IEC 17025:2017 7.9.2 to 7.9.7)."""


class FeedbackInvitation(SQLModel, table=True):
    """A single-use feedback link for one delivered job (only the token's hash is kept)."""

    __tablename__ = "satisfaction_invitation"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime
    sent_at: dt.datetime | None = None
    used_at: dt.datetime | None = None


class FeedbackResponse(SQLModel, table=True):
    """A customer's answers: ratings 1-5 (None = not applicable), recommend 0-10.

    ``comment`` is kept verbatim as inert text, never rendered as markup.
    """

    __tablename__ = "satisfaction_response"
    __table_args__ = (UniqueConstraint("job_id", name="uq_satisfaction_response_job"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id")
    invitation_id: int | None = Field(default=None, foreign_key="satisfaction_invitation.id")
    submitted_at: dt.datetime
    overall: int | None = None
    quality: int | None = None
    timeliness: int | None = None
    technical_accuracy: int | None = None
    communication: int | None = None
    recommend: int | None = None
    comment: str = ""
    may_contact: bool = False
    status: str = "submitted"


class Complaint(SQLModel, table=True):
    """A complaint and its handling (ISO/IEC 17025:2017 7.9).

    ``status`` follows :data:`COMPLAINT_STATUSES`; the outcome is approved by a
    person not involved in the job (7.9.6); a closed complaint is immutable.
    """

    __tablename__ = "satisfaction_complaint"
    __immutable_statuses__: ClassVar[frozenset[str]] = frozenset({"closed"})

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True)
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True)
    response_id: int | None = Field(default=None, foreign_key="satisfaction_response.id")
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    received_on: dt.date
    source: str = "manual"
    description: str
    status: str = "received"
    acknowledged_on: dt.date | None = None
    acknowledged_by: str | None = None
    validated_on: dt.date | None = None
    validated_by: str | None = None
    is_valid: bool | None = None
    validation_note: str = ""
    investigated_on: dt.date | None = None
    investigated_by: str | None = None
    investigation: str = ""
    outcome: str = ""
    outcome_approved_on: dt.date | None = None
    outcome_approved_by: str | None = None
    closure_notice: str = ""
    closed_on: dt.date | None = None
    closed_by: str | None = None
    nonconformity_id: int | None = Field(default=None, foreign_key="nonconformity.id")
    corrective_action_id: int | None = Field(default=None, foreign_key="corrective_action.id")


class SatisfactionSignal(SQLModel, table=True):
    """A trigger rule that fired, the records behind it and the action it opened.

    ``scope`` is ``"all"`` or ``"site:<id>"``; ``data_ids`` is a comma-separated
    list of job ids (dissatisfied share, CSAT) or complaint references
    (complaints per job).
    """

    __tablename__ = "satisfaction_signal"
    __table_args__ = (
        UniqueConstraint("rule", "chart", "period", "scope", name="uq_satisfaction_signal"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule: str
    chart: str
    period: str
    scope: str = "all"
    site_id: int | None = Field(default=None, foreign_key="site.id")
    message: str
    data_ids: str = ""
    detected_on: dt.date
    detected_by: str
    nonconformity_id: int | None = Field(default=None, foreign_key="nonconformity.id")
    corrective_action_id: int | None = Field(default=None, foreign_key="corrective_action.id")
