"""Proficiency testing in the lab: rounds, results, stored scores, history, PT plan.

Services take ``(session, actor, ...)`` and check permissions (``calib.permissions``);
every write goes through ``calib.audit``. Entering results needs ``edit_records``
(staff), scoring a round ``approve_records`` (managers); assessors read.

* results of a ``closed`` or ``scored`` round are immutable: :func:`new_round_version`
  copies the round and its results into an open version;
* :func:`score_round` runs :func:`ilc.evaluate_round`, stores one :class:`PTScore`
  per result and opens a nonconformity with a corrective action for each
  unsatisfactory result of the lab (ISO/IEC 17025:2017 7.7.3, 7.10, 8.7; idempotent);
* :func:`measurand_history` applies :func:`ilc.history_signals` to the lab's own
  scores; :func:`pt_coverage` checks the PT plan (ILAC P9:01/2024 4.2, 4.5).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, col, select

from calib.audit import audited_create, audited_delete, audited_update, new_version
from calib.permissions import Actor, Permission, require
from calib.quality import open_corrective_action, raise_nonconformity
from calib.records import CorrectiveAction, Nonconformity, Site
from ilc.assigned import METHODS
from ilc.documents import CoverageRow, HistoryPoint, MeasurandHistory, RoundSummary, SignalOut
from ilc.evaluate import evaluate_round
from ilc.history import RoundPoint, history_signals
from ilc.plan import coverage_status
from ilc.records import PTPlanItem, PTResult, PTRound, PTScheme, PTScore, PTSubdiscipline
from ilc.schema import ScoreReportDocument, build_report
from ilc.tabular import ResultRow, parse_results_bytes, parse_results_records
from uncertainty.errors import ImmutableRecordError, InvalidInputError, NotFoundError

__all__ = [
    "DUE_WITHIN_DAYS",
    "CoverageRow",
    "HistoryPoint",
    "MeasurandHistory",
    "RoundSummary",
    "ScoringOutcome",
    "SignalOut",
    "close_round",
    "create_round",
    "create_scheme",
    "create_subdiscipline",
    "get_round",
    "import_results",
    "list_measurands",
    "list_results",
    "list_rounds",
    "list_schemes",
    "list_subdisciplines",
    "measurand_history",
    "new_round_version",
    "open_actions_for_round",
    "pt_coverage",
    "round_scores",
    "save_results",
    "score_round",
    "set_plan_item",
]

#: A plan item is ``due`` when its next participation falls within this many days.
DUE_WITHIN_DAYS = 180
_EDITABLE_STATUS = "open"


@dataclass(frozen=True)
class ScoringOutcome:
    """What :func:`score_round` did: the report, the stored scores, the NCs opened."""

    report: ScoreReportDocument
    scores: list[PTScore]
    nonconformities: list[Nonconformity]


# ---------------------------------------------------------------- schemes and plan


def create_scheme(
    session: Session,
    actor: Actor,
    *,
    provider: str,
    name: str,
    accredited_17043: bool = False,
    website: str = "",
) -> PTScheme:
    """Register a PT scheme (or comparison programme) and its provider."""
    require(actor, Permission.EDIT_RECORDS)
    for field, text in (("provider", provider), ("name", name)):
        if not text.strip():
            raise InvalidInputError(f"{field} must not be empty", field=field)
    return audited_create(
        session,
        PTScheme(
            provider=provider.strip(),
            name=name.strip(),
            accredited_17043=accredited_17043,
            website=website,
        ),
        actor,
    )


def list_schemes(session: Session, actor: Actor) -> list[PTScheme]:
    """All schemes by provider and name."""
    require(actor, Permission.VIEW_RECORDS)
    return list(session.exec(select(PTScheme).order_by(col(PTScheme.provider), col(PTScheme.name))))


def create_subdiscipline(
    session: Session, actor: Actor, *, code: str, name: str, quantity: str = ""
) -> PTSubdiscipline:
    """Add a sub-discipline of the scope (ILAC P9 4.2), e.g. ``DCV`` DC voltage."""
    require(actor, Permission.MANAGE_LAB)
    if not code.strip():
        raise InvalidInputError("code must not be empty", field="code")
    if session.exec(select(PTSubdiscipline).where(PTSubdiscipline.code == code)).first():
        raise InvalidInputError(f"sub-discipline {code!r} exists already", field="code")
    return audited_create(
        session, PTSubdiscipline(code=code.strip(), name=name.strip(), quantity=quantity), actor
    )


def list_subdisciplines(session: Session, actor: Actor) -> list[PTSubdiscipline]:
    """All sub-disciplines by code."""
    require(actor, Permission.VIEW_RECORDS)
    return list(session.exec(select(PTSubdiscipline).order_by(col(PTSubdiscipline.code))))


def set_plan_item(
    session: Session,
    actor: Actor,
    *,
    subdiscipline_id: int,
    site_id: int,
    cycle_start: dt.date,
    cycle_years: int = 4,
    min_rounds: int = 1,
    notes: str = "",
) -> PTPlanItem:
    """Create or update the plan for one sub-discipline at one site."""
    require(actor, Permission.MANAGE_LAB)
    if not 1 <= cycle_years <= 10:
        raise InvalidInputError(
            f"cycle_years must be 1 to 10, got {cycle_years}", field="cycle_years"
        )
    if min_rounds < 1:
        raise InvalidInputError(f"min_rounds must be >= 1, got {min_rounds}", field="min_rounds")
    if session.get(PTSubdiscipline, subdiscipline_id) is None:
        raise NotFoundError(f"no sub-discipline with id {subdiscipline_id}")
    if session.get(Site, site_id) is None:
        raise NotFoundError(f"no site with id {site_id}")
    existing = session.exec(
        select(PTPlanItem).where(
            PTPlanItem.subdiscipline_id == subdiscipline_id, PTPlanItem.site_id == site_id
        )
    ).first()
    values = {
        "cycle_start": cycle_start,
        "cycle_years": cycle_years,
        "min_rounds": min_rounds,
        "notes": notes,
    }
    if existing is not None:
        return audited_update(session, existing, values, actor)
    return audited_create(
        session,
        PTPlanItem(
            subdiscipline_id=subdiscipline_id,
            site_id=site_id,
            cycle_start=cycle_start,
            cycle_years=cycle_years,
            min_rounds=min_rounds,
            notes=notes,
        ),
        actor,
    )


# ---------------------------------------------------------------- rounds


def _check_round_options(
    method: str,
    reference_value: float | None,
    reference_expanded_uncertainty: float | None,
    reference_coverage_factor: float | None,
    sigma_pt: float | None,
    en_limit: float,
    doe_convention: str,
) -> None:
    if method not in METHODS:
        raise InvalidInputError(
            f"unknown method {method!r}; allowed: {', '.join(METHODS)}", field="method"
        )
    if method == "reference":
        if reference_value is None or not math.isfinite(reference_value):
            raise InvalidInputError(
                "method 'reference' needs a finite reference_value", field="reference_value"
            )
        if reference_expanded_uncertainty is None or not reference_expanded_uncertainty >= 0:
            raise InvalidInputError(
                f"reference_expanded_uncertainty must be >= 0, got {reference_expanded_uncertainty}",
                field="reference_expanded_uncertainty",
            )
        if reference_coverage_factor is not None and not reference_coverage_factor > 0:
            raise InvalidInputError(
                f"reference_coverage_factor must be > 0, got {reference_coverage_factor}",
                field="reference_coverage_factor",
            )
    if sigma_pt is not None and not (sigma_pt > 0 and math.isfinite(sigma_pt)):
        raise InvalidInputError(f"sigma_pt must be > 0, got {sigma_pt}", field="sigma_pt")
    if not (en_limit > 0 and math.isfinite(en_limit)):
        raise InvalidInputError(f"en_limit must be > 0, got {en_limit}", field="en_limit")
    if doe_convention not in ("covariance", "independent"):
        raise InvalidInputError(
            f"doe_convention must be 'covariance' or 'independent', got {doe_convention!r}",
            field="doe_convention",
        )


def create_round(
    session: Session,
    actor: Actor,
    *,
    scheme_id: int,
    code: str,
    measurand: str,
    unit: str,
    opened_on: dt.date,
    closes_on: dt.date,
    method: str = "reference",
    reference_value: float | None = None,
    reference_expanded_uncertainty: float | None = None,
    reference_coverage_factor: float | None = None,
    sigma_pt: float | None = None,
    en_limit: float = 1.0,
    doe_convention: str = "covariance",
    subdiscipline_id: int | None = None,
    site_id: int | None = None,
    own_participant: str = "",
    report_on: dt.date | None = None,
) -> PTRound:
    """Create an open round; options are checked as the engine would check them."""
    require(actor, Permission.EDIT_RECORDS)
    for field, text in (("code", code), ("measurand", measurand), ("unit", unit)):
        if not text.strip():
            raise InvalidInputError(f"{field} must not be empty", field=field)
    if closes_on < opened_on:
        raise InvalidInputError(
            f"closes_on {closes_on} is before opened_on {opened_on}", field="closes_on"
        )
    _check_round_options(
        method,
        reference_value,
        reference_expanded_uncertainty,
        reference_coverage_factor,
        sigma_pt,
        en_limit,
        doe_convention,
    )
    if session.get(PTScheme, scheme_id) is None:
        raise NotFoundError(f"no PT scheme with id {scheme_id}")
    if subdiscipline_id is not None and session.get(PTSubdiscipline, subdiscipline_id) is None:
        raise NotFoundError(f"no sub-discipline with id {subdiscipline_id}")
    if site_id is not None and session.get(Site, site_id) is None:
        raise NotFoundError(f"no site with id {site_id}")
    return audited_create(
        session,
        PTRound(
            scheme_id=scheme_id,
            subdiscipline_id=subdiscipline_id,
            site_id=site_id,
            code=code.strip(),
            measurand=measurand.strip(),
            unit=unit.strip(),
            opened_on=opened_on,
            closes_on=closes_on,
            report_on=report_on,
            method=method,
            reference_value=reference_value,
            reference_expanded_uncertainty=reference_expanded_uncertainty,
            reference_coverage_factor=(
                2.0
                if method == "reference" and reference_coverage_factor is None
                else reference_coverage_factor
            ),
            sigma_pt=sigma_pt,
            en_limit=en_limit,
            doe_convention=doe_convention,
            own_participant=own_participant.strip(),
        ),
        actor,
    )


def get_round(session: Session, actor: Actor, round_id: int) -> PTRound:
    """One round or ``NotFoundError``."""
    require(actor, Permission.VIEW_RECORDS)
    found = session.get(PTRound, round_id)
    if found is None:
        raise NotFoundError(f"no PT round with id {round_id}")
    return found


def _superseded_ids(session: Session) -> set[int]:
    return {
        int(i)
        for i in session.exec(
            select(PTRound.supersedes_id).where(col(PTRound.supersedes_id).is_not(None))
        )
        if i is not None
    }


def list_results(session: Session, actor: Actor, round_id: int) -> list[PTResult]:
    """Results of a round in entry order."""
    get_round(session, actor, round_id)
    return list(
        session.exec(
            select(PTResult)
            .where(PTResult.round_id == round_id)
            .order_by(col(PTResult.position), col(PTResult.id))
        )
    )


def round_scores(session: Session, actor: Actor, round_id: int) -> list[tuple[PTResult, PTScore]]:
    """Stored scores of a round with their results (entry order); empty before scoring."""
    results = list_results(session, actor, round_id)
    scores = {
        s.result_id: s for s in session.exec(select(PTScore).where(PTScore.round_id == round_id))
    }
    return [(r, scores[int(r.id or 0)]) for r in results if int(r.id or 0) in scores]


def list_rounds(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    subdiscipline_id: int | None = None,
    site_id: int | None = None,
    include_superseded: bool = False,
) -> list[RoundSummary]:
    """Rounds, newest first (latest versions only unless ``include_superseded``)."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(PTRound).order_by(col(PTRound.closes_on).desc(), col(PTRound.id).desc())
    if status is not None:
        stmt = stmt.where(PTRound.status == status)
    if subdiscipline_id is not None:
        stmt = stmt.where(PTRound.subdiscipline_id == subdiscipline_id)
    if site_id is not None:
        stmt = stmt.where(PTRound.site_id == site_id)
    rounds = list(session.exec(stmt))
    if not include_superseded:
        hidden = _superseded_ids(session)
        rounds = [r for r in rounds if int(r.id or 0) not in hidden]
    schemes = {s.id: s for s in session.exec(select(PTScheme))}
    subs = {s.id: s.code for s in session.exec(select(PTSubdiscipline))}
    sites = {s.id: s.code for s in session.exec(select(Site))}
    ids = [int(r.id or 0) for r in rounds]
    counts: dict[int, int] = {}
    own: dict[int, PTResult] = {}
    for result in session.exec(select(PTResult).where(col(PTResult.round_id).in_(ids))):
        counts[result.round_id] = counts.get(result.round_id, 0) + 1
        if result.is_own_lab:
            own[result.round_id] = result
    own_scores = {
        s.result_id: s
        for s in session.exec(
            select(PTScore).where(
                col(PTScore.result_id).in_([int(r.id or 0) for r in own.values()])
            )
        )
    }
    out: list[RoundSummary] = []
    for r in rounds:
        rid = int(r.id or 0)
        scheme = schemes.get(r.scheme_id)
        mine = own.get(rid)
        score = own_scores.get(int(mine.id or 0)) if mine is not None else None
        out.append(
            RoundSummary(
                id=rid,
                code=r.code,
                scheme=scheme.name if scheme else "",
                provider=scheme.provider if scheme else "",
                measurand=r.measurand,
                unit=r.unit,
                subdiscipline=subs.get(r.subdiscipline_id),
                site=sites.get(r.site_id),
                opened_on=r.opened_on,
                closes_on=r.closes_on,
                method=r.method,
                status=r.status,
                version=r.version,
                results=counts.get(rid, 0),
                own_participant=mine.participant if mine else None,
                own_en=score.en if score else None,
                own_z=_chosen_z(score) if score else None,
                own_verdict=_overall_verdict(score) if score else None,
            )
        )
    return out


