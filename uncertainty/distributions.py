"""Probability distributions of input quantities (JCGM 101:2008 6.4, JCGM 102:2011 6.5).

A :class:`Distribution` describes one scalar input quantity: its estimate (``mean``), its
standard uncertainty and degrees of freedom, and how to draw from it. A
:class:`JointDistribution` describes inputs that must be sampled together (correlated
inputs, observation groups). Distributions are chosen by name from :data:`DISTRIBUTIONS`
(STYLE.md rule 13). Every stochastic method takes an explicit ``numpy.random.Generator``.

Contract of ``uncertainty/montecarlo.py`` (implemented by the MCM engineer, called by
``uncertainty.budget``)::

    VectorModel = Callable[[Mapping[str, NDArray[np.float64]]], Mapping[str, NDArray[np.float64]]]
    # input magnitudes (in each input's own unit) -> output magnitudes (in the output unit);
    # every array has the same length (one value per trial).

    run_monte_carlo(model: VectorModel, independent: Mapping[str, Distribution],
                    joint: Sequence[JointDistribution], *, outputs: Sequence[str],
                    trials: int, rng: np.random.Generator, coverage_probability: float,
                    progress: Callable[[int, int], None] | None = None,
                    cancel: Callable[[], bool] | None = None) -> dict[str, MonteCarloOutput]
    run_adaptive(model, independent, joint, *, outputs, rng, coverage_probability,
                 significant_digits: int = 2, ...) -> dict[str, MonteCarloOutput]
        # JCGM 101:2008 7.9
    validate_guf(*, estimate: float, expanded_uncertainty: float, standard_uncertainty: float,
                 interval: tuple[float, float], significant_digits: int = 2) -> GufValidation
        # JCGM 101:2008 8.2
    MonteCarloOutput: trials, mean, standard_uncertainty, interval (probabilistically
        symmetric), shortest_interval, histogram (counts, edges)       # JCGM 101 7.7
    GufValidation: significant_digits, delta, d_low, d_high, validated

``independent`` maps input names to their distributions; each
:class:`JointDistribution` in ``joint`` supplies the rows named in its ``names`` (an input
name appears in exactly one of the two). Draws are in each input's own unit, matching the
magnitudes the ``VectorModel`` expects. What each budget input form samples is fixed by
CONTRACTS.md section 1 and implemented in ``uncertainty.inputs``.

References
----------
JCGM 101:2008 6.4 (probability density functions for the input quantities), 6.4.8
(multivariate Gaussian), 6.4.9 (t-distribution); JCGM 102:2011 6.5.3 (multivariate t).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import special

from uncertainty.errors import InvalidInputError

__all__ = [
    "DISTRIBUTIONS",
    "Arcsine",
    "Constant",
    "Distribution",
    "GaussianCopula",
    "JointDistribution",
    "MultivariateNormal",
    "MultivariateT",
    "Normal",
    "Rectangular",
    "StudentT",
    "Triangular",
]

FloatArray = NDArray[np.float64]


def _finite(value: float, what: str, field: str | None) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInputError(f"{what} must be a finite number, got {value!r}", field=field)
    return number


def _positive(value: float, what: str, field: str | None) -> float:
    number = _finite(value, what, field)
    if number <= 0:
        raise InvalidInputError(f"{what} must be > 0, got {value!r}", field=field)
    return number


class Distribution(ABC):
    """One scalar input quantity (JCGM 101:2008 6.4).

    References
    ----------
    JCGM 101:2008 6.4, Table 1.
    """

    @property
    @abstractmethod
    def mean(self) -> float:
        """The estimate (expectation) of the quantity."""

    @property
    @abstractmethod
    def standard_uncertainty(self) -> float:
        """The standard deviation of the distribution."""

    @property
    def dof(self) -> float:
        """Degrees of freedom attached to the standard uncertainty (``math.inf`` if exact)."""
        return math.inf

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` independent values."""

    @abstractmethod
    def ppf(self, p: FloatArray) -> FloatArray:
        """Inverse distribution function at probabilities ``p`` (for copulas)."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(mean={self.mean!r}, "
            f"standard_uncertainty={self.standard_uncertainty!r}, dof={self.dof!r})"
        )


class Normal(Distribution):
    """Gaussian N(mean, u²) (JCGM 101:2008 6.4.7).

    ``dof`` feeds Welch–Satterthwaite only; the sampled PDF is Gaussian whatever it says
    (JCGM 101:2008 6.4.7, CONTRACTS.md section 1).

    Examples
    --------
    >>> Normal(1.0, 0.5).standard_uncertainty
    0.5

    References
    ----------
    JCGM 101:2008 6.4.7.
    """

    def __init__(
        self,
        mean: float,
        standard_uncertainty: float,
        dof: float = math.inf,
        *,
        field: str | None = None,
    ) -> None:
        self._mean = _finite(mean, "value", field)
        u = _finite(standard_uncertainty, "standard uncertainty", field)
        if u < 0:
            raise InvalidInputError(
                f"standard uncertainty must be >= 0, got {standard_uncertainty!r}", field=field
            )
        self._u = u
        self._dof = float(dof)
        if math.isnan(self._dof) or self._dof <= 0:
            raise InvalidInputError(f"dof must be > 0, got {dof!r}", field=field)

    @property
    def mean(self) -> float:
        return self._mean

    @property
    def standard_uncertainty(self) -> float:
        return self._u

    @property
    def dof(self) -> float:
        return self._dof

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.normal(self._mean, self._u, size)

    def ppf(self, p: FloatArray) -> FloatArray:
        return np.asarray(self._mean + self._u * special.ndtri(p), dtype=np.float64)


class Rectangular(Distribution):
    """Rectangular on [mean − a, mean + a], u = a/√3 (JCGM 101:2008 6.4.2, GUM 4.3.7).

    Examples
    --------
    >>> round(Rectangular(0.0, math.sqrt(3.0)).standard_uncertainty, 12)
    1.0

    References
    ----------
    JCGM 101:2008 6.4.2; JCGM 100:2008 4.3.7.
    """

    def __init__(self, mean: float, half_width: float, *, field: str | None = None) -> None:
        self._mean = _finite(mean, "value", field)
        self.half_width = _positive(half_width, "half_width", field)

    @property
    def mean(self) -> float:
        return self._mean

    @property
    def standard_uncertainty(self) -> float:
        return self.half_width / math.sqrt(3.0)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.uniform(self._mean - self.half_width, self._mean + self.half_width, size)

    def ppf(self, p: FloatArray) -> FloatArray:
        return np.asarray(self._mean + self.half_width * (2.0 * p - 1.0), dtype=np.float64)


class Triangular(Distribution):
    """Symmetric triangular on [mean − a, mean + a], u = a/√6 (JCGM 101:2008 6.4.5).

    References
    ----------
    JCGM 101:2008 6.4.5; JCGM 100:2008 4.3.9.
    """

    def __init__(self, mean: float, half_width: float, *, field: str | None = None) -> None:
        self._mean = _finite(mean, "value", field)
        self.half_width = _positive(half_width, "half_width", field)

    @property
    def mean(self) -> float:
        return self._mean

    @property
    def standard_uncertainty(self) -> float:
        return self.half_width / math.sqrt(6.0)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        a = self.half_width
        return rng.triangular(self._mean - a, self._mean, self._mean + a, size)

    def ppf(self, p: FloatArray) -> FloatArray:
        p = np.asarray(p, dtype=np.float64)
        a = self.half_width
        low = self._mean - a + a * np.sqrt(2.0 * np.clip(p, 0.0, 0.5))
        high = self._mean + a - a * np.sqrt(2.0 * np.clip(1.0 - p, 0.0, 0.5))
        return np.where(p < 0.5, low, high)


class Arcsine(Distribution):
    """Arcsine (U-shaped) on [mean − a, mean + a], u = a/√2 (JCGM 101:2008 6.4.6).

    Sampled as mean + a·sin(2πr), r rectangular on [0, 1] (JCGM 101:2008 6.4.6.4).

    References
    ----------
    JCGM 101:2008 6.4.6; JCGM 100:2008 H.1.3.6.
    """

    def __init__(self, mean: float, half_width: float, *, field: str | None = None) -> None:
        self._mean = _finite(mean, "value", field)
        self.half_width = _positive(half_width, "half_width", field)

    @property
    def mean(self) -> float:
        return self._mean

    @property
    def standard_uncertainty(self) -> float:
        return self.half_width / math.sqrt(2.0)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return self._mean + self.half_width * np.sin(2.0 * np.pi * rng.random(size))

    def ppf(self, p: FloatArray) -> FloatArray:
        p = np.asarray(p, dtype=np.float64)
        return np.asarray(self._mean - self.half_width * np.cos(np.pi * p), dtype=np.float64)


class StudentT(Distribution):
    """Scaled and shifted t: mean + scale·t_ν (JCGM 101:2008 6.4.9).

    ``standard_uncertainty`` is the standard deviation of this distribution,
    scale·√(ν/(ν−2)) (JCGM 101:2008 6.4.9.4), defined for ν > 2 and ``math.inf`` otherwise.
    For observations (Type A) the GUF uses the scale s/√n itself as u (GUM 4.2.3); that
    choice is made in ``uncertainty.inputs``, not here.

    References
    ----------
    JCGM 101:2008 6.4.9; JCGM 100:2008 4.2.3, G.3.
    """

    def __init__(self, mean: float, scale: float, dof: float, *, field: str | None = None) -> None:
        self._mean = _finite(mean, "value", field)
        self.scale = _finite(scale, "scale", field)
        if self.scale < 0:
            raise InvalidInputError(f"scale must be >= 0, got {scale!r}", field=field)
        self._dof = float(dof)
        if math.isnan(self._dof) or self._dof <= 0:
            raise InvalidInputError(f"dof must be > 0, got {dof!r}", field=field)

    @classmethod
    def from_standard_deviation(
        cls, mean: float, standard_deviation: float, dof: float, *, field: str | None = None
    ) -> StudentT:
        """t whose standard deviation is ``standard_deviation`` (needs ν > 2).

        scale = sd·√((ν−2)/ν) (JCGM 101:2008 6.4.9.4).
        """
        nu = float(dof)
        if not nu > 2:
            raise InvalidInputError(
                f"a Student t given by its standard deviation needs dof > 2, got {dof!r}",
                field=field,
            )
        sd = _finite(standard_deviation, "standard uncertainty", field)
        if sd < 0:
            raise InvalidInputError(
                f"standard uncertainty must be >= 0, got {standard_deviation!r}", field=field
            )
        scale = sd if math.isinf(nu) else sd * math.sqrt((nu - 2.0) / nu)
        return cls(mean, scale, nu, field=field)

    @property
    def mean(self) -> float:
        return self._mean

    @property
    def standard_uncertainty(self) -> float:
        if math.isinf(self._dof):
            return self.scale
        if self._dof <= 2:
            return math.inf
        return self.scale * math.sqrt(self._dof / (self._dof - 2.0))

    @property
    def dof(self) -> float:
        return self._dof

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        if math.isinf(self._dof):
            return rng.normal(self._mean, self.scale, size)
        return self._mean + self.scale * rng.standard_t(self._dof, size)

    def ppf(self, p: FloatArray) -> FloatArray:
        if math.isinf(self._dof):
            q = special.ndtri(p)
        else:
            q = special.stdtrit(self._dof, p)
        return np.asarray(self._mean + self.scale * q, dtype=np.float64)


class Constant(Distribution):
    """A quantity known exactly (no uncertainty)."""

    def __init__(self, value: float, *, field: str | None = None) -> None:
        self._mean = _finite(value, "value", field)

    @property
    def mean(self) -> float:
        return self._mean

    @property
    def standard_uncertainty(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.full(size, self._mean)

    def ppf(self, p: FloatArray) -> FloatArray:
        return np.full(np.shape(p), self._mean)


DISTRIBUTIONS: dict[str, type[Distribution]] = {
    "normal": Normal,
    "rectangular": Rectangular,
    "triangular": Triangular,
    "arcsine": Arcsine,
    "student_t": StudentT,
    "constant": Constant,
}
"""Name → class table used by budget documents (STYLE.md rule 13)."""


def _matrix_root(matrix: FloatArray, what: str, field: str | None) -> FloatArray:
    """A factor L with L·Lᵀ = matrix for a symmetric positive semi-definite matrix.

    Cholesky where it succeeds, else a clipped eigen-decomposition (semi-definite).
    """
    if not np.all(np.isfinite(matrix)):
        raise InvalidInputError(f"{what} has non-finite entries", field=field)
    if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=0.0):
        raise InvalidInputError(f"{what} must be symmetric", field=field)
    try:
        return np.asarray(np.linalg.cholesky(matrix), dtype=np.float64)
    except np.linalg.LinAlgError:
        pass
    values, vectors = np.linalg.eigh(matrix)
    scale = max(float(np.max(np.abs(values))), 1e-300)
    if float(np.min(values)) < -1e-10 * scale:
        raise InvalidInputError(
            f"{what} is not positive semi-definite (smallest eigenvalue "
            f"{float(np.min(values)):.3g})",
            field=field,
        )
    return np.asarray(vectors * np.sqrt(np.clip(values, 0.0, None)), dtype=np.float64)


class JointDistribution(ABC):
    """Several input quantities sampled together.

    ``covariance`` is the covariance matrix the GUF uses for these inputs
    (JCGM 100:2008 5.2.2).
    """

    names: tuple[str, ...]
    means: FloatArray
    covariance: FloatArray

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` joint values; shape ``(len(names), size)``."""

    def _set_names_means(self, names: Sequence[str], means: Sequence[float] | FloatArray) -> None:
        self.names = tuple(names)
        if len(set(self.names)) != len(self.names):
            raise InvalidInputError(f"input names must be distinct, got {self.names}")
        self.means = np.asarray(means, dtype=np.float64).reshape(-1)
        if self.means.shape != (len(self.names),):
            raise InvalidInputError(
                f"{len(self.names)} names but {self.means.size} means", field="means"
            )
        if not np.all(np.isfinite(self.means)):
            raise InvalidInputError("means must be finite", field="means")


