"""Control charts and capability indices for check-standard monitoring.

Shewhart charts for check-standard measurements (ISO/IEC 17025:2017 6.4.10, 7.7.1;
IECQ 03-2 process monitoring and capability analysis): individuals / moving range
and X-bar / R, with limits computed from a baseline (phase I) and then frozen for
monitoring (phase II), the four Western Electric run rules, and the capability
indices Cp, Cpk, Pp, Ppk with confidence intervals.

Rule set implemented: the Western Electric Handbook (1956) zone rules, as given in
Montgomery, *Introduction to Statistical Quality Control*, 6th ed. (2009), 5.3.6:

* WE1: one point beyond 3 sigma;
* WE2: two of three consecutive points beyond 2 sigma on the same side;
* WE3: four of five consecutive points beyond 1 sigma on the same side;
* WE4: eight consecutive points on the same side of the centre line.

ISO 7870-2:2023 (Annex on tests for special causes) and Nelson (1984) use nine
points for the run test; pass ``run_length=9`` for that variant.

References
----------
ISO 7870-2:2023 Control charts - Part 2: Shewhart control charts.
Montgomery, D. C. (2009) Introduction to Statistical Quality Control, 6th ed.,
Wiley: 5.3.6 (run rules), 6.2 (X-bar/R), 6.4 (individuals), 8.3 (capability),
Appendix VI (factors for control charts).
NIST/SEMATECH e-Handbook of Statistical Methods, 6.3.2 and 6.1.6.
Bissell, A. F. (1990) How reliable is your capability index? Applied Statistics
39(3), 331-340.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import stats

from uncertainty.errors import InvalidInputError

__all__ = [
    "CONTROL_CHART_FACTORS",
    "CapabilityResult",
    "ChartFactors",
    "IndexEstimate",
    "IndividualsChart",
    "Signal",
    "XbarRChart",
    "XbarRLimits",
    "capability",
    "cp_interval",
    "cpk_interval",
    "individuals_chart",
    "western_electric_signals",
    "xbar_r_chart",
    "xbar_r_limits",
]


@dataclass(frozen=True)
class ChartFactors:
    """Factors for Shewhart charts for subgroup size ``n``."""

    n: int
    d2: float
    d3: float
    A2: float
    D3: float
    D4: float


# Montgomery (2009) Appendix VI "Factors for constructing variables control charts";
# the same values are tabulated in ASTM E2587-16 Table 3 and ISO 7870-2:2023 Table 2.
# Columns: n, d2, d3, A2, D3, D4 (published to 3 decimals).
_TABLE: tuple[tuple[int, float, float, float, float, float], ...] = (
    (2, 1.128, 0.853, 1.880, 0.0, 3.267),
    (3, 1.693, 0.888, 1.023, 0.0, 2.574),
    (4, 2.059, 0.880, 0.729, 0.0, 2.282),
    (5, 2.326, 0.864, 0.577, 0.0, 2.114),
    (6, 2.534, 0.848, 0.483, 0.0, 2.004),
    (7, 2.704, 0.833, 0.419, 0.076, 1.924),
    (8, 2.847, 0.820, 0.373, 0.136, 1.864),
    (9, 2.970, 0.808, 0.337, 0.184, 1.816),
    (10, 3.078, 0.797, 0.308, 0.223, 1.777),
    (11, 3.173, 0.787, 0.285, 0.256, 1.744),
    (12, 3.258, 0.778, 0.266, 0.283, 1.717),
    (13, 3.336, 0.770, 0.249, 0.307, 1.693),
    (14, 3.407, 0.763, 0.235, 0.328, 1.672),
    (15, 3.472, 0.756, 0.223, 0.347, 1.653),
    (16, 3.532, 0.750, 0.212, 0.363, 1.637),
    (17, 3.588, 0.744, 0.203, 0.378, 1.622),
    (18, 3.640, 0.739, 0.194, 0.391, 1.608),
    (19, 3.689, 0.734, 0.187, 0.403, 1.597),
    (20, 3.735, 0.729, 0.180, 0.415, 1.585),
    (21, 3.778, 0.724, 0.173, 0.425, 1.575),
    (22, 3.819, 0.720, 0.167, 0.434, 1.566),
    (23, 3.858, 0.716, 0.162, 0.443, 1.557),
    (24, 3.895, 0.712, 0.157, 0.451, 1.548),
    (25, 3.931, 0.708, 0.153, 0.459, 1.541),
)

CONTROL_CHART_FACTORS: dict[int, ChartFactors] = {row[0]: ChartFactors(*row) for row in _TABLE}
"""Subgroup size -> factors (Montgomery 2009 Appendix VI; ASTM E2587-16 Table 3)."""


def _factors(n: int) -> ChartFactors:
    if n not in CONTROL_CHART_FACTORS:
        raise InvalidInputError(f"subgroup size must be 2 to 25, got {n}", field="subgroup_size")
    return CONTROL_CHART_FACTORS[n]


@dataclass(frozen=True)
class Signal:
    """One firing of a run rule: ``indices`` are the points (0-based) involved."""

    rule: Literal["WE1", "WE2", "WE3", "WE4"]
    description: str
    indices: tuple[int, ...]
    side: Literal["above", "below"]

    @property
    def last(self) -> int:
        """The index of the point at which the rule fired."""
        return self.indices[-1]


_RULES: tuple[tuple[Literal["WE1", "WE2", "WE3"], float, int, int, str], ...] = (
    ("WE1", 3.0, 1, 1, "one point beyond 3 sigma"),
    ("WE2", 2.0, 2, 3, "two of three consecutive points beyond 2 sigma on one side"),
    ("WE3", 1.0, 4, 5, "four of five consecutive points beyond 1 sigma on one side"),
)


def western_electric_signals(
    values: Sequence[float], centre: float, sigma: float, *, run_length: int = 8
) -> list[Signal]:
    """Western Electric run-rule signals of a series plotted against fixed limits.

    Parameters
    ----------
    values:
        The plotted statistic (individual values or subgroup means).
    centre, sigma:
        Centre line and the standard deviation of the plotted statistic
        (limits at ``centre ± 3 sigma``).
    run_length:
        Points in a row on one side for WE4 (8 per Western Electric; 9 per
        Nelson 1984 and ISO 7870-2:2023).

    Returns
    -------
    list[Signal]
        One signal per point at which a rule fires, the window's qualifying
        points as ``indices``; sorted by that point, then rule.

    References
    ----------
    Montgomery (2009) 5.3.6; Western Electric Statistical Quality Control
    Handbook (1956).

    Examples
    --------
    >>> [s.rule for s in western_electric_signals([0, 0, 3.5], 0.0, 1.0)]
    ['WE1']
    """
    if not (sigma > 0 and math.isfinite(sigma)):
        raise InvalidInputError(f"sigma must be > 0, got {sigma}", field="sigma")
    if run_length < 2:
        raise InvalidInputError(f"run_length must be >= 2, got {run_length}", field="run_length")
    z = (np.asarray(values, dtype=float) - centre) / sigma
    signals: list[Signal] = []
    for i in range(len(z)):
        for rule, zone, needed, window, text in _RULES:
            start = max(0, i - window + 1)  # near the start, fewer points may suffice
            for side, sign in (("above", 1.0), ("below", -1.0)):
                if sign * z[i] <= zone:
                    continue  # the rule fires at the point that completes it
                hits = tuple(j for j in range(start, i + 1) if sign * z[j] > zone)
                if len(hits) >= needed:
                    signals.append(Signal(rule, text, hits, side))  # type: ignore[arg-type]
        start = i - run_length + 1
        if start >= 0:
            window_z = z[start : i + 1]
            for side, sign in (("above", 1.0), ("below", -1.0)):
                if bool(np.all(sign * window_z > 0)):
                    signals.append(
                        Signal(
                            "WE4",
                            f"{run_length} consecutive points on one side of the centre line",
                            tuple(range(start, i + 1)),
                            side,  # type: ignore[arg-type]
                        )
                    )
    return signals


def _baseline(count: int, baseline: int | None, minimum: int, what: str) -> int:
    size = count if baseline is None else baseline
    if size < minimum or size > count:
        raise InvalidInputError(
            f"baseline must hold {minimum} to {count} {what}, got {size}", field="baseline"
        )
    return size


@dataclass(frozen=True)
class IndividualsChart:
    """Individuals / moving-range chart with limits frozen from a baseline."""

    values: tuple[float, ...]
    moving_ranges: tuple[float, ...]
    baseline: int
    centre: float
    sigma: float
    ucl: float
    lcl: float
    mr_centre: float
    mr_ucl: float
    mr_lcl: float
    signals: tuple[Signal, ...]
    mr_beyond_limit: tuple[int, ...] = field(default=())

    @property
    def in_control(self) -> bool:
        """True when no rule fired and no moving range is beyond its limit."""
        return not self.signals and not self.mr_beyond_limit


def individuals_chart(
    values: Sequence[float], *, baseline: int | None = None, run_length: int = 8
) -> IndividualsChart:
    """Individuals and moving-range (span 2) chart.

    Centre ``x̄`` and ``σ̂ = MR̄ / d2`` (d2 = 1.128) from the first ``baseline``
    values (all when None); limits ``x̄ ± 3 σ̂``; moving-range chart ``D4·MR̄``
    and ``D3·MR̄`` (3.267 and 0). ``mr_beyond_limit`` gives, for each moving
    range above its UCL, the index of the later of its two points.

    References
    ----------
    Montgomery (2009) 6.4; NIST/SEMATECH e-Handbook 6.3.2.2; ISO 7870-2:2023.

    Examples
    --------
    >>> c = individuals_chart([49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1])
    >>> round(c.ucl, 4), round(c.lcl, 4)
    (55.8041, 45.8159)
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise InvalidInputError("values must be a list of finite numbers", field="values")
    size = _baseline(len(x), baseline, 2, "values")
    mr = np.abs(np.diff(x))
    f = _factors(2)
    centre = float(np.mean(x[:size]))
    mr_bar = float(np.mean(mr[: size - 1]))
    if mr_bar <= 0:
        raise InvalidInputError(
            "the baseline values are all equal (mean moving range 0): no limits can be set",
            field="values",
        )
    sigma = mr_bar / f.d2
    mr_ucl = f.D4 * mr_bar
    beyond = tuple(int(i) + 1 for i in np.nonzero(mr > mr_ucl)[0])
    return IndividualsChart(
        values=tuple(float(v) for v in x),
        moving_ranges=tuple(float(v) for v in mr),
        baseline=size,
        centre=centre,
        sigma=sigma,
        ucl=centre + 3 * sigma,
        lcl=centre - 3 * sigma,
        mr_centre=mr_bar,
        mr_ucl=mr_ucl,
        mr_lcl=f.D3 * mr_bar,
        signals=tuple(western_electric_signals(x.tolist(), centre, sigma, run_length=run_length)),
        mr_beyond_limit=beyond,
    )


