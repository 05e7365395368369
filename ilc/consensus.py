"""Consensus reference values from results with uncertainties.

Weighted mean with the χ² consistency check (Cox 2002, procedure A), the largest
consistent subset (Cox 2007), the DerSimonian–Laird random-effects mean, the
power-moderated mean of the CCRI(II) key comparisons (Pommé & Keightley 2015), and
degrees of equivalence with or without the covariance between a participant and
a reference value it contributed to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from uncertainty.errors import InvalidInputError

__all__ = [
    "ConsensusEstimate",
    "DoeConvention",
    "degrees_of_equivalence",
    "dersimonian_laird",
    "largest_consistent_subset",
    "power_moderated_mean",
    "weighted_mean",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
DoeConvention = Literal["covariance", "independent"]


@dataclass(frozen=True)
class ConsensusEstimate:
    """A reference value built from several results.

    Attributes
    ----------
    value, standard_uncertainty:
        The reference value y and u(y).
    used:
        Boolean mask (over the results passed in) of those that entered y.
    weights:
        Normalised weights of the results in y (0 for those not used); they give
        cov(x_i, y) = weights_i · u_i² for the degrees of equivalence.
    chi2, dof, p_value, consistent:
        Consistency statistic of the used results about y (Birge χ² for the
        weighted mean, Cochran's Q for DerSimonian–Laird), ν = n − 1,
        Pr{χ²(ν) > χ²_obs} and whether it is >= alpha.
    tau:
        Between-laboratory standard deviation (DerSimonian–Laird; s of the
        power-moderated mean; 0 otherwise).
    method:
        ``"weighted_mean"``, ``"consensus_dl"`` or ``"power_moderated_mean"``.
    """

    value: float
    standard_uncertainty: float
    used: BoolArray
    weights: FloatArray
    chi2: float
    dof: int
    p_value: float
    consistent: bool
    tau: float
    method: str


def _check(
    values: Sequence[float] | FloatArray, u: Sequence[float] | FloatArray
) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(values, dtype=np.float64)
    s = np.asarray(u, dtype=np.float64)
    if x.shape != s.shape or x.ndim != 1:
        raise InvalidInputError(
            "values and uncertainties must be equal-length lists", field="results"
        )
    if x.size < 2:
        raise InvalidInputError(
            f"a consensus value needs at least 2 results, got {x.size}", field="results"
        )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(s))):
        raise InvalidInputError(
            "every result used for the reference value needs a finite value and uncertainty",
            field="results.expanded_uncertainty",
        )
    if np.any(s <= 0):
        i = int(np.argmax(s <= 0))
        raise InvalidInputError(
            f"standard uncertainty must be > 0 for a weighted reference value, got {s[i]} "
            f"(result {i})",
            field=f"results[{i}].expanded_uncertainty",
        )
    return x, s


def _chi2(x: FloatArray, s: FloatArray, y: float, alpha: float) -> tuple[float, int, float, bool]:
    from scipy import stats  # lazy: keeps `calib` start-up fast

    chi2 = float(np.sum(((x - y) / s) ** 2))
    dof = int(x.size - 1)
    p = float(stats.chi2.sf(chi2, dof))
    return chi2, dof, p, p >= alpha


def weighted_mean(
    values: Sequence[float] | FloatArray,
    u: Sequence[float] | FloatArray,
    *,
    alpha: float = 0.05,
) -> ConsensusEstimate:
    """Inverse-variance weighted mean with the χ² consistency check.

    y = Σ x_i/u_i² / Σ 1/u_i², u²(y) = 1/Σ 1/u_i²; χ²_obs = Σ (x_i − y)²/u_i²,
    ν = n − 1; the data are inconsistent when Pr{χ²(ν) > χ²_obs} < alpha.

    References
    ----------
    Cox M G 2002 Metrologia 39 589–595, procedure A (steps 1–3).

    Examples
    --------
    >>> est = weighted_mean([1.0, 2.0], [1.0, 1.0])
    >>> est.value, round(est.standard_uncertainty, 4), round(est.chi2, 2)
    (1.5, 0.7071, 0.5)
    """
    x, s = _check(values, u)
    w = 1.0 / (s * s)
    total = float(w.sum())
    y = float(np.dot(w, x) / total)
    chi2, dof, p, ok = _chi2(x, s, y, alpha)
    return ConsensusEstimate(
        value=y,
        standard_uncertainty=float(np.sqrt(1.0 / total)),
        used=np.ones(x.size, dtype=np.bool_),
        weights=w / total,
        chi2=chi2,
        dof=dof,
        p_value=p,
        consistent=ok,
        tau=0.0,
        method="weighted_mean",
    )


def largest_consistent_subset(
    values: Sequence[float] | FloatArray,
    u: Sequence[float] | FloatArray,
    *,
    alpha: float = 0.05,
) -> ConsensusEstimate:
    """Weighted mean of a consistent subset, removing the worst result one at a time.

    While the χ² check of :func:`weighted_mean` fails, the result with the largest
    |x_i − y|/u(x_i − y) (u²(x_i − y) = u_i² − u²(y)) is set aside and the mean is
    recomputed, down to two results. This is the sequential form of the largest
    consistent subset used in many key comparisons.

    References
    ----------
    Cox M G 2007 Metrologia 44 187–200 (the largest consistent subset);
    Cox M G 2002 Metrologia 39 589–595, procedure A.
    """
    x, s = _check(values, u)
    used = np.ones(x.size, dtype=np.bool_)
    while True:
        est = weighted_mean(x[used], s[used], alpha=alpha)
        if est.consistent or int(used.sum()) <= 2:
            break
        idx = np.flatnonzero(used)
        u_d = np.sqrt(np.maximum(s[idx] ** 2 - est.standard_uncertainty**2, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(u_d > 0, np.abs(x[idx] - est.value) / u_d, np.inf)
        used[idx[int(np.argmax(ratio))]] = False
    weights = np.zeros(x.size)
    weights[used] = est.weights
    return ConsensusEstimate(
        value=est.value,
        standard_uncertainty=est.standard_uncertainty,
        used=used,
        weights=weights,
        chi2=est.chi2,
        dof=est.dof,
        p_value=est.p_value,
        consistent=est.consistent,
        tau=0.0,
        method="weighted_mean",
    )


def dersimonian_laird(
    values: Sequence[float] | FloatArray,
    u: Sequence[float] | FloatArray,
    *,
    alpha: float = 0.05,
) -> ConsensusEstimate:
    """DerSimonian–Laird random-effects mean.

    Q = Σ w_i (x_i − x̄_w)² about the **weighted** mean (w_i = 1/u_i²),
    τ² = max(0, (Q − (n − 1)) / (Σw − Σw²/Σw)), then
    μ = Σ x_i/(u_i² + τ²) / Σ 1/(u_i² + τ²) and u²(μ) = 1/Σ 1/(u_i² + τ²).
    The last formula ignores the uncertainty of τ² and understates u(μ) for a few
    laboratories (PITFALLS.md).

    References
    ----------
    DerSimonian R, Laird N 1986 Control. Clin. Trials 7 177–188, Formulae (4)–(5);
    Koepke A et al. 2017 Metrologia 54 S34 (NIST Consensus Builder).
    """
    from scipy import stats  # lazy: keeps `calib` start-up fast

    x, s = _check(values, u)
    w = 1.0 / (s * s)
    sw = float(w.sum())
    xw = float(np.dot(w, x) / sw)
    q = float(np.dot(w, (x - xw) ** 2))
    dof = int(x.size - 1)
    tau2 = max(0.0, (q - dof) / (sw - float(np.dot(w, w)) / sw))
    w_star = 1.0 / (s * s + tau2)
    total = float(w_star.sum())
    mu = float(np.dot(w_star, x) / total)
    p = float(stats.chi2.sf(q, dof))
    return ConsensusEstimate(
        value=mu,
        standard_uncertainty=float(np.sqrt(1.0 / total)),
        used=np.ones(x.size, dtype=np.bool_),
        weights=w_star / total,
        chi2=q,
        dof=dof,
        p_value=p,
        consistent=p >= alpha,
        tau=float(np.sqrt(tau2)),
        method="consensus_dl",
    )


def _pmm_interlab_sd(x: FloatArray, s: FloatArray) -> float:
    """s ≥ 0 making the Birge ratio of x about the 1/(u_i² + s²)-weighted mean 1."""
    from scipy.optimize import brentq  # lazy: keeps `calib` start-up fast

    dof = x.size - 1

    def excess(sd: float) -> float:
        v = s * s + sd * sd
        mean = float(np.sum(x / v) / np.sum(1.0 / v))
        return float(np.sum((x - mean) ** 2 / v)) / dof - 1.0

    if excess(0.0) <= 0.0:
        return 0.0
    # At s² = Σ(x_i − x̄)²/(n − 1) the ratio is ≤ 1 (the weighted sum of squares is
    # smallest about the weighted mean), so twice that s brackets the root.
    upper = 2.0 * float(np.sqrt(np.sum((x - x.mean()) ** 2) / dof))
    return float(brentq(excess, 0.0, upper, xtol=1e-12 * upper, rtol=1e-12))


def power_moderated_mean(
    values: Sequence[float] | FloatArray,
    u: Sequence[float] | FloatArray,
    *,
    alpha: float = 0.05,
) -> ConsensusEstimate:
    """Power-moderated mean (PMM), the KCRV of the BIPM.RI(II)-K1 comparisons.

    s = 0 when the Birge ratio Σ (x_i − x_w)²/u_i² / (n − 1) is ≤ 1, otherwise the s
    that makes Σ (x_i − x_s)²/(u_i² + s²) = n − 1, x_s being the mean weighted by
    1/(u_i² + s²). With the power α = 2 − 3/n, the unweighted mean x̄,
    u²(x̄) = Σ (x_i − x̄)²/(n(n − 1)) and S² = n · max(u²(x̄), 1/Σ 1/(u_i² + s²)):
    u²(y) = 1/Σ (u_i² + s²)^(−α/2) S^(α−2), w_i = u²(y) (u_i² + s²)^(−α/2) S^(α−2)
    and y = Σ w_i x_i. The weights give cov(x_i, y) = w_i u_i², so
    u²(D_i) = (1 − 2 w_i) u_i² + u²(y) (:func:`degrees_of_equivalence`). The χ² fields
    are those of the plain weighted mean; ``tau`` is s.

    References
    ----------
    Pommé S, Keightley J 2015 Metrologia 52 S200 (the power-moderated mean); the
    formulae above were read from the BIPM implementation (BIPM-RI/Python_lib,
    PMM.py and DoE.py), as the paper was not available; the result is checked against
    the published KCRV and degrees of equivalence of BIPM.RI(II)-K1.Sr-85
    (tests/ilc/test_ilc_key_comparison_reference.py).

    Examples
    --------
    >>> est = power_moderated_mean([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    >>> round(est.value, 6), round(est.standard_uncertainty, 4), est.tau
    (2.0, 0.5774, 0.0)
    """
    x, s = _check(values, u)
    n = x.size
    sd = _pmm_interlab_sd(x, s)
    var = s * s + sd * sd
    power = 2.0 - 3.0 / n
    mean = float(x.mean())
    u2_mean = float(np.sum((x - mean) ** 2)) / (n * (n - 1))
    u2_weighted = 1.0 / float(np.sum(1.0 / var))
    big_s = float(np.sqrt(n * max(u2_mean, u2_weighted)))
    inverse = var ** (-power / 2.0) * big_s ** (power - 2.0)
    u2_y = 1.0 / float(inverse.sum())
    weights = u2_y * inverse
    w_plain = 1.0 / (s * s)
    chi2, dof, p, ok = _chi2(x, s, float(np.dot(w_plain, x) / w_plain.sum()), alpha)
    return ConsensusEstimate(
        value=float(np.dot(weights, x)),
        standard_uncertainty=float(np.sqrt(u2_y)),
        used=np.ones(n, dtype=np.bool_),
        weights=weights,
        chi2=chi2,
        dof=dof,
        p_value=p,
        consistent=ok,
        tau=sd,
        method="power_moderated_mean",
    )


def degrees_of_equivalence(
    values: Sequence[float] | FloatArray,
    u: Sequence[float] | FloatArray,
    reference: float,
    u_reference: float,
    *,
    covariance: Sequence[float] | FloatArray | None = None,
    convention: DoeConvention = "covariance",
) -> tuple[FloatArray, FloatArray]:
    """Degrees of equivalence D_i = x_i − y and their standard uncertainties.

    u²(D_i) = u_i² + u²(y) − 2 cov(x_i, y). For a linear reference value
    y = Σ w_j x_j, cov(x_i, y) = w_i u_i²; for the weighted mean this gives
    u²(D_i) = u_i² − u²(y). With ``convention="independent"`` (used in many
    published key comparisons) the covariance is ignored. NaN u_i gives NaN.

    References
    ----------
    Cox M G 2002 Metrologia 39 589–595, section 5 (Formula (6));
    CIPM MRA-D-05 (degrees of equivalence).

    Examples
    --------
    >>> d, ud = degrees_of_equivalence([1.0, 2.0], [1.0, 1.0], 1.5, 0.5**0.5,
    ...                                covariance=[0.5, 0.5])
    >>> d.tolist(), ud.round(4).tolist()
    ([-0.5, 0.5], [0.7071, 0.7071])
    """
    if convention not in ("covariance", "independent"):
        raise InvalidInputError(
            f"doe_convention must be 'covariance' or 'independent', got {convention!r}",
            field="doe_convention",
        )
    x = np.asarray(values, dtype=np.float64)
    s = np.asarray(u, dtype=np.float64)
    var = s * s + u_reference * u_reference
    if covariance is not None and convention == "covariance":
        var = var - 2.0 * np.asarray(covariance, dtype=np.float64)
    return x - reference, np.sqrt(np.maximum(var, 0.0))