def _square(matrix: Sequence[Sequence[float]] | FloatArray, n: int, what: str) -> FloatArray:
    array = np.asarray(matrix, dtype=np.float64)
    if array.shape != (n, n):
        raise InvalidInputError(f"{what} must be {n}x{n}, got shape {array.shape}", field=what)
    return array


class MultivariateNormal(JointDistribution):
    """Multivariate Gaussian N(μ, V) (JCGM 101:2008 6.4.8).

    Sampled as μ + L·z with L·Lᵀ = V (Cholesky, JCGM 101:2008 C.5; eigen-decomposition
    for a singular V).

    References
    ----------
    JCGM 101:2008 6.4.8, C.5.
    """

    def __init__(
        self,
        names: Sequence[str],
        means: Sequence[float] | FloatArray,
        covariance: Sequence[Sequence[float]] | FloatArray,
    ) -> None:
        self._set_names_means(names, means)
        self.covariance = _square(covariance, len(self.names), "covariance")
        self._root = _matrix_root(self.covariance, "covariance", "covariance")

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        z = rng.standard_normal((len(self.names), size))
        return self.means[:, None] + self._root @ z


class MultivariateT(JointDistribution):
    """Multivariate t for a group of simultaneous observations (JCGM 102:2011 6.5.3).

    For n simultaneous observations of N quantities with sample covariance S, the scale
    matrix is S/n and ν = n − 1. ``covariance`` returns the scale matrix, the covariance
    estimate the GUF uses (JCGM 100:2008 5.2.3, H.2); the distribution's own covariance
    is ν/(ν−2) times it (``distribution_covariance``).

    References
    ----------
    JCGM 102:2011 6.5.3; JCGM 100:2008 5.2.3, H.2.
    """

    def __init__(
        self,
        names: Sequence[str],
        means: Sequence[float] | FloatArray,
        scale_matrix: Sequence[Sequence[float]] | FloatArray,
        dof: float,
    ) -> None:
        self._set_names_means(names, means)
        self.scale_matrix = _square(scale_matrix, len(self.names), "scale_matrix")
        self.covariance = self.scale_matrix
        self.dof = float(dof)
        if math.isnan(self.dof) or self.dof <= 0:
            raise InvalidInputError(f"dof must be > 0, got {dof!r}", field="dof")
        self._root = _matrix_root(self.scale_matrix, "scale_matrix", "scale_matrix")

    @property
    def distribution_covariance(self) -> FloatArray:
        """ν/(ν−2)·scale (JCGM 102:2011 6.5.3); infinite for ν <= 2."""
        if self.dof <= 2:
            return np.full_like(self.scale_matrix, np.inf)
        return np.asarray(self.scale_matrix * self.dof / (self.dof - 2.0), dtype=np.float64)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        z = rng.standard_normal((len(self.names), size))
        if math.isinf(self.dof):
            return self.means[:, None] + self._root @ z
        w = rng.chisquare(self.dof, size) / self.dof
        return np.asarray(self.means[:, None] + (self._root @ z) / np.sqrt(w), dtype=np.float64)


