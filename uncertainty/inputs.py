"""Input quantities of a budget: GUF estimates and Monte Carlo distributions.

Every uncertainty form of CONTRACTS.md section 1 becomes an :class:`InputQuantity` (the
estimate, standard uncertainty and degrees of freedom the GUF uses) plus what Monte Carlo
samples (JCGM 101:2008 6.4): an independent :class:`~uncertainty.distributions.Distribution`
or a row of a :class:`~uncertainty.distributions.JointDistribution`.

=====================================================  ======================  ==================
form                                                   GUF u, ν                Monte Carlo draws
=====================================================  ======================  ==================
standard_uncertainty                                   u, dof (∞)              normal
expanded_uncertainty + coverage_factor                 U/k, dof (∞)            normal
expanded_uncertainty + coverage_probability + dof      U/t_{(1+p)/2}(ν), ν     t, scale U/t (6.4.9.7)
rectangular / triangular / arcsine, half_width|limits  a/√3, a/√6, a/√2; dof    as named
student_t + scale + dof                                scale, ν                t (6.4.9)
student_t + standard_uncertainty + dof (> 2)           sd, ν                   t with that sd
observations (n >= 2)                                  s/√n, n − 1             t (6.4.9)
observation_groups                                     S/n (GUM 5.2.3, H.2)    multivariate t
constant                                               0                       the value
=====================================================  ======================  ==================

Correlated inputs (``correlations``) are sampled jointly: multivariate normal when every
member is normal, otherwise a Gaussian copula (an approximation, see
:class:`~uncertainty.distributions.GaussianCopula`).

References
----------
JCGM 100:2008 4.2 (Type A), 4.3 (Type B), 5.2.3 and H.2 (covariances from simultaneous
observations), G.3 and G.4.2; JCGM 101:2008 6.4; JCGM 102:2011 6.5.3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pint
from numpy.typing import NDArray
from scipy import special

from uncertainty.distributions import (
    Arcsine,
    Constant,
    Distribution,
    GaussianCopula,
    JointDistribution,
    MultivariateNormal,
    MultivariateT,
    Normal,
    Rectangular,
    StudentT,
    Triangular,
)
from uncertainty.errors import InvalidInputError
from uncertainty.schema import BudgetDocument, InputSpec
from uncertainty.units import parse_unit

__all__ = [
    "InputQuantity",
    "InputSet",
    "build_inputs",
    "clear_input_cache",
    "student_t_quantile",
]

_FORMS = (
    "standard_uncertainty",
    "expanded_uncertainty",
    "half_width",
    "limits",
    "scale",
    "observations",
)


_ALLOWED_DISTRIBUTIONS: dict[str, tuple[str | None, ...]] = {
    "standard_uncertainty": (None, "normal", "student_t"),
    "expanded_uncertainty": (None, "normal"),
    "half_width": ("rectangular", "triangular", "arcsine"),
    "limits": ("rectangular", "triangular", "arcsine"),
    "scale": ("student_t",),
    "observations": (None,),
}
"""Distributions that go with each uncertainty form (CONTRACTS.md section 1)."""


def student_t_quantile(probability: float, dof: float) -> float:
    """Two-sided coverage factor t_{(1+p)/2}(ν); the normal quantile for ν = ∞.

    References
    ----------
    JCGM 100:2008 G.3.4, Table G.2.
    """
    q = 0.5 * (1.0 + probability)
    if math.isinf(dof):
        return float(special.ndtri(q))
    return float(special.stdtrit(dof, q))


@dataclass(frozen=True)
class InputQuantity:
    """One input as the GUF sees it (estimate, u, ν) with its sampling distribution."""

    name: str
    value: float
    unit: pint.Unit
    unit_text: str
    standard_uncertainty: float
    dof: float
    distribution: str
    sampler: Distribution
    description: str | None = None


@dataclass(frozen=True)
class InputSet:
    """All inputs in order, their covariance matrix, and how Monte Carlo draws them.

    ``ensembles`` lists index groups that share one dof (observation groups, Willink
    2007); ``correlated`` lists index groups correlated through ``correlations``.
    """

    quantities: tuple[InputQuantity, ...]
    covariance: NDArray[np.float64]
    independent: dict[str, Distribution]
    joint: tuple[JointDistribution, ...]
    ensembles: tuple[tuple[tuple[int, ...], float], ...]
    correlated: tuple[tuple[int, ...], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(q.name for q in self.quantities)


def _nonneg(value: float, field: str, what: str = "uncertainty") -> float:
    if value < 0:
        raise InvalidInputError(f"{what} must be >= 0, got {value!r}", field=field)
    return value


def _need(value: float | None, field: str) -> float:
    if value is None:
        raise InvalidInputError("value is required", field=f"{field}.value")
    return value


def _dof(spec: InputSpec, field: str) -> float:
    if spec.dof is None:
        return math.inf
    if spec.dof <= 0:
        raise InvalidInputError(f"dof must be > 0, got {spec.dof!r}", field=f"{field}.dof")
    return float(spec.dof)


def _one_input(name: str, spec: InputSpec) -> InputQuantity:
    field = f"inputs.{name}"
    unit = parse_unit(spec.unit, field=f"{field}.unit")
    given = [f for f in _FORMS if getattr(spec, f) is not None]
    dist = spec.distribution
    if dist == "constant":
        if given or spec.dof is not None:
            raise InvalidInputError(
                f"a constant has no uncertainty; remove {', '.join(given or ['dof'])}",
                field=f"{field}.{(given or ['dof'])[0]}",
            )
        if spec.value is None:
            raise InvalidInputError("value is required", field=f"{field}.value")
        return InputQuantity(
            name,
            spec.value,
            unit,
            spec.unit,
            0.0,
            math.inf,
            "constant",
            Constant(spec.value, field=field),
            spec.description,
        )
    if len(given) > 1:
        raise InvalidInputError(
            f"give exactly one way of stating the uncertainty, got {', '.join(given)}",
            field=f"{field}.{given[1]}",
        )
    if not given:
        raise InvalidInputError(
            "no uncertainty given: use one of standard_uncertainty, expanded_uncertainty "
            "(+ coverage_factor, or coverage_probability + dof), half_width or limits with a "
            "distribution, scale, observations, or distribution 'constant'",
            field=field,
        )
    form = given[0]
    if form != "expanded_uncertainty":
        for extra in ("coverage_factor", "coverage_probability"):
            if getattr(spec, extra) is not None:
                raise InvalidInputError(
                    f"{extra} belongs to expanded_uncertainty, not to {form}",
                    field=f"{field}.{extra}",
                )
    allowed = _ALLOWED_DISTRIBUTIONS[form]
    if dist not in allowed:
        raise InvalidInputError(
            f"distribution {dist!r} does not go with {form} (allowed: "
            f"{', '.join(str(a) for a in allowed if a)}{'' if None not in allowed else ' or none'})",
            field=f"{field}.distribution",
        )
    value = spec.value
    desc = spec.description
    if form == "standard_uncertainty":
        u = _nonneg(float(spec.standard_uncertainty or 0.0), f"{field}.standard_uncertainty")
        nu = _dof(spec, field)
        value = _need(value, field)
        if dist == "student_t":
            if spec.dof is None:
                raise InvalidInputError("student_t needs dof", field=f"{field}.dof")
            sampler: Distribution = StudentT.from_standard_deviation(
                value, u, nu, field=f"{field}.dof"
            )
            return InputQuantity(name, value, unit, spec.unit, u, nu, "Student t", sampler, desc)
        return InputQuantity(
            name, value, unit, spec.unit, u, nu, "normal", Normal(value, u, nu, field=field), desc
        )
    if form == "expanded_uncertainty":
        big_u = _nonneg(float(spec.expanded_uncertainty or 0.0), f"{field}.expanded_uncertainty")
        value = _need(value, field)
        if spec.coverage_factor is not None:
            if spec.coverage_probability is not None:
                raise InvalidInputError(
                    "give coverage_factor or coverage_probability + dof, not both",
                    field=f"{field}.coverage_probability",
                )
            if spec.coverage_factor <= 0:
                raise InvalidInputError(
                    f"coverage_factor must be > 0, got {spec.coverage_factor!r}",
                    field=f"{field}.coverage_factor",
                )
            u = big_u / spec.coverage_factor
            nu = _dof(spec, field)
            return InputQuantity(
                name,
                value,
                unit,
                spec.unit,
                u,
                nu,
                "normal",
                Normal(value, u, nu, field=field),
                desc,
            )
        p = spec.coverage_probability
        if p is None:
            raise InvalidInputError(
                "expanded_uncertainty needs coverage_factor, or coverage_probability and dof",
                field=f"{field}.coverage_factor",
            )
        if not 0.0 < p < 1.0:
            raise InvalidInputError(
                f"coverage_probability must be in (0, 1), got {p!r}",
                field=f"{field}.coverage_probability",
            )
        nu = _dof(spec, field)
        u = big_u / student_t_quantile(p, nu)
        return InputQuantity(
            name,
            value,
            unit,
            spec.unit,
            u,
            nu,
            "Student t" if math.isfinite(nu) else "normal",
            StudentT(value, u, nu, field=field),
            desc,
        )
    if form in ("half_width", "limits"):
        if form == "limits":
            low, high = spec.limits or (0.0, 0.0)
            if not high > low:
                raise InvalidInputError(
                    f"limits must be [a, b] with a < b, got {[low, high]}", field=f"{field}.limits"
                )
            mid = 0.5 * (low + high)
            if value is not None and not math.isclose(value, mid, rel_tol=1e-12, abs_tol=1e-300):
                raise InvalidInputError(
                    f"value {value!r} is not the midpoint {mid!r} of limits {[low, high]}; "
                    "asymmetric limits are not supported: omit value or give a half_width",
                    field=f"{field}.value",
                )
            value, half = mid, 0.5 * (high - low)
        else:
            half = float(spec.half_width or 0.0)
            if half <= 0:
                raise InvalidInputError(
                    f"half_width must be > 0, got {spec.half_width!r}", field=f"{field}.half_width"
                )
        value = _need(value, field)
        name_ = str(dist)
        if name_ == "rectangular":
            sampler = Rectangular(value, half, field=field)
        elif name_ == "triangular":
            sampler = Triangular(value, half, field=field)
        else:
            sampler = Arcsine(value, half, field=field)
        return InputQuantity(
            name,
            value,
            unit,
            spec.unit,
            sampler.standard_uncertainty,
            _dof(spec, field),
            name_,
            sampler,
            desc,
        )
    if form == "scale":
        scale = _nonneg(float(spec.scale or 0.0), f"{field}.scale", "scale")
        if spec.dof is None:
            raise InvalidInputError("student_t needs dof", field=f"{field}.dof")
        nu = _dof(spec, field)
        value = _need(value, field)
        return InputQuantity(
            name,
            value,
            unit,
            spec.unit,
            scale,
            nu,
            "Student t",
            StudentT(value, scale, nu, field=field),
            desc,
        )
    obs = np.asarray(spec.observations, dtype=np.float64)
    if obs.size < 2:
        raise InvalidInputError(
            f"observations need at least 2 values, got {obs.size}", field=f"{field}.observations"
        )
    if spec.dof is not None:
        raise InvalidInputError(
            "dof comes from the observations (n - 1); remove dof", field=f"{field}.dof"
        )
    mean = float(obs.mean())
    if value is not None and not math.isclose(
        value, mean, rel_tol=1e-9, abs_tol=1e-12 * max(1.0, abs(mean))
    ):
        raise InvalidInputError(
            f"value {value!r} differs from the mean of the observations {mean!r}; omit value",
            field=f"{field}.value",
        )
    u = float(obs.std(ddof=1)) / math.sqrt(obs.size)
    nu = float(obs.size - 1)
    return InputQuantity(
        name, mean, unit, spec.unit, u, nu, "Type A (t)", StudentT(mean, u, nu, field=field), desc
    )


_QUANTITIES: dict[tuple[object, ...], InputQuantity] = {}
_MAX_QUANTITIES = 8192


def clear_input_cache() -> None:
    """Forget every remembered input quantity (benchmarks measure cold builds with it)."""
    _QUANTITIES.clear()


def _input_quantity(name: str, spec: InputSpec) -> InputQuantity:
    """:func:`_one_input`, remembered per (name, every field of the spec).

    Input quantities and their samplers are immutable, so a budget evaluated again with
    the same inputs (the editor after each edit, a benchmark loop) reuses them. Inputs
    with observations are always rebuilt; errors are never remembered.
    """
    if spec.observations is not None:
        return _one_input(name, spec)
    key = (name, *spec.__dict__.items())  # every field, whatever the schema grows
    quantity = _QUANTITIES.get(key)
    if quantity is None:
        quantity = _one_input(name, spec)
        if len(_QUANTITIES) >= _MAX_QUANTITIES:
            _QUANTITIES.clear()
        _QUANTITIES[key] = quantity
    return quantity


def build_inputs(document: BudgetDocument) -> InputSet:
    """Turn the document's inputs, correlations and observation groups into an InputSet.

    References
    ----------
    JCGM 100:2008 4.2, 4.3, 5.2.2, 5.2.3, H.2; JCGM 101:2008 6.4.
    """
    quantities = [_input_quantity(name, spec) for name, spec in document.inputs.items()]
    index = {q.name: i for i, q in enumerate(quantities)}
    n = len(quantities)
    u = np.array([q.standard_uncertainty for q in quantities])
    cov = np.diag(u**2)
    joint: list[JointDistribution] = []
    ensembles: list[tuple[tuple[int, ...], float]] = []
    in_group: set[str] = set()
    for g, group in enumerate(document.observation_groups):
        specs = [document.inputs[name] for name in group]
        if any(s.observations is None for s in specs):
            raise InvalidInputError(
                "every member of an observation group needs observations",
                field=f"observation_groups[{g}]",
            )
        lengths = {len(s.observations or []) for s in specs}
        if len(lengths) != 1:
            raise InvalidInputError(
                f"observations in a group must have equal length, got {sorted(lengths)}",
                field=f"observation_groups[{g}]",
            )
        data = np.array([s.observations for s in specs], dtype=np.float64)
        count = data.shape[1]
        scale = np.cov(data, ddof=1) / count
        idx = [index[name] for name in group]
        cov[np.ix_(idx, idx)] = scale
        joint.append(MultivariateT(group, data.mean(axis=1), scale, float(count - 1)))
        ensembles.append((tuple(idx), float(count - 1)))
        in_group.update(group)
    # components of explicit correlations
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for c, corr in enumerate(document.correlations):
        a, b = corr.inputs
        for name in (a, b):
            if name in in_group:
                raise InvalidInputError(
                    f"{name!r} belongs to an observation group, whose correlations come from "
                    "the data; remove this correlation",
                    field=f"correlations[{c}]",
                )
        i, j = index[a], index[b]
        cov[i, j] = cov[j, i] = corr.coefficient * u[i] * u[j]
        parent[root(i)] = root(j)
    components: dict[int, list[int]] = {}
    for c_ in document.correlations:
        for name in c_.inputs:
            members = components.setdefault(root(index[name]), [])
            if index[name] not in members:
                members.append(index[name])
    correlated: list[tuple[int, ...]] = []
    for members in components.values():
        members.sort()
        correlated.append(tuple(members))
        names = [quantities[i].name for i in members]
        sub = cov[np.ix_(members, members)]
        if all(isinstance(quantities[i].sampler, Normal) for i in members):
            joint.append(MultivariateNormal(names, [quantities[i].value for i in members], sub))
        else:
            sd = u[members]
            with np.errstate(invalid="ignore", divide="ignore"):
                corr_m = np.where(np.outer(sd, sd) > 0, sub / np.outer(sd, sd), 0.0)
            np.fill_diagonal(corr_m, 1.0)
            joint.append(GaussianCopula(names, [quantities[i].sampler for i in members], corr_m))
    jointly = {name for j in joint for name in j.names}
    independent = {q.name: q.sampler for q in quantities if q.name not in jointly}
    return InputSet(
        quantities=tuple(quantities),
        covariance=cov,
        independent=independent,
        joint=tuple(joint),
        ensembles=tuple(ensembles),
        correlated=tuple(correlated),
    )
