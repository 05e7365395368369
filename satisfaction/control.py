"""Monthly attribute control charts with limits frozen from a baseline.

p-chart of the dissatisfied share (``overall`` <= 2) and u-chart of complaints
per job. The centre line is estimated from the first ``baseline_periods``
periods that hold data and then frozen; each period's limits come from its own
n (variable sample size). Limits computed over all periods would let the bad
month inflate its own limits.

Normal (3σ) limits are used only when the normal approximation is adequate,
n·p̄ >= 5 and n·(1 − p̄) >= 5 for the p-chart, n·ū >= 5 for the u-chart. Below
that (the usual case for a small lab's monthly counts) the period is judged by
the exact binomial / Poisson upper-tail probability of its count under the
frozen centre, against the same tail areas as the 2σ and 3σ normal limits
(0.02275 and 0.00135, one-sided): probability limits. The reported UCL is then
the smallest count the chart would not flag, divided by n.

References
----------
Montgomery, D. C. (2019). Introduction to Statistical Quality Control, 8th ed.,
Wiley: §7.2 (p chart; variable sample size §7.2.2), §7.3 (u chart),
probability limits for attribute charts (§7.2.1); ISO 7870-2:2023 (Shewhart
control charts: Phase I baseline, then monitoring with fixed limits).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from scipy import stats

from uncertainty.errors import InvalidInputError

__all__ = [
    "ChartPoint",
    "ControlChart",
    "PeriodCount",
    "month_of",
    "month_range",
    "p_chart",
    "rolling_windows",
    "u_chart",
]

ChartKind = Literal["p", "u"]
LimitMethod = Literal["normal", "exact", "none"]


@dataclass(frozen=True)
class PeriodCount:
    """Observations of one period: ``events`` out of ``n`` (responses or jobs).

    ``event_ids`` are the ids of the records behind the events (the job ids of
    the dissatisfied responses, the complaint ids), kept so that a signal can
    point at the data that fired it.
    """

    period: str
    n: int
    events: int
    event_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("n", "events"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInputError(
                    f"{name} of period {self.period} must be a non-negative integer, got {value!r}",
                    field=f"periods.{self.period}.{name}",
                )


@dataclass(frozen=True)
class ChartPoint:
    """One period on a chart, with its frozen centre and its own limits."""

    period: str
    n: int
    events: int
    value: float | None
    center: float | None
    ucl: float | None
    lcl: float | None
    sigma: float | None
    method: LimitMethod
    upper_tail_probability: float | None
    in_baseline: bool
    event_ids: tuple[str, ...] = ()

    def above(self, sigmas: float) -> bool:
        """True if the point lies beyond centre + ``sigmas``·σ (or the exact equivalent).

        For exact points: upper-tail probability P(X >= x) <= Φ(−sigmas).
        """
        if self.value is None or self.center is None:
            return False
        if self.method == "normal" and self.sigma is not None:
            return self.value > self.center + sigmas * self.sigma
        if self.method == "exact" and self.upper_tail_probability is not None:
            return self.upper_tail_probability <= float(stats.norm.sf(sigmas))
        return False

    def above_center(self) -> bool:
        """True if the point lies strictly above the centre line."""
        return self.value is not None and self.center is not None and self.value > self.center


@dataclass(frozen=True)
class ControlChart:
    """A chart: frozen centre, the baseline it came from, points and notes."""

    kind: ChartKind
    center: float | None
    baseline_periods: tuple[str, ...]
    points: tuple[ChartPoint, ...]
    sigma_multiplier: float
    notes: tuple[str, ...] = field(default_factory=tuple)


def month_of(day: date) -> str:
    """Calendar month ``YYYY-MM`` of a date.

    >>> month_of(date(2026, 1, 31))
    '2026-01'
    """
    return f"{day.year:04d}-{day.month:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (``YYYY-MM``).

    >>> month_range("2025-11", "2026-02")
    ['2025-11', '2025-12', '2026-01', '2026-02']
    """
    try:
        y, m = (int(x) for x in first.split("-"))
        y_end, m_end = (int(x) for x in last.split("-"))
    except ValueError as exc:
        raise InvalidInputError(
            f"periods must be YYYY-MM, got {first!r} and {last!r}", field="period"
        ) from exc
    months: list[str] = []
    while (y, m) <= (y_end, m_end):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _baseline(
    periods: Sequence[PeriodCount], baseline_periods: int
) -> tuple[list[PeriodCount], list[str]]:
    if isinstance(baseline_periods, bool) or not isinstance(baseline_periods, int):
        raise InvalidInputError(
            f"baseline_periods must be an integer >= 1, got {baseline_periods!r}",
            field="baseline_periods",
        )
    if baseline_periods < 1:
        raise InvalidInputError(
            f"baseline_periods must be >= 1, got {baseline_periods}", field="baseline_periods"
        )
    with_data = [p for p in periods if p.n > 0]
    base = with_data[:baseline_periods]
    notes: list[str] = []
    if 0 < len(base) < baseline_periods:
        notes.append(
            f"baseline has only {len(base)} of the {baseline_periods} periods asked for: "
            "limits are provisional"
        )
    return base, notes