@dataclass(frozen=True)
class XbarRLimits:
    """Limits of an X-bar / R chart."""

    subgroup_size: int
    grand_mean: float
    mean_range: float
    sigma: float
    xbar_ucl: float
    xbar_lcl: float
    r_ucl: float
    r_lcl: float


def xbar_r_limits(grand_mean: float, mean_range: float, subgroup_size: int) -> XbarRLimits:
    """X-bar and R chart limits from the grand mean and the mean range.

    ``x̿ ± A2·R̄``, ``D3·R̄``, ``D4·R̄``; ``σ̂ = R̄ / d2``.

    References
    ----------
    Montgomery (2009) 6.2.1, Eqs. (6.4)-(6.5); ISO 7870-2:2023 Table 3.

    Examples
    --------
    >>> lim = xbar_r_limits(74.001, 0.023, 5)  # Montgomery Example 6.1
    >>> round(lim.xbar_ucl, 3), round(lim.xbar_lcl, 3), round(lim.r_ucl, 3)
    (74.014, 73.988, 0.049)
    """
    if not (mean_range > 0 and math.isfinite(mean_range)):
        raise InvalidInputError(f"mean_range must be > 0, got {mean_range}", field="mean_range")
    f = _factors(subgroup_size)
    return XbarRLimits(
        subgroup_size=subgroup_size,
        grand_mean=grand_mean,
        mean_range=mean_range,
        sigma=mean_range / f.d2,
        xbar_ucl=grand_mean + f.A2 * mean_range,
        xbar_lcl=grand_mean - f.A2 * mean_range,
        r_ucl=f.D4 * mean_range,
        r_lcl=f.D3 * mean_range,
    )


