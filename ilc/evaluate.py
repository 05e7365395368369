"""Score a whole round from plain arrays: assigned value, scores, verdicts, DoE.

This is the entry point a service calls (it needs no pydantic model): pass the
participants, values, expanded uncertainties and coverage factors (NaN where not
reported) and the round options; get back a :class:`RoundScores` of arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ilc.assigned import AssignedValue, assign_value
from ilc.consensus import DoeConvention, degrees_of_equivalence
from ilc.robust import StoppingRule
from ilc.scores import (
    DEFAULT_EN_LIMIT,
    Verdict,
    classify_en,
    classify_z,
    en_score,
    percent_deviation,
    plausibility_flags,
    use_z_prime,
    z_prime_score,
    z_score,
    zeta_score,
)
from uncertainty.errors import InvalidInputError

__all__ = ["RoundScores", "check_score_options", "evaluate_round"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RoundScores:
    """Scores of every result of a round (arrays aligned with ``participants``).

    ``z_choice`` is ``"z"`` or ``"z_prime"`` (ISO 13528:2022 9.5) or ``None`` without
    σ_pt; ``z_verdicts`` classify the chosen one. ``covariance_applied`` marks the
    results whose En, ζ and DoE include the correlation with x_pt.
    """

    participants: list[str]
    values: FloatArray
    assigned: AssignedValue
    sigma_pt: float | None
    en_limit: float
    doe_convention: DoeConvention
    deviation: FloatArray
    percent_deviation: FloatArray
    en: FloatArray
    zeta: FloatArray
    z: FloatArray
    z_prime: FloatArray
    z_choice: str | None
    en_verdicts: list[Verdict | None]
    z_verdicts: list[Verdict | None]
    zeta_verdicts: list[Verdict | None]
    doe_standard_uncertainty: FloatArray
    covariance_applied: BoolArray
    plausibility: list[str | None]

    @property
    def any_unsatisfactory(self) -> bool:
        """True if any En, z/z′ or ζ verdict is unsatisfactory (CLI exit 1)."""
        return any(
            v == "unsatisfactory"
            for v in (*self.en_verdicts, *self.z_verdicts, *self.zeta_verdicts)
        )


def _validate(
    participants: Sequence[str],
    values: FloatArray,
    big_u: FloatArray,
    k: FloatArray,
) -> None:
    n = len(participants)
    if n == 0:
        raise InvalidInputError("a round needs at least one result", field="results")
    if not (values.shape == big_u.shape == k.shape == (n,)):
        raise InvalidInputError(
            "participants, values, U and k must have equal lengths", field="results"
        )
    seen: dict[str, int] = {}
    for i, name in enumerate(participants if len(set(participants)) != n else ()):
        if name in seen:
            raise InvalidInputError(
                f"duplicate participant {name!r} (results {seen[name]} and {i})",
                field=f"results[{i}].participant",
            )
        seen[name] = i
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(
            f"value must be a finite number, got {values[i]}", field=f"results[{i}].value"
        )
    bad = np.flatnonzero(big_u < 0)
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(
            f"expanded_uncertainty must be >= 0, got {big_u[i]}",
            field=f"results[{i}].expanded_uncertainty",
        )
    bad = np.flatnonzero(~(k > 0) & ~np.isnan(k))
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(
            f"coverage_factor must be > 0, got {k[i]}", field=f"results[{i}].coverage_factor"
        )
    bad = np.flatnonzero(np.isnan(big_u) != np.isnan(k))
    if bad.size:
        i = int(bad[0])
        raise InvalidInputError(
            "give expanded_uncertainty and coverage_factor together (or neither)",
            field=f"results[{i}].coverage_factor",
        )


def check_score_options(sigma_pt: float | None, en_limit: float, doe_convention: str) -> None:
    """Check the scoring options of a round; an error names the field.

    Examples
    --------
    >>> check_score_options(None, 1.0, "covariance")
    >>> check_score_options(0.0, 1.0, "covariance")
    Traceback (most recent call last):
    ...
    uncertainty.errors.InvalidInputError: sigma_pt must be > 0, got 0.0
    """
    if sigma_pt is not None and not (sigma_pt > 0 and math.isfinite(sigma_pt)):
        raise InvalidInputError(f"sigma_pt must be > 0, got {sigma_pt}", field="sigma_pt")
    if not (en_limit > 0 and math.isfinite(en_limit)):
        raise InvalidInputError(f"en_limit must be > 0, got {en_limit}", field="en_limit")
    if doe_convention not in ("covariance", "independent"):
        raise InvalidInputError(
            f"doe_convention must be 'covariance' or 'independent', got {doe_convention!r}",
            field="doe_convention",
        )


def evaluate_round(
    participants: Sequence[str],
    values: Sequence[float] | FloatArray,
    expanded_uncertainty: Sequence[float] | FloatArray,
    coverage_factor: Sequence[float] | FloatArray,
    *,
    method: str,
    exclude_from_reference: Sequence[bool] | BoolArray | None = None,
    reference_value: float | None = None,
    reference_expanded_uncertainty: float | None = None,
    reference_coverage_factor: float | None = None,
    sigma_pt: float | None = None,
    en_limit: float = DEFAULT_EN_LIMIT,
    doe_convention: DoeConvention = "covariance",
    largest_subset: bool = True,
    alpha: float = 0.05,
    stopping: StoppingRule = "converged",
) -> RoundScores:
    """Assigned value, scores, verdicts and degrees of equivalence of one round.

    Formulae (CONTRACTS.md section 3): D = x − x_pt; En with the reported U as given;
    ζ with u = U/k (each result's own k); z and z′ with σ_pt (s* for ``robust``
    when σ_pt is not given), z′ chosen when u(x_pt) >= 0.3 σ_pt. Where a result
    contributed to a linear x_pt (weighted mean, DerSimonian–Laird) and
    ``doe_convention="covariance"``, u²(D_i) = u_i² + u²(x_pt) − 2 cov, ζ = D/u(D)
    and En = D/(2 u(D)).

    References
    ----------
    ISO 13528:2022 9.3–9.8; Cox 2002 Metrologia 39 589 (degrees of equivalence).
    """
    x = np.asarray(values, dtype=np.float64)
    big_u = np.asarray(expanded_uncertainty, dtype=np.float64)
    k = np.asarray(coverage_factor, dtype=np.float64)
    names = list(participants)
    _validate(names, x, big_u, k)
    check_score_options(sigma_pt, en_limit, doe_convention)
    u = big_u / k
    use = (
        np.ones(x.size, dtype=np.bool_)
        if exclude_from_reference is None
        else ~np.asarray(exclude_from_reference, dtype=np.bool_)
    )
    assigned = assign_value(
        method,
        x,
        u,
        use_for_reference=use,
        reference_value=reference_value,
        reference_expanded_uncertainty=reference_expanded_uncertainty,
        reference_coverage_factor=reference_coverage_factor,
        largest_subset=largest_subset,
        alpha=alpha,
        stopping=stopping,
    )
    x_pt, u_pt, big_u_pt = (
        assigned.value,
        assigned.standard_uncertainty,
        assigned.expanded_uncertainty,
    )

    if big_u_pt == 0:
        both_zero = np.flatnonzero(big_u == 0)
        if both_zero.size:
            i = int(both_zero[0])
            raise InvalidInputError(
                f"En is undefined for {names[i]!r}: U_lab = U_ref = 0; give a non-zero "
                "expanded uncertainty",
                field=f"results[{i}].expanded_uncertainty",
            )
    deviation = x - x_pt
    en = en_score(x, x_pt, big_u, big_u_pt)
    zeta = zeta_score(x, x_pt, u, u_pt)
    covariance_applied = np.zeros(x.size, dtype=np.bool_)
    _, u_doe = degrees_of_equivalence(
        x, u, x_pt, u_pt, covariance=assigned.covariance, convention=doe_convention
    )
    if doe_convention == "covariance":
        covariance_applied = assigned.covariance > 0
        if np.any(covariance_applied):
            idx = covariance_applied & (u_doe > 0)
            zeta = zeta.copy()
            en = en.copy()
            zeta[idx] = deviation[idx] / u_doe[idx]
            en[idx] = deviation[idx] / (2.0 * u_doe[idx])

    effective_sigma = sigma_pt
    if effective_sigma is None and assigned.robust is not None and method == "robust":
        effective_sigma = assigned.robust.sd
    nan = np.full(x.size, np.nan)
    z_choice: str | None = None
    if effective_sigma is not None:
        z = z_score(x, x_pt, effective_sigma)
        z_prime = z_prime_score(x, x_pt, effective_sigma, u_pt)
        z_choice = "z_prime" if use_z_prime(u_pt, effective_sigma) else "z"
        z_verdicts = classify_z(z_prime if z_choice == "z_prime" else z)
        u_max: float | None = 1.5 * effective_sigma
    else:
        z, z_prime = nan, nan.copy()
        z_verdicts = [None] * x.size
        u_max = None
    flags: list[str | None] = list(plausibility_flags(u, u_pt, u_max))
    return RoundScores(
        participants=names,
        values=x,
        assigned=assigned,
        sigma_pt=effective_sigma,
        en_limit=en_limit,
        doe_convention=doe_convention,
        deviation=deviation,
        percent_deviation=percent_deviation(x, x_pt),
        en=en,
        zeta=zeta,
        z=z,
        z_prime=z_prime,
        z_choice=z_choice,
        en_verdicts=classify_en(en, en_limit),
        z_verdicts=z_verdicts,
        zeta_verdicts=classify_z(zeta),
        doe_standard_uncertainty=u_doe,
        covariance_applied=covariance_applied,
        plausibility=flags,
    )