class GaussianCopula(JointDistribution):
    """Correlated non-Gaussian inputs through a Gaussian copula.

    z ~ N(0, R); x_i = F_i⁻¹(Φ(z_i)). The marginals are exact; the correlation of the
    draws is close to, not equal to, R (a rank-type dependence). This is an
    APPROXIMATION: JCGM 101 gives no general PDF for correlated non-Gaussian inputs.
    ``covariance`` is D·R·D with D the marginal standard uncertainties, which is what the
    GUF uses (JCGM 100:2008 5.2.2).

    References
    ----------
    JCGM 100:2008 5.2.2; JCGM 101:2008 6.4 (marginals).
    """

    def __init__(
        self,
        names: Sequence[str],
        marginals: Sequence[Distribution],
        correlation: Sequence[Sequence[float]] | FloatArray,
    ) -> None:
        self.marginals = tuple(marginals)
        self._set_names_means(names, [m.mean for m in self.marginals])
        self.correlation = _square(correlation, len(self.names), "correlation")
        if np.any(np.abs(self.correlation) > 1.0 + 1e-12):
            raise InvalidInputError("correlation coefficients must be in [-1, 1]")
        self._root = _matrix_root(self.correlation, "correlation matrix", "correlations")
        sd = np.array([m.standard_uncertainty for m in self.marginals], dtype=np.float64)
        self.covariance = np.asarray(self.correlation * np.outer(sd, sd), dtype=np.float64)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        z = self._root @ rng.standard_normal((len(self.names), size))
        p = special.ndtr(z)
        return np.vstack([m.ppf(p[i]) for i, m in enumerate(self.marginals)])
