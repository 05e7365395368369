"""Coverage intervals, tolerance, GUF validation and the bounded-memory accumulator."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uncertainty.coverage import (
    OutputAccumulator,
    coverage_indices,
    numerical_tolerance,
    shortest_interval_sorted,
    symmetric_interval_sorted,
    validate_guf,
)
from uncertainty.distributions import Normal, Rectangular
from uncertainty.errors import InvalidInputError
from uncertainty.montecarlo import run_monte_carlo


def test_coverage_indices_jcgm101_7_7() -> None:
    """JCGM 101:2008 7.7.1–7.7.2: M = 10⁶, p = 0.95 gives q = 950 000, r = 25 000."""
    assert coverage_indices(10**6, 0.95) == (950_000, 25_000)
    # pM not an integer: q = floor(pM + 1/2); (M - q)/2 not an integer: rounded.
    assert coverage_indices(1001, 0.95) == (951, 25)


def test_numerical_tolerance_jcgm101_7_9_2() -> None:
    """JCGM 101:2008 7.9.2: u(y) = c·10^l with c an ndig-digit integer, δ = ½·10^l.

    9.2.3 uses u = 2.0 with ndig = 2, δ = 0.05 (20·10⁻¹)."""
    assert numerical_tolerance(2.0, 2) == pytest.approx(0.05)
    assert numerical_tolerance(1.0, 2) == pytest.approx(0.05)
    assert numerical_tolerance(3.0, 1) == pytest.approx(0.5)
    assert numerical_tolerance(0.0025, 2) == pytest.approx(0.00005)
    # rounding moves the magnitude: 0.0996 -> 0.10 -> δ = 0.005
    assert numerical_tolerance(0.0996, 2) == pytest.approx(0.005)
    with pytest.raises(InvalidInputError):
        numerical_tolerance(1.0, 0)


def test_validate_guf_jcgm101_8_2_definitions() -> None:
    """JCGM 101:2008 8.2: d_low = |y − U_p − y_low|, d_high = |y + U_p − y_high|, both ≤ δ."""
    verdict = validate_guf(
        estimate=10.0,
        expanded_uncertainty=2.0,
        standard_uncertainty=1.0,
        interval=(7.96, 12.03),
    )
    assert verdict.d_low == pytest.approx(0.04)
    assert verdict.d_high == pytest.approx(0.03)
    assert verdict.delta == pytest.approx(0.05)
    assert verdict.validated
    assert not validate_guf(
        estimate=10.0,
        expanded_uncertainty=2.0,
        standard_uncertainty=1.0,
        interval=(7.9, 12.0),
    ).validated


samples = st.tuples(
    st.integers(min_value=0, max_value=2**32 - 1),
    st.sampled_from(["normal", "exponential", "uniform", "lognormal", "bimodal"]),
    st.integers(min_value=60, max_value=3000),
    st.floats(min_value=0.5, max_value=0.97),
)


def draw(seed: int, kind: str, size: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.normal(size=size)
    if kind == "exponential":
        return rng.exponential(size=size)
    if kind == "uniform":
        return rng.uniform(size=size)
    if kind == "lognormal":
        return rng.lognormal(sigma=1.0, size=size)
    return np.concatenate([rng.normal(-3, 1, size // 2), rng.normal(3, 1, size - size // 2)])


@settings(max_examples=80, deadline=None)
@given(samples)
def test_shortest_never_longer_than_symmetric(case: tuple[int, str, int, float]) -> None:
    """Property (JCGM 101:2008 7.7.3): the shortest interval is at most as long."""
    seed, kind, size, p = case
    values = np.sort(draw(seed, kind, size))
    low, high = symmetric_interval_sorted(values, p)
    s_low, s_high = shortest_interval_sorted(values, p)
    assert s_high - s_low <= high - low


@settings(max_examples=80, deadline=None)
@given(samples)
def test_intervals_contain_probability_p(case: tuple[int, str, int, float]) -> None:
    """Property: both intervals hold q + 1 >= pM of the M values (JCGM 101:2008 7.7)."""
    seed, kind, size, p = case
    values = np.sort(draw(seed, kind, size))
    q, _ = coverage_indices(size, p)
    for low, high in (symmetric_interval_sorted(values, p), shortest_interval_sorted(values, p)):
        inside = int(np.count_nonzero((values >= low) & (values <= high)))
        assert inside >= q + 1
        assert inside / size >= p - 0.5 / size


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    coefficients=st.lists(st.floats(min_value=-5, max_value=5), min_size=3, max_size=3),
    uncertainties=st.lists(st.floats(min_value=0.01, max_value=10), min_size=3, max_size=3),
)
def test_mcm_agrees_with_exact_linear_gaussian(
    seed: int, coefficients: list[float], uncertainties: list[float]
) -> None:
    """Property: for Y = Σ c_i X_i with Gaussian X_i the MCM mean, u and interval agree
    with the exact N(Σ c_i x_i, Σ c_i² u_i²) within Monte Carlo noise (JCGM 101:2008 5.11)."""
    m = 20_000
    means = [1.0, -2.0, 3.0]
    c = np.array(coefficients)
    exact_mean = float(c @ means)
    exact_u = math.sqrt(float(np.sum((c * np.array(uncertainties)) ** 2)))
    inputs = {f"x{i}": Normal(means[i], uncertainties[i]) for i in range(3)}

    def model(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"y": c[0] * x["x0"] + c[1] * x["x1"] + c[2] * x["x2"]}

    out = run_monte_carlo(
        model,
        inputs,
        outputs=["y"],
        trials=m,
        rng=np.random.default_rng(seed),
        coverage_probability=0.95,
    )["y"]
    scale = max(exact_u, 1e-12)
    assert abs(out.mean - exact_mean) <= 5 * scale / math.sqrt(m) + 1e-9 * abs(exact_mean)
    assert abs(out.standard_uncertainty - exact_u) <= 5 * scale / math.sqrt(2 * m) + 1e-12
    density = math.exp(-(1.96**2) / 2) / math.sqrt(2 * math.pi) / scale
    noise = 5 * math.sqrt(0.025 * 0.975 / m) / density
    assert out.interval[0] == pytest.approx(exact_mean - 1.959964 * exact_u, abs=noise + 1e-9)
    assert out.interval[1] == pytest.approx(exact_mean + 1.959964 * exact_u, abs=noise + 1e-9)


def test_streaming_histogram_matches_order_statistics() -> None:
    """The bounded-memory mode reproduces the exact intervals to a small fraction of u."""
    values = np.random.default_rng(11).gamma(3.0, size=300_000)
    exact = OutputAccumulator(max_stored=10**6)
    streamed = OutputAccumulator(max_stored=50_000)
    for start in range(0, values.size, 65_536):
        exact.add(values[start : start + 65_536])
        streamed.add(values[start : start + 65_536])
    assert exact.quantile_method == "order_statistics"
    assert streamed.quantile_method == "streaming_histogram"
    assert streamed.mean == pytest.approx(exact.mean, rel=1e-12)
    assert streamed.standard_uncertainty == pytest.approx(exact.standard_uncertainty, rel=1e-9)
    u = exact.standard_uncertainty
    for (a, b), (c, d) in zip(exact.intervals(0.95), streamed.intervals(0.95), strict=True):
        assert c == pytest.approx(a, abs=1e-3 * u)
        assert d == pytest.approx(b, abs=1e-3 * u)
    histogram = streamed.histogram()
    assert int(histogram.counts.sum()) + histogram.outside == values.size


def test_histogram_for_plotting_covers_central_values() -> None:
    out = run_monte_carlo(
        lambda x: {"y": x["a"]},
        {"a": Rectangular(5.0, 1.0)},
        outputs=["y"],
        trials=50_000,
        rng=np.random.default_rng(1),
    )["y"]
    histogram = out.histogram
    assert histogram.edges.size == histogram.counts.size + 1
    assert histogram.edges[0] >= 4.0 and histogram.edges[-1] <= 6.0
    width = np.diff(histogram.edges)
    assert float(np.sum(histogram.density * width)) == pytest.approx(0.999, abs=0.001)


@pytest.mark.slow
def test_memory_stays_bounded_for_large_m() -> None:
    """Peak traced memory does not grow with M once values go to the streaming histogram."""
    inputs = {f"x{i}": Normal(0.0, 1.0) for i in range(10)}

    def model(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"y": sum(x.values())}  # type: ignore[dict-item]

    peaks = []
    for trials in (300_000, 1_200_000):
        tracemalloc.start()
        run_monte_carlo(
            model,
            inputs,
            outputs=["y"],
            trials=trials,
            rng=np.random.default_rng(0),
            max_stored_bytes=2**20,
        )
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.25 * peaks[0]
    assert peaks[1] < 30 * 2**20
