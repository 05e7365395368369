"""Scoring a PT round in the lab database and acting on unsatisfactory results.

:func:`score_round` runs :func:`ilc.evaluate_round` on a round's stored results, stores
one :class:`PTScore` per result and makes the round ``scored`` (immutable);
:func:`open_actions_for_round` opens a nonconformity with a corrective action for each
unsatisfactory result of the lab (ISO/IEC 17025:2017 7.7.3, 7.10, 8.7; idempotent).
Scoring needs ``approve_records`` (managers).

The public API is re-exported by :mod:`ilc.service`; this module lives under ``calib``
because only a domain's ``records.py``/``service.py`` may import the database layer.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, col, select

from calib.audit import audited_create, audited_update
from calib.ilc_rounds import chosen_z, get_round, list_results, overall_verdict, round_scores
from calib.permissions import Actor, Permission, require
from calib.quality import open_corrective_action, raise_nonconformity
from calib.records import CorrectiveAction, Nonconformity
from ilc.evaluate import evaluate_round
from ilc.records import PTResult, PTRound, PTScore
from ilc.schema import ScoreReportDocument, build_report
from uncertainty.errors import ImmutableRecordError, InvalidInputError

__all__ = ["ScoringOutcome", "open_actions_for_round", "score_round"]


@dataclass(frozen=True)
class ScoringOutcome:
    """What :func:`score_round` did: the report, the stored scores, the NCs opened."""

    report: ScoreReportDocument
    scores: list[PTScore]
    nonconformities: list[Nonconformity]


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
        if not result.is_own_lab or overall_verdict(score) != "unsatisfactory":
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
            z = chosen_z(score)
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
