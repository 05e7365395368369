"""GUM uncertainty framework: propagation, Welch–Satterthwaite, coverage factor.

Everything works on arrays with a trailing "budget" axis, so a table of budgets of one
model (a lab's CMC table) is evaluated in one pass; a single budget is a table of one.

Policy for ν_eff (PITFALLS.md; Willink, Metrologia 44 (2007) 340, as GTC does): inputs
from one set of simultaneous observations (an observation group) form one ensemble with
a common ν = n − 1, contributing (cᵀ V c)² / ν; independent inputs contribute
(c_i u_i)⁴ / ν_i (JCGM 100:2008 G.4.1). Inputs correlated through ``correlations`` with a
finite ν make ν_eff undefined (NaN here, ``null`` in the document) with a warning: the
Welch–Satterthwaite formula is for independent inputs and is never silently misapplied.
Correlated inputs that all have ν = ∞ contribute nothing to the denominator.

References
----------
JCGM 100:2008 5.1.2 (Eq. 10), 5.2.2 (Eq. 13), G.4.1 (Eq. G.2b) and note 1, G.3.4,
H.2 (Table H.3, correlations of several outputs); Willink R, Metrologia 44 (2007) 340.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = [
    "GufCombination",
    "combine",
    "coverage_factor",
    "output_covariance",
    "welch_satterthwaite",
]

FloatArray = NDArray[np.float64]


def coverage_factor(probability: float, effective_dof: FloatArray | float) -> FloatArray:
    """k = t_{(1+p)/2}(⌊ν_eff⌋); the normal quantile at ν = ∞.

    ν_eff is truncated to the next lower integer before the look-up (GUM G.4.1 note 1),
    at least 1. NaN (undefined ν_eff) gives the normal quantile; callers warn.

    Examples
    --------
    >>> float(np.round(coverage_factor(0.99, 16.7), 2))
    2.92

    References
    ----------
    JCGM 100:2008 G.4.1 note 1, G.3.4, Table G.2.
    """
    nu = np.asarray(effective_dof, dtype=np.float64)
    if nu.size == 1:  # one budget: a cached table look-up
        value = float(nu.flat[0])
        value = math.inf if math.isnan(value) else _truncated(value)  # NaN: normal quantile
        return np.full(nu.shape, _coverage_factor(probability, value))
    q = 0.5 * (1.0 + probability)
    finite = np.isfinite(nu)
    truncated = np.where(finite, np.maximum(np.floor(np.where(finite, nu, 1.0)), 1.0), 1.0)
    t = special.stdtrit(truncated, q)
    return np.asarray(np.where(finite, t, special.ndtri(q)), dtype=np.float64)


def _truncated(nu: float) -> float:
    """ν_eff truncated to the next lower integer, at least 1 (GUM G.4.1 note 1); ∞ and NaN
    (undefined: the normal quantile) pass through."""
    return max(math.floor(nu), 1.0) if math.isfinite(nu) else nu


@functools.lru_cache(maxsize=4096)
def _coverage_factor(probability: float, nu: float) -> float:
    q = 0.5 * (1.0 + probability)
    if not math.isfinite(nu):
        return float(special.ndtri(q))
    return float(special.stdtrit(nu, q))


def welch_satterthwaite(
    combined_uncertainty: FloatArray | float,
    variances: Sequence[FloatArray | float] | FloatArray,
    dofs: Sequence[float],
) -> FloatArray:
    """ν_eff = u_c⁴ / Σ v_g² / ν_g over independent terms (or ensembles) g.

    ``variances`` are the terms' contributions to u_c² (c_i² u_i², or cᵀVc for an
    ensemble). Infinite ν_g contribute nothing; an all-infinite sum gives ν_eff = ∞.

    Examples
    --------
    >>> round(float(welch_satterthwaite(2.0 ** 0.5, [1.0, 1.0], [10.0, 10.0])[()]), 9)
    20.0

    References
    ----------
    JCGM 100:2008 G.4.1, Eq. (G.2b); Willink, Metrologia 44 (2007) 340.
    """
    u = np.asarray(combined_uncertainty, dtype=np.float64)
    nu = np.asarray(dofs, dtype=np.float64)
    finite = np.isfinite(nu)
    if finite.all():
        terms = np.asarray(variances, dtype=np.float64)
        terms = terms.reshape(terms.shape[0], -1)
        denominator = ((terms * terms).T @ (1.0 / nu)).reshape(u.shape)
    elif finite.any():
        terms = np.asarray(variances, dtype=np.float64)[finite]
        terms = terms.reshape(terms.shape[0], -1)
        denominator = ((terms * terms).T @ (1.0 / nu[finite])).reshape(u.shape)
    else:
        denominator = np.zeros_like(u)
    positive = denominator > 0
    if u.ndim and u.shape != denominator.shape:
        denominator = np.broadcast_to(denominator, u.shape)
        positive = np.broadcast_to(positive, u.shape)
    # u_c**4 / denominator where it is > 0, else ∞ (no error state: the divisor is safe)
    result = np.where(positive, u**4 / np.where(positive, denominator, 1.0), np.inf)
    return np.asarray(result, dtype=np.float64)


def output_covariance(jacobian: FloatArray, covariance: FloatArray) -> FloatArray:
    """U_y = J V Jᵀ for outputs (rows of J) and inputs (columns) (GUM H.2, JCGM 102 6.2).

    ``jacobian`` has shape (m, n) or (m, n, B); ``covariance`` (n, n) or (n, n, B).

    References
    ----------
    JCGM 100:2008 5.2.2, H.2; JCGM 102:2011 6.2.1.3.
    """
    jac = jacobian if jacobian.ndim == 3 else jacobian[..., None]
    cov = covariance if covariance.ndim == 3 else covariance[..., None]
    return np.asarray(np.einsum("aib,ijb,cjb->acb", jac, cov, jac), dtype=np.float64)


@dataclass(frozen=True)
class GufCombination:
    """GUF result for one output over B budgets (arrays of shape (B,))."""

    standard_uncertainty: FloatArray
    effective_dof: FloatArray  # NaN where undefined
    contributions: FloatArray  # |c_i| u_i, shape (n, B)
    percent: FloatArray  # (c_i u_i)² / u_c² · 100, shape (n, B)


def combine(
    sensitivities: FloatArray,
    uncertainties: FloatArray,
    correlation: FloatArray | None,
    dofs: Sequence[float],
    *,
    ensembles: Sequence[tuple[tuple[int, ...], float]] = (),
    correlated: Sequence[tuple[int, ...]] = (),
) -> GufCombination:
    """Law of propagation of uncertainty with correlations, and ν_eff by the policy above.

    Parameters
    ----------
    sensitivities:
        c_i, shape (n, B) (or (n,)).
    uncertainties:
        u(x_i), shape (n, B) (or (n,)), in the units the sensitivities expect.
    correlation:
        r(x_i, x_j), shape (n, n); ``None`` for independent inputs.
    dofs:
        ν_i of each input (``math.inf`` when exact).
    ensembles:
        (indices, ν) of observation groups (Willink 2007).
    correlated:
        index groups correlated through stated coefficients.

    References
    ----------
    JCGM 100:2008 5.1.2 Eq. (10), 5.2.2 Eq. (13), G.4.1 Eq. (G.2b).
    """
    c = np.asarray(sensitivities, dtype=np.float64)
    u = np.asarray(uncertainties, dtype=np.float64)
    if c.ndim == 1:
        c = c[:, None]
    if u.ndim == 1:
        u = u[:, None]
    cu = c * u
    squares = cu * cu
    if correlation is None:
        variance = squares.sum(axis=0)
    else:
        variance = np.einsum("ib,ij,jb->b", cu, correlation, cu)
    u_c = np.sqrt(np.maximum(variance, 0.0))
    grouped = {i for idx, _ in ensembles for i in idx}
    undefined = any(
        any(math.isfinite(dofs[i]) for i in group) for group in correlated if len(group) > 1
    )
    if grouped:
        alone = [i for i in range(len(dofs)) if i not in grouped]
        rows = [squares[alone]]
        term_dofs = [dofs[i] for i in alone]
        for idx, nu in ensembles:
            sub = cu[list(idx)]
            r = correlation[np.ix_(idx, idx)] if correlation is not None else np.eye(len(idx))
            rows.append(np.einsum("ib,ij,jb->b", sub, r, sub)[None, :])
            term_dofs.append(nu)
        variances: FloatArray = np.concatenate(rows)
    else:
        variances, term_dofs = squares, list(dofs)
    nu_eff = welch_satterthwaite(u_c, variances, term_dofs)
    if undefined:
        nu_eff = np.full_like(u_c, np.nan)
    positive = variance > 0
    percent = np.where(positive, 100.0 * squares / np.where(positive, variance, 1.0), 0.0)
    return GufCombination(u_c, nu_eff, np.abs(cu), np.asarray(percent, dtype=np.float64))
