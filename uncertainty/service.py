"""Budgets in the lab: create, evaluate, submit, approve and compare with the CMC table.

Every function takes ``(session, actor, ...)``, checks a permission
(:mod:`calib.permissions`) and writes through :mod:`calib.audit`, so the audit trail
records who did what. Workflow (ISO/IEC 17025:2017 7.6, 8.3; ILAC P14:09/2020 5):
``draft`` -> ``submitted`` -> ``approved``, or ``submitted`` -> ``draft`` (rejected, with
a reason). Approval needs ``approve_budgets`` (manager, assessor, admin) and is refused
to the person who submitted the budget. An approved budget is immutable; a change is a
new version (:func:`revise_budget`).

The demo budgets are in :mod:`calib.demo.uncertainty`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from calib import __version__ as ENGINE_VERSION
from calib.audit import audited_create, audited_update, new_version
from calib.permissions import Actor, Permission, require
from calib.records import Procedure
from uncertainty.errors import (
    ConflictError,
    ImmutableRecordError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from uncertainty.records import BudgetComment, BudgetEvaluation, UncertaintyBudget

__all__ = [
    "BudgetCoverage",
    "CmcLine",
    "CmcLineCoverage",
    "add_comment",
    "approve_budget",
    "approved_budget_coverage",
    "check_cmc_line",
    "create_budget",
    "current_procedures",
    "evaluate_stored_budget",
    "expanded_uncertainty_in",
    "export_budget",
    "get_budget",
    "import_budget",
    "last_evaluation",
    "list_budgets",
    "list_comments",
    "reject_budget",
    "result_of",
    "revise_budget",
    "submit_budget",
    "update_draft",
]

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


class CmcLine(BaseModel):
    """The CMC line a budget supports: measurand, range and the expanded uncertainty claimed."""

    measurand: str = ""
    output: str = ""
    range_min: float | None = None
    range_max: float | None = None
    range_unit: str = ""
    cmc_expanded_uncertainty: float | None = None
    cmc_unit: str = ""


class CmcLineCoverage(BaseModel):
    """One approved budget against its CMC line (``approved_budget_coverage``)."""

    budget_id: int
    name: str
    version: int
    approved_by: str
    approved_at: dt.datetime | None
    measurand: str
    range_min: float | None
    range_max: float | None
    range_unit: str
    cmc_claimed: float | None
    cmc_unit: str
    #: The budget's value and expanded uncertainty U (GUF, converted to ``cmc_unit``).
    value: float | None
    value_unit: str
    expanded_uncertainty: float | None
    #: True when the budget's estimate lies in [range_min, range_max] (None: no range).
    value_in_range: bool | None
    #: True when U >= the claimed CMC (None: no CMC claimed or units incompatible).
    supports_cmc: bool | None
    note: str = ""


class BudgetCoverage(BaseModel):
    """Whether a current procedure has an approved uncertainty budget."""

    procedure_id: int
    procedure_code: str
    procedure_title: str
    procedure_version: int
    has_approved_budget: bool
    approved_budget_ids: list[int]
    pending_budget_ids: list[int]
    lines: list[CmcLineCoverage]
    #: True when every approved line supports its CMC (None: nothing to compare).
    all_support_cmc: bool | None


# ------------------------------------------------------------------------ helpers


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _canonical(data: Mapping[str, Any] | BaseModel | str | bytes) -> tuple[str, str]:
    """Validate a budget document (schema, model, names, units); (canonical JSON, sha256)."""
    from uncertainty.budget import compile_budget, parse_budget

    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                f"the budget is not valid JSON: {exc.msg} at line {exc.lineno}",
                field="document",
            ) from exc
    doc = parse_budget(data)
    compile_budget(doc)  # names, model syntax, units: refuse a budget that cannot run
    # Keep the author's order of inputs (the EA-4/02 table follows it).
    text = json.dumps(doc.model_dump(mode="json", exclude_none=True), indent=1)
    return text, hashlib.sha256(text.encode()).hexdigest()


def _line_changes(line: CmcLine | None) -> dict[str, Any]:
    if line is None:
        return {}
    if line.cmc_expanded_uncertainty is not None and line.cmc_expanded_uncertainty <= 0:
        raise InvalidInputError(
            f"the claimed CMC must be > 0, got {line.cmc_expanded_uncertainty}",
            field="cmc_expanded_uncertainty",
        )
    if line.range_min is not None and line.range_max is not None:
        if line.range_min > line.range_max:
            raise InvalidInputError(
                f"range_min {line.range_min} is above range_max {line.range_max}",
                field="range_min",
            )
    for field in ("range_unit", "cmc_unit"):
        unit = getattr(line, field)
        if unit:
            _check_unit(unit, field)
    return line.model_dump()


def _check_unit(unit: str, field: str) -> None:
    from uncertainty.units import ureg

    try:
        ureg.Unit(unit)
    except Exception as exc:  # pint raises several types for a bad unit
        raise InvalidInputError(f"unknown unit {unit!r}", field=field) from exc


def get_budget(session: Session, actor: Actor, budget_id: int) -> UncertaintyBudget:
    """One budget by id (``NotFoundError`` when absent)."""
    require(actor, Permission.VIEW_RECORDS)
    found = session.get(UncertaintyBudget, budget_id)
    if found is None:
        raise NotFoundError(f"budget {budget_id} does not exist")
    return found


def _procedure(session: Session, procedure_id: int) -> Procedure:
    found = session.get(Procedure, procedure_id)
    if found is None:
        raise NotFoundError(f"procedure {procedure_id} does not exist")
    return found


def _require_draft(budget: UncertaintyBudget) -> None:
    if budget.status == "approved":
        raise ImmutableRecordError(
            f"budget {budget.id} is approved; create a new version instead of changing it"
        )
    if budget.status != "draft":
        raise ConflictError(
            f"budget {budget.id} is {budget.status}; only a draft can be changed "
            "(reject it back to draft first)"
        )


# ------------------------------------------------------------------------ writes


def create_budget(
    session: Session,
    actor: Actor,
    *,
    procedure_id: int,
    document: Mapping[str, Any] | BaseModel | str | bytes,
    line: CmcLine | None = None,
    name: str | None = None,
) -> UncertaintyBudget:
    """Store a new draft budget (version 1) for a procedure and CMC line."""
    require(actor, Permission.EDIT_RECORDS)
    _procedure(session, procedure_id)
    text, digest = _canonical(document)
    title = name or json.loads(text).get("name", "") or f"budget for procedure {procedure_id}"
    return audited_create(
        session,
        UncertaintyBudget(
            procedure_id=procedure_id,
            name=title,
            document=text,
            document_sha256=digest,
            created_by=actor.username,
            created_at=_now(),
            **_line_changes(line),
        ),
        actor,
    )


def import_budget(
    session: Session,
    actor: Actor,
    *,
    procedure_id: int,
    text: str | bytes,
    line: CmcLine | None = None,
    name: str | None = None,
) -> UncertaintyBudget:
    """Create a draft from a JSON budget document (e.g. one exported by :func:`export_budget`)."""
    return create_budget(
        session, actor, procedure_id=procedure_id, document=text, line=line, name=name
    )


def export_budget(session: Session, actor: Actor, budget_id: int) -> str:
    """The stored budget document as JSON text (``calib budget evaluate`` reads it)."""
    return get_budget(session, actor, budget_id).document


def update_draft(
    session: Session,
    actor: Actor,
    budget_id: int,
    *,
    document: Mapping[str, Any] | BaseModel | str | bytes | None = None,
    line: CmcLine | None = None,
    name: str | None = None,
) -> UncertaintyBudget:
    """Change a draft's document, CMC line or name (refused for submitted/approved)."""
    require(actor, Permission.EDIT_RECORDS)
    budget = get_budget(session, actor, budget_id)
    _require_draft(budget)
    changes: dict[str, Any] = _line_changes(line)
    if document is not None:
        changes["document"], changes["document_sha256"] = _canonical(document)
    if name is not None:
        if not name.strip():
            raise InvalidInputError("the budget name cannot be empty", field="name")
        changes["name"] = name
    return audited_update(session, budget, changes, actor)


