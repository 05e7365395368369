"""Control charts: frozen baseline limits, normal vs exact limits, rolling windows."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from satisfaction.control import PeriodCount, month_range, p_chart, rolling_windows, u_chart
from uncertainty.errors import InvalidInputError


def _months(k: int) -> list[str]:
    return month_range("2024-01", "2030-12")[:k]


def test_p_chart_montgomery_orange_juice_limits() -> None:
    """Montgomery, Introduction to Statistical Quality Control (2nd ed. 1991, pp. 152-155),
    frozen orange juice cans: 30 samples of n = 50, 347 nonconforming, p̄ = 0.2313,
    UCL = 0.4102, LCL = 0.0524. Published precision: 4 decimals.

    Verified: the 30 counts are digit for digit the trial samples of the R package qcc's
    data set ``orangejuice`` (luca-scr/qcc data/orangejuice.txt; man/orangejuice.Rd cites
    Montgomery 1991 pp. 152-155). The book's page is not in the search corpora; the three
    limits are what p̄ ± 3·sqrt(p̄(1 − p̄)/n) gives from those counts (0.23133, 0.41024,
    0.05242), so they are not recalled numbers. The example number differs between
    editions and is not cited."""
    counts = [
        12,
        15,
        8,
        10,
        4,
        7,
        16,
        9,
        14,
        10,
        5,
        6,
        17,
        12,
        22,
        8,
        10,
        5,
        13,
        11,
        20,
        18,
        24,
        15,
        9,
        12,
        7,
        13,
        9,
        6,
    ]  # sums to 347
    assert sum(counts) == 347
    periods = [PeriodCount(m, 50, c) for m, c in zip(_months(30), counts, strict=True)]
    chart = p_chart(periods, baseline_periods=30)
    assert chart.center == pytest.approx(0.2313, abs=5e-5)
    point = chart.points[0]
    assert point.method == "normal"
    assert point.ucl == pytest.approx(0.4102, abs=5e-5)
    assert point.lcl == pytest.approx(0.0524, abs=5e-5)


def test_u_chart_montgomery_personal_computers_limits() -> None:
    """Montgomery, Introduction to Statistical Quality Control (2nd ed. 1991, pp. 181-182),
    u chart for personal computers: 20 samples of n = 5 units, ū = 1.93, UCL = 3.79,
    LCL = 0.07. Published precision: 2 decimals.

    Verified: the 20 counts are digit for digit the R package qcc's data set
    ``pcmanufact`` (luca-scr/qcc data/pcmanufact.txt; man/pcmanufact.Rd cites Montgomery
    1991 pp. 181-182). The limits follow from them by ū ± 3·sqrt(ū/n) (3.794, 0.066)."""
    counts = [10, 12, 8, 14, 10, 16, 11, 7, 10, 15, 9, 5, 7, 11, 12, 6, 8, 10, 7, 5]
    assert sum(counts) == 193
    periods = [PeriodCount(m, 5, c) for m, c in zip(_months(20), counts, strict=True)]
    chart = u_chart(periods, baseline_periods=20)
    assert chart.center == pytest.approx(1.93, abs=5e-3)
    point = chart.points[0]
    assert point.method == "normal"
    assert point.ucl == pytest.approx(3.79, abs=5e-3)
    assert point.lcl == pytest.approx(0.07, abs=5e-3)


def test_limits_are_frozen_from_the_baseline() -> None:
    """A bad month after the baseline must not move the centre line (PITFALLS)."""
    periods = [PeriodCount(m, 100, 10) for m in _months(6)] + [PeriodCount("2024-07", 100, 60)]
    chart = p_chart(periods, baseline_periods=6)
    assert chart.center == pytest.approx(0.10)
    assert chart.baseline_periods == tuple(_months(6))
    last = chart.points[-1]
    assert not last.in_baseline
    assert last.ucl == pytest.approx(0.10 + 3 * math.sqrt(0.09 / 100))
    assert last.above(3.0)


def test_small_n_uses_exact_binomial_tail() -> None:
    """n·p̄ < 5: the exact tail P(X >= x) under Bin(n, p̄) decides (checked by direct summation)."""
    periods = [PeriodCount(m, 10, 1) for m in _months(6)] + [PeriodCount("2024-07", 10, 6)]
    chart = p_chart(periods)
    last = chart.points[-1]
    assert last.method == "exact"
    direct = sum(math.comb(10, k) * 0.1**k * 0.9 ** (10 - k) for k in range(6, 11))
    assert last.upper_tail_probability == pytest.approx(direct, rel=1e-10)
    assert direct <= stats.norm.sf(3)
    assert last.above(3.0)
    # The exact UCL is the largest share that does not signal: 5/10 here
    # (P(X >= 5) = 0.0016 > 0.00135).
    assert last.ucl == pytest.approx(0.5)
    five = p_chart([*periods[:6], PeriodCount("2024-07", 10, 5)]).points[-1]
    assert not five.above(3.0)


def test_u_chart_small_counts_use_exact_poisson_tail() -> None:
    periods = [PeriodCount(m, 20, 1) for m in _months(6)] + [PeriodCount("2024-07", 20, 5)]
    last = u_chart(periods).points[-1]
    assert last.method == "exact"
    assert last.upper_tail_probability == pytest.approx(stats.poisson.sf(4, 1.0))


def test_zero_baseline_rate_gives_no_limits_and_says_so() -> None:
    periods = [PeriodCount(m, 10, 0) for m in _months(7)]
    chart = p_chart(periods)
    assert chart.center == 0.0
    assert all(p.method == "none" and p.ucl is None for p in chart.points)
    assert any("cannot be estimated" in n for n in chart.notes)


def test_empty_months_are_kept_but_not_charted() -> None:
    periods = [
        PeriodCount("2024-01", 10, 1),
        PeriodCount("2024-02", 0, 0),
        PeriodCount("2024-03", 10, 2),
    ]
    chart = p_chart(periods, baseline_periods=2)
    assert chart.baseline_periods == ("2024-01", "2024-03")
    assert chart.points[1].value is None and chart.points[1].method == "none"


def test_short_baseline_is_flagged_provisional() -> None:
    chart = p_chart([PeriodCount("2024-01", 10, 1)], baseline_periods=6)
    assert any("provisional" in n for n in chart.notes)


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInputError, match="baseline_periods"):
        p_chart([PeriodCount("2024-01", 10, 1)], baseline_periods=0)
    with pytest.raises(InvalidInputError, match="events out of n"):
        p_chart([PeriodCount("2024-01", 1, 2)])
    with pytest.raises(InvalidInputError, match="non-negative"):
        PeriodCount("2024-01", -1, 0)


def test_rolling_windows_sum_trailing_twelve_months() -> None:
    periods = [PeriodCount(m, 10, i % 3, (f"id{i}",)) for i, m in enumerate(_months(14))]
    rolled = rolling_windows(periods, window=12)
    assert [r.n for r in rolled][:3] == [10, 20, 30]
    assert rolled[-1].n == 120
    assert rolled[-1].events == sum(i % 3 for i in range(2, 14))
    assert rolled[-1].event_ids[0] == "id2"


def test_month_range_crosses_year_end() -> None:
    assert month_range("2025-11", "2026-01") == ["2025-11", "2025-12", "2026-01"]


@settings(max_examples=300, deadline=None)
@given(
    base_n=st.integers(1, 60),
    base_events=st.integers(1, 59),
    n=st.integers(1, 200),
    data=st.data(),
)
def test_signal_iff_strictly_above_reported_ucl(
    base_n: int, base_events: int, n: int, data: st.DataObject
) -> None:
    """For normal and exact points alike: above(3σ) <=> share > UCL, and LCL <= centre <= UCL."""
    events = data.draw(st.integers(0, n))
    baseline = [PeriodCount(m, base_n, min(base_events, base_n)) for m in _months(6)]
    for chart in (
        p_chart([*baseline, PeriodCount("2030-01", n, events)]),
        u_chart([*baseline, PeriodCount("2030-01", n, events)]),
    ):
        point = chart.points[-1]
        if point.method == "none" or point.ucl is None or point.value is None:
            continue
        assert point.above(3.0) == (point.value > point.ucl + 1e-12)
        assert point.lcl is not None and point.lcl <= point.center <= point.ucl  # type: ignore[operator]