def _chosen_z(score: PTScore) -> float | None:
    return score.z_prime if score.z_choice == "z_prime" else score.z


_RANK = {None: 0, "satisfactory": 1, "questionable": 2, "unsatisfactory": 3}


def _overall_verdict(score: PTScore) -> str | None:
    """The worst of the En, z/z′ and ζ verdicts (``None`` when none was scored)."""
    verdicts = (score.en_verdict, score.z_verdict, score.zeta_verdict)
    worst = max(verdicts, key=lambda v: _RANK.get(v, 0))
    return worst


def _require_open(found: PTRound) -> None:
    if found.status != _EDITABLE_STATUS:
        raise ImmutableRecordError(
            f"PT round {found.code} (id {found.id}) is {found.status}: its results cannot "
            "change; create a new version of the round instead"
        )


def close_round(session: Session, actor: Actor, round_id: int) -> PTRound:
    """End results entry: ``open`` -> ``closed``."""
    require(actor, Permission.EDIT_RECORDS)
    found = get_round(session, actor, round_id)
    _require_open(found)
    return audited_update(session, found, {"status": "closed"}, actor)


def new_round_version(session: Session, actor: Actor, round_id: int) -> PTRound:
    """Copy a closed or scored round and its results into a new open version."""
    require(actor, Permission.EDIT_RECORDS)
    found = get_round(session, actor, round_id)
    if int(found.id or 0) in _superseded_ids(session):
        raise InvalidInputError(
            f"PT round {found.code} version {found.version} is already superseded",
            field="round_id",
        )
    results = list_results(session, actor, round_id)
    copy = new_version(
        session,
        found,
        {
            "status": _EDITABLE_STATUS,
            "assigned_value": None,
            "assigned_expanded_uncertainty": None,
            "scored_on": None,
            "scored_by": None,
        },
        actor,
    )
    for r in results:
        audited_create(
            session,
            PTResult(
                round_id=int(copy.id or 0),
                position=r.position,
                participant=r.participant,
                value=r.value,
                expanded_uncertainty=r.expanded_uncertainty,
                coverage_factor=r.coverage_factor,
                exclude_from_reference=r.exclude_from_reference,
                is_own_lab=r.is_own_lab,
                entered_by=r.entered_by,
                entered_at=r.entered_at,
            ),
            actor,
        )
    return copy


