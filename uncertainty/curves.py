"""Straight-line calibration curves: OLS, WLS and WTLS with coefficient covariance.

The line is ``y = intercept + slope * (x - reference_x)``. Centring the abscissa at a
``reference_x`` (GUM H.3 uses t0 = 20 degC) changes the meaning of the intercept but not
the fit; the covariance of the coefficients is always reported, so a prediction at any x
carries the correlation term (JCGM 100:2008 H.3.4 / H.3.5, Eq. (H.16)).

Three estimators, chosen by what is known about the data:

* ``ols`` ordinary least squares: nothing is known about u(y); the scatter of the
  residuals estimates it (JCGM 100:2008 H.3.2, Eqs. (H.13)–(H.15)).
* ``wls`` weighted least squares with known u(y_i) (ISO/TS 28037:2010 clause 6): the
  covariance comes from the stated uncertainties, the observed chi-squared checks them.
* ``wtls`` weighted total least squares with known u(x_i) and u(y_i) (ISO/TS 28037:2010
  clause 7; Krystek and Anton, Meas. Sci. Technol. 18 (2007) 3438): Gauss–Newton on the
  weighted residuals ``(y_i - a - b x_i) / sqrt(u²(y_i) + b² u²(x_i))``.

This module is pure: arrays in, a frozen :class:`LineFit` out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from uncertainty.errors import InvalidInputError

__all__ = ["CURVE_METHODS", "CurveMethod", "LineFit", "fit_line"]

CurveMethod = Literal["ols", "wls", "wtls"]
CURVE_METHODS: tuple[str, ...] = ("ols", "wls", "wtls")

FloatArray = NDArray[np.float64]

_WTLS_MAX_ITERATIONS = 100
_WTLS_TOLERANCE = 1e-14


@dataclass(frozen=True)
class LineFit:
    """A fitted straight line ``y = intercept + slope * (x - reference_x)``.

    Attributes
    ----------
    method:
        ``"ols"``, ``"wls"`` or ``"wtls"``.
    reference_x:
        The abscissa at which ``intercept`` is the value of the line.
    intercept, slope:
        Estimates of the coefficients.
    covariance:
        2 x 2 covariance matrix of (intercept, slope).
    residual_standard_deviation:
        ``sqrt(sum(r_i²) / (n - 2))`` of the unweighted residuals
        ``r_i = y_i - line(x_i)`` (JCGM 100:2008 H.3.2, Eq. (H.14)). For OLS it is the
        ``s`` that scales the covariance; for WLS/WTLS it is descriptive only.
    dof:
        ``n - 2``.
    chi_squared:
        Observed ``sum(r_i² w_i²)`` for WLS and WTLS (ISO/TS 28037:2010 6.3 step 8,
        7.3); ``None`` for OLS.
    chi_squared_95:
        95 % quantile of chi-squared with ``dof`` degrees of freedom, the validation
        threshold of ISO/TS 28037:2010 6.3 step 9; ``None`` for OLS.
    iterations:
        Gauss–Newton iterations used (WTLS), else 0.
    """

    method: str
    reference_x: float
    intercept: float
    slope: float
    covariance: FloatArray = field(repr=False)
    residual_standard_deviation: float
    dof: int
    chi_squared: float | None = None
    chi_squared_95: float | None = None
    iterations: int = 0

    @property
    def intercept_uncertainty(self) -> float:
        """Standard uncertainty of the intercept, ``sqrt(V[0, 0])``."""
        return math.sqrt(max(float(self.covariance[0, 0]), 0.0))

    @property
    def slope_uncertainty(self) -> float:
        """Standard uncertainty of the slope, ``sqrt(V[1, 1])``."""
        return math.sqrt(max(float(self.covariance[1, 1]), 0.0))

    @property
    def correlation(self) -> float:
        """Correlation coefficient r(intercept, slope) (JCGM 100:2008 H.3, Eq. (H.15))."""
        denominator = self.intercept_uncertainty * self.slope_uncertainty
        if denominator == 0.0:
            return 0.0
        return float(self.covariance[0, 1]) / denominator

    @property
    def consistent(self) -> bool | None:
        """Whether chi-squared is within its 95 % quantile (ISO/TS 28037:2010 6.3 step 9)."""
        if self.chi_squared is None or self.chi_squared_95 is None:
            return None
        return self.chi_squared <= self.chi_squared_95

    def predict(self, x: float) -> tuple[float, float]:
        """Value of the line at ``x`` and its standard uncertainty.

        ``u²(y(x)) = u²(a) + (x - x0)² u²(b) + 2 (x - x0) cov(a, b)``: the covariance
        term is what gives GUM H.3's b(30 degC) = -0.1494(41) degC (r = -0.930).

        References
        ----------
        JCGM 100:2008 H.3.4, Eq. (H.16); ISO/TS 28037:2010 11.2 (forward evaluation).

        Examples
        --------
        >>> fit = fit_line([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], method="wls", u_y=[0.1] * 3)
        >>> round(fit.predict(1.0)[0], 12)
        3.0
        """
        dx = float(x) - self.reference_x
        value = self.intercept + self.slope * dx
        g = np.array([1.0, dx])
        variance = float(g @ self.covariance @ g)
        return value, math.sqrt(max(variance, 0.0))


def _as_vector(values: Sequence[float] | FloatArray, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise InvalidInputError(f"{name} must be a list of numbers", field=name)
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise InvalidInputError(
            f"{name}[{bad[0]}] must be a finite number, got {array[bad[0]]!r}",
            field=f"{name}.{bad[0]}",
        )
    return array


def _positive(values: Sequence[float] | FloatArray | None, name: str, n: int) -> FloatArray:
    if values is None:
        raise InvalidInputError(
            f"{name} is required for this method: give {n} values > 0", field=name
        )
    array = _as_vector(values, name)
    if array.size != n:
        raise InvalidInputError(
            f"{name} must have the same length as x ({n}), got {array.size}", field=name
        )
    bad = np.flatnonzero(array <= 0)
    if bad.size:
        raise InvalidInputError(
            f"{name}[{bad[0]}] must be > 0, got {array[bad[0]]!r}", field=f"{name}.{bad[0]}"
        )
    return array


def _wls(t: FloatArray, y: FloatArray, w: FloatArray) -> tuple[float, float, FloatArray]:
    """Weighted least squares with weights ``w_i = 1 / u(y_i)``.

    References
    ----------
    ISO/TS 28037:2010 6.3, steps 1 to 6 (the weighted centroid keeps the normal equations
    well conditioned).
    """
    w2 = w * w
    f2 = float(np.sum(w2))
    g0 = float(np.sum(w2 * t)) / f2
    h0 = float(np.sum(w2 * y)) / f2
    g = w * (t - g0)
    h = w * (y - h0)
    g2 = float(np.sum(g * g))
    if g2 == 0.0:
        raise InvalidInputError("x must contain at least two distinct values", field="x")
    slope = float(np.sum(g * h)) / g2
    intercept = h0 - slope * g0
    covariance = np.array([[1.0 / f2 + g0 * g0 / g2, -g0 / g2], [-g0 / g2, 1.0 / g2]])
    return intercept, slope, covariance


def _wtls(
    t: FloatArray, y: FloatArray, u_x: FloatArray, u_y: FloatArray
) -> tuple[float, float, FloatArray, int]:
    """Weighted total least squares by Gauss–Newton.

    Minimises ``sum((y_i - a - b t_i)² / (u²(y_i) + b² u²(x_i)))``. Each step solves the
    linear least-squares problem ``J d = f`` for the weighted residuals
    ``f_i = w_i (y_i - a - b t_i)``, ``w_i = (u²(y_i) + b² u²(x_i))^(-1/2)``, whose
    Jacobian has columns ``w_i`` and ``w_i (t_i + b u²(x_i) w_i² f_i / w_i)``. The
    covariance of (a, b) is ``(J^T J)^(-1)`` at the solution.

    References
    ----------
    ISO/TS 28037:2010 7.2 (Gauss–Newton algorithm, starting from the WLS estimates) and
    7.3 (uncertainty evaluation); Krystek and Anton, Meas. Sci. Technol. 18 (2007) 3438.
    """
    intercept, slope, _ = _wls(t, y, 1.0 / u_y)
    vx = u_x * u_x
    vy = u_y * u_y
    iterations = 0
    for iterations in range(1, _WTLS_MAX_ITERATIONS + 1):  # noqa: B007
        w = 1.0 / np.sqrt(vy + slope * slope * vx)
        z = y - intercept - slope * t
        f = w * z
        g = w * (t + slope * vx * w * w * z)
        jac = np.column_stack([w, g])
        step, *_ = np.linalg.lstsq(jac, f, rcond=None)
        intercept += float(step[0])
        slope += float(step[1])
        if abs(step[0]) <= _WTLS_TOLERANCE * (1.0 + abs(intercept)) and abs(
            step[1]
        ) <= _WTLS_TOLERANCE * (1.0 + abs(slope)):
            break
    else:  # pragma: no cover - the problem is convex near the WLS start for sane data
        raise InvalidInputError(
            f"the WTLS fit did not converge in {_WTLS_MAX_ITERATIONS} iterations; "
            "check u_x and u_y for outliers",
            field="method",
        )
    w = 1.0 / np.sqrt(vy + slope * slope * vx)
    z = y - intercept - slope * t
    g = w * (t + slope * vx * w * w * z)
    jac = np.column_stack([w, g])
    covariance: FloatArray = np.asarray(np.linalg.inv(jac.T @ jac), dtype=np.float64)
    return intercept, slope, covariance, iterations


def fit_line(
    x: Sequence[float] | FloatArray,
    y: Sequence[float] | FloatArray,
    *,
    method: str = "ols",
    u_x: Sequence[float] | FloatArray | None = None,
    u_y: Sequence[float] | FloatArray | None = None,
    reference_x: float = 0.0,
) -> LineFit:
    """Fit ``y = intercept + slope * (x - reference_x)`` by OLS, WLS or WTLS.

    Parameters
    ----------
    x, y:
        The calibration points (equal lengths, at least 3).
    method:
        ``"ols"`` (u(y) unknown, estimated from the residuals), ``"wls"`` (``u_y``
        known) or ``"wtls"`` (``u_x`` and ``u_y`` known).
    u_x, u_y:
        Standard uncertainties of the points (> 0), as the method requires.
    reference_x:
        Abscissa at which the intercept is taken (GUM H.3: t0 = 20 degC).

    Returns
    -------
    LineFit
        Estimates, their covariance, the residual standard deviation and ``n - 2`` dof.

    Raises
    ------
    InvalidInputError
        Unequal lengths, fewer than 3 points, a missing or non-positive uncertainty,
        fewer than two distinct x, an unknown method. The ``field`` names the input.

    References
    ----------
    JCGM 100:2008 H.3.2 (OLS, Eqs. (H.13)–(H.15): s² = Σr²/(n−2), u²(y1) = s²Σθ²/D,
    u²(y2) = n s²/D, r(y1, y2) = −Σθ/√(nΣθ²)); ISO/TS 28037:2010 clause 6 (WLS with known
    u(y)) and clause 7 (WTLS with known u(x), u(y)); Krystek and Anton (2007).

    Examples
    --------
    >>> fit = fit_line([1.0, 2.0, 3.0, 4.0], [2.1, 3.9, 6.2, 7.8])
    >>> round(fit.slope, 2), fit.dof
    (1.94, 2)
    """
    if method not in CURVE_METHODS:
        raise InvalidInputError(
            f"method must be one of {', '.join(CURVE_METHODS)}, got {method!r}", field="method"
        )
    xs = _as_vector(x, "x")
    ys = _as_vector(y, "y")
    if xs.size != ys.size:
        raise InvalidInputError(
            f"x and y must have equal lengths, got {xs.size} and {ys.size}", field="y"
        )
    n = xs.size
    if n < 3:
        raise InvalidInputError(
            f"a straight line with uncertainties needs at least 3 points, got {n}", field="x"
        )
    if not math.isfinite(reference_x):
        raise InvalidInputError(
            f"reference_x must be a finite number, got {reference_x!r}", field="reference_x"
        )
    t = xs - float(reference_x)
    dof = n - 2
    chi_squared: float | None = None
    chi_squared_95: float | None = None
    iterations = 0
    if method == "ols":
        intercept, slope, unit_covariance = _wls(t, ys, np.ones(n))
        residuals = ys - intercept - slope * t
        s2 = float(np.sum(residuals * residuals)) / dof
        covariance = unit_covariance * s2
    elif method == "wls":
        uy = _positive(u_y, "u_y", n)
        w = 1.0 / uy
        intercept, slope, covariance = _wls(t, ys, w)
        residuals = ys - intercept - slope * t
        chi_squared = float(np.sum((w * residuals) ** 2))
    else:
        ux = _positive(u_x, "u_x", n)
        uy = _positive(u_y, "u_y", n)
        if np.ptp(t) == 0.0:
            raise InvalidInputError("x must contain at least two distinct values", field="x")
        intercept, slope, covariance, iterations = _wtls(t, ys, ux, uy)
        residuals = ys - intercept - slope * t
        weights = 1.0 / np.sqrt(uy * uy + slope * slope * ux * ux)
        chi_squared = float(np.sum((weights * residuals) ** 2))
    if chi_squared is not None:
        chi_squared_95 = float(stats.chi2.ppf(0.95, dof))
    residual_sd = math.sqrt(float(np.sum(residuals * residuals)) / dof)
    return LineFit(
        method=method,
        reference_x=float(reference_x),
        intercept=float(intercept),
        slope=float(slope),
        covariance=np.asarray(covariance, dtype=np.float64),
        residual_standard_deviation=residual_sd,
        dof=dof,
        chi_squared=chi_squared,
        chi_squared_95=chi_squared_95,
        iterations=iterations,
    )
