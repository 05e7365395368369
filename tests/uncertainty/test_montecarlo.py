"""Monte Carlo propagation (JCGM 101:2008) against the published examples of its clause 9.

JCGM 101 does not publish its seeds, so each assertion allows the published rounding
plus a Monte Carlo noise bound derived from M (4 standard deviations of the statistic).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import integrate, optimize, stats

from uncertainty.budget import evaluate_budget
from uncertainty.distributions import MultivariateNormal, Normal, Rectangular
from uncertainty.errors import InvalidInputError
from uncertainty.montecarlo import (
    CHUNK_SIZE,
    MonteCarloCancelled,
    adaptive_batch_size,
    make_rng,
    run_adaptive,
    run_monte_carlo,
    validate_guf,
)

Arrays = Mapping[str, NDArray[np.float64]]


def endpoint_noise(trials: int, p_tail: float, density: float) -> float:
    """Standard deviation of an empirical quantile: sqrt(P(1-P)/M) / f(quantile)."""
    return math.sqrt(p_tail * (1 - p_tail) / trials) / density


def additive(x: Arrays) -> dict[str, NDArray[np.float64]]:
    """JCGM 101:2008 9.2.1: Y = X1 + X2 + X3 + X4."""
    return {"y": x["x1"] + x["x2"] + x["x3"] + x["x4"]}


def test_jcgm101_9_2_2_additive_model_normal_inputs() -> None:
    """JCGM 101:2008 9.2.2 (Table 2): four N(0, 1) inputs, p = 0.95.

    Published: MCM y = 0.00, u(y) = 2.00, shortest interval [-3.92, 3.92]; GUF ±3.92
    validated. Verified: Sandia's suncal test suite (sandialabs/suncal test/test_examples.py,
    test_montecarlo, "Values from Table 2 in GUM Supplement 1") holds the same numbers, and
    Y ~ N(0, 4) exactly.
    """
    m = 10**6
    inputs = {f"x{i}": Normal(0.0, 1.0) for i in range(1, 5)}
    out = run_monte_carlo(
        additive,
        inputs,
        outputs=["y"],
        trials=m,
        rng=np.random.default_rng(2008),
        coverage_probability=0.95,
    )["y"]
    noise = 4 * endpoint_noise(m, 0.025, stats.norm.pdf(1.96) / 2.0)
    assert out.mean == pytest.approx(0.00, abs=0.005 + 4 * 2.0 / math.sqrt(m))
    assert out.standard_uncertainty == pytest.approx(2.00, abs=0.005 + 4 * 2.0 / math.sqrt(2 * m))
    for endpoint, published in zip(out.interval, (-3.92, 3.92), strict=True):
        assert endpoint == pytest.approx(published, abs=0.005 + noise)
    for endpoint, published in zip(out.shortest_interval, (-3.92, 3.92), strict=True):
        assert endpoint == pytest.approx(published, abs=0.005 + 2 * noise)
    verdict = validate_guf(
        estimate=0.0,
        expanded_uncertainty=1.96 * 2.0,
        standard_uncertainty=2.0,
        interval=out.interval,
    )
    assert verdict.delta == 0.05
    assert verdict.validated


def test_jcgm101_9_2_3_additive_model_rectangular_inputs() -> None:
    """JCGM 101:2008 9.2.3 (Table 3): four rectangular inputs with u = 1, p = 0.95.

    Published: MCM u(y) = 2.00 and interval [-3.88, 3.88] against the GUF's ±3.92; the
    GUF is validated at ndig = 2 (δ = 0.05). Verified: suncal test/test_examples.py,
    test_montecarlo ("Values from Table 3 in GUM Supplement 1": ±3.88).
    """
    m = 10**6
    inputs = {f"x{i}": Rectangular(0.0, math.sqrt(3.0)) for i in range(1, 5)}
    out = run_monte_carlo(
        additive,
        inputs,
        outputs=["y"],
        trials=m,
        rng=np.random.default_rng(101),
        coverage_probability=0.95,
    )["y"]
    noise = 4 * endpoint_noise(m, 0.025, stats.norm.pdf(1.94) / 2.0)
    assert out.standard_uncertainty == pytest.approx(2.00, abs=0.005 + 4 * 2.0 / math.sqrt(2 * m))
    for endpoint, published in zip(out.interval, (-3.88, 3.88), strict=True):
        assert endpoint == pytest.approx(published, abs=0.005 + noise)
    # 3.88 is distinguishable from the GUF's 3.92 at this M:
    assert out.interval[1] < 3.92 - 0.01
    verdict = validate_guf(
        estimate=0.0,
        expanded_uncertainty=1.96 * 2.0,
        standard_uncertainty=2.0,
        interval=out.interval,
    )
    assert verdict.validated


def mass_model(x: Arrays) -> dict[str, NDArray[np.float64]]:
    """JCGM 101:2008 9.3.1, Eq. (24): δm = (m_Rc + δm_Rc)(1 + (ρa − ρa0)(1/ρW − 1/ρR)) − m_nom
    in mg, ρ in kg/m³, ρa0 = 1.2 kg/m³, m_nom = 100 g."""
    buoyancy = 1.0 + (x["rho_a"] - 1.2) * (1.0 / x["rho_w"] - 1.0 / x["rho_r"])
    return {"dm": (x["m_rc"] + x["dm_rc"]) * buoyancy - 100_000.0}


MASS_INPUTS = {
    "m_rc": Normal(100_000.000, 0.050),
    "dm_rc": Normal(1.234, 0.020),
    "rho_a": Rectangular(1.20, 0.10),
    "rho_w": Rectangular(8.0e3, 1.0e3),
    "rho_r": Rectangular(8.00e3, 0.05e3),
}


def test_jcgm101_9_3_mass_calibration() -> None:
    """JCGM 101:2008 9.3 (Tables 8 and 9): mass calibration, p = 0.95.

    Published: GUF (first order) δm = 1.2340 mg, u = 0.0539 mg; MCM δm = 1.2341 mg,
    u = 0.0754 mg; the first-order GUF is NOT validated (ndig = 2).
    The table itself was not found in the search corpora; the digits agree with the exact
    solution: the GUF row is m_Rc + δm_Rc − m_nom and hypot(0.050, 0.020); with
    A = ρa − ρa0 and B = 1/ρW − 1/ρR independent of M = m_Rc + δm_Rc and E[A] = 0,
    E[δm] = 1.2340 mg and Var[δm] = Var[M] + E[M²]·E[A²]·E[B²], u = 0.07548 mg (the
    published MCM values are M = 10⁶ estimates of these).
    """
    m = 10**6
    out = run_monte_carlo(
        mass_model,
        MASS_INPUTS,
        outputs=["dm"],
        trials=m,
        rng=np.random.default_rng(93),
        coverage_probability=0.95,
    )["dm"]
    assert out.mean == pytest.approx(1.2341, abs=0.00005 + 4 * 0.0754 / math.sqrt(m))
    assert out.standard_uncertainty == pytest.approx(
        0.0754, abs=0.00005 + 4 * 0.0754 * math.sqrt(2.0 / m)
    )
    u_guf = math.hypot(0.050, 0.020)
    assert u_guf == pytest.approx(0.0539, abs=0.00005)
    verdict = validate_guf(
        estimate=1.2340,
        expanded_uncertainty=1.96 * u_guf,
        standard_uncertainty=u_guf,
        interval=out.interval,
    )
    assert verdict.delta == pytest.approx(0.0005)
    assert not verdict.validated


def test_jcgm101_9_3_adaptive_meets_its_tolerance() -> None:
    """JCGM 101:2008 7.9 on the 9.3 model: stops with δ = 0.0005 mg (u = 0.075 mg, ndig = 2)
    and reports u(δm) = 0.0754 mg within that tolerance."""
    out = run_adaptive(
        mass_model,
        MASS_INPUTS,
        outputs=["dm"],
        rng=np.random.default_rng(7),
        coverage_probability=0.95,
        significant_digits=2,
    )["dm"]
    assert out.converged
    assert out.delta == pytest.approx(0.0005)
    assert out.trials == out.batches * 10**4
    assert out.standard_uncertainty == pytest.approx(0.0754, abs=0.00005 + 0.0005)


def comparison_loss(x: Arrays) -> dict[str, NDArray[np.float64]]:
    """JCGM 101:2008 9.4.1, Eq. (28): δY = X1² + X2²."""
    return {"y": x["x1"] ** 2 + x["x2"] ** 2}


def test_jcgm101_9_4_comparison_loss_degenerate_case() -> None:
    """JCGM 101:2008 9.4 (Table 11), x1 = x2 = 0, u = 0.005, r = 0: the GUF gives y = 0,
    u(y) = 0 (every sensitivity vanishes); MCM: y = 0.000050, u(y) = 0.000050, shortest
    95 % interval [0.000000, 0.000150]. These equal the exact solution Y = u²·χ²₂:
    mean = sd = 2u², shortest interval [0, −2u²·ln 0.05 = 0.0001498]."""
    m = 10**5
    inputs = {"x1": Normal(0.0, 0.005), "x2": Normal(0.0, 0.005)}
    out = run_monte_carlo(
        comparison_loss,
        inputs,
        outputs=["y"],
        trials=m,
        rng=np.random.default_rng(94),
        coverage_probability=0.95,
    )["y"]
    sd = 5e-5
    assert out.mean == pytest.approx(0.000050, abs=0.0000005 + 4 * sd / math.sqrt(m))
    assert out.standard_uncertainty == pytest.approx(
        0.000050, abs=0.0000005 + 4 * sd * math.sqrt(4.0 / m)
    )
    low, high = out.shortest_interval
    assert low == pytest.approx(0.0, abs=0.0000005)
    # density of u²·χ²₂ at the 95 % point: exp(-x/(2u²))/(2u²)
    f = math.exp(-0.000150 / 5e-5) / 5e-5
    assert high == pytest.approx(0.000150, abs=0.0000005 + 4 * endpoint_noise(m, 0.05, f))
    verdict = validate_guf(
        estimate=0.0, expanded_uncertainty=0.0, standard_uncertainty=0.0, interval=out.interval
    )
    assert not verdict.validated


def test_jcgm101_9_4_comparison_loss_x1_010() -> None:
    """JCGM 101:2008 9.4 (Table 11), x1 = 0.010, u = 0.005, r = 0: GUF u(y) = 0.000100
    against MCM y = 0.000150, u(y) = 0.000112. Exact: E[Y] = x1² + 2u²,
    Var[Y] = 4x1²u² + 4u⁴ (u(Y) = 0.0001118)."""
    m = 10**5
    inputs = {"x1": Normal(0.010, 0.005), "x2": Normal(0.0, 0.005)}
    out = run_monte_carlo(
        comparison_loss,
        inputs,
        outputs=["y"],
        trials=m,
        rng=np.random.default_rng(941),
        coverage_probability=0.95,
    )["y"]
    assert out.mean == pytest.approx(0.000150, abs=0.0000005 + 4 * 1.12e-4 / math.sqrt(m))
    assert out.standard_uncertainty == pytest.approx(
        0.000112, abs=0.0000005 + 4 * 1.12e-4 * math.sqrt(3.0 / m)
    )


def _correlated_loss_cdf(y: float, u: float, r: float) -> float:
    """Exact P(X1² + X2² <= y) for X ~ N(0, u²[[1, r], [r, 1]]).

    Rotating to the principal axes, X1² + X2² = λ1·Z1² + λ2·Z2² with λ = u²(1 ± r) and
    Z ~ N(0, I); integrate over Z1 (substituting W = Z1² removes the χ²₁ pole at 0).
    """
    lam1, lam2 = u * u * (1 + r), u * u * (1 - r)
    top = math.sqrt(y / lam1)
    value, _ = integrate.quad(
        lambda z: 2 * stats.norm.pdf(z) * stats.chi2.cdf((y - lam1 * z * z) / lam2, 1), 0, top
    )
    return float(value)


def _correlated_loss_quantile(p: float, u: float, r: float) -> float:
    return float(optimize.brentq(lambda y: _correlated_loss_cdf(y, u, r) - p, 1e-14, 1e-2))


def test_jcgm101_9_4_3_comparison_loss_correlated_inputs_exact() -> None:
    """JCGM 101:2008 9.4.3 configuration (comparison loss, r(X1, X2) = 0.9), x1 = x2 = 0,
    u = 0.005, through a budget document with ``correlations``.

    The document's Table of 9.4.3 results was not found in the search corpora, so the
    oracle is exact, not recalled: E[Y] = 2u² = 0.000050, Var[Y] = 2u⁴(2 + 2r²), so
    u(Y) = 0.0000673; the quantiles come from the exact distribution of λ1·Z1² + λ2·Z2²
    (above). The GUF gives u(y) = 0 whatever r (both sensitivities vanish at 0, 9.4.2).
    """
    u, r, m = 0.005, 0.9, 10**6
    doc = {
        "model": "Y = X1**2 + X2**2",
        "inputs": {
            "X1": {"value": 0.0, "standard_uncertainty": u},
            "X2": {"value": 0.0, "standard_uncertainty": u},
        },
        "correlations": [{"inputs": ["X1", "X2"], "coefficient": r}],
        "coverage_probability": 0.95,
    }
    out = evaluate_budget(doc, monte_carlo=True, trials=m, seed=943).outputs["Y"]
    assert out.standard_uncertainty == 0.0
    mc = out.monte_carlo
    assert mc is not None
    sd = u * u * math.sqrt(4 + 4 * r * r)
    assert sd == pytest.approx(6.727e-5, abs=5e-9)
    assert mc.mean == pytest.approx(2 * u * u, abs=4 * sd / math.sqrt(m))
    # sd of the sample standard deviation ≈ u·sqrt((κ − 1)/(4M)); κ < 15 here
    assert mc.standard_uncertainty == pytest.approx(sd, abs=4 * sd * math.sqrt(14 / (4 * m)))

    def density(y: float) -> float:
        h = y * 1e-4
        return (_correlated_loss_cdf(y + h, u, r) - _correlated_loss_cdf(y - h, u, r)) / (2 * h)

    for got, p_ in zip(mc.interval, (0.025, 0.975), strict=True):
        exact = _correlated_loss_quantile(p_, u, r)
        assert got == pytest.approx(exact, abs=4 * endpoint_noise(m, p_, density(exact)))
    # the density decreases from 0, so the shortest 95 % interval is [0, F⁻¹(0.95)]
    upper = _correlated_loss_quantile(0.95, u, r)
    assert mc.shortest_interval[0] == pytest.approx(0.0, abs=1e-7)
    assert mc.shortest_interval[1] == pytest.approx(
        upper, abs=8 * endpoint_noise(m, 0.05, density(upper))
    )


def test_jcgm101_9_4_3_correlation_changes_mcm_not_guf_at_x1_010() -> None:
    """JCGM 101:2008 9.4.3 configuration at x1 = 0.010, x2 = 0, u = 0.005, r = 0.9.

    GUF: u(y) = 2·x1·u = 0.000100 (the X2 sensitivity is 0, so r drops out). Exact MCM
    target: E[Y] = x1² + 2u² = 0.000150, Var[Y] = 4·x1²·u² + 2u⁴(2 + 2r²) (quadratic form
    of a correlated normal), u(Y) = 0.0001205, against 0.000112 for r = 0 (test above).
    """
    x1, u, r, m = 0.010, 0.005, 0.9, 10**6
    doc = {
        "model": "Y = X1**2 + X2**2",
        "inputs": {
            "X1": {"value": x1, "standard_uncertainty": u},
            "X2": {"value": 0.0, "standard_uncertainty": u},
        },
        "correlations": [{"inputs": ["X1", "X2"], "coefficient": r}],
        "coverage_probability": 0.95,
    }
    out = evaluate_budget(doc, monte_carlo=True, trials=m, seed=9431).outputs["Y"]
    assert out.standard_uncertainty == pytest.approx(2 * x1 * u, rel=1e-12)
    mc = out.monte_carlo
    assert mc is not None
    sd = math.sqrt(4 * x1 * x1 * u * u + 2 * u**4 * (2 + 2 * r * r))
    assert sd == pytest.approx(1.2052e-4, abs=5e-9)
    assert mc.mean == pytest.approx(x1 * x1 + 2 * u * u, abs=4 * sd / math.sqrt(m))
    assert mc.standard_uncertainty == pytest.approx(sd, abs=4 * sd * math.sqrt(14 / (4 * m)))


def test_correlated_inputs_use_the_joint_distribution() -> None:
    """JCGM 101:2008 6.4.8: Y = X1 + X2 with u = 1 each and r = -0.5 has u(Y) = 1."""
    m = 2 * 10**5
    joint = MultivariateNormal(["a", "b"], [1.0, 2.0], [[1.0, -0.5], [-0.5, 1.0]])
    out = run_monte_carlo(
        lambda x: {"y": x["a"] + x["b"]},
        {},
        [joint],
        outputs=["y"],
        trials=m,
        rng=np.random.default_rng(3),
    )["y"]
    assert out.mean == pytest.approx(3.0, abs=4 / math.sqrt(m))
    assert out.standard_uncertainty == pytest.approx(1.0, abs=4 * math.sqrt(2.0 / m))


def test_same_seed_same_result_and_progress_reports_every_chunk() -> None:
    calls: list[tuple[int, int]] = []
    inputs = {"a": Normal(0.0, 1.0)}
    m = 3 * CHUNK_SIZE + 5
    first = run_monte_carlo(
        lambda x: {"y": 2 * x["a"]},
        inputs,
        outputs=["y"],
        trials=m,
        rng=make_rng(5)[0],
        progress=lambda done, total: calls.append((done, total)),
    )["y"]
    second = run_monte_carlo(
        lambda x: {"y": 2 * x["a"]}, inputs, outputs=["y"], trials=m, rng=make_rng(5)[0]
    )["y"]
    assert (first.mean, first.standard_uncertainty, first.interval) == (
        second.mean,
        second.standard_uncertainty,
        second.interval,
    )
    assert first.shortest_interval == second.shortest_interval
    assert calls == [(CHUNK_SIZE, m), (2 * CHUNK_SIZE, m), (3 * CHUNK_SIZE, m), (m, m)]


def test_cancel_stops_between_chunks() -> None:
    polls = iter([False, False, True])
    with pytest.raises(MonteCarloCancelled):
        run_monte_carlo(
            lambda x: {"y": x["a"]},
            {"a": Normal(0.0, 1.0)},
            outputs=["y"],
            trials=10 * CHUNK_SIZE,
            rng=np.random.default_rng(0),
            cancel=lambda: next(polls),
        )


def test_make_rng_records_a_fresh_seed() -> None:
    rng, seed = make_rng()
    assert isinstance(seed, int) and seed >= 0
    assert rng.random() == np.random.default_rng(seed).random()
    with pytest.raises(InvalidInputError):
        make_rng(-1)


def test_adaptive_batch_size_jcgm101_7_9_4() -> None:
    """JCGM 101:2008 7.9.4 a): M = max(J, 10⁴), J = ⌈100/(1 − p)⌉ (not min)."""
    assert adaptive_batch_size(0.95) == 10**4
    assert adaptive_batch_size(0.9545) == 10**4
    assert adaptive_batch_size(0.995) == 20_000
    assert adaptive_batch_size(0.999) == 100_000


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"trials": 0}, "monte_carlo.trials"),
        ({"trials": 10}, "monte_carlo.trials"),
        ({"coverage_probability": 1.0}, "coverage_probability"),
        ({"outputs": ["z"]}, "outputs.z"),
    ],
)
def test_bad_monte_carlo_arguments_name_the_field(kwargs: dict[str, object], field: str) -> None:
    options: dict[str, object] = {"outputs": ["y"], "trials": 1000, "coverage_probability": 0.95}
    options.update(kwargs)
    with pytest.raises(InvalidInputError) as info:
        run_monte_carlo(
            lambda x: {"y": x["a"]},
            {"a": Normal(0.0, 1.0)},
            rng=np.random.default_rng(0),
            **options,  # type: ignore[arg-type]
        )
    assert info.value.field == field


def test_non_finite_model_values_are_reported() -> None:
    with pytest.raises(InvalidInputError, match="non-finite") as info:
        run_monte_carlo(
            lambda x: {"y": np.log(x["a"])},
            {"a": Normal(0.0, 1.0)},
            outputs=["y"],
            trials=1000,
            rng=np.random.default_rng(0),
        )
    assert info.value.field == "outputs.y"


def test_input_sampled_twice_is_rejected() -> None:
    joint = MultivariateNormal(["a", "b"], [0.0, 0.0], np.eye(2))
    with pytest.raises(InvalidInputError) as info:
        run_monte_carlo(
            lambda x: {"y": x["a"]},
            {"a": Normal(0.0, 1.0)},
            [joint],
            outputs=["y"],
            trials=1000,
            rng=np.random.default_rng(0),
        )
    assert info.value.field == "inputs.a"


def test_adaptive_with_two_outputs_stops_when_both_are_stable() -> None:
    """JCGM 101:2008 7.9.4: every output must meet 2s <= δ; all use the same trials."""
    seen: list[int] = []
    out = run_adaptive(
        lambda x: {"s": x["a"] + x["b"], "p": x["a"] * x["b"]},
        {"a": Normal(1.0, 0.1), "b": Rectangular(2.0, 0.2)},
        outputs=["s", "p"],
        rng=np.random.default_rng(4),
        coverage_probability=0.95,
        significant_digits=1,
        progress=lambda done, total: seen.append(done),
    )
    assert out["s"].trials == out["p"].trials == seen[-1]
    assert out["s"].converged and out["p"].converged
    assert out["s"].batches is not None and out["s"].batches >= 2


def test_adaptive_cap_reports_not_converged() -> None:
    out = run_adaptive(
        lambda x: {"y": x["a"]},
        {"a": Normal(0.0, 1.0)},
        outputs=["y"],
        rng=np.random.default_rng(0),
        significant_digits=4,
        max_trials=30_000,
    )["y"]
    assert out.converged is False
    assert out.trials == 30_000
