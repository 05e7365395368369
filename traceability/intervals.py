"""Calibration-interval recommendations from the as-found history (never applied automatically).

Two methods of ILAC G24:2007 / OIML D 10:2007:

- **staircase** (method 1, "automatic adjustment"): after each calibration the interval is
  lengthened by a fraction ``extend`` when the instrument was found in tolerance and
  shortened by a fraction ``reduce`` when it was found out; the history is replayed from
  the first interval.
- **drift** (method 2, "control chart"): the drift rate of a point between calibrations,
  (as-found now − as-left before) / elapsed time, is averaged over the history; the
  recommended interval is the time for the as-left error plus the drift at the upper
  prediction rate (mean + 2 s) to use up the tolerance. A rate outside mean ± 3 s is
  reported as a control-chart signal.

The factors are the lab's choice; G24 does not fix them. Each recommendation comes with
its reasoning, for a person to accept or reject.

References
----------
ILAC G24:2007 / OIML D 10:2007 section 6 (method 1 staircase, method 2 control chart),
section 5 (initial interval); ISO/IEC 17025:2017 6.4.7.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date

from traceability.register import Certificate, Point, Register, months_between
from uncertainty.errors import InvalidInputError, NotFoundError

__all__ = [
    "AsFoundRecord",
    "IntervalRecommendation",
    "IntervalReport",
    "as_found_history",
    "drift_interval",
    "recommend_intervals",
    "staircase_interval",
]


@dataclass(frozen=True, slots=True)
class AsFoundRecord:
    """One calibration of the history: in tolerance as found? (None: no data)."""

    certificate: str
    calibrated_on: date
    interval_months: float | None
    in_tolerance: bool | None


@dataclass(frozen=True, slots=True)
class IntervalRecommendation:
    """A recommended interval with the method and the reasoning behind it."""

    method: str
    interval_months: float | None
    reasoning: str
    clause: str


@dataclass(frozen=True, slots=True)
class IntervalReport:
    """Recommendations for one instrument."""

    instrument: str
    current_interval_months: float | None
    history: tuple[AsFoundRecord, ...]
    recommendations: tuple[IntervalRecommendation, ...]


def _in_tolerance(cert: Certificate) -> bool | None:
    judged = [
        abs(p.as_found_error) <= p.tolerance
        for p in cert.points
        if p.tolerance is not None and p.as_found_error is not None
    ]
    return all(judged) if judged else None


def _interval(cert: Certificate) -> float | None:
    return months_between(cert.calibrated_on, cert.due) if cert.due is not None else None


def as_found_history(register: Register, instrument: str) -> tuple[AsFoundRecord, ...]:
    """The instrument's calibrations in date order with their as-found verdicts.

    A calibration is in tolerance as found when every point with a tolerance and an
    as-found error has |error| ≤ tolerance; ``None`` when no point says.
    """
    certs = register.certificates_by_instrument.get(instrument, [])
    superseded = {c.supersedes for c in certs if c.supersedes}
    return tuple(
        AsFoundRecord(c.id, c.calibrated_on, _interval(c), _in_tolerance(c))
        for c in certs
        if c.id not in superseded
    )


def staircase_interval(
    history: tuple[AsFoundRecord, ...],
    initial_months: float,
    *,
    extend: float = 0.2,
    reduce: float = 0.5,
    minimum_months: float = 1.0,
    maximum_months: float = 60.0,
) -> IntervalRecommendation:
    """Method 1 (staircase): I ← I·(1 + extend) in tolerance, I ← I·(1 − reduce) out.

    The history's verdicts are applied in order, starting from ``initial_months``; results
    are clamped to [``minimum_months``, ``maximum_months``].

    References
    ----------
    ILAC G24:2007 / OIML D 10:2007 6.2 (method 1, automatic or staircase adjustment).

    >>> rec = staircase_interval((AsFoundRecord("C1", date(2024, 1, 1), 12.0, True),), 12.0)
    >>> round(rec.interval_months, 1)
    14.4
    """
    if not (initial_months > 0 and 0 <= extend and 0 <= reduce < 1):
        raise InvalidInputError(
            "initial_months must be > 0, extend >= 0 and 0 <= reduce < 1", field="staircase"
        )
    interval = initial_months
    steps = [f"start at {initial_months:.1f} months"]
    used = 0
    for record in history:
        if record.in_tolerance is None:
            continue
        used += 1
        before = interval
        factor = 1 + extend if record.in_tolerance else 1 - reduce
        interval = min(max(interval * factor, minimum_months), maximum_months)
        word = "in tolerance" if record.in_tolerance else "OUT of tolerance"
        steps.append(
            f"{record.calibrated_on} ({record.certificate}) {word}: {before:.1f} -> {interval:.1f}"
        )
    clause = "ILAC G24:2007 / OIML D 10:2007 6.2 (method 1)"
    if used == 0:
        return IntervalRecommendation(
            "staircase",
            None,
            "no calibration with a tolerance and an as-found error: no recommendation",
            clause,
        )
    text = (
        f"staircase with +{extend:.0%} when found in tolerance and -{reduce:.0%} when found out, "
        f"bounded to [{minimum_months:g}, {maximum_months:g}] months: " + "; ".join(steps)
    )
    return IntervalRecommendation("staircase", interval, text, clause)


def _drift_rates(certs: list[Certificate], key: tuple[str, float]) -> list[tuple[float, float]]:
    """(rate per month, months) for consecutive calibrations with the same point."""

    def find(cert: Certificate) -> Point | None:
        for p in cert.points:
            if (p.quantity_key, p.value_si) == key:
                return p
        return None

    rates: list[tuple[float, float]] = []
    previous: tuple[Certificate, Point] | None = None
    for cert in certs:
        point = find(cert)
        if point is None:
            continue
        if previous is not None and point.as_found_error is not None:
            before_cert, before = previous
            start = (
                before.as_left_error if before.as_left_error is not None else before.as_found_error
            )
            months = months_between(before_cert.calibrated_on, cert.calibrated_on)
            if start is not None and months > 0:
                start_here = start * before.scale / point.scale
                rates.append(((point.as_found_error - start_here) / months, months))
        previous = (cert, point)
    return rates


def drift_interval(
    register: Register,
    instrument: str,
    *,
    minimum_months: float = 1.0,
    maximum_months: float = 60.0,
) -> IntervalRecommendation:
    """Method 2 (drift / control chart) over the point that limits the interval.

    For each point (same quantity and value) with a tolerance, the drift rates between
    consecutive calibrations r_i = (as-found_i − as-left_{i−1}) / Δt_i are averaged
    (mean r̄, standard deviation s); the upper rate |r̄| + 2 s (s = 0 with one rate) is
    the rate at which the tolerance left after adjustment, T − |as-left_last|, is used
    up. The smallest such time over the points is recommended. A last rate outside
    r̄ ± 3 s is flagged (Shewhart control chart).

    References
    ----------
    ILAC G24:2007 / OIML D 10:2007 6.3 (method 2, control chart); ISO 7870-2:2013 (limits).
    """
    clause = "ILAC G24:2007 / OIML D 10:2007 6.3 (method 2)"
    certs = [c for c in register.certificates_by_instrument.get(instrument, []) if c.points]
    if not certs:
        return IntervalRecommendation("drift", None, "no calibration history", clause)
    last = certs[-1]
    best: tuple[float, str] | None = None
    notes: list[str] = []
    for point in last.points:
        if point.tolerance is None or point.tolerance == 0:
            continue
        rates = _drift_rates(certs, (point.quantity_key, point.value_si))
        if not rates:
            continue
        values = [r for r, _ in rates]
        mean = statistics.fmean(values)
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        upper_rate = abs(mean) + 2 * spread
        left = point.as_left_error if point.as_left_error is not None else point.as_found_error
        margin = point.tolerance - abs(left or 0.0)
        if upper_rate == 0:
            months = maximum_months
        else:
            months = max(margin, 0.0) / upper_rate
        months = min(max(months, minimum_months), maximum_months)
        signal = ""
        if len(values) > 2 and spread > 0 and abs(values[-1] - mean) > 3 * spread:
            signal = " (last rate outside mean ± 3 s: control-chart signal)"
        text = (
            f"{point.describe()}: {len(values)} drift rate(s), mean {mean:.3g} {point.unit}/month, "
            f"s {spread:.3g}; margin {margin:.3g} {point.unit} of ±{point.tolerance:g} after "
            f"adjustment; at |mean| + 2 s = {upper_rate:.3g}/month it lasts {months:.1f} months"
            f"{signal}"
        )
        notes.append(text)
        if best is None or months < best[0]:
            best = (months, point.describe())
    if best is None:
        return IntervalRecommendation(
            "drift",
            None,
            "needs two calibrations of the same point with a tolerance and as-found errors",
            clause,
        )
    reasoning = f"limited by {best[1]}. " + " | ".join(notes)
    return IntervalRecommendation("drift", best[0], reasoning, clause)


def recommend_intervals(
    register: Register,
    instrument: str,
    *,
    extend: float = 0.2,
    reduce: float = 0.5,
    minimum_months: float = 1.0,
    maximum_months: float = 60.0,
) -> IntervalReport:
    """Staircase and drift recommendations for ``instrument`` (for review, not applied).

    The current interval is the instrument's ``calibration_interval_months`` or else the
    last certificate's due − calibrated date; the staircase starts from the first
    certificate's interval (or the current one).

    References
    ----------
    ILAC G24:2007 / OIML D 10:2007 section 6; ISO/IEC 17025:2017 6.4.7.
    """
    if instrument not in register.instruments:
        raise NotFoundError(f"instrument {instrument!r} is not in the register")
    history = as_found_history(register, instrument)
    current = register.instruments[instrument].calibration_interval_months
    if current is None and history and history[-1].interval_months is not None:
        current = history[-1].interval_months
    initial = next((h.interval_months for h in history if h.interval_months), None) or current
    recommendations: list[IntervalRecommendation] = []
    if initial is not None and math.isfinite(initial):
        recommendations.append(
            staircase_interval(
                history,
                initial,
                extend=extend,
                reduce=reduce,
                minimum_months=minimum_months,
                maximum_months=maximum_months,
            )
        )
    else:
        recommendations.append(
            IntervalRecommendation(
                "staircase",
                None,
                "no interval known (no due dates and no calibration_interval_months)",
                "ILAC G24:2007 / OIML D 10:2007 6.2 (method 1)",
            )
        )
    recommendations.append(
        drift_interval(
            register, instrument, minimum_months=minimum_months, maximum_months=maximum_months
        )
    )
    return IntervalReport(instrument, current, history, tuple(recommendations))