@dataclass(frozen=True)
class XbarRChart:
    """X-bar / R chart with limits frozen from a baseline of subgroups."""

    means: tuple[float, ...]
    ranges: tuple[float, ...]
    baseline: int
    limits: XbarRLimits
    signals: tuple[Signal, ...]
    range_beyond_limit: tuple[int, ...]

    @property
    def in_control(self) -> bool:
        """True when no rule fired on the means and no range is beyond its limits."""
        return not self.signals and not self.range_beyond_limit


def xbar_r_chart(
    subgroups: Sequence[Sequence[float]], *, baseline: int | None = None, run_length: int = 8
) -> XbarRChart:
    """X-bar / R chart of equal-size subgroups (2 to 25 values each).

    Limits from the first ``baseline`` subgroups (all when None), see
    :func:`xbar_r_limits`; Western Electric rules on the means with
    ``sigma_xbar = R̄ / (d2 √n)``.

    References
    ----------
    Montgomery (2009) 6.2; ISO 7870-2:2023.
    """
    sizes = {len(s) for s in subgroups}
    if len(sizes) != 1:
        raise InvalidInputError(
            f"all subgroups must have the same size, got sizes {sorted(sizes)}",
            field="subgroups",
        )
    data = np.asarray(subgroups, dtype=float)
    if not np.all(np.isfinite(data)):
        raise InvalidInputError("subgroups must hold finite numbers", field="subgroups")
    n = data.shape[1]
    size = _baseline(data.shape[0], baseline, 2, "subgroups")
    means = data.mean(axis=1)
    ranges = data.max(axis=1) - data.min(axis=1)
    limits = xbar_r_limits(float(means[:size].mean()), float(ranges[:size].mean()), n)
    sigma_xbar = limits.sigma / math.sqrt(n)
    out = tuple(int(i) for i in np.nonzero((ranges > limits.r_ucl) | (ranges < limits.r_lcl))[0])
    return XbarRChart(
        means=tuple(float(v) for v in means),
        ranges=tuple(float(v) for v in ranges),
        baseline=size,
        limits=limits,
        signals=tuple(
            western_electric_signals(
                means.tolist(), limits.grand_mean, sigma_xbar, run_length=run_length
            )
        ),
        range_beyond_limit=out,
    )


