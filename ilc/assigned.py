"""Assigned value x_pt and its uncertainty, by method name.

Methods (a name → function table, STYLE.md rule 13):
``reference`` (value, U and k given), ``robust`` (Algorithm A), ``median``
(median with nIQR), ``weighted_mean`` (Cox 2002 procedure A, optionally the
largest consistent subset), ``consensus_dl`` (DerSimonian–Laird).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ilc.consensus import (
    ConsensusEstimate,
    dersimonian_laird,
    largest_consistent_subset,
    weighted_mean,
)
from ilc.robust import RobustEstimate, StoppingRule, algorithm_a, median_estimate
from uncertainty.errors import InvalidInputError

__all__ = ["METHODS", "AssignedValue", "assign_value"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

METHODS = ("reference", "robust", "median", "weighted_mean", "consensus_dl")


@dataclass(frozen=True)
class AssignedValue:
    """The assigned value of a round.

    Attributes
    ----------
    method:
        One of :data:`METHODS`.
    value, standard_uncertainty, expanded_uncertainty:
        x_pt, u(x_pt) and U(x_pt) (U = k·u for ``reference``; 2·u otherwise,
        CONTRACTS.md section 3).
    covariance:
        cov(x_i, x_pt) per result (zero for results not used or for non-linear
        estimators); used for degrees of equivalence.
    contributed:
        Mask of the results that entered x_pt.
    eligible:
        Mask of the results allowed into x_pt (not ``exclude_from_reference``); those
        eligible but not contributing were set aside by the largest consistent subset.
    robust:
        The robust estimate (``robust``, ``median``), else ``None``.
    consensus:
        The consensus estimate (``weighted_mean``, ``consensus_dl``), else ``None``.
    """

    method: str
    value: float
    standard_uncertainty: float
    expanded_uncertainty: float
    covariance: FloatArray
    contributed: BoolArray
    eligible: BoolArray
    robust: RobustEstimate | None = None
    consensus: ConsensusEstimate | None = field(default=None)


def assign_value(
    method: str,
    values: FloatArray,
    u: FloatArray,
    *,
    use_for_reference: BoolArray | None = None,
    reference_value: float | None = None,
    reference_expanded_uncertainty: float | None = None,
    reference_coverage_factor: float | None = None,
    largest_subset: bool = True,
    alpha: float = 0.05,
    stopping: StoppingRule = "converged",
) -> AssignedValue:
    """Compute the assigned value of a round by the named method.

    Parameters
    ----------
    method:
        One of :data:`METHODS`; anything else is bad input.
    values, u:
        Results and their standard uncertainties u = U/k (NaN where not reported).
    use_for_reference:
        Mask of results allowed into a computed x_pt (default: all).
    reference_value, reference_expanded_uncertainty, reference_coverage_factor:
        For ``reference`` only.
    largest_subset:
        ``weighted_mean``: if the χ² check fails, use the largest consistent subset.

    References
    ----------
    ISO 13528:2022 7.3 (reference value), 7.7 and Formula (7) (consensus of
    participants, u = 1.25 s*/sqrt(p)); Cox 2002 procedure A; DerSimonian–Laird 1986.
    """
    n = int(values.size)
    mask = np.ones(n, dtype=np.bool_) if use_for_reference is None else use_for_reference
    zero = np.zeros(n)
    if method == "reference":
        if reference_value is None or reference_expanded_uncertainty is None:
            raise InvalidInputError(
                "method 'reference' needs value and expanded_uncertainty",
                field="assigned_value.value",
            )
        k = 2.0 if reference_coverage_factor is None else reference_coverage_factor
        if not (k > 0 and math.isfinite(k)):
            raise InvalidInputError(
                f"coverage_factor must be > 0, got {k}", field="assigned_value.coverage_factor"
            )
        if not (reference_expanded_uncertainty >= 0):
            raise InvalidInputError(
                f"expanded_uncertainty must be >= 0, got {reference_expanded_uncertainty}",
                field="assigned_value.expanded_uncertainty",
            )
        return AssignedValue(
            method=method,
            value=float(reference_value),
            standard_uncertainty=reference_expanded_uncertainty / k,
            expanded_uncertainty=float(reference_expanded_uncertainty),
            covariance=zero,
            contributed=np.zeros(n, dtype=np.bool_),
            eligible=np.zeros(n, dtype=np.bool_),
        )
    if method in ("robust", "median"):
        chosen = values[mask]
        est = (
            algorithm_a(chosen, stopping=stopping)
            if method == "robust"
            else median_estimate(chosen)
        )
        if est.sd == 0.0:
            raise InvalidInputError(
                f"the robust standard deviation of the results is 0 ({est.estimator}); "
                "scores cannot be computed",
                field="results.value",
            )
        u_pt = est.standard_uncertainty
        return AssignedValue(
            method=method,
            value=est.mean,
            standard_uncertainty=u_pt,
            expanded_uncertainty=2.0 * u_pt,
            covariance=zero,
            contributed=mask.copy(),
            eligible=mask.copy(),
            robust=est,
        )
    if method in ("weighted_mean", "consensus_dl"):
        idx = np.flatnonzero(mask)
        missing = idx[np.isnan(u[idx])]
        if missing.size:
            raise InvalidInputError(
                f"method {method!r} needs an expanded uncertainty and coverage factor for "
                f"every result used in the reference value (result {int(missing[0])} has none)",
                field=f"results[{int(missing[0])}].expanded_uncertainty",
            )
        if method == "weighted_mean":
            fit = (largest_consistent_subset if largest_subset else weighted_mean)(
                values[idx], u[idx], alpha=alpha
            )
        else:
            fit = dersimonian_laird(values[idx], u[idx], alpha=alpha)
        contributed = np.zeros(n, dtype=np.bool_)
        contributed[idx[fit.used]] = True
        covariance = np.zeros(n)
        covariance[idx] = fit.weights * u[idx] ** 2
        return AssignedValue(
            method=method,
            value=fit.value,
            standard_uncertainty=fit.standard_uncertainty,
            expanded_uncertainty=2.0 * fit.standard_uncertainty,
            covariance=covariance,
            contributed=contributed,
            eligible=mask.copy(),
            consensus=fit,
        )
    raise InvalidInputError(
        f"unknown method {method!r}; allowed: {', '.join(METHODS)}", field="assigned_value.method"
    )
