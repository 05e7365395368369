"""Performance scores and verdicts: ISO 13528:2022 clause 9 (D, D %, z, z′, ζ, En).

Every function works element-wise on numpy arrays (or floats), so a round of
100 000 results is scored without a Python loop. Undefined scores (a result
without an uncertainty, a round without σ_pt) are NaN here; the document layer
turns them into JSON ``null``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from uncertainty.errors import InvalidInputError

__all__ = [
    "DEFAULT_EN_LIMIT",
    "Verdict",
    "classify_en",
    "classify_z",
    "en_score",
    "percent_deviation",
    "plausibility_flags",
    "use_z_prime",
    "z_prime_score",
    "z_score",
    "zeta_score",
]

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | FloatArray
Verdict = Literal["satisfactory", "questionable", "unsatisfactory"]

DEFAULT_EN_LIMIT = 1.0
"""ISO 13528:2022 9.7.2: |En| >= 1.0 is an action signal. ISO/IEC 17043:2010 B.4.1.1
classifies |En| <= 1.0 as satisfactory: pass a limit just above 1 to follow it."""


def percent_deviation(x: ArrayLike, x_pt: float) -> FloatArray:
    """Percentage difference D % = 100 (x − x_pt)/x_pt.

    References
    ----------
    ISO 13528:2022 9.3.1, Formula (14).

    Examples
    --------
    >>> float(percent_deviation(0.013, 0.044).round(1))
    -70.5
    """
    if x_pt == 0:
        return np.full(np.shape(x), np.nan)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ratio = (np.asarray(x, dtype=np.float64) - x_pt) / x_pt
    return np.asarray(100.0 * ratio, dtype=np.float64)


def z_score(x: ArrayLike, x_pt: float, sigma_pt: float) -> FloatArray:
    """z = (x − x_pt)/σ_pt.

    References
    ----------
    ISO 13528:2022 9.4.1, Formula (16).

    Examples
    --------
    >>> float(z_score(0.013, 0.044, 0.0066).round(2))
    -4.7
    """
    _positive(sigma_pt, "sigma_pt")
    return np.asarray((np.asarray(x, dtype=np.float64) - x_pt) / sigma_pt, dtype=np.float64)


def z_prime_score(x: ArrayLike, x_pt: float, sigma_pt: float, u_pt: float) -> FloatArray:
    """z′ = (x − x_pt)/sqrt(σ_pt² + u²(x_pt)).

    References
    ----------
    ISO 13528:2022 9.5.1, Formula (17).

    Examples
    --------
    >>> float(z_prime_score(0.013, 0.044, 0.0066, 0.0041).round(2))
    -3.99
    """
    _positive(sigma_pt, "sigma_pt")
    scale = float(np.hypot(sigma_pt, u_pt))
    return np.asarray((np.asarray(x, dtype=np.float64) - x_pt) / scale, dtype=np.float64)


def zeta_score(x: ArrayLike, x_pt: float, u_x: ArrayLike, u_pt: float) -> FloatArray:
    """ζ = (x − x_pt)/sqrt(u²(x) + u²(x_pt)), with standard uncertainties u = U/k.

    NaN where u(x) is unknown (NaN); where both uncertainties are zero the score is
    undefined and :class:`InvalidInputError` is raised.

    References
    ----------
    ISO 13528:2022 9.6.1, Formula (18).

    Examples
    --------
    >>> float(zeta_score(0.013, 0.044, 0.0015, 0.0041).round(2))
    -7.1
    """
    u = np.asarray(u_x, dtype=np.float64)
    den = np.sqrt(u * u + u_pt * u_pt)
    if np.any(den == 0):
        raise InvalidInputError(
            "zeta is undefined: u(x) = u(x_pt) = 0", field="results.expanded_uncertainty"
        )
    return np.asarray((np.asarray(x, dtype=np.float64) - x_pt) / den, dtype=np.float64)


def en_score(x: ArrayLike, x_pt: float, big_u_x: ArrayLike, big_u_pt: float) -> FloatArray:
    """En = (x − x_pt)/sqrt(U²(x) + U²(x_pt)) with the reported expanded uncertainties.

    The expanded uncertainties are used as reported, whatever their coverage factors
    (PITFALLS.md); NaN where U(x) is unknown. U(x) = U(x_pt) = 0 makes En undefined:
    that is bad input and raises :class:`InvalidInputError`.

    References
    ----------
    ISO 13528:2022 9.7.1, Formula (19); ISO/IEC 17043:2010 B.3.1.3.

    Examples
    --------
    >>> float(en_score(0.013, 0.044, 0.003, 0.0082).round(2))
    -3.55
    """
    big_u = np.asarray(big_u_x, dtype=np.float64)
    den = np.sqrt(big_u * big_u + big_u_pt * big_u_pt)
    if np.any(den == 0):
        raise InvalidInputError(
            "En is undefined: U_lab = U_ref = 0; give a non-zero expanded uncertainty",
            field="results.expanded_uncertainty",
        )
    return np.asarray((np.asarray(x, dtype=np.float64) - x_pt) / den, dtype=np.float64)


def use_z_prime(u_pt: float, sigma_pt: float) -> bool:
    """Whether z′ replaces z: true unless u(x_pt) < 0.3 σ_pt.

    References
    ----------
    ISO 13528:2022 9.2.1, Formula (10) (u(x_pt) negligible) and 9.5.1 (use z′ otherwise).

    Examples
    --------
    >>> use_z_prime(2.5e-7, 2e-6), use_z_prime(0.0041, 0.0066)
    (False, True)
    """
    _positive(sigma_pt, "sigma_pt")
    return not (u_pt < 0.3 * sigma_pt)


def classify_z(score: ArrayLike) -> list[Verdict | None]:
    """Verdict for z, z′ or ζ: |s| <= 2 satisfactory, < 3 questionable, >= 3 unsatisfactory.

    NaN gives ``None`` (not scored).

    References
    ----------
    ISO 13528:2022 9.4.2 (warning at 2, action at 3); ISO/IEC 17043:2010 B.4.1.1.

    Examples
    --------
    >>> classify_z(np.array([2.0, -2.5, 3.0, np.nan]))
    ['satisfactory', 'questionable', 'unsatisfactory', None]
    """
    a = np.abs(np.atleast_1d(np.asarray(score, dtype=np.float64)))
    codes = np.where(np.isnan(a), 3, np.where(a <= 2.0, 0, np.where(a < 3.0, 1, 2)))
    labels = np.array(["satisfactory", "questionable", "unsatisfactory", None], dtype=object)
    verdicts: list[Verdict | None] = labels[codes].tolist()
    return verdicts


def classify_en(score: ArrayLike, limit: float = DEFAULT_EN_LIMIT) -> list[Verdict | None]:
    """Verdict for En: |En| < limit satisfactory, otherwise unsatisfactory.

    References
    ----------
    ISO 13528:2022 9.7.2 (|En| >= 1.0 is a signal); ISO/IEC 17043:2010 B.4.1.1
    (|En| <= 1.0 satisfactory: use a limit slightly above 1 to follow it).

    Examples
    --------
    >>> classify_en(np.array([0.99, 1.0, np.nan]))
    ['satisfactory', 'unsatisfactory', None]
    """
    _positive(limit, "en_limit")
    a = np.abs(np.atleast_1d(np.asarray(score, dtype=np.float64)))
    codes = np.where(np.isnan(a), 2, np.where(a < limit, 0, 1))
    labels = np.array(["satisfactory", "unsatisfactory", None], dtype=object)
    verdicts: list[Verdict | None] = labels[codes].tolist()
    return verdicts


def plausibility_flags(
    u_x: ArrayLike, u_min: float, u_max: float | None
) -> list[Literal["a", "b", "c"] | None]:
    """Screen reported standard uncertainties: 'b' if u < u_min, 'c' if u > u_max, else 'a'.

    u_min is normally u(x_pt) (no participant can be better than the assigned
    value, 9.8.3); u_max is normally 1.5 σ_pt (or 1.5 s*, 9.8.4). The letters
    follow ISO 13528:2022 Table E.6. ``None`` where u(x) is unknown.

    References
    ----------
    ISO 13528:2022 9.8.3 to 9.8.5.

    Examples
    --------
    >>> plausibility_flags(np.array([0.0015, 0.004, 0.015]), 0.0035, 0.0099)
    ['b', 'a', 'c']
    """
    u = np.atleast_1d(np.asarray(u_x, dtype=np.float64))
    above = u > u_max if u_max is not None else np.zeros(u.shape, dtype=np.bool_)
    codes = np.where(np.isnan(u), 3, np.where(u < u_min, 1, np.where(above, 2, 0)))
    labels = np.array(["a", "b", "c", None], dtype=object)
    flags: list[Literal["a", "b", "c"] | None] = labels[codes].tolist()
    return flags


def _positive(value: float, field: str) -> None:
    if not (value > 0 and np.isfinite(value)):
        raise InvalidInputError(f"{field} must be a positive number, got {value}", field=field)
