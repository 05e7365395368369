"""Invariants of the scores and of Algorithm A (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ilc import algorithm_a, evaluate_round
from uncertainty.errors import InvalidInputError

finite = st.integers(min_value=-(10**6), max_value=10**6).map(lambda i: i / 1000)
positive = st.floats(min_value=1e-3, max_value=1e2, allow_nan=False, allow_infinity=False)
scale = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)


def _score(
    values: list[float], big_u: list[float], k: list[float], x_pt: float, u_pt: float, sigma: float
):
    names = [f"L{i}" for i in range(len(values))]
    return evaluate_round(
        names,
        values,
        big_u,
        k,
        method="reference",
        reference_value=x_pt,
        reference_expanded_uncertainty=u_pt,
        reference_coverage_factor=2.0,
        sigma_pt=sigma,
    )


@settings(max_examples=60, deadline=None)
@given(
    x_pt=finite,
    d=finite,
    big_u=positive,
    u_ref=positive,
    k=st.sampled_from([1.0, 1.73, 2.0, 2.45]),
    sigma=positive,
)
def test_scores_change_sign_with_the_deviation(
    x_pt: float, d: float, big_u: float, u_ref: float, k: float, sigma: float
) -> None:
    """Mirroring a result about x_pt flips the sign of D, En, zeta, z and z' (ISO 13528:2022 9)."""
    up = _score([x_pt + d], [big_u], [k], x_pt, u_ref, sigma)
    down = _score([x_pt - d], [big_u], [k], x_pt, u_ref, sigma)
    for name in ("deviation", "en", "zeta", "z", "z_prime"):
        np.testing.assert_allclose(getattr(up, name), -getattr(down, name), rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(finite, min_size=1, max_size=6),
    x_pt=finite,
    big_u=positive,
    u_ref=positive,
    sigma=positive,
    factor=scale,
)
def test_scores_are_invariant_under_a_change_of_unit(
    values: list[float], x_pt: float, big_u: float, u_ref: float, sigma: float, factor: float
) -> None:
    """Multiplying every value and uncertainty by the same factor leaves En, zeta, z, z' unchanged."""
    n = len(values)
    a = _score(values, [big_u] * n, [2.0] * n, x_pt, u_ref, sigma)
    b = _score(
        [v * factor for v in values],
        [big_u * factor] * n,
        [2.0] * n,
        x_pt * factor,
        u_ref * factor,
        sigma * factor,
    )
    for name in ("en", "zeta", "z", "z_prime", "percent_deviation"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-9)
    assert a.en_verdicts == b.en_verdicts or np.allclose(np.abs(a.en), 1.0)


@settings(max_examples=60, deadline=None)
@given(d=finite, big_u=positive, u_ref=positive, factor=st.floats(min_value=0.01, max_value=100))
def test_en_unchanged_when_both_u_scale_with_the_deviation(
    d: float, big_u: float, u_ref: float, factor: float
) -> None:
    """En = D/sqrt(U_lab^2 + U_ref^2) is homogeneous of degree 0 in (D, U_lab, U_ref)."""
    a = _score([10.0 + d], [big_u], [2.0], 10.0, u_ref, 1.0)
    b = _score([10.0 + d * factor], [big_u * factor], [2.0], 10.0, u_ref * factor, 1.0)
    np.testing.assert_allclose(a.en, b.en, rtol=1e-7, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.integers(-(10**5), 10**5).map(lambda i: i / 1000), min_size=5, max_size=30),
    shift=st.floats(min_value=-1e3, max_value=1e3, allow_nan=False),
    factor=st.floats(min_value=1e-3, max_value=1e3, allow_nan=False),
    negate=st.booleans(),
)
def test_algorithm_a_is_location_and_scale_equivariant(
    values: list[float], shift: float, factor: float, negate: bool
) -> None:
    """x*(a + b x) = a + b x*(x) and s*(a + b x) = |b| s*(x) (ISO 13528:2022 C.3.1)."""
    array = np.array(values)
    assume(np.ptp(array) > 1e-6 * max(1.0, float(np.max(np.abs(array)))))
    b = -factor if negate else factor
    try:
        base = algorithm_a(array)
    except InvalidInputError:
        return  # s* collapses: refused for both, nothing to compare
    moved = algorithm_a(shift + b * array)
    assert moved.mean == pytest.approx(
        shift + b * base.mean,
        rel=1e-7,
        abs=1e-7 * factor * (1 + abs(base.mean)) + 1e-9 * abs(shift),
    )
    assert moved.sd == pytest.approx(abs(b) * base.sd, rel=1e-7)