def _chart_point(
    count: PeriodCount,
    value: float | None,
    center: float | None,
    in_baseline: bool,
    ucl: float | None = None,
    lcl: float | None = None,
    sigma: float | None = None,
    method: LimitMethod = "none",
    tail: float | None = None,
) -> ChartPoint:
    """One plotted period; without limits (``method="none"``) unless they are given."""
    return ChartPoint(
        count.period,
        count.n,
        count.events,
        value,
        center,
        ucl,
        lcl,
        sigma,
        method,
        tail,
        in_baseline,
        count.event_ids,
    )


def p_chart(
    periods: Sequence[PeriodCount],
    *,
    baseline_periods: int = 6,
    sigma_multiplier: float = 3.0,
    min_expected: float = 5.0,
) -> ControlChart:
    """p-chart of ``events / n`` per period, centre frozen from the baseline.

    p̄ = Σx/Σn over the baseline; per period σ_i = sqrt(p̄(1 − p̄)/n_i),
    UCL_i = p̄ + Lσ_i, LCL_i = max(0, p̄ − Lσ_i) when n_i·p̄ and n_i(1 − p̄) are
    both >= ``min_expected``; otherwise exact: tail P(X >= x_i), X ~ Bin(n_i, p̄),
    UCL_i = F⁻¹(1 − Φ(−L))/n_i (the binomial probability limit).

    References
    ----------
    Montgomery (2019) §7.2.1-7.2.2; ISO 7870-2:2023 (fixed limits after Phase I).

    >>> chart = p_chart([PeriodCount(f"2026-{m:02d}", 50, 5) for m in range(1, 8)])
    >>> round(chart.center, 3), chart.points[0].method
    (0.1, 'normal')
    """
    base, notes = _baseline(periods, baseline_periods)
    total_n = sum(p.n for p in base)
    center = sum(p.events for p in base) / total_n if total_n else None
    for p in periods:
        if p.events > p.n:
            raise InvalidInputError(
                f"period {p.period} has {p.events} events out of n = {p.n}",
                field=f"periods.{p.period}.events",
            )
    if center is None:
        notes.append("no data in the baseline: the centre line is undefined")
    elif center in (0.0, 1.0):
        notes.append(
            f"baseline share is {center:g} ({sum(p.events for p in base)} of {total_n}): "
            "limits cannot be estimated; collect a baseline with both outcomes"
        )
    alpha = float(stats.norm.sf(sigma_multiplier))
    baseline_names = {p.period for p in base}
    points: list[ChartPoint] = []
    for p in periods:
        value = p.events / p.n if p.n else None
        if center is None or center in (0.0, 1.0) or p.n == 0:
            points.append(_chart_point(p, value, center, p.period in baseline_names))
            continue
        sigma = math.sqrt(center * (1.0 - center) / p.n)
        tail = float(stats.binom.sf(p.events - 1, p.n, center))
        if p.n * center >= min_expected and p.n * (1.0 - center) >= min_expected:
            method: LimitMethod = "normal"
            ucl = min(1.0, center + sigma_multiplier * sigma)
            lcl = max(0.0, center - sigma_multiplier * sigma)
        else:
            method = "exact"
            ucl = float(stats.binom.ppf(1.0 - alpha, p.n, center)) / p.n
            lcl = float(stats.binom.ppf(alpha, p.n, center)) / p.n
            lcl = max(0.0, lcl)
        points.append(
            _chart_point(
                p, value, center, p.period in baseline_names, ucl, lcl, sigma, method, tail
            )
        )
    return ControlChart(
        "p", center, tuple(p.period for p in base), tuple(points), sigma_multiplier, tuple(notes)
    )


