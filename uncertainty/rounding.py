"""Rounding and the result statement (JCGM 100:2008 7.2.6), with ``decimal``.

u_c and U are rounded to (at most) two significant digits, the estimate to the same
decimal place. U is computed from the unrounded u_c and rounded once. Rounding may change
the magnitude: 0.0996 becomes 0.10. Ties are rounded half up on the decimal text of the
number (never Python's binary ``round``: ``round(2.675, 2) == 2.67``).

References
----------
JCGM 100:2008 7.2.2, 7.2.4, 7.2.6; ISO 80000-1:2009 7.3.1 (digit groups of three).
"""

from __future__ import annotations

import math
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_UP, Decimal, localcontext

__all__ = ["format_grouped", "result_statement", "round_to_quantum", "round_uncertainty"]


def round_uncertainty(value: float, significant_digits: int = 2) -> Decimal:
    """Round an uncertainty to ``significant_digits`` (GUM 7.2.6).

    Examples
    --------
    >>> str(round_uncertainty(0.0996))
    '0.10'
    >>> str(round_uncertainty(31.66))
    '32'
    >>> str(round_uncertainty(68.7))
    '69'

    References
    ----------
    JCGM 100:2008 7.2.6.
    """
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"an uncertainty must be finite and >= 0, got {value!r}")
    if value == 0:
        return Decimal(0)
    number = Decimal(repr(float(value)))
    with localcontext() as context:  # independent of the caller's decimal context
        context.prec = 28
        context.Emax = MAX_EMAX
        context.Emin = MIN_EMIN
        for _ in range(2):
            exponent = number.adjusted() - significant_digits + 1
            rounded = number.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
            if rounded.adjusted() == number.adjusted():
                return rounded
            number = rounded  # 0.0996 -> 0.100: one more digit of magnitude, re-quantize
    return rounded


def round_to_quantum(value: float, quantum: Decimal) -> Decimal:
    """Round ``value`` to the decimal place of ``quantum`` (half up), at any magnitude.

    The working precision is set from the digits the result needs, so a tiny quantum
    (u ≈ 1e-96) or a huge estimate never raises ``decimal.InvalidOperation`` (the default
    context holds 28 digits). Exponent limits are opened wide for the same reason.

    Examples
    --------
    >>> str(round_to_quantum(2.675, Decimal("0.01")))
    '2.68'
    >>> str(round_to_quantum(1.0, Decimal("1E-97")))[:6]
    '1.0000'

    References
    ----------
    JCGM 100:2008 7.2.6 (the estimate to the decimal place of the uncertainty).
    """
    number = Decimal(repr(float(value)))
    exponent = int(quantum.as_tuple().exponent)
    digits = max(number.adjusted(), 0) - min(exponent, 0) + 3
    with localcontext() as context:
        context.prec = max(28, digits)
        context.Emax = MAX_EMAX
        context.Emin = MIN_EMIN
        rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # no "-0.00"


def _group(digits: str, from_left: bool) -> str:
    if len(digits) <= 4:
        return digits
    if from_left:
        return " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))
    head = len(digits) % 3
    parts = [digits[:head]] if head else []
    parts += [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return " ".join(parts)


def format_grouped(number: Decimal) -> str:
    """Decimal text with digits in groups of three when a side has more than four.

    Examples
    --------
    >>> format_grouped(Decimal("50000838"))
    '50 000 838'
    >>> format_grouped(Decimal("10.000025"))
    '10.000 025'

    References
    ----------
    ISO 80000-1:2009 7.3.1.
    """
    text = format(number, "f")
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    whole, _, frac = text.partition(".")
    out = _group(whole, from_left=False)
    if frac:
        out += "." + _group(frac, from_left=True)
    return sign + out


def _percent(probability: float) -> str:
    pct = probability * 100.0
    if round(pct) < 100:
        return f"{round(pct)}"
    return f"{pct:.3g}" if pct < 99.95 else f"{pct:.4g}"


_PRACTICALLY_INFINITE_DOF = 10_000


def result_statement(
    name: str,
    value: float,
    unit: str,
    expanded_uncertainty: float,
    coverage_factor: float,
    coverage_probability: float | None,
    effective_dof: float | None,
) -> str:
    """``l = 50 000 838 nm ± 69 nm (k = 2.17, p ≈ 95 %, ν_eff = 16)`` (GUM 7.2.4, 7.2.6).

    ``expanded_uncertainty`` is unrounded (U from the unrounded u_c) and rounded here,
    once, to two significant digits; the value to the same decimal place. ν_eff is
    shown truncated, as used for k (GUM G.4.1 note 1); ``None`` means undefined.

    Examples
    --------
    >>> result_statement("l", 50000838.0, "nm", 68.7, 2.17, 0.9545, 16.75)
    'l = 50 000 838 nm ± 69 nm (k = 2.17, p ≈ 95 %, ν_eff = 16)'

    References
    ----------
    JCGM 100:2008 7.2.4, 7.2.6, G.4.1.
    """
    unit_text = f" {unit}" if unit else ""
    if expanded_uncertainty > 0 and math.isfinite(expanded_uncertainty):
        big_u = round_uncertainty(expanded_uncertainty)
        quantum = Decimal(1).scaleb(big_u.as_tuple().exponent)  # type: ignore[arg-type]
        estimate = round_to_quantum(value, quantum)
        body = (
            f"{name} = {format_grouped(estimate)}{unit_text} ± {format_grouped(big_u)}{unit_text}"
        )
    else:
        body = f"{name} = {value:.15g}{unit_text} ± 0{unit_text}"
    parts = [f"k = {coverage_factor:.2f}"]
    if coverage_probability is not None:
        parts.append(f"p ≈ {_percent(coverage_probability)} %")
    if effective_dof is None:
        parts.append("ν_eff undefined")
    elif math.isinf(effective_dof):
        parts.append("ν_eff = ∞")
    elif effective_dof > _PRACTICALLY_INFINITE_DOF:
        # Past 10⁴ the t quantile equals the normal one to the digits k is printed
        # with; a 28-digit ν_eff (a near-zero finite-dof contribution) says nothing.
        parts.append(f"ν_eff > {_PRACTICALLY_INFINITE_DOF:,}".replace(",", " "))
    else:
        parts.append(f"ν_eff = {max(1, math.floor(effective_dof))}")
    return f"{body} ({', '.join(parts)})"
