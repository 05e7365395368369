"""Decision rules (ILAC G8:2019 4.2) exactly at the boundaries, TUR, Z540.3 guard band."""

from __future__ import annotations

import math

import numpy as np
import pytest

from traceability.checks import compute_tur
from traceability.decision import (
    decide,
    guarded_acceptance,
    managed_guard_band,
    non_binary,
    probability_of_false_accept,
    simple_acceptance,
    tur_from_limits,
    z540_managed,
)
from uncertainty.errors import InvalidInputError

# Tolerance ±1, U = 0.25 (binary-exact numbers, so the boundaries are exact).
TL, TU, U = -1.0, 1.0, 0.25


@pytest.mark.parametrize(
    ("measured", "outcome"),
    [(1.0, "pass"), (-1.0, "pass"), (math.nextafter(1.0, 2.0), "fail"), (0.0, "pass")],
)
def test_simple_acceptance_boundaries(measured: float, outcome: str) -> None:
    """ILAC G8:2019 4.2.1: accept within the tolerance limits (w = 0), limit included."""
    statement = simple_acceptance(measured, TL, TU, U)
    assert statement.outcome == outcome
    assert statement.rule == "simple"
    assert statement.guard_band == 0


@pytest.mark.parametrize(
    ("measured", "outcome"),
    [
        (0.75, "pass"),
        (-0.75, "pass"),
        (math.nextafter(0.75, 1.0), "fail"),
        (1.0, "fail"),
    ],
)
def test_guarded_acceptance_boundaries(measured: float, outcome: str) -> None:
    """ILAC G8:2019 4.2.2: w = U, accept on [TL + U, TU − U]."""
    statement = guarded_acceptance(measured, TL, TU, U)
    assert statement.outcome == outcome
    assert statement.acceptance_upper == 0.75
    assert statement.rule == "guarded"


@pytest.mark.parametrize(
    ("measured", "outcome"),
    [
        (0.75, "pass"),
        (math.nextafter(0.75, 1.0), "conditional_pass"),
        (1.0, "conditional_pass"),
        (-1.0, "conditional_pass"),
        (math.nextafter(1.0, 2.0), "conditional_fail"),
        (1.25, "conditional_fail"),
        (-1.25, "conditional_fail"),
        (math.nextafter(1.25, 2.0), "fail"),
        (-2.0, "fail"),
    ],
)
def test_non_binary_boundaries(measured: float, outcome: str) -> None:
    """ILAC G8:2019 4.2.3: pass / conditional pass / conditional fail / fail."""
    statement = non_binary(measured, TL, TU, U)
    assert statement.outcome == outcome
    assert statement.rule == "non_binary"
    assert statement.clause == "ILAC G8:2019 4.2.3"


def test_every_statement_carries_its_rule() -> None:
    for rule in ("simple", "guarded", "non_binary", "z540_managed"):
        assert decide(rule, 0.1, TL, TU, U).rule == rule
    with pytest.raises(InvalidInputError):
        decide("lenient", 0.1, TL, TU, U)


def test_tur_is_span_over_twice_u() -> None:
    """ANSI/NCSL Z540.3-2006 3.11: TUR = tolerance span / (2 U95)."""
    assert tur_from_limits(TL, TU, U) == 4.0
    assert compute_tur(0.5, 0.125) == 4.0
    assert simple_acceptance(0.0, TL, TU, U).tur == 4.0
    assert tur_from_limits(TL, TU, 0.0) == math.inf


def test_invalid_limits() -> None:
    with pytest.raises(InvalidInputError):
        simple_acceptance(0.0, 1.0, -1.0, U)
    with pytest.raises(InvalidInputError):
        simple_acceptance(0.0, TL, TU, -0.1)


def test_worst_case_pfa_at_tur_4_6_is_two_percent() -> None:
    """Z540.3 Handbook (2009) / Dobbert, NCSLI Measure 3(4) 2008: with TUR >= 4.6 the
    false-accept risk without guard band is at most 2 % whatever the EOPR (published: 4.6,
    2 %). Worst case over EOPR computed here: 0.02 to within 0.001."""
    u = (2.0 / (2 * 4.6)) / 2.0
    worst = max(
        probability_of_false_accept(TL, TU, TL, TU, u, eopr)
        for eopr in np.linspace(0.3, 0.995, 140)
    )
    assert worst == pytest.approx(0.02, abs=1e-3)


def test_pfa_agrees_with_monte_carlo() -> None:
    """Oracle: the integral against a Monte Carlo run (JCGM 106:2012 9.5.2)."""
    eopr, u = 0.9, 0.25
    pfa = probability_of_false_accept(TL, TU, TL, TU, u, eopr)
    rng = np.random.default_rng(20240610)
    sigma = 1.0 / 1.6448536269514722  # Φ⁻¹(0.95) for EOPR 0.90
    n = 400_000
    true = rng.normal(0.0, sigma, n)
    measured = true + rng.normal(0.0, u, n)
    mc = np.mean((np.abs(true) > 1.0) & (np.abs(measured) <= 1.0))
    assert pfa == pytest.approx(mc, abs=4 * math.sqrt(mc * (1 - mc) / n))


def test_managed_guard_band_meets_target() -> None:
    w, pfa = managed_guard_band(TL, TU, 1.0, 2.0, eopr=0.8, pfa_target=0.02)
    assert 0 < w < 1
    assert pfa == pytest.approx(0.02, abs=1e-9)
    wider, _ = managed_guard_band(TL, TU, 1.0, 2.0, eopr=0.8, pfa_target=0.01)
    assert wider > w


def test_no_guard_band_when_pfa_already_low() -> None:
    w, pfa = managed_guard_band(TL, TU, 2.0 / (2 * 10), 2.0, eopr=0.95)
    assert w == 0.0
    assert pfa < 0.02


def test_z540_statement() -> None:
    statement = z540_managed(0.5, TL, TU, 1.0, 2.0, eopr=0.8)
    assert statement.rule == "z540_managed"
    assert statement.probability_of_false_accept == pytest.approx(0.02, abs=1e-9)
    inside = 1.0 - statement.guard_band
    assert z540_managed(inside - 1e-9, TL, TU, 1.0, 2.0, eopr=0.8).outcome == "pass"
    assert z540_managed(inside + 1e-6, TL, TU, 1.0, 2.0, eopr=0.8).outcome == "fail"
