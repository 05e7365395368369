"""Trigger rules that turn a chart or a metric into signals for corrective action.

Rules (upper side only: the charts track dissatisfaction and complaints, and a
drop needs no corrective action; with monthly counts near zero the lower side
is degenerate: LCL = 0 and "zero this month" is the most likely outcome, so a
run below the centre is the expected state, not a signal):

- ``beyond_control_limit``: a point above centre + 3σ (or its exact-tail
  equivalent, P(X >= x) <= 0.00135) — Western Electric rule 1.
- ``run_of_8_above_center``: 8 successive points above the centre line —
  Western Electric rule 4 / Nelson rule 2 as adopted in ISO 7870-2.
- ``two_of_three_beyond_2_sigma``: 2 of 3 successive points above centre + 2σ
  (exact equivalent P(X >= x) <= 0.02275) — Western Electric rule 2.
- ``csat_upper_bound_below_target``: the upper end of the CSAT interval is below
  the target, i.e. the data show satisfaction below target beyond sampling
  noise (ISO 10004:2018 clause 8: compare with objectives).

Periods with no data are skipped: they neither extend nor break a run.
Each signal names its rule, period and message and carries the ids of the
records that fired it, so that a corrective action can be linked to them.

References
----------
Western Electric Co. (1956). Statistical Quality Control Handbook, Part A,
section 1-B (tests for unnatural patterns); Montgomery (2019), Introduction to
Statistical Quality Control, 8th ed., §5.3.6 (sensitizing rules, Table 5.1);
ISO 7870-2:2023 (tests for special causes); ISO 10004:2018 clause 8.
"""

from __future__ import annotations

from dataclasses import dataclass

from satisfaction.control import ChartPoint, ControlChart
from satisfaction.metrics import ProportionEstimate
from uncertainty.errors import InvalidInputError

__all__ = [
    "RULE_BEYOND_LIMIT",
    "RULE_CSAT_BELOW_TARGET",
    "RULE_RUN",
    "RULE_TWO_OF_THREE",
    "Signal",
    "chart_signals",
    "csat_target_signal",
]

RULE_BEYOND_LIMIT = "beyond_control_limit"
RULE_RUN = "run_of_8_above_center"
RULE_TWO_OF_THREE = "two_of_three_beyond_2_sigma"
RULE_CSAT_BELOW_TARGET = "csat_upper_bound_below_target"


@dataclass(frozen=True)
class Signal:
    """One fired rule: which rule, for which period, why, and on which records."""

    rule: str
    period: str
    message: str
    chart: str
    data_ids: tuple[str, ...]
    periods: tuple[str, ...]
    value: float | None = None
    limit: float | None = None


def _share(point: ChartPoint) -> str:
    return f"{point.events}/{point.n}"


def chart_signals(chart: ControlChart, *, label: str, run_length: int = 8) -> list[Signal]:
    """Evaluate the three chart rules on ``chart`` (upper side).

    Parameters
    ----------
    chart:
        A p- or u-chart from :mod:`satisfaction.control`.
    label:
        Chart name used in messages and in ``Signal.chart`` (e.g.
        ``"dissatisfied_share"``).
    run_length:
        Points in a row above the centre for the run rule (8 by default).

    References
    ----------
    Western Electric (1956) Part A 1-B, rules 1, 2 and 4; Montgomery (2019)
    §5.3.6; ISO 7870-2:2023.
    """
    if isinstance(run_length, bool) or not isinstance(run_length, int) or run_length < 2:
        raise InvalidInputError(
            f"run_length must be an integer >= 2, got {run_length!r}", field="run_length"
        )
    limit = chart.sigma_multiplier
    points = [p for p in chart.points if p.method != "none" and p.value is not None]
    signals: list[Signal] = []
    run: list[ChartPoint] = []
    for i, point in enumerate(points):
        if point.above(limit):
            signals.append(
                Signal(
                    RULE_BEYOND_LIMIT,
                    point.period,
                    f"{label} {point.period}: {_share(point)} = {point.value:.3g} is above the "
                    f"upper control limit {point.ucl:.3g} (centre {point.center:.3g}, "
                    f"{point.method} limits"
                    + (
                        f", P(X >= {point.events}) = {point.upper_tail_probability:.2g})"
                        if point.method == "exact"
                        else ")"
                    ),
                    label,
                    point.event_ids,
                    (point.period,),
                    point.value,
                    point.ucl,
                )
            )
        run = [*run, point] if point.above_center() else []
        if len(run) == run_length:
            signals.append(
                Signal(
                    RULE_RUN,
                    point.period,
                    f"{label}: {run_length} periods in a row above the centre line "
                    f"{point.center:.3g} ({run[0].period} to {point.period})",
                    label,
                    tuple(e for p in run for e in p.event_ids),
                    tuple(p.period for p in run),
                    point.value,
                    point.center,
                )
            )
        if i >= 1 and point.above(2.0):
            window = points[max(0, i - 2) : i + 1]
            beyond = [p for p in window if p.above(2.0)]
            if len(beyond) >= 2:
                signals.append(
                    Signal(
                        RULE_TWO_OF_THREE,
                        point.period,
                        f"{label}: {len(beyond)} of the last {len(window)} periods are above "
                        f"centre + 2 sigma ({', '.join(p.period for p in beyond)})",
                        label,
                        tuple(e for p in beyond for e in p.event_ids),
                        tuple(p.period for p in beyond),
                        point.value,
                        None,
                    )
                )
    return signals


def csat_target_signal(
    estimate: ProportionEstimate,
    *,
    target: float,
    period: str,
    data_ids: tuple[str, ...] = (),
) -> Signal | None:
    """Signal when the upper end of the CSAT interval lies below ``target``.

    With a 95 % two-sided Wilson interval the upper end is a one-sided 97.5 %
    upper confidence bound: the shortfall is not explained by sampling noise.

    References
    ----------
    ISO 10004:2018 clause 8 (compare results with objectives); Wilson (1927).

    >>> from satisfaction.metrics import proportion
    >>> csat_target_signal(proportion(10, 20), target=0.8, period="2026-06").rule
    'csat_upper_bound_below_target'
    """
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1:
        raise InvalidInputError(
            f"target must be a share in (0, 1], e.g. 0.8, got {target!r}", field="target"
        )
    if estimate.ci is None or estimate.value is None:
        return None
    upper = estimate.ci[1]
    if upper >= target:
        return None
    return Signal(
        RULE_CSAT_BELOW_TARGET,
        period,
        f"CSAT {estimate.value:.1%} (n = {estimate.n}) has upper confidence bound "
        f"{upper:.1%} ({estimate.confidence:.0%} interval), below the target {target:.0%}",
        "csat",
        data_ids,
        (period,),
        estimate.value,
        float(target),
    )