# ---------------------------------------------------------------- results


def _revalidate(rows: Sequence[ResultRow]) -> list[ResultRow]:
    """Run programmatic rows through the same checks as an uploaded table."""
    return parse_results_records(
        [
            {
                "participant": r.participant,
                "value": r.value,
                "expanded_uncertainty": r.expanded_uncertainty,
                "coverage_factor": r.coverage_factor,
                "exclude_from_reference": r.exclude_from_reference,
                "own_lab": r.own_lab,
            }
            for r in rows
        ],
        first_row=1,
    )


def save_results(
    session: Session,
    actor: Actor,
    round_id: int,
    rows: Sequence[ResultRow],
    *,
    replace: bool = True,
    now: dt.datetime | None = None,
) -> list[PTResult]:
    """Store a round's results: changed rows updated, new rows added.

    With ``replace`` (the editor's Save) participants missing from ``rows`` are
    deleted; without it (an import) they are kept. Everything is validated before
    anything is written; the round must be ``open``. A result is the lab's own when
    its participant is the round's ``own_participant`` or its row says ``own_lab``.
    """
    require(actor, Permission.EDIT_RECORDS)
    found = get_round(session, actor, round_id)
    _require_open(found)
    checked = _revalidate(rows)
    own_rows = [
        r.participant
        for r in checked
        if r.own_lab or (found.own_participant and r.participant == found.own_participant)
    ]
    if len(own_rows) > 1:
        raise InvalidInputError(
            f"only one result can be the lab's own, got {', '.join(own_rows)}", field="own_lab"
        )
    stamp = now or dt.datetime.now(dt.UTC)
    existing = {r.participant: r for r in list_results(session, actor, round_id)}
    if not replace and own_rows:
        for name, r in existing.items():
            if r.is_own_lab and name not in own_rows:
                raise InvalidInputError(
                    f"{name} is already the lab's own result in this round", field="own_lab"
                )
    base = 0 if replace else len(existing)
    stored: list[PTResult] = []
    for index, row in enumerate(checked):
        is_own = row.participant in own_rows
        current = existing.get(row.participant)
        if replace:
            position = index
        else:
            position = current.position if current is not None else base + index
        values: dict[str, object] = {
            "position": position,
            "value": row.value,
            "expanded_uncertainty": row.expanded_uncertainty,
            "coverage_factor": row.coverage_factor,
            "exclude_from_reference": row.exclude_from_reference,
            "is_own_lab": is_own,
        }
        if current is None:
            stored.append(
                audited_create(
                    session,
                    PTResult(
                        round_id=round_id,
                        participant=row.participant,
                        entered_by=actor.username,
                        entered_at=stamp,
                        **values,  # type: ignore[arg-type]
                    ),
                    actor,
                )
            )
            continue
        changes = {k: v for k, v in values.items() if getattr(current, k) != v}
        if changes:
            changes.update(entered_by=actor.username, entered_at=stamp)
            audited_update(session, current, changes, actor)
        stored.append(current)
    if replace:
        keep = {r.participant for r in checked}
        for name, r in existing.items():
            if name not in keep:
                audited_delete(session, r, actor)
    return stored


