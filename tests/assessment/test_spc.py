"""Control charts, Western Electric rules and capability indices."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from calib.assessment.spc import (
    CONTROL_CHART_FACTORS,
    capability,
    cp_interval,
    cpk_interval,
    individuals_chart,
    western_electric_signals,
    xbar_r_chart,
    xbar_r_limits,
)
from uncertainty.errors import InvalidInputError

NIST_FLOW_RATE = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]


def test_nist_individuals_chart_example() -> None:
    """NIST/SEMATECH e-Handbook 6.3.2.2: x̄ = 50.81, MR̄ = 1.8778, UCL = 55.8041, LCL = 45.8159."""
    chart = individuals_chart(NIST_FLOW_RATE)
    assert chart.centre == pytest.approx(50.81, abs=5e-3)
    assert chart.mr_centre == pytest.approx(1.8778, abs=5e-5)
    assert chart.ucl == pytest.approx(55.8041, abs=5e-5)
    assert chart.lcl == pytest.approx(45.8159, abs=5e-5)
    assert chart.mr_lcl == 0.0
    assert chart.in_control  # the handbook finds the process in control


def test_montgomery_example_6_1_xbar_r_limits() -> None:
    """Montgomery (2009) Example 6.1, piston rings, n = 5: x̿ = 74.001, R̄ = 0.023 give
    x̄ chart 73.988 to 74.014 and R chart UCL 0.049 (LCL 0)."""
    lim = xbar_r_limits(74.001, 0.023, 5)
    assert lim.xbar_ucl == pytest.approx(74.014, abs=5e-4)
    assert lim.xbar_lcl == pytest.approx(73.988, abs=5e-4)
    assert lim.r_ucl == pytest.approx(0.049, abs=5e-4)
    assert lim.r_lcl == 0.0


def test_montgomery_example_8_5_cp_interval() -> None:
    """Montgomery (2009) Example 8.5: USL 62, LSL 38, n = 20, s = 1.75, Ĉp = 2.29,
    95 % interval 1.57 ≤ Cp ≤ 3.01."""
    est = cp_interval(2.29, 20, 0.95)
    assert est.lower == pytest.approx(1.57, abs=5e-3)
    assert est.upper == pytest.approx(3.01, abs=5e-3)


def test_montgomery_example_8_6_cpk_interval() -> None:
    """Montgomery (2009) Example 8.6 (Bissell 1990): n = 20, Ĉpk = 1.33,
    95 % interval 0.88 ≤ Cpk ≤ 1.78."""
    est = cpk_interval(1.33, 20, 0.95)
    assert est.lower == pytest.approx(0.88, abs=5e-3)
    assert est.upper == pytest.approx(1.78, abs=5e-3)


def test_nist_capability_example() -> None:
    """NIST/SEMATECH e-Handbook 6.1.6: USL 20, LSL 8, mean 16, s 2 give Cp = 1.0,
    Cpk = 0.6667 (Cpu 0.6667, Cpl 1.3333). Data 14, 16, 18 have mean 16 and s = 2."""
    res = capability([14.0, 16.0, 18.0], lsl=8, usl=20, sigma_within=2.0)
    assert res.sigma_overall == pytest.approx(2.0)
    assert res.cp is not None and res.pp is not None
    assert res.cp.value == pytest.approx(1.0, abs=5e-5)
    assert res.cpk.value == pytest.approx(0.6667, abs=5e-5)
    assert res.pp.value == pytest.approx(1.0, abs=5e-5)
    assert res.ppk.value == pytest.approx(0.6667, abs=5e-5)
    upper_only = capability([14.0, 16.0, 18.0], usl=20, sigma_within=2.0)
    assert upper_only.cp is None and upper_only.cpk.value == pytest.approx(0.6667, abs=5e-5)
    lower_only = capability([14.0, 16.0, 18.0], lsl=8, sigma_within=2.0)
    assert lower_only.cpk.value == pytest.approx(1.3333, abs=5e-5)


def _range_moments(n: int) -> tuple[float, float]:
    """d2 and d3 by numerical integration of the distribution of the range of n
    standard normals, P(R <= r) = n ∫ φ(x) [Φ(x + r) − Φ(x)]^(n−1) dx (Tippett
    1925; the definition behind the published tables)."""
    h = 0.01
    x = np.arange(-9.0, 21.0 + h / 2, h)
    cdf, pdf = stats.norm.cdf(x), stats.norm.pdf(x)
    m = round(18.0 / h) + 1  # x in [-9, 9]
    ks = np.arange(0, round(12.0 / h) + 1)
    idx = np.arange(m)[None, :] + ks[:, None]
    inner = pdf[None, :m] * (cdf[idx] - cdf[None, :m]) ** (n - 1)
    below = n * np.trapezoid(inner, dx=h, axis=1)
    r = ks * h
    survival = 1 - below
    d2 = float(np.trapezoid(survival, r))
    second = float(np.trapezoid(2 * r * survival, r))
    return d2, math.sqrt(second - d2**2)


@pytest.mark.parametrize("n", range(2, 26))
def test_factor_table_against_range_distribution(n: int) -> None:
    """The published factors (3 decimals) agree with d2, d3 recomputed from the
    distribution of the range, and with A2 = 3/(d2√n), D3,D4 = 1 ∓ 3 d3/d2."""
    f = CONTROL_CHART_FACTORS[n]
    d2, d3 = _range_moments(n)
    assert f.d2 == pytest.approx(d2, abs=6e-4)
    assert f.d3 == pytest.approx(d3, abs=6e-4)
    assert f.A2 == pytest.approx(3 / (d2 * math.sqrt(n)), abs=1.1e-3)
    assert f.D4 == pytest.approx(1 + 3 * d3 / d2, abs=1.1e-3)
    assert f.D3 == pytest.approx(max(0.0, 1 - 3 * d3 / d2), abs=1.1e-3)


def test_factor_table_complete() -> None:
    assert sorted(CONTROL_CHART_FACTORS) == list(range(2, 26))


def _rules(values: list[float], **kw: int) -> dict[str, list[tuple[int, ...]]]:
    out: dict[str, list[tuple[int, ...]]] = {}
    for sig in western_electric_signals(values, 0.0, 1.0, **kw):
        out.setdefault(sig.rule, []).append(sig.indices)
    return out


def test_we1_beyond_three_sigma() -> None:
    found = _rules([0.1, -0.2, 3.2, 0.0, -3.5])
    assert found == {"WE1": [(2,), (4,)]}


def test_we2_two_of_three_beyond_two_sigma() -> None:
    found = _rules([0.0, 2.5, 0.3, 2.1, 0.0])
    assert found == {"WE2": [(1, 3)]}
    # opposite sides do not count together
    assert _rules([0.0, 2.5, -2.5, 0.0]) == {}


def test_rules_fire_at_the_start_of_a_series() -> None:
    """The first two points beyond 2σ already are '2 of 3'; the first four beyond 1σ '4 of 5'."""
    assert _rules([2.5, 2.6]) == {"WE2": [(0, 1)]}
    assert _rules([1.5, 1.6, 1.2, 1.1]) == {"WE3": [(0, 1, 2, 3)]}


def test_we3_four_of_five_beyond_one_sigma() -> None:
    found = _rules([1.5, 1.2, 0.2, 1.4, 1.1, -0.5])
    assert found == {"WE3": [(0, 1, 3, 4)]}


def test_we4_eight_in_a_row() -> None:
    values = [0.2, 0.4, 0.1, 0.5, 0.3, 0.2, 0.6, 0.1, -0.3]
    assert _rules(values) == {"WE4": [tuple(range(8))]}
    assert _rules(values, run_length=9) == {}


def test_no_signal_for_an_in_control_series() -> None:
    rng = np.random.default_rng(1)
    values = list(np.clip(rng.normal(0, 0.5, 30), -0.9, 0.9))
    values[::3] = [-abs(v) for v in values[::3]]
    values[1::3] = [abs(v) for v in values[1::3]]
    assert western_electric_signals(values, 0.0, 1.0) == []


def test_limits_are_frozen_from_the_baseline() -> None:
    """Points after the baseline are judged against the baseline limits (phase II)."""
    base = [10.0, 10.2, 9.9, 10.1, 9.8, 10.0, 10.1, 9.9, 10.2, 9.8]
    shifted = [10.9] * 3
    chart = individuals_chart(base + shifted, baseline=len(base))
    assert chart.baseline == 10
    assert chart.centre == pytest.approx(np.mean(base))
    assert any(s.rule == "WE1" and s.last >= 10 for s in chart.signals)
    assert not chart.in_control


def test_xbar_r_chart_from_subgroups() -> None:
    subgroups = [[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [1.5, 2.0, 2.5], [2.0, 2.0, 5.0]]
    chart = xbar_r_chart(subgroups)
    assert chart.means == (2.0, 3.0, 2.0, 3.0)
    assert chart.ranges == (2.0, 2.0, 1.0, 3.0)
    assert chart.limits.grand_mean == pytest.approx(2.5)
    assert chart.limits.mean_range == pytest.approx(2.0)
    assert chart.limits.xbar_ucl == pytest.approx(2.5 + 1.023 * 2.0)
    assert chart.limits.r_ucl == pytest.approx(2.574 * 2.0)
    assert chart.in_control


def test_xbar_r_chart_flags_a_wide_range() -> None:
    subgroups = [[10.0, 10.1, 10.2, 10.0, 10.1]] * 8 + [[9.0, 10.1, 11.0, 10.0, 10.1]]
    chart = xbar_r_chart(subgroups, baseline=8)
    assert chart.range_beyond_limit == (8,)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: xbar_r_limits(1.0, 0.1, 1), "subgroup_size"),
        (lambda: xbar_r_limits(1.0, 0.1, 26), "subgroup_size"),
        (lambda: xbar_r_limits(1.0, 0.0, 5), "mean_range"),
        (lambda: xbar_r_chart([[1.0, 2.0], [1.0, 2.0, 3.0]]), "subgroups"),
        (lambda: xbar_r_chart([[1.0, float("nan")], [1.0, 2.0]]), "subgroups"),
        (lambda: individuals_chart([1.0, 1.0, 1.0]), "values"),
        (lambda: individuals_chart([1.0]), "baseline"),
        (lambda: individuals_chart([1.0, 2.0, 3.0], baseline=5), "baseline"),
        (lambda: individuals_chart([1.0, float("inf")]), "values"),
        (lambda: western_electric_signals([1.0], 0.0, 0.0), "sigma"),
        (lambda: western_electric_signals([1.0], 0.0, 1.0, run_length=1), "run_length"),
        (lambda: capability([1.0, 2.0]), "lsl"),
        (lambda: capability([1.0, 2.0], lsl=3, usl=2), "lsl"),
        (lambda: capability([1.0, 1.0, 1.0], lsl=0, usl=2), "values"),
        (lambda: capability([1.0], lsl=0, usl=2), "values"),
        (lambda: cp_interval(1.0, 1), "n"),
        (lambda: cpk_interval(1.0, 10, 1.5), "confidence"),
    ],
)
def test_bad_input_names_the_field(call: object, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        call()  # type: ignore[operator]
    assert info.value.field == field


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-100, 100, allow_nan=False), min_size=5, max_size=30, unique=True),
    st.floats(0.001, 1000),
    st.floats(-1e3, 1e3),
)
def test_capability_invariant_under_change_of_units(
    values: list[float], scale: float, offset: float
) -> None:
    """Indices are dimensionless: x -> a·x + b (a > 0) with limits transformed alike
    leaves Cp, Cpk, Pp, Ppk and their intervals unchanged."""
    lo, hi = min(values) - 5, max(values) + 5
    try:
        base = capability(values, lsl=lo, usl=hi)
    except InvalidInputError:
        return  # all moving ranges zero cannot happen with unique values; guard anyway
    moved = capability(
        [scale * v + offset for v in values], lsl=scale * lo + offset, usl=scale * hi + offset
    )
    for a, b in (
        (base.cp, moved.cp),
        (base.cpk, moved.cpk),
        (base.pp, moved.pp),
        (base.ppk, moved.ppk),
    ):
        assert a is not None and b is not None
        assert b.value == pytest.approx(a.value, rel=1e-6, abs=1e-9)
        assert b.lower == pytest.approx(a.lower, rel=1e-6, abs=1e-9)
        assert b.upper == pytest.approx(a.upper, rel=1e-6, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.1, 5), st.integers(3, 200), st.floats(0.5, 0.999))
def test_intervals_contain_the_estimate_and_narrow_with_n(
    value: float, n: int, conf: float
) -> None:
    for fn in (cp_interval, cpk_interval):
        est = fn(value, n, conf)
        assert est.lower < value < est.upper
        wider = fn(value, n, min(conf + 0.0005, 0.9999))
        assert wider.upper - wider.lower >= est.upper - est.lower
