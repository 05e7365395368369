"""Robust location and scale: ISO 13528:2022 Annex C (median, MADe, nIQR, Algorithm A).

All functions take plain sequences or numpy arrays and return floats or frozen
dataclasses; they do no I/O and raise :class:`InvalidInputError` on bad input.

Algorithm A stopping rule (documented, PITFALLS.md): the standard (C.3.1) stops
when the third significant figures of x* and s* no longer change "from one
iteration to the next". That rule stops before convergence and depends on the
unit and on the origin of the data, so the default here (``stopping="converged"``)
iterates until both |Δx*| and |Δs*| fall below ``tol``·s* (relative, hence
unit- and origin-free), at most ``max_iter`` updates. ``stopping="iso2022"``
reproduces the standard's rule (the starting values are not an iteration, so it
stops at the earliest after the second update).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from uncertainty.errors import InvalidInputError

__all__ = [
    "ALGORITHM_A_FACTOR",
    "MADE_FACTOR",
    "MIN_ROBUST_RESULTS",
    "NIQR_FACTOR",
    "RobustEstimate",
    "StoppingRule",
    "algorithm_a",
    "made",
    "median_estimate",
    "niqr",
    "robust_standard_uncertainty",
]

MADE_FACTOR = 1.483
"""ISO 13528:2022 C.2.2: MADe = 1.483 median|x_i - median(x)|."""
NIQR_FACTOR = 0.7413
"""ISO 13528:2022 C.2.3: nIQR = 0.7413 (Q3 - Q1)."""
ALGORITHM_A_FACTOR = 1.134
"""ISO 13528:2022 C.3.1, Formula (C.10): printed 1.134 (1.1339 exact for c = 1.5)."""
ALGORITHM_A_CUTOFF = 1.5
"""ISO 13528:2022 C.3.1, Formula (C.7): delta = 1.5 s*."""
MIN_ROBUST_RESULTS = 3
"""Fewest results accepted for a robust estimate (Algorithm A divides by p - 1 and a
scale from two values is meaningless)."""

StoppingRule = Literal["converged", "iso2022"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RobustEstimate:
    """Robust location and scale of one set of results.

    Attributes
    ----------
    mean:
        Robust mean (x* for Algorithm A, the median for ``median``).
    sd:
        Robust standard deviation (s*, nIQR or MADe).
    iterations:
        Number of Algorithm A updates, ``None`` for the median.
    count:
        Number of results p.
    estimator:
        ``"algorithm_a"``, ``"median_niqr"`` or ``"median_made"``.
    stopping_rule:
        The Algorithm A stopping rule used, ``None`` for the median.
    converged:
        Whether the stopping rule was met before ``max_iter``.
    """

    mean: float
    sd: float
    iterations: int | None
    count: int
    estimator: str
    stopping_rule: str | None = None
    converged: bool = True

    @property
    def standard_uncertainty(self) -> float:
        """u(x_pt) = 1.25 sd / sqrt(p) (ISO 13528:2022 7.7.3, Formula (7))."""
        return robust_standard_uncertainty(self.sd, self.count)


def _as_values(values: Sequence[float] | FloatArray, field: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise InvalidInputError(f"expected a list of numbers, got shape {array.shape}", field=field)
    if not np.all(np.isfinite(array)):
        bad = array[~np.isfinite(array)][0]
        raise InvalidInputError(f"every value must be a finite number, got {bad}", field=field)
    return array


def _require_count(array: FloatArray, field: str) -> None:
    if array.size < MIN_ROBUST_RESULTS:
        raise InvalidInputError(
            f"a robust estimate needs at least {MIN_ROBUST_RESULTS} results, got {array.size}",
            field=field,
        )


def made(values: Sequence[float] | FloatArray) -> float:
    """Scaled median absolute deviation.

    MADe = 1.483 · median(|x_i − median(x)|).

    References
    ----------
    ISO 13528:2022 C.2.2.

    Examples
    --------
    >>> round(made([1.0, 2.0, 3.0, 4.0, 100.0]), 3)
    1.483
    """
    array = _as_values(values, "values")
    return float(MADE_FACTOR * np.median(np.abs(array - np.median(array))))


def niqr(values: Sequence[float] | FloatArray) -> float:
    """Normalised interquartile range with linearly interpolated quartiles.

    nIQR = 0.7413 (Q3 − Q1); quartiles by linear interpolation (numpy's default,
    R type 7), which reproduces the value printed in ISO 13528:2022 Table E.5.

    References
    ----------
    ISO 13528:2022 C.2.3.

    Examples
    --------
    >>> round(niqr([1.0, 2.0, 3.0, 4.0, 5.0]), 4)
    1.4826
    """
    array = _as_values(values, "values")
    q1, q3 = np.quantile(array, [0.25, 0.75])
    return float(NIQR_FACTOR * (q3 - q1))


def robust_standard_uncertainty(sd: float, count: int) -> float:
    """Standard uncertainty of a robust assigned value, u(x_pt) = 1.25 s*/sqrt(p).

    References
    ----------
    ISO 13528:2022 7.7.3, Formula (7).

    Examples
    --------
    >>> robust_standard_uncertainty(2.0, 25)
    0.5
    """
    if count < 1:
        raise InvalidInputError(f"count must be >= 1, got {count}", field="count")
    return 1.25 * sd / math.sqrt(count)


def median_estimate(
    values: Sequence[float] | FloatArray, *, scale: Literal["niqr", "made"] = "niqr"
) -> RobustEstimate:
    """Median with nIQR (default) or MADe as robust standard deviation.

    References
    ----------
    ISO 13528:2022 C.2.1 to C.2.3; Table E.5 (u(x_pt) from nIQR).
    """
    array = _as_values(values, "results.value")
    _require_count(array, "results")
    if scale not in ("niqr", "made"):
        raise InvalidInputError(f"scale must be 'niqr' or 'made', got {scale!r}", field="scale")
    sd = niqr(array) if scale == "niqr" else made(array)
    return RobustEstimate(
        mean=float(np.median(array)),
        sd=sd,
        iterations=None,
        count=int(array.size),
        estimator=f"median_{scale}",
    )


def _sig3(value: float) -> float:
    if value == 0.0 or not math.isfinite(value):
        return value
    return round(value, 2 - math.floor(math.log10(abs(value))))


def algorithm_a(
    values: Sequence[float] | FloatArray,
    *,
    stopping: StoppingRule = "converged",
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> RobustEstimate:
    """Robust mean x* and standard deviation s* by ISO 13528 Algorithm A.

    Start: x* = median, s* = 1.483 MAD (Formulae C.3, C.4); if MAD = 0 the
    sample standard deviation is used (C.3.1 NOTE 2). Each update winsorises at
    x* ± 1.5 s* (C.7, C.8) and sets x* = mean, s* = 1.134 · SD of the winsorised
    values (C.9, C.10). See the module docstring for the stopping rules.

    The iteration runs on (x − median)/max|x − median| so that neither the result
    nor the degeneracy test depends on the unit or the level of the data.

    Raises
    ------
    InvalidInputError
        Fewer than 3 results, non-finite values, or s* collapsing to zero (most
        results identical: no standard deviation can be derived, refuse to score).

    References
    ----------
    ISO 13528:2022 C.3.1, Formulae (C.3) to (C.10); Table E.4 (worked example).

    Examples
    --------
    >>> est = algorithm_a([10.0, 10.2, 9.9, 10.1, 10.0, 12.5])
    >>> round(est.mean, 3), round(est.sd, 3)
    (10.103, 0.209)
    """
    if stopping not in ("converged", "iso2022"):
        raise InvalidInputError(
            f"stopping must be 'converged' or 'iso2022', got {stopping!r}", field="stopping"
        )
    if not (tol > 0 and math.isfinite(tol)):
        raise InvalidInputError(f"tol must be a positive number, got {tol}", field="tol")
    array = _as_values(values, "results.value")
    _require_count(array, "results")
    p = int(array.size)
    centre = float(np.median(array))
    shifted = array - centre
    spread = float(np.max(np.abs(shifted)))
    if spread == 0.0:
        raise InvalidInputError(
            f"all {p} results are equal ({centre}); a robust standard deviation is zero "
            "and scores cannot be computed",
            field="results.value",
        )
    scaled = shifted / spread
    x_star = 0.0
    s_star = float(MADE_FACTOR * np.median(np.abs(scaled)))
    if s_star == 0.0:  # C.3.1 NOTE 2: more than half the results identical
        s_star = float(np.std(scaled, ddof=1))
    s_start = s_star
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):
        delta = ALGORITHM_A_CUTOFF * s_star
        winsorised = np.clip(scaled, x_star - delta, x_star + delta)
        new_x = float(winsorised.mean())
        new_s = float(
            ALGORITHM_A_FACTOR * math.sqrt(float(np.sum((winsorised - new_x) ** 2)) / (p - 1))
        )
        if new_s < 1e-9 * s_start:
            raise InvalidInputError(
                "the robust standard deviation s* collapses to zero (most results are "
                "identical); scores cannot be computed",
                field="results.value",
            )
        if stopping == "iso2022":
            done = iterations > 1 and (
                _sig3(centre + spread * new_x) == _sig3(centre + spread * x_star)
                and _sig3(spread * new_s) == _sig3(spread * s_star)
            )
        else:
            limit = tol * new_s
            done = abs(new_x - x_star) <= limit and abs(new_s - s_star) <= limit
        x_star, s_star = new_x, new_s
        if done:
            converged = True
            break
    return RobustEstimate(
        mean=centre + spread * x_star,
        sd=spread * s_star,
        iterations=iterations,
        count=p,
        estimator="algorithm_a",
        stopping_rule=stopping,
        converged=converged,
    )
