"""Stored uncertainty budgets: versions, CMC lines, evaluations and assessor comments.

A budget is the JSON budget document (CONTRACTS.md section 1, validated by
:func:`uncertainty.parse_budget` on the way in) linked to a procedure and to one line of
the lab's calibration and measurement capability (CMC) table: measurand, range and the
expanded uncertainty the lab claims (ILAC P14:09/2020 5; EA-4/02 M:2022 5).

Workflow (ISO/IEC 17025:2017 7.2.2 validation of methods, 7.6 evaluation of measurement
uncertainty, 8.3 control of documents): ``draft`` -> ``submitted`` -> ``approved``; a
submitted budget may be rejected back to ``draft`` with a reason. An approved budget is
immutable (``__immutable_statuses__``): a change is a new version (``version``,
``supersedes_id``, :func:`calib.audit.new_version`).

Evaluations and comments are separate rows, so an approved budget can be evaluated again
(e.g. with Monte Carlo) and commented on without changing it. Datetimes are
timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlmodel import Field, SQLModel

__all__ = ["BUDGET_STATUSES", "BudgetComment", "BudgetEvaluation", "UncertaintyBudget"]

#: ``draft``: editable; ``submitted``: waiting for review (not editable);
#: ``approved``: immutable; a change is a new version.
BUDGET_STATUSES: tuple[str, ...] = ("draft", "submitted", "approved")


class UncertaintyBudget(SQLModel, table=True):
    """One version of an uncertainty budget for one CMC line of a procedure."""

    __tablename__ = "uncertainty_budget"
    __immutable_statuses__: ClassVar[frozenset[str]] = frozenset({"approved"})

    id: int | None = Field(default=None, primary_key=True)
    procedure_id: int = Field(foreign_key="procedure.id", index=True)
    name: str
    version: int = 1
    supersedes_id: int | None = Field(default=None, foreign_key="uncertainty_budget.id")
    status: str = "draft"
    #: The budget document as canonical JSON text (CONTRACTS.md section 1).
    document: str
    #: SHA-256 of ``document`` (links evaluations to the text they evaluated).
    document_sha256: str = ""
    #: The model output the CMC line refers to ("" = the first output).
    output: str = ""
    measurand: str = ""
    range_min: float | None = None
    range_max: float | None = None
    range_unit: str = ""
    #: The CMC claimed: expanded uncertainty (coverage probability about 95 %).
    cmc_expanded_uncertainty: float | None = None
    cmc_unit: str = ""
    created_by: str = ""
    created_at: dt.datetime | None = None
    submitted_by: str = ""
    submitted_at: dt.datetime | None = None
    approved_by: str = ""
    approved_at: dt.datetime | None = None
    rejection_reason: str = ""


class BudgetEvaluation(SQLModel, table=True):
    """One evaluation of a budget: the result document and how it was produced."""

    __tablename__ = "uncertainty_budget_evaluation"

    id: int | None = Field(default=None, primary_key=True)
    budget_id: int = Field(foreign_key="uncertainty_budget.id", index=True)
    document_sha256: str
    evaluated_at: dt.datetime
    evaluated_by: str
    engine_version: str
    monte_carlo: bool = False
    trials: int | None = None
    seed: int | None = None
    #: ``BudgetResultDocument`` as JSON text.
    result: str


class BudgetComment(SQLModel, table=True):
    """A comment on a budget (assessor review, rejection reason, reply)."""

    __tablename__ = "uncertainty_budget_comment"

    id: int | None = Field(default=None, primary_key=True)
    budget_id: int = Field(foreign_key="uncertainty_budget.id", index=True)
    author: str
    author_role: str = ""
    created_at: dt.datetime
    kind: str = "comment"
    text: str
