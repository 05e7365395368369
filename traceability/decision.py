"""Decision rules for statements of conformity; each statement carries the rule used.

Rules (ILAC G8:2019 4.2, JCGM 106:2012 8):

- ``simple``: accept when the measured value lies in the tolerance interval [TL, TU]
  (guard band w = 0), limits inclusive.
- ``guarded``: accept when it lies in the acceptance interval [TL + w, TU − w], w = U by
  default; otherwise reject (binary statement with guard band).
- ``non_binary``: pass in [TL + w, TU − w]; conditional pass in the rest of [TL, TU];
  conditional fail in [TL − w, TU + w] outside the tolerance; fail beyond.
- ``z540_managed``: the guard band is the smallest w that keeps the global probability of
  false accept (PFA) at or below a target (2 % in ANSI/NCSL Z540.3-2006 5.3 b), given the
  end-of-period reliability (EOPR, a priori in-tolerance probability) and u = U/k.

Limits are inclusive on the accepting side: a value exactly on TU − w passes, exactly on
TU is a conditional pass, exactly on TU + w a conditional fail.

References
----------
ILAC G8:2019 4.2.1, 4.2.2, 4.2.3; JCGM 106:2012 8.3, 9.5 (global risk);
ANSI/NCSL Z540.3-2006 5.3 b; Z540.3 Handbook (2009) 3.3, guard banding;
Dobbert M., "A guard-band strategy for managing false-accept risk", NCSLI Measure 3(4) 2008.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from uncertainty.errors import InvalidInputError

__all__ = [
    "DECISION_RULES",
    "ConformityStatement",
    "decide",
    "guarded_acceptance",
    "managed_guard_band",
    "non_binary",
    "probability_of_false_accept",
    "simple_acceptance",
    "tur_from_limits",
    "z540_managed",
]

_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)
DECISION_RULES = ("simple", "guarded", "non_binary", "z540_managed")


@dataclass(frozen=True, slots=True)
class ConformityStatement:
    """A statement of conformity with the rule and the numbers it rests on."""

    outcome: str  # "pass" | "conditional_pass" | "conditional_fail" | "fail"
    rule: str
    clause: str
    measured: float
    lower_limit: float
    upper_limit: float
    acceptance_lower: float
    acceptance_upper: float
    guard_band: float
    expanded_uncertainty: float
    tur: float
    probability_of_false_accept: float | None = None

    @property
    def accepted(self) -> bool:
        """Whether the item is accepted (pass or conditional pass)."""
        return self.outcome in ("pass", "conditional_pass")


def _validate(lower: float, upper: float, expanded_uncertainty: float) -> None:
    for name, value in (("lower", lower), ("upper", upper), ("U", expanded_uncertainty)):
        if not math.isfinite(value):
            raise InvalidInputError(f"{name} must be finite, got {value!r}", field=name)
    if lower >= upper:
        raise InvalidInputError(
            f"lower limit {lower} must be below upper limit {upper}", field="lower"
        )
    if expanded_uncertainty < 0:
        raise InvalidInputError(f"U must be >= 0, got {expanded_uncertainty}", field="U")


def tur_from_limits(lower: float, upper: float, expanded_uncertainty: float) -> float:
    """TUR = (TU − TL) / (2U) (ANSI/NCSL Z540.3-2006 3.11); ``inf`` when U = 0.

    >>> tur_from_limits(-1.0, 1.0, 0.25)
    4.0
    """
    if expanded_uncertainty == 0:
        return math.inf
    return (upper - lower) / (2.0 * expanded_uncertainty)


def _statement(
    outcome: str,
    rule: str,
    clause: str,
    measured: float,
    lower: float,
    upper: float,
    w: float,
    expanded_uncertainty: float,
    pfa: float | None = None,
) -> ConformityStatement:
    return ConformityStatement(
        outcome=outcome,
        rule=rule,
        clause=clause,
        measured=measured,
        lower_limit=lower,
        upper_limit=upper,
        acceptance_lower=lower + w,
        acceptance_upper=upper - w,
        guard_band=w,
        expanded_uncertainty=expanded_uncertainty,
        tur=tur_from_limits(lower, upper, expanded_uncertainty),
        probability_of_false_accept=pfa,
    )


def simple_acceptance(
    measured: float, lower: float, upper: float, expanded_uncertainty: float
) -> ConformityStatement:
    """Binary statement, simple acceptance (w = 0): pass iff TL ≤ x ≤ TU.

    References
    ----------
    ILAC G8:2019 4.2.1.

    >>> simple_acceptance(1.0, -1.0, 1.0, 0.25).outcome
    'pass'
    """
    _validate(lower, upper, expanded_uncertainty)
    outcome = "pass" if lower <= measured <= upper else "fail"
    return _statement(
        outcome, "simple", "ILAC G8:2019 4.2.1", measured, lower, upper, 0.0, expanded_uncertainty
    )


def guarded_acceptance(
    measured: float,
    lower: float,
    upper: float,
    expanded_uncertainty: float,
    *,
    guard_band: float | None = None,
) -> ConformityStatement:
    """Binary statement with guard band w (default w = U): pass iff TL + w ≤ x ≤ TU − w.

    References
    ----------
    ILAC G8:2019 4.2.2.

    >>> guarded_acceptance(0.75, -1.0, 1.0, 0.25).outcome
    'pass'
    >>> guarded_acceptance(0.76, -1.0, 1.0, 0.25).outcome
    'fail'
    """
    _validate(lower, upper, expanded_uncertainty)
    w = expanded_uncertainty if guard_band is None else guard_band
    outcome = "pass" if lower + w <= measured <= upper - w else "fail"
    return _statement(
        outcome, "guarded", "ILAC G8:2019 4.2.2", measured, lower, upper, w, expanded_uncertainty
    )


def non_binary(
    measured: float,
    lower: float,
    upper: float,
    expanded_uncertainty: float,
    *,
    guard_band: float | None = None,
) -> ConformityStatement:
    """Non-binary statement: pass / conditional pass / conditional fail / fail (w = U).

    References
    ----------
    ILAC G8:2019 4.2.3 (Figure 5).

    >>> [non_binary(x, -1.0, 1.0, 0.25).outcome for x in (0.75, 1.0, 1.25, 1.5)]
    ['pass', 'conditional_pass', 'conditional_fail', 'fail']
    """
    _validate(lower, upper, expanded_uncertainty)
    w = expanded_uncertainty if guard_band is None else guard_band
    if lower + w <= measured <= upper - w:
        outcome = "pass"
    elif lower <= measured <= upper:
        outcome = "conditional_pass"
    elif lower - w <= measured <= upper + w:
        outcome = "conditional_fail"
    else:
        outcome = "fail"
    return _statement(
        outcome, "non_binary", "ILAC G8:2019 4.2.3", measured, lower, upper, w, expanded_uncertainty
    )


def probability_of_false_accept(
    lower: float,
    upper: float,
    acceptance_lower: float,
    acceptance_upper: float,
    standard_uncertainty: float,
    eopr: float,
) -> float:
    """Global PFA: P(true value outside [TL, TU] and measured value inside [AL, AU]).

    The unit's true error is normal, centred on the middle of the tolerance, with its
    standard deviation set by ``eopr`` = P(TL ≤ e ≤ TU); the measurement adds a normal
    error of standard deviation ``standard_uncertainty`` (u = U/k).

    References
    ----------
    JCGM 106:2012 9.5.2 (global consumer's risk, Eq. 32); ANSI/NCSL Z540.3 Handbook 3.3.
    """
    from scipy import integrate  # lazy: `calib trace check` does not need scipy

    if not 0 < eopr < 1:
        raise InvalidInputError(f"eopr must be in (0, 1), got {eopr}", field="eopr")
    if standard_uncertainty <= 0:
        return 0.0
    centre, half = (upper + lower) / 2.0, (upper - lower) / 2.0
    sigma_p = half / NormalDist().inv_cdf((1.0 + eopr) / 2.0)
    al, au = acceptance_lower - centre, acceptance_upper - centre
    if au <= al:
        return 0.0

    u = standard_uncertainty

    def integrand(e: float) -> float:
        accept = 0.5 * (math.erfc((e - au) / (_SQRT2 * u)) - math.erfc((e - al) / (_SQRT2 * u)))
        density = math.exp(-0.5 * (e / sigma_p) ** 2) / (sigma_p * _SQRT2PI)
        return density * accept

    reach = max(abs(al), abs(au)) + 10.0 * standard_uncertainty
    upper_tail = integrate.quad(integrand, half, max(reach, half), limit=200)[0]
    lower_tail = integrate.quad(integrand, -max(reach, half), -half, limit=200)[0]
    return float(max(upper_tail + lower_tail, 0.0))


def managed_guard_band(
    lower: float,
    upper: float,
    expanded_uncertainty: float,
    coverage_factor: float = 2.0,
    *,
    eopr: float = 0.95,
    pfa_target: float = 0.02,
) -> tuple[float, float]:
    """Smallest guard band w with PFA ≤ ``pfa_target``; returns ``(w, PFA at w)``.

    w = 0 when the unguarded PFA already meets the target (the Z540.3 "TUR ≥ 4.6" case).

    References
    ----------
    ANSI/NCSL Z540.3-2006 5.3 b (PFA ≤ 2 %); Z540.3 Handbook 3.3 (managed guard band);
    JCGM 106:2012 9.5.
    """
    from scipy import optimize  # lazy: `calib trace check` does not need scipy

    _validate(lower, upper, expanded_uncertainty)
    if not 0 < pfa_target < 1:
        raise InvalidInputError(f"must be in (0, 1), got {pfa_target}", field="pfa_target")
    u = expanded_uncertainty / coverage_factor
    half = (upper - lower) / 2.0

    def excess(w: float) -> float:
        return probability_of_false_accept(lower, upper, lower + w, upper - w, u, eopr) - pfa_target

    if excess(0.0) <= 0:
        return 0.0, excess(0.0) + pfa_target
    w = float(optimize.brentq(excess, 0.0, half * (1 - 1e-12), xtol=half * 1e-10))
    return w, excess(w) + pfa_target


def z540_managed(
    measured: float,
    lower: float,
    upper: float,
    expanded_uncertainty: float,
    coverage_factor: float = 2.0,
    *,
    eopr: float = 0.95,
    pfa_target: float = 0.02,
) -> ConformityStatement:
    """Binary statement with the Z540.3 managed guard band (PFA ≤ ``pfa_target``).

    References
    ----------
    ANSI/NCSL Z540.3-2006 5.3 b; ILAC G8:2019 4.2.2 (binary statement with guard band).
    """
    w, pfa = managed_guard_band(
        lower, upper, expanded_uncertainty, coverage_factor, eopr=eopr, pfa_target=pfa_target
    )
    outcome = "pass" if lower + w <= measured <= upper - w else "fail"
    return _statement(
        outcome,
        "z540_managed",
        f"ANSI/NCSL Z540.3-2006 5.3 b (PFA ≤ {pfa_target:g}, EOPR {eopr:g})",
        measured,
        lower,
        upper,
        w,
        expanded_uncertainty,
        pfa,
    )


def decide(
    rule: str,
    measured: float,
    lower: float,
    upper: float,
    expanded_uncertainty: float,
    coverage_factor: float = 2.0,
    *,
    eopr: float = 0.95,
    pfa_target: float = 0.02,
) -> ConformityStatement:
    """Apply the decision rule named ``rule`` (one of :data:`DECISION_RULES`).

    >>> decide("simple", 0.5, -1.0, 1.0, 0.1).rule
    'simple'
    """
    if rule == "simple":
        return simple_acceptance(measured, lower, upper, expanded_uncertainty)
    if rule == "guarded":
        return guarded_acceptance(measured, lower, upper, expanded_uncertainty)
    if rule == "non_binary":
        return non_binary(measured, lower, upper, expanded_uncertainty)
    if rule == "z540_managed":
        return z540_managed(
            measured,
            lower,
            upper,
            expanded_uncertainty,
            coverage_factor,
            eopr=eopr,
            pfa_target=pfa_target,
        )
    raise InvalidInputError(
        f"decision rule must be one of {', '.join(DECISION_RULES)}, got {rule!r}",
        field="decision_rule",
    )