def import_results(
    session: Session,
    actor: Actor,
    round_id: int,
    data: bytes,
    filename: str,
    *,
    replace: bool = False,
) -> list[PTResult]:
    """Parse a CSV, Excel (.xlsx) or JSON file and store its results (nothing on error)."""
    require(actor, Permission.EDIT_RECORDS)
    _require_open(get_round(session, actor, round_id))
    return save_results(
        session, actor, round_id, parse_results_bytes(data, filename), replace=replace
    )


# ---------------------------------------------------------------- scoring


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def score_round(
    session: Session,
    actor: Actor,
    round_id: int,
    *,
    as_of: dt.date,
    open_actions: bool = True,
    now: dt.datetime | None = None,
) -> ScoringOutcome:
    """Score an open or closed round with the engine and store the scores.

    The round becomes ``scored`` (immutable) with x_pt and U(x_pt) recorded; each
    result gets one :class:`PTScore` with the method, En limit and DoE convention
    used. With ``open_actions`` every unsatisfactory result of the lab opens a
    nonconformity and a corrective action (ISO/IEC 17025:2017 7.7.3, 7.10).

    References
    ----------
    ISO 13528:2022 9.3-9.8 (scores and their evaluation).
    """
    require(actor, Permission.APPROVE_RECORDS)
    found = get_round(session, actor, round_id)
    if found.status == "scored":
        raise ImmutableRecordError(
            f"PT round {found.code} (id {found.id}) is scored already; create a new version "
            "to score it again"
        )
    results = list_results(session, actor, round_id)
    if not results:
        raise InvalidInputError(f"PT round {found.code} has no results to score", field="results")
    scores = evaluate_round(
        [r.participant for r in results],
        np.array([r.value for r in results], dtype=np.float64),
        np.array([_nan(r.expanded_uncertainty) for r in results], dtype=np.float64),
        np.array([_nan(r.coverage_factor) for r in results], dtype=np.float64),
        method=found.method,
        exclude_from_reference=np.array([r.exclude_from_reference for r in results]),
        reference_value=found.reference_value,
        reference_expanded_uncertainty=found.reference_expanded_uncertainty,
        reference_coverage_factor=found.reference_coverage_factor,
        sigma_pt=found.sigma_pt,
        en_limit=found.en_limit,
        doe_convention="independent" if found.doe_convention == "independent" else "covariance",
    )
    report = build_report(found.code, found.unit, scores)
    stamp = now or dt.datetime.now(dt.UTC)
    stored: list[PTScore] = []
    a = report.assigned_value
    for result, row in zip(results, report.scores, strict=True):
        stored.append(
            audited_create(
                session,
                PTScore(
                    round_id=round_id,
                    result_id=int(result.id or 0),
                    participant=row.participant,
                    method=a.method,
                    doe_convention=report.doe_convention,
                    en_limit=report.en_limit,
                    z_choice=row.z_or_z_prime,
                    assigned_value=a.value,
                    assigned_standard_uncertainty=a.standard_uncertainty,
                    sigma_pt=report.sigma_pt,
                    deviation=row.deviation,
                    d_percent=row.d_percent,
                    en=row.en,
                    zeta=row.zeta,
                    z=row.z,
                    z_prime=row.z_prime,
                    en_verdict=row.en_verdict,
                    z_verdict=row.z_verdict,
                    zeta_verdict=row.zeta_verdict,
                    doe_expanded_uncertainty=row.doe_expanded_uncertainty,
                    covariance_applied=row.covariance_applied,
                    contributed_to_reference=row.contributed_to_reference,
                    uncertainty_flag=row.uncertainty_flag,
                    scored_at=stamp,
                    scored_by=actor.username,
                ),
                actor,
            )
        )
    audited_update(
        session,
        found,
        {
            "status": "scored",
            "assigned_value": a.value,
            "assigned_expanded_uncertainty": a.expanded_uncertainty,
            "scored_on": as_of,
            "scored_by": actor.username,
        },
        actor,
    )
    ncs = open_actions_for_round(session, actor, round_id, as_of=as_of) if open_actions else []
    return ScoringOutcome(report=report, scores=stored, nonconformities=ncs)