@dataclass(frozen=True)
class IndexEstimate:
    """A capability index with its two-sided confidence interval."""

    value: float
    lower: float
    upper: float
    confidence: float


def _check_n_conf(n: int, confidence: float) -> None:
    if n < 2:
        raise InvalidInputError(f"n must be >= 2, got {n}", field="n")
    if not 0 < confidence < 1:
        raise InvalidInputError(
            f"confidence must be between 0 and 1, got {confidence}", field="confidence"
        )


def cp_interval(cp: float, n: int, confidence: float = 0.95) -> IndexEstimate:
    """Chi-square confidence interval of Cp (or Pp) estimated from ``n`` values.

    ``Ĉp·sqrt(χ²_{α/2,n-1}/(n-1)) ≤ Cp ≤ Ĉp·sqrt(χ²_{1-α/2,n-1}/(n-1))``; exact
    when σ̂ is the sample standard deviation of normal data.

    References
    ----------
    Montgomery (2009) 8.3.5, Eq. (8.19) and Example 8.5; NIST/SEMATECH
    e-Handbook 6.1.6; Chou, Owen and Borrego (1990) J. Qual. Technol. 22, 224.

    Examples
    --------
    >>> e = cp_interval(2.29, 20)  # Montgomery Example 8.5 (Ĉp = 24/(6·1.75) = 2.29)
    >>> round(e.lower, 2), round(e.upper, 2)
    (1.57, 3.01)
    """
    _check_n_conf(n, confidence)
    alpha = 1 - confidence
    dof = n - 1
    low = cp * math.sqrt(float(stats.chi2.ppf(alpha / 2, dof)) / dof)
    high = cp * math.sqrt(float(stats.chi2.ppf(1 - alpha / 2, dof)) / dof)
    return IndexEstimate(cp, low, high, confidence)


