"""GUM 7.2.6 rounding with decimal, and the result statement."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uncertainty.rounding import (
    format_grouped,
    result_statement,
    round_to_quantum,
    round_uncertainty,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0996, "0.10"),  # PITFALLS: rounding can change the magnitude
        (31.66, "32"),
        (68.7, "69"),
        (92.46, "92"),
        (0.0225, "0.023"),  # half up on the decimal text, not half-even on binary
        (2.675, "2.7"),
        (0.000123456, "0.00012"),
        (99.5, "100"),
        (0.0, "0"),
    ],
)
def test_round_uncertainty_two_significant_digits(value: float, expected: str) -> None:
    """JCGM 100:2008 7.2.6: at most two significant digits."""
    assert format(round_uncertainty(value), "f") == expected


def test_round_to_quantum_half_up_on_decimal_text() -> None:
    assert str(round_to_quantum(2.675, Decimal("0.01"))) == "2.68"  # round(2.675, 2) == 2.67


def test_format_grouped_iso_80000() -> None:
    assert format_grouped(Decimal("50000838")) == "50 000 838"
    assert format_grouped(Decimal("10000.025")) == "10 000.025"
    assert format_grouped(Decimal("1234.5")) == "1234.5"
    assert format_grouped(Decimal("-0.000025")) == "-0.000 025"


def test_statement_contract_example() -> None:
    """CONTRACTS.md section 1 example (GUM H.1 at p = 95.45 %)."""
    text = result_statement("l", 50000838.0, "nm", 68.7, 2.17, 0.9545, 16.75)
    assert text == "l = 50 000 838 nm ± 69 nm (k = 2.17, p ≈ 95 %, ν_eff = 16)"


def test_statement_estimate_to_the_place_of_u() -> None:
    """JCGM 100:2008 7.2.6: y rounded to the decimal place of U (here U = 0.10 after rounding)."""
    text = result_statement("y", 1.23456, "V", 0.0996, 2.0, 0.9545, float("inf"))
    assert text == "y = 1.23 V ± 0.10 V (k = 2.00, p ≈ 95 %, ν_eff = ∞)"


def test_statement_undefined_dof_and_fixed_k() -> None:
    text = result_statement("y", 5.0, "", 0.5, 2.0, None, None)
    assert text == "y = 5.00 ± 0.50 (k = 2.00, ν_eff undefined)"


def test_statement_caps_a_practically_infinite_dof() -> None:
    """Regression: a near-zero finite-dof contribution gave ν_eff ≈ 4.6e27, printed as a
    28-digit integer in the demo's statements; above 10⁴ the statement says so instead."""
    text = result_statement("y", 5.0, "V", 0.5, 2.0, 0.9545, 4.556e27)
    assert text == "y = 5.00 V ± 0.50 V (k = 2.00, p ≈ 95 %, ν_eff > 10 000)"
    assert "ν_eff = 9999)" in result_statement("y", 5.0, "V", 0.5, 2.0, 0.9545, 9999.5)


def test_tiny_uncertainty_does_not_raise_invalid_operation() -> None:
    """Regression (found by hypothesis in test_gum_properties): u ≈ 1e-96 made
    ``round_to_quantum`` raise ``decimal.InvalidOperation`` (28-digit default context)."""
    quantum = Decimal(1).scaleb(round_uncertainty(1e-96).as_tuple().exponent)  # type: ignore[arg-type]
    rounded = round_to_quantum(1.0, quantum)
    assert rounded == 1 and rounded.as_tuple().exponent == -97
    text = result_statement("y", 1.0, "", 2e-96, 2.0, 0.9545, None)
    assert text.startswith("y = 1.000 000") and "± 0.000" in text and text.endswith("undefined)")


def test_rounding_ignores_the_callers_decimal_context() -> None:
    from decimal import localcontext

    with localcontext() as context:
        context.prec = 3
        assert str(round_to_quantum(12345.678, Decimal("0.01"))) == "12345.68"
        assert str(round_uncertainty(0.0996)) == "0.10"


def test_negative_zero_is_shown_as_zero() -> None:
    assert str(round_to_quantum(-0.0001, Decimal("0.01"))) == "0.00"


@settings(max_examples=300, deadline=None)
@given(
    value=st.floats(allow_nan=False, allow_infinity=False),
    u=st.floats(min_value=0.0, allow_nan=False, allow_infinity=False),
)
def test_statement_at_any_magnitude(value: float, u: float) -> None:
    """JCGM 100:2008 7.2.6 at any magnitude: U keeps two significant digits (within
    rounding) and the estimate is given to the same decimal place; nothing raises."""
    text = result_statement("y", value, "m", u, 2.0, 0.95, 10.0)
    assert text.startswith("y = ")
    big_u = round_uncertainty(u)
    if u > 0:
        assert abs(big_u - Decimal(u)) <= Decimal("0.051") * Decimal(u)
        estimate = round_to_quantum(value, Decimal(1).scaleb(big_u.as_tuple().exponent))  # type: ignore[arg-type]
        assert estimate.as_tuple().exponent == big_u.as_tuple().exponent
        assert abs(estimate - Decimal(repr(value))) <= Decimal(1).scaleb(big_u.as_tuple().exponent)  # type: ignore[arg-type]
