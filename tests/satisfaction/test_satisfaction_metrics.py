"""Metrics: CSAT, NPS, dimensions, delivery, turnaround, complaints."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from satisfaction.metrics import (
    complaint_rate,
    csat,
    dimension_summary,
    dissatisfied_count,
    net_promoter_score,
    on_time_delivery,
    response_rate,
    turnaround_days,
)
from uncertainty.errors import InvalidInputError

ratings = st.lists(st.one_of(st.none(), st.integers(1, 5)), max_size=80)


def test_csat_18_of_20_reference() -> None:
    """CSAT 18/20 with the Wilson interval [0.699, 0.972] (issue 6; Wilson 1927)."""
    result = csat([5] * 10 + [4] * 8 + [3, 1] + [None] * 3)
    assert (result.successes, result.n) == (18, 20)
    assert result.value == 0.9
    assert result.ci is not None
    assert result.ci[0] == pytest.approx(0.699, abs=5e-4)
    assert result.ci[1] == pytest.approx(0.972, abs=5e-4)


def test_nps_12_5_3_reference() -> None:
    """NPS from raw answers: 12 promoters (9-10), 5 passives (7-8), 3 detractors (0-6)
    = 45 points, adjusted-Wald about [8.4, 69.8] (issue 6; Rocks 2016)."""
    answers = [9, 10] * 6 + [7, 8, 7, 8, 7] + [0, 6, 3] + [None]
    result = net_promoter_score(answers)
    assert (result.promoters, result.passives, result.detractors, result.n) == (12, 5, 3, 20)
    assert result.value == pytest.approx(45.0)
    assert result.ci is not None
    assert result.ci[0] == pytest.approx(8.4, abs=0.05)
    assert result.ci[1] == pytest.approx(69.8, abs=0.05)


def test_empty_inputs_give_undefined_values_with_n_zero() -> None:
    assert csat([None, None]).value is None
    assert csat([]).n == 0
    assert net_promoter_score([]).ci is None
    d = dimension_summary([None])
    assert (d.mean, d.ci, d.n, d.not_applicable) == (None, None, 0, 1)


def test_dimension_summary_top2_and_t_interval_clipped_to_scale() -> None:
    d = dimension_summary([5, 5, 4, 5])
    assert d.mean == pytest.approx(4.75)
    assert d.top2_share == 1.0
    assert d.ci is not None
    assert d.ci[1] == 5.0  # t interval clipped to the 1-5 scale
    assert d.ci[0] < 4.75


@settings(max_examples=200, deadline=None)
@given(ratings)
def test_dimension_interval_contains_mean_within_scale(values: list[int | None]) -> None:
    d = dimension_summary(values)
    if d.ci is not None and d.mean is not None:
        assert 1.0 <= d.ci[0] <= d.mean + 1e-12
        assert d.mean - 1e-12 <= d.ci[1] <= 5.0
    if d.top2_ci is not None and d.top2_share is not None:
        assert 0.0 <= d.top2_ci[0] <= d.top2_share <= d.top2_ci[1] <= 1.0


@settings(max_examples=200, deadline=None)
@given(ratings)
def test_csat_and_dissatisfied_counts_are_consistent(values: list[int | None]) -> None:
    c = csat(values)
    bad, n = dissatisfied_count(values)
    assert c.n == n == sum(v is not None for v in values)
    assert c.successes + bad <= n


@pytest.mark.parametrize("bad", [0, 6, 4.5, True, "4"])
def test_rating_out_of_range_is_rejected(bad: object) -> None:
    with pytest.raises(InvalidInputError, match=r"overall\[1\]"):
        csat([4, bad])  # type: ignore[list-item]


def test_recommend_out_of_range_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="0-10"):
        net_promoter_score([11])


def test_on_time_delivery_counts_same_day_as_on_time() -> None:
    due = [date(2026, 1, 10)] * 3
    done = [date(2026, 1, 10), date(2026, 1, 9), date(2026, 1, 11)]
    result = on_time_delivery(due, done)
    assert (result.successes, result.n) == (2, 3)


def test_turnaround_quantiles_follow_hyndman_fan_type_7() -> None:
    """Hyndman & Fan (1996) definition 7 = numpy's default 'linear' method."""
    start = date(2026, 3, 1)
    days = [3, 7, 7, 9, 12, 15, 30]
    t = turnaround_days([start] * 7, [start + timedelta(days=d) for d in days])
    assert t.median == 9.0
    assert t.p90 == pytest.approx(float(np.quantile(days, 0.9)))
    assert t.n == 7
    # h = (n-1)p + 1 = 6.4: x(6) + 0.4 (x(7) - x(6)) = 15 + 0.4 * 15 = 21
    assert t.p90 == pytest.approx(21.0)


def test_turnaround_rejects_delivery_before_receipt() -> None:
    with pytest.raises(InvalidInputError, match="before received_on"):
        turnaround_days([date(2026, 1, 5)], [date(2026, 1, 4)])


def test_complaint_rate_per_100_jobs_with_exact_interval() -> None:
    """2 complaints in 40 jobs: 5 per 100. Exact 95 % Poisson limits for x = 2 are
    0.242 and 7.225 (Garwood 1936; tabulated e.g. in Documenta Geigy Scientific
    Tables, "confidence limits for the Poisson distribution"), times 100/40."""
    r = complaint_rate(2, 40)
    assert r.value == pytest.approx(5.0)
    assert r.ci is not None
    assert r.ci[0] == pytest.approx(0.242 * 2.5, abs=5e-4 * 2.5)
    assert r.ci[1] == pytest.approx(7.225 * 2.5, abs=5e-4 * 2.5)


def test_complaint_rate_without_jobs_is_undefined() -> None:
    assert complaint_rate(0, 0).value is None


def test_response_rate() -> None:
    r = response_rate(9, 30)
    assert r.value == pytest.approx(0.3)
    assert r.n == 30
