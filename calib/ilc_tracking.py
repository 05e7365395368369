"""PT results read back across rounds: a measurand's history and PT-plan coverage.

:func:`measurand_history` applies :func:`ilc.history_signals` to the lab's own stored
scores; :func:`pt_coverage` checks the PT plan per sub-discipline and site
(ILAC P9:01/2024 4.2, 4.5). Both only read (``view_records``).

The public API is re-exported by :mod:`ilc.service`; this module lives under ``calib``
because only a domain's ``records.py``/``service.py`` may import the database layer.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlmodel import Session, col, select

from calib.ilc_rounds import chosen_z, round_scores, superseded_ids
from calib.permissions import Actor, Permission, require
from calib.records import Site
from ilc.documents import CoverageRow, HistoryPoint, MeasurandHistory, SignalOut
from ilc.history import RoundPoint, history_signals
from ilc.plan import coverage_status
from ilc.records import PTPlanItem, PTResult, PTRound, PTSubdiscipline
from uncertainty.errors import InvalidInputError, NotFoundError

__all__ = ["DUE_WITHIN_DAYS", "list_measurands", "measurand_history", "pt_coverage"]

#: A plan item is ``due`` when its next participation falls within this many days.
DUE_WITHIN_DAYS = 180


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
    hidden = superseded_ids(session)
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
                    z=chosen_z(score),
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
    hidden = superseded_ids(session)
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