def cpk_interval(cpk: float, n: int, confidence: float = 0.95) -> IndexEstimate:
    """Bissell's normal approximation to the confidence interval of Cpk (or Ppk).

    ``Ĉpk ± z_{1-α/2}·sqrt(1/(9n) + Ĉpk²/(2(n-1)))``.

    References
    ----------
    Bissell (1990) Applied Statistics 39(3), 331-340; Montgomery (2009) 8.3.5,
    Eq. (8.20) and Example 8.6; NIST/SEMATECH e-Handbook 6.1.6.

    Examples
    --------
    >>> e = cpk_interval(1.33, 20)  # Montgomery Example 8.6
    >>> round(e.lower, 2), round(e.upper, 2)
    (0.88, 1.78)
    """
    _check_n_conf(n, confidence)
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    half = z * math.sqrt(1 / (9 * n) + cpk**2 / (2 * (n - 1)))
    return IndexEstimate(cpk, cpk - half, cpk + half, confidence)


@dataclass(frozen=True)
class CapabilityResult:
    """Capability indices of a process; ``None`` where the index is undefined."""

    n: int
    mean: float
    sigma_within: float
    sigma_overall: float
    lsl: float | None
    usl: float | None
    cp: IndexEstimate | None
    cpk: IndexEstimate
    pp: IndexEstimate | None
    ppk: IndexEstimate


def _k_index(mean: float, sigma: float, lsl: float | None, usl: float | None) -> float:
    sides = []
    if usl is not None:
        sides.append((usl - mean) / (3 * sigma))
    if lsl is not None:
        sides.append((mean - lsl) / (3 * sigma))
    return min(sides)


def capability(
    values: Sequence[float],
    *,
    lsl: float | None = None,
    usl: float | None = None,
    sigma_within: float | None = None,
    confidence: float = 0.95,
) -> CapabilityResult:
    """Cp, Cpk (within σ) and Pp, Ppk (overall σ) with confidence intervals.

    ``Cp = (USL − LSL)/(6σ)``, ``Cpk = min(USL − μ, μ − LSL)/(3σ)``; Pp and Ppk
    the same with the overall sample standard deviation s. ``sigma_within``
    defaults to ``MR̄/d2`` of the values in order (individuals data). Cp and Pp
    need both limits; with one limit Cpk is CPU or CPL. Intervals: chi-square
    for Cp and Pp (:func:`cp_interval`), Bissell for Cpk and Ppk
    (:func:`cpk_interval`), each with ν = n − 1 (for Cp from MR̄/d2 an
    approximation).

    References
    ----------
    Montgomery (2009) 8.3; NIST/SEMATECH e-Handbook 6.1.6; ISO 22514-2:2017.

    Examples
    --------
    >>> r = capability([15.0, 17.0, 14.0, 18.0], lsl=8, usl=20, sigma_within=2.0)
    >>> round(r.cp.value, 4), round(r.cpk.value, 4)  # NIST 6.1.6: 1.0 and 0.6667
    (1.0, 0.6667)
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) < 2 or not np.all(np.isfinite(x)):
        raise InvalidInputError("values must hold at least 2 finite numbers", field="values")
    if lsl is None and usl is None:
        raise InvalidInputError("give lsl, usl or both", field="lsl")
    if lsl is not None and usl is not None and not lsl < usl:
        raise InvalidInputError(f"lsl must be < usl, got {lsl} and {usl}", field="lsl")
    n = len(x)
    mean = float(np.mean(x))
    overall = float(np.std(x, ddof=1))
    if sigma_within is None:
        sigma_within = float(np.mean(np.abs(np.diff(x)))) / CONTROL_CHART_FACTORS[2].d2
    if not (sigma_within > 0 and overall > 0):
        raise InvalidInputError(
            "the values do not vary (standard deviation 0): capability is undefined",
            field="values",
        )
    cp = pp = None
    if lsl is not None and usl is not None:
        cp = cp_interval((usl - lsl) / (6 * sigma_within), n, confidence)
        pp = cp_interval((usl - lsl) / (6 * overall), n, confidence)
    return CapabilityResult(
        n=n,
        mean=mean,
        sigma_within=sigma_within,
        sigma_overall=overall,
        lsl=lsl,
        usl=usl,
        cp=cp,
        cpk=cpk_interval(_k_index(mean, sigma_within, lsl, usl), n, confidence),
        pp=pp,
        ppk=cpk_interval(_k_index(mean, overall, lsl, usl), n, confidence),
    )
