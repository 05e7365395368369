"""Customer-satisfaction and service metrics, each with its n and an interval.

Pure functions on plain values (ratings, dates, counts). Every result carries
the number of observations it rests on and the confidence level used.

References
----------
ISO 10004:2018 (customer satisfaction: monitoring and measuring), clause 8
(analysis of customer satisfaction information); ISO/IEC 17025:2017 8.6.2
(feedback from customers); Reichheld, F. F. (2003), "The one number you need
to grow", Harvard Business Review 81(12) (NPS definition).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from satisfaction.intervals import (
    check_confidence,
    garwood_interval,
    nps_adjusted_wald_interval,
    t_interval,
    wilson_interval,
)
from uncertainty.errors import InvalidInputError

__all__ = [
    "RATING_SCALE",
    "RECOMMEND_SCALE",
    "ComplaintRate",
    "DimensionSummary",
    "NetPromoterScore",
    "ProportionEstimate",
    "Turnaround",
    "complaint_rate",
    "csat",
    "dimension_summary",
    "dissatisfied_count",
    "net_promoter_score",
    "on_time_delivery",
    "proportion",
    "response_rate",
    "turnaround_days",
]

RATING_SCALE = (1, 5)
"""Rating questions: 1 (very dissatisfied) .. 5 (very satisfied); None = not applicable."""
RECOMMEND_SCALE = (0, 10)
"""Likelihood to recommend: 0 .. 10 (Reichheld 2003)."""
SATISFIED_FROM = 4
"""CSAT counts `overall` >= 4 (top-2-box on a 5-point scale)."""
DISSATISFIED_UP_TO = 2
"""The p-chart counts `overall` <= 2 as dissatisfied."""


@dataclass(frozen=True)
class ProportionEstimate:
    """A share with its Wilson interval: ``successes`` of ``n``."""

    value: float | None
    ci: tuple[float, float] | None
    n: int
    successes: int
    confidence: float


@dataclass(frozen=True)
class NetPromoterScore:
    """NPS in points (−100..100) with its adjusted-Wald interval."""

    value: float | None
    ci: tuple[float, float] | None
    n: int
    promoters: int
    passives: int
    detractors: int
    confidence: float


@dataclass(frozen=True)
class DimensionSummary:
    """Mean rating with its t interval, and the top-2-box share (ratings 4-5)."""

    mean: float | None
    ci: tuple[float, float] | None
    n: int
    top2_share: float | None
    top2_ci: tuple[float, float] | None
    not_applicable: int
    confidence: float


@dataclass(frozen=True)
class Turnaround:
    """Median and 90th percentile of calendar days from receipt to delivery."""

    median: float | None
    p90: float | None
    n: int
    quantile_method: str = "Hyndman-Fan type 7 (linear interpolation; numpy default)"


@dataclass(frozen=True)
class ComplaintRate:
    """Complaints per 100 jobs with the exact (Garwood) Poisson interval."""

    value: float | None
    ci: tuple[float, float] | None
    complaints: int
    jobs: int
    confidence: float


def _check_scale(name: str, values: Sequence[int | None], scale: tuple[int, int]) -> list[int]:
    answered: list[int] = []
    for i, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInputError(
                f"{name}[{i}] must be an integer {scale[0]}-{scale[1]} or None, got {value!r}",
                field=f"{name}[{i}]",
            )
        if not scale[0] <= value <= scale[1]:
            raise InvalidInputError(
                f"{name}[{i}] must be {scale[0]}-{scale[1]}, got {value}", field=f"{name}[{i}]"
            )
        answered.append(value)
    return answered


def proportion(successes: int, n: int, *, confidence: float = 0.95) -> ProportionEstimate:
    """Share ``successes / n`` with its Wilson score interval.

    References
    ----------
    Wilson (1927); Brown, Cai & DasGupta (2001), Statistical Science 16, 101.

    >>> p = proportion(18, 20)
    >>> p.value, p.n
    (0.9, 20)
    """
    confidence = check_confidence(confidence)
    ci = wilson_interval(successes, n, confidence=confidence)
    value = successes / n if n else None
    return ProportionEstimate(value, ci, n, successes, confidence)


def csat(overall: Sequence[int | None], *, confidence: float = 0.95) -> ProportionEstimate:
    """CSAT: share of answered ``overall`` ratings >= 4, Wilson interval.

    ``None`` ratings (not applicable) are left out of n.

    References
    ----------
    ISO 10004:2018 clause 8; Wilson (1927).

    >>> c = csat([5, 4, 3, None])
    >>> c.successes, c.n
    (2, 3)
    """
    answered = _check_scale("overall", overall, RATING_SCALE)
    satisfied = sum(1 for v in answered if v >= SATISFIED_FROM)
    return proportion(satisfied, len(answered), confidence=confidence)


def dissatisfied_count(overall: Sequence[int | None]) -> tuple[int, int]:
    """(dissatisfied, answered): ``overall`` <= 2 counts as dissatisfied.

    >>> dissatisfied_count([1, 2, 3, None, 5])
    (2, 4)
    """
    answered = _check_scale("overall", overall, RATING_SCALE)
    return sum(1 for v in answered if v <= DISSATISFIED_UP_TO), len(answered)


def net_promoter_score(
    recommend: Sequence[int | None], *, confidence: float = 0.95
) -> NetPromoterScore:
    """NPS = %promoters (9-10) − %detractors (0-6), in points, adjusted-Wald interval.

    References
    ----------
    Reichheld (2003); Rocks (2016), The American Statistician 70(4), 365-372.

    >>> r = net_promoter_score([10] * 12 + [8] * 5 + [3] * 3)
    >>> r.value, r.n
    (45.0, 20)
    """
    confidence = check_confidence(confidence)
    answered = _check_scale("recommend", recommend, RECOMMEND_SCALE)
    promoters = sum(1 for v in answered if v >= 9)
    detractors = sum(1 for v in answered if v <= 6)
    passives = len(answered) - promoters - detractors
    n = len(answered)
    value = 100.0 * (promoters - detractors) / n if n else None
    ci = nps_adjusted_wald_interval(promoters, passives, detractors, confidence=confidence)
    return NetPromoterScore(value, ci, n, promoters, passives, detractors, confidence)


def dimension_summary(
    ratings: Sequence[int | None], *, confidence: float = 0.95, name: str = "ratings"
) -> DimensionSummary:
    """Mean rating with its Student-t interval (clipped to 1-5) and top-2-box share.

    References
    ----------
    JCGM 100:2008 G.3 (t quantiles); ISO 10004:2018 clause 8 (top-box shares).

    >>> d = dimension_summary([5, 4, 3, 4, 5, None])
    >>> d.mean, d.n, d.top2_share, d.not_applicable
    (4.2, 5, 0.8, 1)
    """
    confidence = check_confidence(confidence)
    answered = _check_scale(name, ratings, RATING_SCALE)
    n = len(answered)
    mean = math.fsum(answered) / n if n else None
    ci = t_interval(answered, confidence=confidence, bounds=(1.0, 5.0))
    top2 = proportion(sum(1 for v in answered if v >= 4), n, confidence=confidence)
    return DimensionSummary(mean, ci, n, top2.value, top2.ci, len(ratings) - n, confidence)


def response_rate(
    responded: int, delivered: int, *, confidence: float = 0.95
) -> ProportionEstimate:
    """Share of delivered jobs that produced a response, Wilson interval.

    >>> response_rate(9, 30).value
    0.3
    """
    return proportion(responded, delivered, confidence=confidence)


def on_time_delivery(
    due_on: Sequence[date], delivered_on: Sequence[date], *, confidence: float = 0.95
) -> ProportionEstimate:
    """Share of delivered jobs with ``delivered_on <= due_on``, Wilson interval.

    >>> on_time_delivery([date(2026, 1, 10)], [date(2026, 1, 10)]).value
    1.0
    """
    if len(due_on) != len(delivered_on):
        raise InvalidInputError(
            f"due_on has {len(due_on)} dates but delivered_on has {len(delivered_on)}",
            field="delivered_on",
        )
    on_time = sum(1 for due, done in zip(due_on, delivered_on, strict=True) if done <= due)
    return proportion(on_time, len(due_on), confidence=confidence)


def turnaround_days(received_on: Sequence[date], delivered_on: Sequence[date]) -> Turnaround:
    """Median and 90th percentile of calendar days ``delivered_on − received_on``.

    Quantiles by Hyndman & Fan (1996) definition 7 (linear interpolation between
    order statistics, Q(p) = x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋)), h = (n−1)p + 1),
    the default of numpy, R and Excel PERCENTILE.INC.

    References
    ----------
    Hyndman, R. J., Fan, Y. (1996). Sample quantiles in statistical packages.
    The American Statistician 50(4), 361-365.

    >>> t = turnaround_days([date(2026, 1, 1)] * 4, [date(2026, 1, d) for d in (3, 5, 6, 21)])
    >>> t.median, t.p90, t.n
    (4.5, 15.5, 4)
    """
    if len(received_on) != len(delivered_on):
        raise InvalidInputError(
            f"received_on has {len(received_on)} dates but delivered_on has {len(delivered_on)}",
            field="delivered_on",
        )
    days = [(done - got).days for got, done in zip(received_on, delivered_on, strict=True)]
    for i, d in enumerate(days):
        if d < 0:
            raise InvalidInputError(
                f"delivered_on[{i}] is {-d} days before received_on; delivery cannot precede receipt",
                field=f"delivered_on[{i}]",
            )
    if not days:
        return Turnaround(None, None, 0)
    array = np.asarray(days, dtype=float)
    median = round(float(np.quantile(array, 0.5, method="linear")), 6)
    p90 = round(float(np.quantile(array, 0.9, method="linear")), 6)  # drop float noise
    return Turnaround(median, p90, len(days))


def complaint_rate(complaints: int, jobs: int, *, confidence: float = 0.95) -> ComplaintRate:
    """Complaints per 100 jobs with the exact (Garwood) Poisson interval.

    The count is treated as Poisson with mean λ·jobs; the interval for the
    count is scaled by 100/jobs.

    References
    ----------
    Garwood (1936), Biometrika 28, 437-442; Montgomery (2019), Introduction to
    Statistical Quality Control, 8th ed., §7.3 (nonconformities per unit).

    >>> r = complaint_rate(2, 40)
    >>> r.value
    5.0
    """
    confidence = check_confidence(confidence)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
        raise InvalidInputError(f"jobs must be a non-negative integer, got {jobs!r}", field="jobs")
    low, high = garwood_interval(complaints, confidence=confidence)
    if jobs == 0:
        return ComplaintRate(None, None, complaints, 0, confidence)
    scale = 100.0 / jobs
    return ComplaintRate(
        complaints * scale, (low * scale, high * scale), complaints, jobs, confidence
    )