def u_chart(
    periods: Sequence[PeriodCount],
    *,
    baseline_periods: int = 6,
    sigma_multiplier: float = 3.0,
    min_expected: float = 5.0,
) -> ControlChart:
    """u-chart of events per unit (complaints per job), centre frozen from the baseline.

    ū = Σc/Σn over the baseline; σ_i = sqrt(ū/n_i); normal limits ū ± Lσ_i when
    n_i·ū >= ``min_expected``, else exact: tail P(C >= c_i), C ~ Poisson(n_i·ū),
    UCL_i = F⁻¹(1 − Φ(−L))/n_i.

    References
    ----------
    Montgomery (2019) §7.3 (control chart for nonconformities per unit).

    >>> chart = u_chart([PeriodCount(f"2026-{m:02d}", 40, 2) for m in range(1, 8)])
    >>> chart.center, chart.points[0].method
    (0.05, 'exact')
    """
    base, notes = _baseline(periods, baseline_periods)
    total_n = sum(p.n for p in base)
    center = sum(p.events for p in base) / total_n if total_n else None
    if center is None:
        notes.append("no data in the baseline: the centre line is undefined")
    elif center == 0.0:
        notes.append(f"no events in the baseline ({total_n} units): limits cannot be estimated")
    alpha = float(stats.norm.sf(sigma_multiplier))
    baseline_names = {p.period for p in base}
    points: list[ChartPoint] = []
    for p in periods:
        value = p.events / p.n if p.n else None
        if center is None or center == 0.0 or p.n == 0:
            points.append(_chart_point(p, value, center, p.period in baseline_names))
            continue
        sigma = math.sqrt(center / p.n)
        mean = p.n * center
        tail = float(stats.poisson.sf(p.events - 1, mean))
        if mean >= min_expected:
            method: LimitMethod = "normal"
            ucl = center + sigma_multiplier * sigma
            lcl = max(0.0, center - sigma_multiplier * sigma)
        else:
            method = "exact"
            ucl = float(stats.poisson.ppf(1.0 - alpha, mean)) / p.n
            lcl = max(0.0, float(stats.poisson.ppf(alpha, mean)) / p.n)
        points.append(
            _chart_point(
                p, value, center, p.period in baseline_names, ucl, lcl, sigma, method, tail
            )
        )
    return ControlChart(
        "u", center, tuple(p.period for p in base), tuple(points), sigma_multiplier, tuple(notes)
    )


def rolling_windows(periods: Sequence[PeriodCount], *, window: int = 12) -> list[PeriodCount]:
    """Trailing-window totals: for each period, the sum over it and the ``window − 1`` before.

    Periods must be consecutive months in order (use :func:`month_range` to fill gaps).

    >>> rows = rolling_windows([PeriodCount(m, 10, 1) for m in ("2026-01", "2026-02")], window=12)
    >>> [(r.period, r.n, r.events) for r in rows]
    [('2026-01', 10, 1), ('2026-02', 20, 2)]
    """
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise InvalidInputError(f"window must be an integer >= 1, got {window!r}", field="window")
    out: list[PeriodCount] = []
    for i, p in enumerate(periods):
        part = periods[max(0, i - window + 1) : i + 1]
        out.append(
            PeriodCount(
                p.period,
                sum(q.n for q in part),
                sum(q.events for q in part),
                tuple(e for q in part for e in q.event_ids),
            )
        )
    return out