def open_actions_for_round(
    session: Session, actor: Actor, round_id: int, *, as_of: dt.date
) -> list[Nonconformity]:
    """Open a nonconformity and a corrective action for each unsatisfactory own result.

    Idempotent: a result that already has a nonconformity (``source_table`` =
    ``pt_result``), or whose participant had one in an earlier version of the same
    round, gets no second one; one without a corrective action gets one. Returns the
    nonconformities linked to the round's unsatisfactory own results.
    """
    require(actor, Permission.RAISE_NONCONFORMITY)
    found = get_round(session, actor, round_id)
    chain = [round_id]
    previous = found.supersedes_id
    while previous is not None and previous not in chain:
        chain.append(previous)
        earlier = session.get(PTRound, previous)
        previous = earlier.supersedes_id if earlier is not None else None
    out: list[Nonconformity] = []
    for result, score in round_scores(session, actor, round_id):
        if not result.is_own_lab or _overall_verdict(score) != "unsatisfactory":
            continue
        same_result = [
            str(i)
            for i in session.exec(
                select(PTResult.id).where(
                    col(PTResult.round_id).in_(chain), PTResult.participant == result.participant
                )
            )
        ]
        nc = session.exec(
            select(Nonconformity)
            .where(
                Nonconformity.source_table == "pt_result",
                col(Nonconformity.source_id).in_(same_result),
            )
            .order_by(col(Nonconformity.id))
        ).first()
        if nc is None:
            z = _chosen_z(score)
            parts = [
                f"En = {score.en:.2f}" if score.en is not None else "",
                f"{'z′' if score.z_choice == 'z_prime' else 'z'} = {z:.2f}"
                if z is not None
                else "",
                f"ζ = {score.zeta:.2f}" if score.zeta is not None else "",
            ]
            nc = raise_nonconformity(
                session,
                actor,
                description=(
                    f"Unsatisfactory PT result in round {found.code} ({found.measurand}): "
                    f"{result.participant} reported {result.value:.10g} {found.unit} against "
                    f"x_pt = {score.assigned_value:.10g} {found.unit}; "
                    + ", ".join(p for p in parts if p)
                    + " (ISO/IEC 17025:2017 7.7.3)"
                ),
                raised_on=as_of,
                site_id=found.site_id,
                severity="major",
                source_table="pt_result",
                source_id=int(result.id or 0),
            )
        has_action = session.exec(
            select(CorrectiveAction.id).where(CorrectiveAction.nonconformity_id == nc.id)
        ).first()
        if has_action is None:
            open_corrective_action(
                session,
                actor,
                int(nc.id or 0),
                opened_on=as_of,
                root_cause="To be determined: investigate method, equipment, uncertainty "
                "budget and reporting of the PT result.",
                actions="Investigate the unsatisfactory PT result; check the affected "
                "calibrations issued since the last satisfactory round; re-measure or take "
                "part in a follow-up round.",
                due_on=as_of + dt.timedelta(days=60),
            )
        out.append(nc)
    return out


