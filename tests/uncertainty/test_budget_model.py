"""Model parsing (AST whitelist), unit checks, compiled values and exact derivatives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uncertainty.errors import ModelSyntaxError, UnitMismatchError
from uncertainty.model import compile_model, parse_model
from uncertainty.units import parse_unit, ureg


def _compile(equations: str | list[str], units: dict[str, str], **kw: object):  # type: ignore[no-untyped-def]
    return compile_model(
        parse_model(equations),
        {k: parse_unit(v) for k, v in units.items()},
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("equation", "fragment"),
    [
        ("y = __import__('os').system('true')", "attribute access"),
        ("y = __import__('os')", "__import__"),
        ("y = x.real", "attribute access"),
        ("y = (lambda: x)()", "lambda"),
        ("y = [v for v in x]", "comprehensions"),
        ("y = sum(v for v in x)", "call of 'sum'"),
        ("y = x[0]", "subscripts"),
        ("y = 'text'", "literal"),
        ("y = open('f')", "call of 'open'"),
        ("y = x if x else 1", "conditional"),
        ("y = x > 1", "comparisons"),
        ("y = x % 2", "Mod"),
        ("y = x // 2", "FloorDiv"),
        ("y = sqrt(x, 2)", "sqrt takes 1"),
        ("y = sqrt(x=x)", "sqrt takes 1"),
        ("y = True + x", "literal"),
        ("y = 1j * x", "literal"),
    ],
)
def test_hostile_models_are_rejected_naming_the_construct(equation: str, fragment: str) -> None:
    with pytest.raises(ModelSyntaxError) as info:
        _compile(equation, {"x": "mm"})
    assert fragment in str(info.value)
    assert repr(equation)[1:-1][:20] in str(info.value) or "equation" in str(info.value)


@pytest.mark.parametrize(
    "equation",
    [
        "y = x ** 9 ** 9 ** 9",
        "y = 9 ** 9 ** 9",
        "y = x ** (10 ** 400)",
        "y = 10.0 ** 400",
        "y = x ** 1e308",
    ],
)
def test_exponent_bombs_are_refused_before_computing(equation: str) -> None:
    """x ** 9 ** 9 ** 9 must be refused at once (bounded constant folding)."""
    with pytest.raises(ModelSyntaxError, match=r"too large|not a finite|overflow|not a valid"):
        _compile(equation, {"x": ""})


def test_not_an_equation_and_redefinitions() -> None:
    for bad in ["x + 1", "1 = x", "y == x", "y = ", "y = x +"]:
        with pytest.raises(ModelSyntaxError):
            _compile(bad, {"x": ""})
    with pytest.raises(ModelSyntaxError, match="defined twice"):
        _compile(["y = x", "y = 2*x"], {"x": ""})
    with pytest.raises(ModelSyntaxError, match="own left-hand side"):
        _compile("y = y + x", {"x": ""})
    with pytest.raises(ModelSyntaxError, match="also given as an input"):
        _compile("x = 2", {"x": ""})


def test_unknown_name_lists_known_names() -> None:
    with pytest.raises(ModelSyntaxError) as info:
        _compile("y = a + bb", {"a": "mm", "b": "mm"})
    assert "'bb'" in str(info.value)
    assert "a, b" in str(info.value)


def test_intermediate_quantities_and_constants() -> None:
    model = _compile(["s = a + b", "y = 2*s*pi"], {"a": "mm", "b": "mm"})
    out = model.evaluate({"a": np.array([1.0]), "b": np.array([2.0])})
    assert out["y"][0] == pytest.approx(6 * math.pi)
    assert model.output_names == ("y",)


def test_name_e_is_an_input_when_given() -> None:
    """Constant e only where no input is named e (CONTRACTS.md section 1)."""
    model = _compile("y = e * 2", {"e": ""})
    assert model.evaluate({"e": np.array([3.0])})["y"][0] == 6.0
    model = _compile("y = e * x", {"x": ""})
    assert model.evaluate({"x": np.array([1.0])})["y"][0] == pytest.approx(math.e)


def test_dimension_mismatch_names_the_equation() -> None:
    with pytest.raises(UnitMismatchError) as info:
        _compile("y = a + t", {"a": "mm", "t": "degC"})
    assert "y = a + t" in str(info.value)
    with pytest.raises(UnitMismatchError):
        _compile("y = exp(a)", {"a": "mm"})
    with pytest.raises(UnitMismatchError):
        _compile("y = a + 1", {"a": "mm"})


def test_mixed_length_units_convert() -> None:
    model = _compile("y = a + b", {"a": "mm", "b": "m"}, outputs={"y": ureg.Unit("m")})
    values, jac = model.gradient({"a": 5.0, "b": 1.0})
    assert values["y"] == pytest.approx(1.005)
    assert list(jac["y"]) == pytest.approx([0.001, 1.0])


def test_offset_temperatures() -> None:
    """degC reading + delta_degC correction stays degC; difference of two is a difference."""
    model = _compile("t = t_read + dt", {"t_read": "degC", "dt": "delta_degC"})
    assert format(model.output_units["t"], "~P") == "°C"
    assert model.evaluate({"t_read": np.array(20.0), "dt": np.array(0.1)})["t"] == pytest.approx(
        20.1
    )
    model = _compile("t = t_read + dt", {"t_read": "degC", "dt": "mK"})
    assert model.gradient({"t_read": 20.0, "dt": 5.0})[1]["t"].tolist() == pytest.approx(
        [1.0, 0.001]
    )
    model = _compile("d = t1 - t2", {"t1": "degC", "t2": "degC"})
    assert model.evaluate({"t1": np.array(25.0), "t2": np.array(20.0)})["d"] == pytest.approx(5.0)
    with pytest.raises(UnitMismatchError, match="absolute temperature"):
        _compile("y = 2 * t", {"t": "degC"})
    with pytest.raises(UnitMismatchError, match="absolute temperature"):
        _compile("y = t1 + t2", {"t1": "degC", "t2": "degC"})
    model = _compile("l = l0*(1 + a*(t - t0))", {"l0": "mm", "a": "1/K", "t": "degC", "t0": "degC"})
    out = model.evaluate(
        {"l0": np.array(100.0), "a": np.array(1e-5), "t": np.array(30.0), "t0": np.array(20.0)}
    )
    assert out["l"] == pytest.approx(100.01)


def test_degc_to_kelvin_output_conversion() -> None:
    model = _compile(
        "t = t_read + dt", {"t_read": "degC", "dt": "K"}, outputs={"t": ureg.Unit("K")}
    )
    values, jac = model.gradient({"t_read": 20.0, "dt": 0.0})
    assert values["t"] == pytest.approx(293.15)
    assert jac["t"].tolist() == pytest.approx([1.0, 1.0])


def test_decibels_add_as_plain_numbers() -> None:
    model = _compile("P = P_ref + G", {"P_ref": "dBm", "G": "dB"})
    assert model.evaluate({"P_ref": np.array(-10.0), "G": np.array(3.0)})["P"] == pytest.approx(
        -7.0
    )


def test_angles_in_degrees() -> None:
    model = _compile("y = sin(a)", {"a": "degree"})
    values, jac = model.gradient({"a": 30.0})
    assert values["y"] == pytest.approx(0.5)
    assert jac["y"][0] == pytest.approx(math.cos(math.radians(30)) * math.pi / 180)


FUNCTION_MODELS = [
    "y = a*b/c + a**2",
    "y = sqrt(a*b) - c**1.5",
    "y = exp(a/c) + log(b) + ln(c) + log10(a)",
    "y = sin(a) + cos(b) + tan(c/3)",
    "y = asin(a/4) + acos(b/4) + atan(c)",
    "y = atan2(a, b) + sinh(c/3) + cosh(a/3) + tanh(b)",
    "y = abs(a - b) * c ** b",
    "y = -a + +b - (c - a) / b",
]


@pytest.mark.parametrize("equation", FUNCTION_MODELS)
@settings(max_examples=25, deadline=None)
@given(
    a=st.floats(0.5, 2.0),
    b=st.floats(0.5, 2.0),
    c=st.floats(0.5, 2.0),
)
def test_exact_derivatives_match_numerical_ones(
    equation: str, a: float, b: float, c: float
) -> None:
    """Analytic (forward-mode) derivatives against central differences (oracle test)."""
    if "abs" in equation and abs(a - b) < 1e-3:
        return
    model = _compile(equation, {"a": "", "b": "", "c": ""})
    point = {"a": a, "b": b, "c": c}
    _, jac = model.gradient(point)
    for i, name in enumerate(model.input_names):
        h = 1e-6 * max(1.0, abs(point[name]))
        up = dict(point, **{name: point[name] + h})
        down = dict(point, **{name: point[name] - h})
        f_up = model.evaluate({k: np.array(v) for k, v in up.items()})["y"]
        f_down = model.evaluate({k: np.array(v) for k, v in down.items()})["y"]
        numeric = float((f_up - f_down) / (2 * h))
        assert float(jac["y"][i]) == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_many_budgets_as_arrays_match_one_by_one() -> None:
    model = _compile("y = a*b/c", {"a": "mm", "b": "", "c": ""})
    a = np.linspace(1, 2, 7)
    values, jac = model.gradient({"a": a, "b": 2.0, "c": 4.0})
    for i in range(a.size):
        v1, j1 = model.gradient({"a": float(a[i]), "b": 2.0, "c": 4.0})
        assert values["y"][i] == pytest.approx(float(v1["y"]))
        assert jac["y"][:, i].tolist() == pytest.approx(j1["y"].tolist())


def test_parse_model_reports_free_names_in_order() -> None:
    parsed = parse_model(["d = d_bar + d1", "l = l_s + d"])
    assert parsed.free_names == ("d1", "d_bar", "l_s")
    assert parsed.defined == ("d", "l")


def test_long_sums_compile_without_deep_recursion() -> None:
    """A 1000-term budget sum compiles and evaluates (n-ary sum, no recursion per term)."""
    model = _compile(
        "y = " + " + ".join(f"x{i}" for i in range(1000)), {f"x{i}": "mm" for i in range(1000)}
    )
    values, jac = model.gradient({f"x{i}": 1.0 for i in range(1000)})
    assert float(values["y"]) == 1000.0
    assert jac["y"].sum() == 1000.0


def test_deep_nesting_is_refused_cleanly() -> None:
    with pytest.raises(ModelSyntaxError, match="nested too deeply"):
        _compile("y = " + "**".join(["x"] * 600), {"x": ""})
    with pytest.raises(ModelSyntaxError) as info:
        _compile("y = " + "+".join(["x"] * 5000), {"x": ""})
    assert len(str(info.value)) < 400  # the equation is shortened in the message


REVERSE_MODELS = [
    ["d = a - b", "y = d*c/(a + 2) + d**2 - 3*sqrt(c)", "z = exp(d/c) + log(a) - y/4"],
    ["y = 2.5 + a + b + c + a*b*c - (a - c)/b + sin(a)*cos(b)"],
    ["y = -a + 1/(b*c) + a**-2 + log10(c) + tanh(a - b) + asin(b/4)"],
]


@pytest.mark.parametrize("equations", REVERSE_MODELS)
@settings(max_examples=20, deadline=None)
@given(a=st.floats(0.5, 2.0), b=st.floats(0.5, 2.0), c=st.floats(0.5, 2.0))
def test_reverse_mode_matches_forward_mode(
    equations: list[str], a: float, b: float, c: float
) -> None:
    """One budget goes through reverse mode, a table of budgets through forward mode: both
    give the same values and sensitivity coefficients (JCGM 100:2008 5.1.3), intermediate
    quantities, constants and several outputs included."""
    outputs = {lhs.split("=")[0].strip(): None for lhs in equations[-2:]}
    model = _compile(equations, {"a": "", "b": "", "c": ""}, outputs=outputs)
    assert model._reverse is not None  # the one-budget path really is reverse mode
    one_values, one_jac = model.gradient({"a": a, "b": b, "c": c})
    table_values, table_jac = model.gradient(
        {"a": np.array([a, a]), "b": np.array([b, b]), "c": np.array([c, c])}
    )
    for name in outputs:
        assert float(one_values[name]) == pytest.approx(float(table_values[name][0]), rel=1e-13)
        assert one_jac[name].tolist() == pytest.approx(table_jac[name][:, 0].tolist(), rel=1e-12)


def test_reverse_mode_falls_back_to_ieee_forward_mode() -> None:
    """Where Python floats raise (x/0, sqrt of < 0) the one-budget path gives what numpy
    gives (inf/nan), as the array path does; nothing raises."""
    model = _compile("y = a/b + sqrt(c)", {"a": "", "b": "", "c": ""})
    with np.errstate(all="ignore"):
        values, jac = model.gradient({"a": 1.0, "b": 0.0, "c": 4.0})
        assert math.isinf(float(values["y"]))
        values, jac = model.gradient({"a": 1.0, "b": 2.0, "c": -1.0})
    assert math.isnan(float(values["y"]))
    assert jac["y"][0] == pytest.approx(0.5)
