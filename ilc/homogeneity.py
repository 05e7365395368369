"""Homogeneity and stability of proficiency-test items: ISO 13528:2022 Annex B."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from uncertainty.errors import InvalidInputError

__all__ = [
    "HomogeneityCheck",
    "StabilityCheck",
    "expanded_criterion_factors",
    "homogeneity_check",
    "stability_check",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class HomogeneityCheck:
    """Result of the homogeneity check of g items measured m times each.

    Attributes
    ----------
    mean, s_x, s_w, s_s:
        General average, SD of item averages, within-item SD and between-item SD.
    criterion:
        0.3 σ_pt (B.2.2); ``passed``: s_s <= criterion.
    expanded_criterion:
        sqrt(F1 (0.3 σ_pt)² + F2 s_w²) (B.2.3); ``passed_expanded``: s_s <= it.
    """

    mean: float
    s_x: float
    s_w: float
    s_s: float
    criterion: float | None
    passed: bool | None
    expanded_criterion: float | None
    passed_expanded: bool | None


@dataclass(frozen=True)
class StabilityCheck:
    """Stability check: |ȳ1 − ȳ2| against 0.3 σ_pt (B.5)."""

    mean_1: float
    mean_2: float
    difference: float
    criterion: float | None
    passed: bool | None


def expanded_criterion_factors(g: int, m: int = 2) -> tuple[float, float]:
    """F1 = χ²_0.95(g − 1)/(g − 1) and F2 = (F_0.95(g − 1, g(m − 1)) − 1)/m.

    References
    ----------
    ISO 13528:2022 B.2.3, Table B.1 (m = 2).

    Examples
    --------
    >>> [round(f, 2) for f in expanded_criterion_factors(10)]
    [1.88, 1.01]
    """
    from scipy import stats  # lazy: keeps `calib` start-up fast

    if g < 2 or m < 2:
        raise InvalidInputError(
            f"need g >= 2 items and m >= 2 replicates, got g={g}, m={m}", field="samples"
        )
    f1 = float(stats.chi2.ppf(0.95, g - 1)) / (g - 1)
    f2 = (float(stats.f.ppf(0.95, g - 1, g * (m - 1))) - 1.0) / m
    return f1, f2


def homogeneity_check(
    samples: Sequence[Sequence[float]] | FloatArray, sigma_pt: float | None = None
) -> HomogeneityCheck:
    """Between-sample standard deviation s_s and the 0.3 σ_pt criteria.

    s_x² = Σ(x̄_t − x̄)²/(g − 1), s_w² = Σ s_t²/g, s_s² = max(0, s_x² − s_w²/m).

    References
    ----------
    ISO 13528:2022 B.3, Formulae (B.4) to (B.10); B.2.2 (s_s <= 0.3 σ_pt);
    B.2.3 (expanded criterion).
    """
    data = np.asarray(samples, dtype=np.float64)
    if data.ndim != 2 or data.shape[0] < 2 or data.shape[1] < 2:
        raise InvalidInputError(
            f"samples must be g >= 2 items by m >= 2 replicates, got shape {data.shape}",
            field="samples",
        )
    if not np.all(np.isfinite(data)):
        raise InvalidInputError("every replicate must be a finite number", field="samples")
    g, m = data.shape
    means = data.mean(axis=1)
    s_x = float(np.std(means, ddof=1))
    s_w = float(math.sqrt(float(np.mean(np.var(data, axis=1, ddof=1)))))
    s_s = math.sqrt(max(0.0, s_x * s_x - s_w * s_w / m))
    criterion = expanded = None
    passed = passed_expanded = None
    if sigma_pt is not None:
        if not sigma_pt > 0:
            raise InvalidInputError(f"sigma_pt must be > 0, got {sigma_pt}", field="sigma_pt")
        criterion = 0.3 * sigma_pt
        f1, f2 = expanded_criterion_factors(g, m)
        expanded = math.sqrt(f1 * criterion**2 + f2 * s_w**2)
        passed = s_s <= criterion
        passed_expanded = s_s <= expanded
    return HomogeneityCheck(
        mean=float(means.mean()),
        s_x=s_x,
        s_w=s_w,
        s_s=s_s,
        criterion=criterion,
        passed=passed,
        expanded_criterion=expanded,
        passed_expanded=passed_expanded,
    )


def stability_check(
    before: Sequence[float] | FloatArray,
    after: Sequence[float] | FloatArray,
    sigma_pt: float | None = None,
) -> StabilityCheck:
    """Stability: the items are adequately stable if |ȳ1 − ȳ2| <= 0.3 σ_pt.

    References
    ----------
    ISO 13528:2022 B.5, Formula (B.17).
    """
    a = np.asarray(before, dtype=np.float64).ravel()
    b = np.asarray(after, dtype=np.float64).ravel()
    if a.size == 0 or b.size == 0:
        raise InvalidInputError("both sets of stability results must be non-empty", field="samples")
    y1, y2 = float(a.mean()), float(b.mean())
    diff = abs(y1 - y2)
    criterion = None if sigma_pt is None else 0.3 * sigma_pt
    return StabilityCheck(
        mean_1=y1,
        mean_2=y2,
        difference=diff,
        criterion=criterion,
        passed=None if criterion is None else diff <= criterion,
    )