# ---------------------------------------------------------------- history and plan


def list_measurands(session: Session, actor: Actor) -> list[str]:
    """Distinct measurands of all rounds, sorted."""
    require(actor, Permission.VIEW_RECORDS)
    return sorted(set(session.exec(select(PTRound.measurand))))


def measurand_history(
    session: Session,
    actor: Actor,
    measurand: str,
    *,
    en_limit: float = 1.0,
    window: int = 4,
    site_id: int | None = None,
) -> MeasurandHistory:
    """The lab's own scored results for one measurand, oldest first, with the signals.

    References
    ----------
    ISO 13528:2022 9.4.2, 9.7.2; ISO 7870-2:2023 test 2; ISO 13528:2005 7.6 (see
    :func:`ilc.history_signals`).
    """
    require(actor, Permission.VIEW_RECORDS)
    if not (en_limit > 0 and math.isfinite(en_limit)):
        raise InvalidInputError(f"en_limit must be > 0, got {en_limit}", field="en_limit")
    stmt = select(PTRound).where(PTRound.measurand == measurand, PTRound.status == "scored")
    if site_id is not None:
        stmt = stmt.where(PTRound.site_id == site_id)
    hidden = _superseded_ids(session)
    rounds = sorted(
        (r for r in session.exec(stmt) if int(r.id or 0) not in hidden),
        key=lambda r: (r.closes_on, int(r.id or 0)),
    )
    if not rounds and measurand not in list_measurands(session, actor):
        raise NotFoundError(f"no PT round with measurand {measurand!r}")
    points: list[HistoryPoint] = []
    for r in rounds:
        for result, score in round_scores(session, actor, int(r.id or 0)):
            if not result.is_own_lab:
                continue
            points.append(
                HistoryPoint(
                    round_id=int(r.id or 0),
                    round=r.code,
                    date=r.closes_on,
                    value=result.value,
                    unit=r.unit,
                    assigned_value=score.assigned_value,
                    en=score.en,
                    z=_chosen_z(score),
                    z_choice=score.z_choice,
                    zeta=score.zeta,
                    en_verdict=score.en_verdict,
                    z_verdict=score.z_verdict,
                )
            )
    signals = history_signals(
        [RoundPoint(p.round, z=p.z, en=p.en) for p in points], en_limit=en_limit, window=window
    )
    return MeasurandHistory(
        measurand=measurand,
        en_limit=en_limit,
        window=window,
        points=points,
        signals=[
            SignalOut(code=s.code, round=s.round_id, message=s.message, reference=s.reference)
            for s in signals
        ],
    )


