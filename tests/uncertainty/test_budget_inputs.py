"""Uncertainty forms of the budget document, and errors naming ``inputs.<name>.<field>``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from uncertainty.budget import compile_budget, evaluate_budget, parse_budget
from uncertainty.distributions import MultivariateT, Normal, Rectangular, StudentT
from uncertainty.errors import InvalidInputError
from uncertainty.inputs import build_inputs, student_t_quantile


def _doc(spec: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "y = x", "inputs": {"x": spec}, **extra}


def _quantity(spec: dict[str, Any]):  # type: ignore[no-untyped-def]
    return build_inputs(parse_budget(_doc(spec))).quantities[0]


def test_student_t_quantile_two_sided() -> None:
    """JCGM 100:2008 Table G.2: t_95(5) = 2.57, t_95.45(∞) = 2.00, t_99(16) = 2.92."""
    assert student_t_quantile(0.95, 5) == pytest.approx(2.57, abs=0.005)
    assert student_t_quantile(0.9545, math.inf) == pytest.approx(2.00, abs=0.005)
    assert student_t_quantile(0.99, 16) == pytest.approx(2.92, abs=0.005)


def test_standard_uncertainty_is_normal_whatever_dof() -> None:
    q = _quantity({"value": 1, "standard_uncertainty": 0.5, "dof": 10})
    assert (q.standard_uncertainty, q.dof) == (0.5, 10)
    assert isinstance(q.sampler, Normal)


def test_expanded_with_k_and_with_p_and_dof() -> None:
    q = _quantity({"value": 1, "expanded_uncertainty": 0.3, "coverage_factor": 3})
    assert q.standard_uncertainty == pytest.approx(0.1)
    assert isinstance(q.sampler, Normal)
    q = _quantity({"value": 0, "expanded_uncertainty": 10, "coverage_probability": 0.95, "dof": 5})
    assert q.standard_uncertainty == pytest.approx(10 / 2.5706, rel=1e-4)  # GUM H.1.3.2: 3.9 nm
    assert isinstance(q.sampler, StudentT)  # JCGM 101 6.4.9.7
    assert q.sampler.scale == pytest.approx(q.standard_uncertainty)


def test_limits_give_midpoint_value() -> None:
    q = _quantity({"distribution": "rectangular", "limits": [9.0, 11.0]})
    assert q.value == 10.0
    assert q.standard_uncertainty == pytest.approx(1 / math.sqrt(3))
    assert isinstance(q.sampler, Rectangular)
    q = _quantity({"value": 0, "distribution": "triangular", "half_width": 6**0.5})
    assert q.standard_uncertainty == pytest.approx(1.0)
    q = _quantity({"value": 0, "distribution": "arcsine", "half_width": 2**0.5})
    assert q.standard_uncertainty == pytest.approx(1.0)


def test_student_t_scale_or_standard_deviation() -> None:
    q = _quantity({"value": 0, "distribution": "student_t", "scale": 1.0, "dof": 4})
    assert q.standard_uncertainty == 1.0  # scale (GUM Type A convention)
    assert q.sampler.standard_uncertainty == pytest.approx(math.sqrt(2))  # 6.4.9.4
    q = _quantity({"value": 0, "distribution": "student_t", "standard_uncertainty": 1.0, "dof": 4})
    assert q.standard_uncertainty == 1.0
    assert q.sampler.standard_uncertainty == pytest.approx(1.0)


def test_observations_type_a() -> None:
    """JCGM 100:2008 4.2: q̄, s(q̄) = s/√n, ν = n − 1."""
    data = [10.1, 10.3, 9.9, 10.0, 10.2]
    q = _quantity({"unit": "V", "observations": data})
    assert q.value == pytest.approx(10.1)
    assert q.standard_uncertainty == pytest.approx(np.std(data, ddof=1) / math.sqrt(5))
    assert q.dof == 4
    assert isinstance(q.sampler, StudentT)


def test_constant() -> None:
    q = _quantity({"value": 3, "distribution": "constant"})
    assert q.standard_uncertainty == 0 and q.dof == math.inf


def test_observation_group_covariance_from_data() -> None:
    """JCGM 100:2008 5.2.3: u(x̄_i, x̄_j) = s(q_i, q_j)/n."""
    doc = {
        "model": "y = a + b",
        "inputs": {"a": {"observations": [1.0, 2.0, 3.0]}, "b": {"observations": [2.0, 4.1, 5.9]}},
        "observation_groups": [["a", "b"]],
    }
    inputs = build_inputs(parse_budget(doc))
    expected = np.cov([[1.0, 2.0, 3.0], [2.0, 4.1, 5.9]], ddof=1) / 3
    assert inputs.covariance == pytest.approx(expected)
    assert isinstance(inputs.joint[0], MultivariateT)
    assert inputs.ensembles == (((0, 1), 2.0),)


def test_correlated_normals_sampled_jointly_and_non_normals_by_copula() -> None:
    doc = {
        "model": "y = a + b + c",
        "inputs": {
            "a": {"value": 0, "standard_uncertainty": 1},
            "b": {"value": 0, "standard_uncertainty": 2},
            "c": {"value": 0, "distribution": "rectangular", "half_width": 1},
        },
        "correlations": [{"inputs": ["a", "b"], "coefficient": 0.5}],
    }
    inputs = build_inputs(parse_budget(doc))
    assert inputs.covariance[0, 1] == pytest.approx(1.0)
    assert [type(j).__name__ for j in inputs.joint] == ["MultivariateNormal"]
    assert set(inputs.independent) == {"c"}
    doc["correlations"] = [{"inputs": ["a", "c"], "coefficient": 0.5}]
    inputs = build_inputs(parse_budget(doc))
    assert [type(j).__name__ for j in inputs.joint] == ["GaussianCopula"]


BAD = [
    ({"value": 1, "standard_uncertainty": -1}, "inputs.x.standard_uncertainty"),
    (
        {"value": 1, "standard_uncertainty": 1, "expanded_uncertainty": 2, "coverage_factor": 2},
        "inputs.x.expanded_uncertainty",
    ),
    ({"value": 1, "standard_uncertainty": 1, "dof": 0}, "inputs.x.dof"),
    ({"value": 1, "standard_uncertainty": 1, "dof": -3}, "inputs.x.dof"),
    ({"value": 1, "expanded_uncertainty": 2}, "inputs.x.coverage_factor"),
    ({"value": 1, "expanded_uncertainty": 2, "coverage_factor": 0}, "inputs.x.coverage_factor"),
    (
        {"value": 1, "expanded_uncertainty": 2, "coverage_probability": 1.5, "dof": 3},
        "inputs.x.coverage_probability",
    ),
    ({"value": 1, "distribution": "rectangular", "half_width": 0}, "inputs.x.half_width"),
    ({"value": 1, "distribution": "rectangular", "half_width": -1}, "inputs.x.half_width"),
    ({"distribution": "rectangular", "limits": [2, 1]}, "inputs.x.limits"),
    ({"value": 5, "distribution": "rectangular", "limits": [0, 1]}, "inputs.x.value"),
    ({"value": 1, "distribution": "normal", "half_width": 1}, "inputs.x.distribution"),
    ({"value": 1, "distribution": "student_t", "scale": 1}, "inputs.x.dof"),
    (
        {"value": 1, "distribution": "student_t", "standard_uncertainty": 1, "dof": 2},
        "inputs.x.dof",
    ),
    ({"value": 1, "observations": [1.0]}, "inputs.x.observations"),
    ({"value": 7, "observations": [1.0, 2.0]}, "inputs.x.value"),
    ({"observations": [1.0, 2.0], "dof": 3}, "inputs.x.dof"),
    (
        {"value": 1, "distribution": "constant", "standard_uncertainty": 1},
        "inputs.x.standard_uncertainty",
    ),
    ({"value": 1}, "inputs.x"),
    ({"standard_uncertainty": 1}, "inputs.x.value"),
    ({"value": 1, "standard_uncertainty": 1, "unit": "furlongz"}, "inputs.x.unit"),
    ({"value": 1, "standard_uncertanity": 1}, "inputs.x.standard_uncertanity"),
    ({"value": 1, "standard_uncertainty": 1, "coverage_factor": 2}, "inputs.x.coverage_factor"),
    ({"value": 1, "distribution": "gaussian", "standard_uncertainty": 1}, "inputs.x.distribution"),
]


@pytest.mark.parametrize(("spec", "field"), BAD)
def test_bad_inputs_name_the_field(spec: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        evaluate_budget(_doc(spec))
    assert info.value.field == field
    assert str(info.value).startswith(field)


@pytest.mark.parametrize(
    ("extra", "field_fragment"),
    [
        ({"coverage_probability": 1.2}, "coverage_probability"),
        ({"coverage_probability": 0}, "coverage_probability"),
        (
            {"correlations": [{"inputs": ["x", "z"], "coefficient": 1.5}]},
            "correlations.0.coefficient",
        ),
        ({"bogus": 1}, "bogus"),
        ({"monte_carlo": {"trials": 10}}, "monte_carlo.trials"),
    ],
)
def test_bad_document_fields(extra: dict[str, Any], field_fragment: str) -> None:
    doc = _doc({"value": 1, "standard_uncertainty": 1}, **extra)
    with pytest.raises(InvalidInputError) as info:
        evaluate_budget(doc)
    assert field_fragment in str(info.value)


def test_correlation_set_must_be_positive_semidefinite() -> None:
    doc = {
        "model": "y = a + b + c",
        "inputs": {n: {"value": 0, "standard_uncertainty": 1} for n in "abc"},
        "correlations": [
            {"inputs": ["a", "b"], "coefficient": 0.9},
            {"inputs": ["b", "c"], "coefficient": 0.9},
            {"inputs": ["a", "c"], "coefficient": -0.9},
        ],
    }
    with pytest.raises(InvalidInputError, match="positive semi-definite"):
        compile_budget(doc)


def test_unknown_name_in_correlation() -> None:
    doc = _doc(
        {"value": 1, "standard_uncertainty": 1},
        correlations=[{"inputs": ["x", "q"], "coefficient": 0.1}],
    )
    with pytest.raises(InvalidInputError, match="unknown input 'q'"):
        compile_budget(doc)


def test_remembered_inputs_and_models_are_never_stale() -> None:
    """Input quantities and compiled models are reused between evaluations (speed); any
    change of a field gives a new result, and errors are raised every time."""

    def doc(u: float, dof: float | None, unit: str = "mm") -> dict[str, object]:
        spec: dict[str, object] = {"value": 2.0, "unit": unit, "standard_uncertainty": u}
        if dof is not None:
            spec["dof"] = dof
        return {
            "model": "y = a*b",
            "inputs": {"a": spec, "b": {"value": 3.0, "standard_uncertainty": 0.1, "dof": 9}},
        }

    first = evaluate_budget(doc(0.2, 4)).outputs["y"]
    assert first.standard_uncertainty == pytest.approx((0.6**2 + 0.2**2) ** 0.5)
    changed_u = evaluate_budget(doc(0.4, 4)).outputs["y"]
    assert changed_u.standard_uncertainty == pytest.approx((1.2**2 + 0.2**2) ** 0.5)
    changed_dof = evaluate_budget(doc(0.2, 40)).outputs["y"]
    assert changed_dof.effective_dof != first.effective_dof
    changed_unit = evaluate_budget(doc(0.2, 4, "m")).outputs["y"]
    assert changed_unit.unit == "m"
    again = evaluate_budget(doc(0.2, 4)).outputs["y"]
    assert again.model_dump() == first.model_dump()
    for _ in range(2):
        with pytest.raises(InvalidInputError, match="dof must be > 0"):
            evaluate_budget(doc(0.2, -1))