def revise_budget(session: Session, actor: Actor, budget_id: int) -> UncertaintyBudget:
    """Start a new draft version of an approved budget; the approved one stays as it is."""
    require(actor, Permission.EDIT_RECORDS)
    budget = get_budget(session, actor, budget_id)
    if budget.status != "approved":
        raise ConflictError(
            f"budget {budget_id} is {budget.status}; edit the draft instead of versioning it"
        )
    newer = session.exec(
        select(UncertaintyBudget).where(UncertaintyBudget.supersedes_id == budget_id)
    ).first()
    if newer is not None:
        raise ConflictError(f"budget {budget_id} already has a newer version ({newer.id})")
    return new_version(
        session,
        budget,
        {
            "created_by": actor.username,
            "created_at": _now(),
            "submitted_by": "",
            "submitted_at": None,
            "approved_by": "",
            "approved_at": None,
            "rejection_reason": "",
        },
        actor,
    )


def evaluate_stored_budget(
    session: Session,
    actor: Actor,
    budget_id: int,
    *,
    monte_carlo: bool = False,
    trials: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> BudgetEvaluation:
    """Evaluate a budget (GUF, optionally Monte Carlo) and store the result with its seed.

    Monte Carlo without ``seed`` draws one; the seed used is stored, so the run can be
    repeated (JCGM 101:2008 7.2, C.3). ``progress``/``cancel`` are passed to the engine.

    References
    ----------
    JCGM 100:2008 5.1.2, 7.2; JCGM 101:2008 7, 8.2.
    """
    require(actor, Permission.EDIT_RECORDS)
    from uncertainty.budget import evaluate_budget

    budget = get_budget(session, actor, budget_id)
    if monte_carlo and seed is None:
        from uncertainty.montecarlo import make_rng

        _, seed = make_rng(None)
    result = evaluate_budget(
        json.loads(budget.document),
        monte_carlo=True if monte_carlo else False,
        trials=trials,
        seed=seed,
        progress=progress,
        cancel=cancel,
    )
    used_trials: int | None = None
    for out in result.outputs.values():
        if out.monte_carlo is not None:
            used_trials = out.monte_carlo.trials
            seed = out.monte_carlo.seed
            break
    return audited_create(
        session,
        BudgetEvaluation(
            budget_id=budget_id,
            document_sha256=budget.document_sha256,
            evaluated_at=_now(),
            evaluated_by=actor.username,
            engine_version=ENGINE_VERSION,
            monte_carlo=used_trials is not None,
            trials=used_trials,
            seed=seed if used_trials is not None else None,
            result=result.model_dump_json(),
        ),
        actor,
    )


def submit_budget(session: Session, actor: Actor, budget_id: int) -> UncertaintyBudget:
    """Submit a draft for approval; it must have been evaluated as it stands."""
    require(actor, Permission.EDIT_RECORDS)
    budget = get_budget(session, actor, budget_id)
    _require_draft(budget)
    last = last_evaluation(session, actor, budget_id)
    if last is None or last.document_sha256 != budget.document_sha256:
        raise ConflictError(
            f"budget {budget_id} has not been evaluated since its last change; evaluate it "
            "before submitting it"
        )
    return audited_update(
        session,
        budget,
        {
            "status": "submitted",
            "submitted_by": actor.username,
            "submitted_at": _now(),
            "rejection_reason": "",
        },
        actor,
    )


def _require_reviewable(session: Session, actor: Actor, budget_id: int) -> UncertaintyBudget:
    require(actor, Permission.APPROVE_BUDGETS)
    budget = get_budget(session, actor, budget_id)
    if budget.status != "submitted":
        raise ConflictError(
            f"budget {budget_id} is {budget.status}; only a submitted budget can be "
            "approved or rejected"
        )
    return budget


def approve_budget(session: Session, actor: Actor, budget_id: int) -> UncertaintyBudget:
    """Approve a submitted budget (manager, assessor or admin; not its submitter)."""
    budget = _require_reviewable(session, actor, budget_id)
    if budget.submitted_by == actor.username:
        raise PermissionDeniedError(
            f"{actor.username!r} submitted budget {budget_id} and may not approve it; "
            "another manager or assessor must"
        )
    return audited_update(
        session,
        budget,
        {"status": "approved", "approved_by": actor.username, "approved_at": _now()},
        actor,
    )


def reject_budget(session: Session, actor: Actor, budget_id: int, reason: str) -> UncertaintyBudget:
    """Send a submitted budget back to draft with a reason (also stored as a comment)."""
    budget = _require_reviewable(session, actor, budget_id)
    if not reason.strip():
        raise InvalidInputError("say why the budget is rejected", field="reason")
    audited_create(
        session,
        BudgetComment(
            budget_id=budget_id,
            author=actor.username,
            author_role=actor.role,
            created_at=_now(),
            kind="rejection",
            text=reason.strip(),
        ),
        actor,
    )
    return audited_update(
        session, budget, {"status": "draft", "rejection_reason": reason.strip()}, actor
    )


def add_comment(session: Session, actor: Actor, budget_id: int, text: str) -> BudgetComment:
    """Comment on a budget in any status (assessors included); audited."""
    require(actor, Permission.COMMENT)
    get_budget(session, actor, budget_id)
    if not text.strip():
        raise InvalidInputError("the comment is empty", field="text")
    return audited_create(
        session,
        BudgetComment(
            budget_id=budget_id,
            author=actor.username,
            author_role=actor.role,
            created_at=_now(),
            text=text.strip(),
        ),
        actor,
    )


# ------------------------------------------------------------------------ reads


def list_budgets(
    session: Session,
    actor: Actor,
    *,
    procedure_id: int | None = None,
    status: str | None = None,
) -> list[UncertaintyBudget]:
    """Budgets by procedure, name and version (all versions)."""
    require(actor, Permission.VIEW_RECORDS)
    query = select(UncertaintyBudget)
    if procedure_id is not None:
        query = query.where(UncertaintyBudget.procedure_id == procedure_id)
    if status is not None:
        query = query.where(UncertaintyBudget.status == status)
    query = query.order_by(
        col(UncertaintyBudget.procedure_id),
        col(UncertaintyBudget.name),
        col(UncertaintyBudget.version),
    )
    return list(session.exec(query))


def last_evaluation(session: Session, actor: Actor, budget_id: int) -> BudgetEvaluation | None:
    """The most recent stored evaluation of a budget, or ``None``."""
    require(actor, Permission.VIEW_RECORDS)
    return session.exec(
        select(BudgetEvaluation)
        .where(BudgetEvaluation.budget_id == budget_id)
        .order_by(col(BudgetEvaluation.id).desc())
    ).first()


def result_of(evaluation: BudgetEvaluation) -> Any:
    """The stored ``BudgetResultDocument`` of an evaluation."""
    from uncertainty.schema import BudgetResultDocument

    return BudgetResultDocument.model_validate_json(evaluation.result)


def list_comments(session: Session, actor: Actor, budget_id: int) -> list[BudgetComment]:
    """Comments on a budget, oldest first."""
    require(actor, Permission.VIEW_RECORDS)
    return list(
        session.exec(
            select(BudgetComment)
            .where(BudgetComment.budget_id == budget_id)
            .order_by(col(BudgetComment.id))
        )
    )


def current_procedures(session: Session, actor: Actor, *, as_of: dt.date) -> list[Procedure]:
    """Approved procedures in force on ``as_of`` and not superseded by a later version."""
    require(actor, Permission.VIEW_RECORDS)
    procs = [
        p
        for p in session.exec(select(Procedure).order_by(col(Procedure.code)))
        if p.status == "approved"
        and (p.effective_from is None or p.effective_from <= as_of)
        and (p.effective_to is None or p.effective_to >= as_of)
    ]
    superseded = {p.supersedes_id for p in procs if p.supersedes_id is not None}
    return [p for p in procs if p.id not in superseded]


def expanded_uncertainty_in(value: float, unit: str, target: str) -> float:
    """Convert an uncertainty (a difference) to ``target``; offset units become deltas."""
    from uncertainty.units import Q_

    deltas = {"degC": "delta_degC", "°C": "delta_degC", "degF": "delta_degF"}
    if unit == target or not target:
        return value
    return float(Q_(value, deltas.get(unit, unit)).to(deltas.get(target, target)).magnitude)


def check_cmc_line(budget: UncertaintyBudget) -> CmcLineCoverage:
    """Evaluate a budget (GUF) and compare its U with the CMC claimed on its line."""
    from uncertainty.budget import evaluate_budget

    note = ""
    value: float | None = None
    value_unit = ""
    big_u: float | None = None
    in_range: bool | None = None
    supports: bool | None = None
    try:
        result = evaluate_budget(json.loads(budget.document), monte_carlo=False)
        name = budget.output or next(iter(result.outputs))
        if name not in result.outputs:
            raise InvalidInputError(
                f"the CMC line names output {name!r}, which the model does not have",
                field="output",
            )
        out = result.outputs[name]
        value, value_unit = out.value, out.unit
        big_u = out.expanded_uncertainty
        if budget.cmc_expanded_uncertainty is not None:
            big_u = expanded_uncertainty_in(big_u, out.unit, budget.cmc_unit)
            # ILAC P14:09/2020 5.4: no calibration uncertainty may be smaller than the CMC,
            # so the budget of the best device must give U >= the claimed CMC.
            supports = big_u >= budget.cmc_expanded_uncertainty * (1 - 1e-9)
            if not supports:
                note = (
                    f"U = {big_u:.3g} {budget.cmc_unit} is below the claimed CMC "
                    f"{budget.cmc_expanded_uncertainty:.3g} {budget.cmc_unit}"
                )
        else:
            note = "no CMC claimed on this line"
        if budget.range_min is not None and budget.range_max is not None:
            from uncertainty.units import Q_

            unit = budget.range_unit or out.unit
            at = float(Q_(out.value, out.unit).to(unit).magnitude)
            in_range = budget.range_min <= at <= budget.range_max
    except (ValueError, LookupError, ArithmeticError) as exc:
        note = f"cannot compare: {exc}"
        supports = None
    return CmcLineCoverage(
        budget_id=int(budget.id or 0),
        name=budget.name,
        version=budget.version,
        approved_by=budget.approved_by,
        approved_at=budget.approved_at,
        measurand=budget.measurand,
        range_min=budget.range_min,
        range_max=budget.range_max,
        range_unit=budget.range_unit,
        cmc_claimed=budget.cmc_expanded_uncertainty,
        cmc_unit=budget.cmc_unit,
        value=value,
        value_unit=value_unit,
        expanded_uncertainty=big_u,
        value_in_range=in_range,
        supports_cmc=supports,
        note=note,
    )


def approved_budget_coverage(
    session: Session, actor: Actor, *, as_of: dt.date
) -> list[BudgetCoverage]:
    """For each current procedure: its approved budgets and whether they support the CMC.

    A budget counts when it was approved on or before ``as_of`` and no later version of it
    was approved by then. Each approved budget is evaluated (GUF, JCGM 100:2008 5.1.2, G.4)
    and its expanded uncertainty U, converted to the CMC's unit, is compared with the
    claimed CMC: ``supports_cmc`` is true when U >= CMC (ILAC P14:09/2020 5.4: the CMC is
    the smallest uncertainty the lab may state, so the budget of the best device must not
    give less). Drafts and submitted budgets are listed in ``pending_budget_ids``.

    References
    ----------
    ISO/IEC 17025:2017 7.6.1; ILAC P14:09/2020 5; EA-4/02 M:2022 5.
    """
    require(actor, Permission.VIEW_RECORDS)
    end = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    rows: list[BudgetCoverage] = []
    budgets = list_budgets(session, actor)
    for proc in current_procedures(session, actor, as_of=as_of):
        mine = [b for b in budgets if b.procedure_id == proc.id]
        approved = [
            b
            for b in mine
            if b.status == "approved" and b.approved_at is not None and b.approved_at <= end
        ]
        replaced = {b.supersedes_id for b in approved if b.supersedes_id is not None}
        current = [b for b in approved if b.id not in replaced]
        lines = [check_cmc_line(b) for b in current]
        verdicts = [line.supports_cmc for line in lines if line.supports_cmc is not None]
        rows.append(
            BudgetCoverage(
                procedure_id=int(proc.id or 0),
                procedure_code=proc.code,
                procedure_title=proc.title,
                procedure_version=proc.version,
                has_approved_budget=bool(current),
                approved_budget_ids=[int(b.id or 0) for b in current],
                pending_budget_ids=[
                    int(b.id or 0) for b in mine if b.status in ("draft", "submitted")
                ],
                lines=lines,
                all_support_cmc=all(verdicts) if verdicts else None,
            )
        )
    return rows
