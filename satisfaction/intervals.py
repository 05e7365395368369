"""Interval estimators for small-sample survey statistics.

Wilson score interval for a proportion, adjusted-Wald interval for the Net
Promoter Score, Student-t interval for a mean and the exact (Garwood) interval
for a Poisson count. All are two-sided with equal tail areas; the confidence
level defaults to 95 % and is configurable.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and
statistical inference. JASA 22, 209-212.
Brown, L. D., Cai, T. T., DasGupta, A. (2001). Interval estimation for a
binomial proportion. Statistical Science 16, 101-133 (why not Wald).
Rocks, B. (2016). Interval estimation for the "net promoter score". The
American Statistician 70(4), 365-372.
Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika
28, 437-442.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats

from uncertainty.errors import InvalidInputError

__all__ = [
    "check_confidence",
    "garwood_interval",
    "nps_adjusted_wald_interval",
    "t_interval",
    "two_sided_z",
    "wilson_interval",
]


def check_confidence(confidence: float) -> float:
    """Return ``confidence`` if it lies strictly between 0 and 1, else raise.

    >>> check_confidence(0.95)
    0.95
    """
    if not (isinstance(confidence, int | float) and 0.0 < float(confidence) < 1.0):
        raise InvalidInputError(
            f"confidence level must be strictly between 0 and 1 (e.g. 0.95), got {confidence!r}",
            field="confidence",
        )
    return float(confidence)


def two_sided_z(confidence: float) -> float:
    """Standard normal quantile z_{(1+p)/2} for a two-sided interval.

    >>> round(two_sided_z(0.95), 4)
    1.96
    """
    return float(stats.norm.ppf(0.5 + check_confidence(confidence) / 2.0))


def _check_count(name: str, value: int, *, upper: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(f"{name} must be a non-negative integer, got {value!r}", field=name)
    if upper is not None and value > upper:
        raise InvalidInputError(f"{name} must be <= {upper}, got {value}", field=name)


def wilson_interval(
    successes: int, n: int, *, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion.

    (p̂ + z²/2n ± z·sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n), with z the
    two-sided standard normal quantile. ``None`` when ``n == 0``.

    References
    ----------
    Wilson (1927), JASA 22, 209-212; Brown, Cai & DasGupta (2001), Statistical
    Science 16, 101-133, Eq. (4).

    >>> lo, hi = wilson_interval(18, 20)
    >>> round(lo, 3), round(hi, 3)
    (0.699, 0.972)
    """
    _check_count("n", n)
    _check_count("successes", successes, upper=n)
    if n == 0:
        return None
    z = two_sided_z(confidence)
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def nps_adjusted_wald_interval(
    promoters: int, passives: int, detractors: int, *, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Adjusted-Wald interval for the Net Promoter Score, in points (−100..100).

    Add 3/4 to the promoter and detractor counts and 3 to n; with the adjusted
    shares p̃ and d̃, NPS̃ = p̃ − d̃ and Var = (p̃ + d̃ − (p̃ − d̃)²)/ñ; the interval
    is NPS̃ ± z·sqrt(Var), clipped to [−1, 1] and expressed in points.
    ``None`` when there are no answers.

    The interval is centred on the *adjusted* score; the reported point estimate
    is the unadjusted NPS. For a single answer (n = 1) at 95 %, the unadjusted
    score (±100) lies outside the interval (e.g. one promoter: [−48.5, 98.5]).

    References
    ----------
    Rocks (2016), The American Statistician 70(4), 365-372, adjusted-Wald
    method; Sauro & Lewis, MeasuringU, "Confidence intervals for Net Promoter
    Scores" (2021).

    >>> lo, hi = nps_adjusted_wald_interval(12, 5, 3)
    >>> round(lo, 1), round(hi, 1)
    (8.4, 69.8)
    """
    for name, value in (
        ("promoters", promoters),
        ("passives", passives),
        ("detractors", detractors),
    ):
        _check_count(name, value)
    n = promoters + passives + detractors
    if n == 0:
        return None
    z = two_sided_z(confidence)
    n_adj = n + 3.0
    p_adj = (promoters + 0.75) / n_adj
    d_adj = (detractors + 0.75) / n_adj
    score = p_adj - d_adj
    variance = (p_adj + d_adj - score * score) / n_adj
    half = z * math.sqrt(max(variance, 0.0))
    return (max(-1.0, score - half) * 100.0, min(1.0, score + half) * 100.0)


def t_interval(
    values: Sequence[float],
    *,
    confidence: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float] | None:
    """Student-t interval for a mean: x̄ ± t_{(1+p)/2}(n−1)·s/√n.

    ``None`` when fewer than two values (no degrees of freedom). ``bounds``
    clips the interval to the measurement scale (a rating mean cannot leave
    [1, 5]).

    References
    ----------
    JCGM 100:2008 G.3 (t-distribution), two-sided quantile t_{(1+p)/2}(ν).

    >>> lo, hi = t_interval([4, 5, 3, 4, 5])
    >>> round(lo, 3), round(hi, 3)
    (3.161, 5.239)
    """
    confidence = check_confidence(confidence)
    n = len(values)
    if n < 2:
        return None
    mean = math.fsum(values) / n
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    t = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1))
    half = t * math.sqrt(variance / n)
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(bounds[0], low), min(bounds[1], high)
    return (low, high)


def garwood_interval(count: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for the mean of a Poisson count.

    Lower = χ²_{α/2}(2x)/2 (0 when x = 0), upper = χ²_{1−α/2}(2x+2)/2, with
    α = 1 − confidence.

    References
    ----------
    Garwood (1936), Biometrika 28, 437-442; Ulm, K. (1990), Am. J. Epidemiol.
    131, 373-375.

    >>> lo, hi = garwood_interval(25)
    >>> round(lo, 2), round(hi, 2)
    (16.18, 36.9)
    """
    confidence = check_confidence(confidence)
    _check_count("count", count)
    alpha = 1.0 - confidence
    low = 0.0 if count == 0 else float(stats.chi2.ppf(alpha / 2.0, 2 * count)) / 2.0
    high = float(stats.chi2.ppf(1.0 - alpha / 2.0, 2 * count + 2)) / 2.0
    return (low, high)
