"""PT-plan coverage of one sub-discipline at one site over the accreditation cycle.

ILAC P9:01/2024 4.2: a laboratory takes part in at least one PT/ILC activity per
sub-discipline of its scope within the accreditation cycle (typically 4 years);
4.5: the plan is reviewed as the scope changes. Pure date arithmetic, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from uncertainty.errors import InvalidInputError

__all__ = ["CoverageStatus", "add_years", "coverage_status"]


@dataclass(frozen=True)
class CoverageStatus:
    """Where one plan item stands: the current cycle, participations, next due date."""

    cycle_start: dt.date
    cycle_end: dt.date
    rounds_in_cycle: int
    last_participation: dt.date | None
    next_due: dt.date
    status: str


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` shifted by whole years (29 February becomes 28 February).

    Examples
    --------
    >>> add_years(dt.date(2024, 2, 29), 1)
    datetime.date(2025, 2, 28)
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def coverage_status(
    cycle_start: dt.date,
    cycle_years: int,
    min_rounds: int,
    participations: Iterable[dt.date],
    *,
    as_of: dt.date,
    due_within_days: int = 180,
) -> CoverageStatus:
    """``covered``, ``due`` or ``overdue`` for one sub-discipline at one site.

    The current cycle is the ``cycle_years`` window from ``cycle_start`` that holds
    ``as_of``. The next participation is due ``cycle_years / min_rounds`` years after
    the last one (the first by the end of the first cycle): ``overdue`` once that date
    has passed; ``due`` when it falls within ``due_within_days``, or when the current
    cycle ends that soon with fewer than ``min_rounds`` participations; else ``covered``.
    Participations after ``as_of`` are ignored.

    References
    ----------
    ILAC P9:01/2024 4.2 (at least one activity per sub-discipline per cycle).

    Examples
    --------
    >>> coverage_status(dt.date(2024, 1, 1), 4, 1, [dt.date(2022, 12, 30)],
    ...                 as_of=dt.date(2026, 11, 23)).status
    'due'
    >>> coverage_status(dt.date(2020, 1, 1), 4, 1, [], as_of=dt.date(2026, 11, 23)).status
    'overdue'
    """
    if cycle_years < 1:
        raise InvalidInputError(f"cycle_years must be >= 1, got {cycle_years}", field="cycle_years")
    if min_rounds < 1:
        raise InvalidInputError(f"min_rounds must be >= 1, got {min_rounds}", field="min_rounds")
    start = cycle_start
    while add_years(start, cycle_years) <= as_of:
        start = add_years(start, cycle_years)
    end = add_years(start, cycle_years)
    done = sorted(d for d in participations if d <= as_of)
    in_cycle = sum(1 for d in done if start <= d < end)
    last = done[-1] if done else None
    interval = dt.timedelta(days=round(365.25 * cycle_years / min_rounds))
    next_due = last + interval if last else add_years(cycle_start, cycle_years)
    horizon = as_of + dt.timedelta(days=due_within_days)
    if next_due < as_of:
        status = "overdue"
    elif next_due <= horizon or (in_cycle < min_rounds and end <= horizon):
        status = "due"
    else:
        status = "covered"
    return CoverageStatus(start, end, in_cycle, last, next_due, status)