def pt_coverage(
    session: Session,
    actor: Actor,
    *,
    as_of: dt.date,
    site_id: int | None = None,
    due_within_days: int = DUE_WITHIN_DAYS,
) -> list[CoverageRow]:
    """PT-plan coverage per sub-discipline and site: ``covered``, ``due`` or ``overdue``.

    A participation is a round (latest version, any status) of the sub-discipline at
    the site with a result of the lab, dated by its closing date; the status rule is
    :func:`ilc.plan.coverage_status`.

    References
    ----------
    ILAC P9:01/2024 4.2 (at least one activity per sub-discipline within the
    accreditation cycle), 4.5 (PT plan).
    """
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(PTPlanItem)
    if site_id is not None:
        stmt = stmt.where(PTPlanItem.site_id == site_id)
    items = list(session.exec(stmt))
    subs = {s.id: s for s in session.exec(select(PTSubdiscipline))}
    sites = {s.id: s.code for s in session.exec(select(Site))}
    hidden = _superseded_ids(session)
    own_rounds = set(
        session.exec(select(PTResult.round_id).where(col(PTResult.is_own_lab).is_(True)))
    )
    dates: dict[tuple[int | None, int | None], list[dt.date]] = {}
    for r in session.exec(select(PTRound)):
        rid = int(r.id or 0)
        if rid in hidden or rid not in own_rounds:
            continue
        dates.setdefault((r.subdiscipline_id, r.site_id), []).append(r.closes_on)
    out: list[CoverageRow] = []
    for item in items:
        sub = subs.get(item.subdiscipline_id)
        done = dates.get((item.subdiscipline_id, item.site_id), [])
        status = coverage_status(
            item.cycle_start,
            item.cycle_years,
            item.min_rounds,
            done,
            as_of=as_of,
            due_within_days=due_within_days,
        )
        out.append(
            CoverageRow(
                subdiscipline=sub.code if sub else str(item.subdiscipline_id),
                name=sub.name if sub else "",
                site=sites.get(item.site_id, str(item.site_id)),
                cycle_start=status.cycle_start,
                cycle_end=status.cycle_end,
                min_rounds=item.min_rounds,
                rounds_in_cycle=status.rounds_in_cycle,
                last_participation=status.last_participation,
                next_due=status.next_due,
                status=status.status,
            )
        )
    out.sort(key=lambda c: (c.site, c.subdiscipline))
    return out
