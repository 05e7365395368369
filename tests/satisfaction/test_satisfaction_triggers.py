"""Trigger rules (Western Electric 1956; Montgomery §5.3.6; ISO 7870-2:2023; ISO 10004:2018)."""

from __future__ import annotations

import pytest

from satisfaction.control import PeriodCount, month_range, p_chart
from satisfaction.metrics import proportion
from satisfaction.triggers import (
    RULE_BEYOND_LIMIT,
    RULE_CSAT_BELOW_TARGET,
    RULE_RUN,
    RULE_TWO_OF_THREE,
    chart_signals,
    csat_target_signal,
)
from uncertainty.errors import InvalidInputError

MONTHS = month_range("2024-01", "2026-12")


def _chart(counts: list[int], n: int = 400, baseline: int = 6) -> list[PeriodCount]:
    return [
        PeriodCount(m, n, c, tuple(f"{m}/{i}" for i in range(c)))
        for m, c in zip(MONTHS, counts, strict=False)
    ]


def _rules(counts: list[int], n: int = 400) -> list[tuple[str, str]]:
    chart = p_chart(_chart(counts, n), baseline_periods=6)
    return [(s.rule, s.period) for s in chart_signals(chart, label="dissatisfied_share")]


def test_in_control_data_gives_no_signal() -> None:
    # p̄ = 0.1, n = 400: σ = 0.015 (6 counts); alternate a little around 40.
    assert _rules([40, 38, 42, 40, 39, 41, 40, 43, 37, 40, 41, 39]) == []


def test_point_beyond_the_upper_limit() -> None:
    """UCL = 0.1 + 3·0.015 = 0.145 -> 59/400 = 0.1475 signals; rule 1."""
    signals = chart_signals(
        p_chart(_chart([40] * 6 + [59]), baseline_periods=6), label="dissatisfied_share"
    )
    assert [(s.rule, s.period) for s in signals] == [(RULE_BEYOND_LIMIT, "2024-07")]
    assert len(signals[0].data_ids) == 59
    assert signals[0].data_ids[0] == "2024-07/0"
    assert "upper control limit" in signals[0].message


def test_eight_in_a_row_above_the_centre() -> None:
    counts = [40] * 6 + [41] * 8
    rules = _rules(counts)
    assert rules == [(RULE_RUN, "2025-02")]


def test_seven_in_a_row_is_not_a_run() -> None:
    assert _rules([40] * 6 + [41] * 7 + [40]) == []


def test_empty_months_do_not_break_a_run() -> None:
    periods = [*_chart([40] * 6 + [41] * 4), PeriodCount("2024-11", 0, 0)]
    periods += [PeriodCount(m, 400, 41) for m in ("2024-12", "2025-01", "2025-02", "2025-03")]
    signals = chart_signals(p_chart(periods), label="x")
    assert [s.rule for s in signals] == [RULE_RUN]
    assert signals[0].period == "2025-03"  # the 8th point with data


def test_two_of_three_beyond_two_sigma() -> None:
    """2σ = 0.03 -> above 0.13 (53/400 = 0.1325), below 3σ (0.145)."""
    rules = _rules([40] * 6 + [53, 40, 53])
    assert rules == [(RULE_TWO_OF_THREE, "2024-09")]


def test_one_beyond_two_sigma_alone_is_not_a_signal() -> None:
    assert _rules([40] * 6 + [53, 40, 40, 53]) == []


def test_csat_upper_bound_below_target() -> None:
    """10/20 satisfied: Wilson upper bound 0.701 < 0.8 -> signal, with the data ids."""
    signal = csat_target_signal(
        proportion(10, 20), target=0.8, period="2026-06", data_ids=("J1", "J2")
    )
    assert signal is not None
    assert signal.rule == RULE_CSAT_BELOW_TARGET
    assert signal.data_ids == ("J1", "J2")
    assert "n = 20" in signal.message


def test_csat_target_not_signalled_when_compatible() -> None:
    """15/20 = 75 % is below 80 % but its upper bound (0.888) is not: no signal."""
    assert csat_target_signal(proportion(15, 20), target=0.8, period="2026-06") is None


@pytest.mark.parametrize("bad", [0, 1.5, -0.1, True])
def test_target_must_be_a_share(bad: float) -> None:
    with pytest.raises(InvalidInputError, match="target"):
        csat_target_signal(proportion(1, 2), target=bad, period="2026-01")
