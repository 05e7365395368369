"""Certification cycle: 3-year validity, annual surveillance, steps as a timeline."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calib.assessment.cycle import CERTIFICATION_STEPS, add_months, certification_cycle
from uncertainty.errors import InvalidInputError


def test_three_year_validity_and_annual_surveillance() -> None:
    """IECQ FAQ: certification is valid for three years with surveillance audits."""
    cycle = certification_cycle(certified_on=date(2024, 3, 1), as_of=date(2024, 6, 1))
    assert cycle.valid_until == date(2027, 2, 28)
    keys = [s.key for s in cycle.steps]
    assert keys[:5] == [k for k, _ in CERTIFICATION_STEPS]
    assert keys[5:] == ["surveillance_1", "surveillance_2", "recertification"]
    dues = {s.key: s.due for s in cycle.steps}
    assert dues["surveillance_1"] == date(2025, 3, 1)
    assert dues["surveillance_2"] == date(2026, 3, 1)
    assert cycle.valid


def test_states_at_a_date() -> None:
    completed = {
        "applicable_standards": date(2023, 10, 1),
        "certification_body": date(2023, 11, 1),
        "evaluation": date(2024, 1, 15),
        "report": date(2024, 2, 1),
        "surveillance_1": date(2025, 2, 20),
    }
    cycle = certification_cycle(
        certified_on=date(2024, 3, 1), as_of=date(2026, 3, 10), completed=completed
    )
    states = {s.key: s.state for s in cycle.steps}
    assert states["certification"] == "done"
    assert states["surveillance_1"] == "done"
    assert states["surveillance_2"] == "overdue"
    assert states["recertification"] == "upcoming"
    assert [s.key for s in cycle.overdue()] == ["surveillance_2"]
    soon = certification_cycle(
        certified_on=date(2024, 3, 1), as_of=date(2026, 2, 1), completed=completed
    )
    assert {s.key: s.state for s in soon.steps}["surveillance_2"] == "due"


def test_expired_certificate() -> None:
    cycle = certification_cycle(certified_on=date(2020, 1, 1), as_of=date(2023, 1, 1))
    assert not cycle.valid
    assert {s.key: s.state for s in cycle.steps}["recertification"] == "overdue"


def test_pre_certification_steps_pending_before_issue() -> None:
    cycle = certification_cycle(certified_on=date(2026, 6, 1), as_of=date(2026, 1, 1))
    states = {s.key: s.state for s in cycle.steps}
    assert states["evaluation"] == "upcoming" and states["certification"] == "upcoming"
    assert not cycle.valid


def test_add_months_clamps_month_end() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)


def test_other_intervals() -> None:
    half = certification_cycle(
        certified_on=date(2024, 1, 1), as_of=date(2024, 1, 1), surveillance_interval_months=6
    )
    assert sum(s.key.startswith("surveillance") for s in half.steps) == 5


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"validity_years": 0}, "validity_years"),
        ({"surveillance_interval_months": 0}, "surveillance_interval_months"),
        ({"completed": {"audit": date(2024, 1, 1)}}, "completed"),
    ],
)
def test_bad_input(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        certification_cycle(certified_on=date(2024, 1, 1), as_of=date(2024, 1, 1), **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


@settings(max_examples=50, deadline=None)
@given(st.dates(date(2000, 1, 1), date(2090, 12, 31)), st.integers(1, 5), st.integers(1, 24))
def test_due_dates_ordered_and_inside_validity(day: date, years: int, months: int) -> None:
    """Property: surveillance dates increase, fall before expiry, and recertification is last."""
    cycle = certification_cycle(
        certified_on=day, as_of=day, validity_years=years, surveillance_interval_months=months
    )
    surveillance = [s.due for s in cycle.steps if s.key.startswith("surveillance")]
    assert surveillance == sorted(surveillance)
    assert all(day < d < cycle.valid_until for d in surveillance)
    assert cycle.steps[-1].key == "recertification" and cycle.steps[-1].due == cycle.valid_until
