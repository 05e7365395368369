"""Invariants of the GUF (hypothesis) and the ν_eff policy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uncertainty.budget import compile_budget, evaluate_budget, evaluate_many
from uncertainty.gum import coverage_factor, welch_satterthwaite

finite = st.floats(-1e3, 1e3, allow_nan=False)
positive = st.floats(1e-6, 1e2, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(finite, min_size=3, max_size=3),
    uncertainties=st.lists(st.floats(0, 1e2), min_size=3, max_size=3),
)
def test_combined_uncertainty_is_non_negative(
    values: list[float], uncertainties: list[float]
) -> None:
    doc = {
        "model": "y = a*b + c**2 - a",
        "inputs": {
            n: {"value": v, "standard_uncertainty": u}
            for n, v, u in zip("abc", values, uncertainties, strict=True)
        },
    }
    out = evaluate_budget(doc).outputs["y"]
    assert out.standard_uncertainty >= 0
    assert out.expanded_uncertainty >= 0


@settings(max_examples=30, deadline=None)
@given(a=st.floats(1, 100), ua=positive, b=st.floats(1, 100), ub=positive)
def test_invariant_under_change_of_input_units(a: float, ua: float, b: float, ub: float) -> None:
    """The same budget in mm and in m gives the same result (in the output unit)."""

    def doc(unit: str, scale: float) -> dict[str, object]:
        return {
            "model": "y = a*b",
            "outputs": {"y": {"unit": "mm"}},
            "inputs": {
                "a": {
                    "value": a * scale,
                    "unit": unit,
                    "standard_uncertainty": ua * scale,
                    "dof": 7,
                },
                "b": {"value": b, "unit": "", "standard_uncertainty": ub, "dof": 12},
            },
        }

    in_mm = evaluate_budget(doc("mm", 1.0)).outputs["y"]
    in_m = evaluate_budget(doc("m", 1e-3)).outputs["y"]
    assert in_m.value == pytest.approx(in_mm.value, rel=1e-9)
    assert in_m.standard_uncertainty == pytest.approx(in_mm.standard_uncertainty, rel=1e-9)
    assert in_m.effective_dof == pytest.approx(in_mm.effective_dof, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    coefficients=st.lists(st.floats(-10, 10), min_size=3, max_size=3),
    uncertainties=st.lists(st.floats(0, 10), min_size=3, max_size=3),
    r=st.floats(-1, 1),
)
def test_guf_is_exact_for_linear_models(
    coefficients: list[float], uncertainties: list[float], r: float
) -> None:
    """For Y = Σ c_i X_i: u²(y) = cᵀ V c exactly (JCGM 100:2008 5.2.2)."""
    c1, c2, c3 = coefficients
    doc = {
        "model": f"y = ({c1})*a + ({c2})*b + ({c3})*c",
        "inputs": {
            n: {"value": 1.0, "standard_uncertainty": u}
            for n, u in zip("abc", uncertainties, strict=True)
        },
        "correlations": [{"inputs": ["a", "b"], "coefficient": r}],
    }
    out = evaluate_budget(doc).outputs["y"]
    u = np.array(uncertainties)
    v = np.diag(u**2)
    v[0, 1] = v[1, 0] = r * u[0] * u[1]
    c = np.array(coefficients)
    exact = math.sqrt(max(float(c @ v @ c), 0.0))
    assert out.standard_uncertainty == pytest.approx(exact, rel=1e-9, abs=1e-12)
    assert out.value == pytest.approx(sum(coefficients), rel=1e-12, abs=1e-12)


def test_welch_satterthwaite_sanity() -> None:
    """PITFALLS: ν_eff >= min ν_i when all finite; all-infinite gives ∞."""
    nu = float(welch_satterthwaite(math.sqrt(2.0), [1.0, 1.0], [5.0, 9.0])[()])
    assert nu >= 5.0
    assert math.isinf(float(welch_satterthwaite(1.0, [1.0], [math.inf])[()]))


def test_coverage_factor_truncates_and_uses_two_sided_quantile() -> None:
    """GUM G.4.1 note 1 and Table G.2: k at ν = ∞, p = 95.45 % is 2.00 (not t.ppf(0.9545) = 1.69)."""
    assert float(coverage_factor(0.9545, math.inf)) == pytest.approx(2.00, abs=0.005)
    assert float(coverage_factor(0.99, 16.99)) == pytest.approx(2.92, abs=0.005)
    assert float(coverage_factor(0.95, 0.5)) == pytest.approx(12.71, abs=0.005)  # at least ν = 1


def test_correlated_finite_dof_makes_nu_eff_undefined_with_warning() -> None:
    doc = {
        "model": "y = a + b",
        "inputs": {
            "a": {"value": 1, "standard_uncertainty": 1, "dof": 5},
            "b": {"value": 1, "standard_uncertainty": 1, "dof": 8},
        },
        "correlations": [{"inputs": ["a", "b"], "coefficient": 0.3}],
    }
    result = evaluate_budget(doc)
    out = result.outputs["y"]
    assert out.effective_dof is None
    assert out.effective_dof_status == "undefined"
    assert "ν_eff undefined" in out.statement
    assert any("undefined" in w for w in result.warnings)


def test_correlated_infinite_dof_keeps_nu_eff() -> None:
    doc = {
        "model": "y = a + b + c",
        "inputs": {
            "a": {"value": 1, "standard_uncertainty": 1},
            "b": {"value": 1, "standard_uncertainty": 1},
            "c": {"value": 1, "standard_uncertainty": 1, "dof": 10},
        },
        "correlations": [{"inputs": ["a", "b"], "coefficient": 0.3}],
    }
    out = evaluate_budget(doc).outputs["y"]
    u_c2 = 1 + 1 + 1 + 2 * 0.3
    assert out.effective_dof == pytest.approx(u_c2**2 / (1 / 10))


def test_evaluate_many_matches_single_budgets() -> None:
    doc = {
        "model": "y = a*b",
        "inputs": {
            "a": {"value": 2.0, "unit": "mm", "standard_uncertainty": 0.1, "dof": 4},
            "b": {"value": 3.0, "standard_uncertainty": 0.2, "dof": 9},
        },
    }
    budget = compile_budget(doc)
    a = np.array([1.0, 2.0, 5.0])
    ua = np.array([0.1, 0.2, 0.05])
    many = evaluate_many(budget, {"a": a}, {"a": ua})["y"]
    for i in range(3):
        single = dict(doc)
        single["inputs"] = {
            "a": {"value": a[i], "unit": "mm", "standard_uncertainty": ua[i], "dof": 4},
            "b": doc["inputs"]["b"],
        }  # type: ignore[index]
        out = evaluate_budget(single).outputs["y"]
        assert many.value[i] == pytest.approx(out.value)
        assert many.standard_uncertainty[i] == pytest.approx(out.standard_uncertainty)
        assert many.effective_dof[i] == pytest.approx(out.effective_dof)
        assert many.expanded_uncertainty[i] == pytest.approx(out.expanded_uncertainty)


def test_contributions_sum_to_variance_when_independent() -> None:
    out = evaluate_budget(
        {
            "model": "y = a*b + c",
            "inputs": {
                n: {"value": i + 1.0, "standard_uncertainty": 0.1 * (i + 1)}
                for i, n in enumerate("abc")
            },
        }
    ).outputs["y"]
    assert sum(c.contribution**2 for c in out.contributions) == pytest.approx(
        out.standard_uncertainty**2
    )
    assert sum(c.percent for c in out.contributions) == pytest.approx(100.0)


def test_temperature_uncertainty_is_a_difference() -> None:
    """0.05 degC of uncertainty is 0.05 K, never 273 K (PITFALLS, offset units)."""
    doc = {
        "model": "t = t_read + dt",
        "outputs": {"t": {"unit": "K"}},
        "inputs": {
            "t_read": {"value": 20, "unit": "degC", "standard_uncertainty": 0.05},
            "dt": {"value": 0.1, "unit": "delta_degC", "standard_uncertainty": 0.02},
        },
    }
    out = evaluate_budget(doc).outputs["t"]
    assert out.value == pytest.approx(293.25)
    assert out.standard_uncertainty == pytest.approx(math.hypot(0.05, 0.02))
    assert out.contributions[0].unit == "Δ°C"


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_parser_never_crashes_on_garbage(text: str) -> None:
    """Any text either parses or raises ModelSyntaxError (never another exception)."""
    from uncertainty.errors import ModelSyntaxError
    from uncertainty.model import parse_model

    try:
        parse_model(f"y = {text}")
    except ModelSyntaxError:
        pass


def test_model_outside_its_domain_is_bad_input() -> None:
    from uncertainty.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="not finite"):
        evaluate_budget(
            {"model": "y = log(x)", "inputs": {"x": {"value": -1, "standard_uncertainty": 0.1}}}
        )


def test_coverage_factor_override() -> None:
    doc = {
        "model": "y = x",
        "inputs": {"x": {"value": 1, "standard_uncertainty": 0.1, "dof": 3}},
        "coverage_factor": 2,
    }
    out = evaluate_budget(doc).outputs["y"]
    assert out.coverage_factor == 2.0
    assert out.expanded_uncertainty == pytest.approx(0.2)
    assert "p ≈" not in out.statement


@settings(max_examples=5, deadline=None)
@given(c=st.lists(st.floats(-3, 3).filter(lambda v: abs(v) > 0.1), min_size=3, max_size=3))
def test_guf_and_monte_carlo_agree_for_linear_gaussian_models(c: list[float]) -> None:
    """JCGM 101:2008 5.7, 8.2: for a linear model with Gaussian inputs the MCM reproduces
    the GUF (u within MC noise, GUF interval validated at one significant digit)."""
    doc = {
        "model": f"y = ({c[0]})*a + ({c[1]})*b + ({c[2]})*d",
        "inputs": {n: {"value": 1.0, "standard_uncertainty": 0.5 + i} for i, n in enumerate("abd")},
        "monte_carlo": {"trials": 200_000, "seed": 11, "significant_digits": 1},
    }
    out = evaluate_budget(doc).outputs["y"]
    assert out.monte_carlo is not None
    assert out.monte_carlo.standard_uncertainty == pytest.approx(out.standard_uncertainty, rel=0.01)
    assert out.monte_carlo.validation is not None and out.monte_carlo.validation.validated
