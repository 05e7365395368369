"""Environmental readings, limits, excursions and affected jobs (ISO/IEC 17025 6.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calib.assessment.environment import (
    EnvironmentLimit,
    JobInterval,
    Reading,
    detect_excursions,
    flag_jobs,
    parse_logger_csv,
    select_limits,
)
from uncertainty.errors import InvalidInputError

DATA = Path(__file__).parent / "data"
TEN_MIN = timedelta(minutes=10)


def t(hh: int, mm: int) -> datetime:
    return datetime(2026, 3, 2, hh, mm, tzinfo=UTC)


def readings() -> list[Reading]:
    return parse_logger_csv((DATA / "logger_room_a.csv").read_text("utf-8"), room="A")


LIMITS = [
    EnvironmentLimit("A", "temperature", "degC", 19.0, 21.0),
    EnvironmentLimit("A", "temperature", "degC", 19.5, 20.5, procedure="P-MASS-01"),
    EnvironmentLimit("A", "humidity", "%RH", 30.0, 60.0),
    EnvironmentLimit("B", "temperature", "degC", 22.0, 24.0),
]


def test_parse_semicolon_decimal_comma_layout() -> None:
    rows = readings()
    temps = [r for r in rows if r.quantity == "temperature"]
    hums = [r for r in rows if r.quantity == "humidity"]
    assert len(temps) == 8 and len(hums) == 7  # the empty humidity cell is no reading
    assert temps[2].value == 21.6 and temps[2].unit == "degC"
    assert hums[0].unit == "%RH"
    assert temps[0].time == t(8, 0)


def test_parse_comma_layout_with_units_argument_and_day_first_dates() -> None:
    text = "time,temperature\n02/03/2026 08:00,20.0\n02/03/2026 08:10:00,20.5\n"
    rows = parse_logger_csv(text, room="B", units={"temperature": "degC"})
    assert [r.value for r in rows] == [20.0, 20.5]
    assert rows[1].time == t(8, 10)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "row 1"),
        ("when,temperature (°C)\n2026-03-02T08:00,20\n", "row 1, column 1"),
        ("time,temperature\n2026-03-02T08:00,20\n", "row 1, column temperature"),
        ("time,temperature (°C)\n2026-03-02T08:00,20\nyesterday,21\n", "row 3, column time"),
        (
            "time,temperature (°C)\n2026-03-02T08:00,20\n2026-03-02T08:10,warm\n",
            "row 3, column temperature (°C)",
        ),
        ("time,temperature (°C)\n2026-03-02T08:00,nan\n", "row 2, column temperature (°C)"),
        ("time,temperature (°C)\n2026-03-02T08:00,20,5\n", "row 2"),
    ],
)
def test_bad_rows_name_row_and_column(text: str, field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_logger_csv(text, room="A")
    assert info.value.field == field


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_parser_never_crashes_on_garbage(text: str) -> None:
    try:
        parse_logger_csv(text, room="A", units={"temperature": "degC"})
    except InvalidInputError:
        pass


def test_procedure_limits_replace_room_limits() -> None:
    general = select_limits(LIMITS, "A")
    assert {(lim.quantity, lim.high) for lim in general} == {
        ("temperature", 21.0),
        ("humidity", 60.0),
    }
    mass = select_limits(LIMITS, "A", "P-MASS-01")
    assert {(lim.quantity, lim.high) for lim in mass} == {("temperature", 20.5), ("humidity", 60.0)}
    assert select_limits(LIMITS, "C") == []


def test_excursion_and_gap_detection() -> None:
    found = detect_excursions(readings(), select_limits(LIMITS, "A"), logging_interval=TEN_MIN)
    out = [e for e in found if e.kind == "out_of_limits"]
    assert len(out) == 1
    exc = out[0]
    assert (exc.quantity, exc.start, exc.end, exc.readings) == (
        "temperature",
        t(8, 20),
        t(8, 30),
        2,
    )
    assert exc.max_deviation == pytest.approx(1.4)
    assert exc.worst_value == pytest.approx(22.4)
    gaps = [(e.quantity, e.start, e.end) for e in found if e.kind == "no_data"]
    assert ("temperature", t(8, 50), t(9, 40)) in gaps
    assert ("humidity", t(8, 40), t(9, 40)) in gaps  # the empty cell widens the humidity gap


def test_no_excursion_when_inside_limits() -> None:
    rows = [Reading("A", t(8, m), "temperature", 20.0, "degC") for m in range(0, 60, 10)]
    assert detect_excursions(rows, select_limits(LIMITS, "A")[1:], logging_interval=TEN_MIN) == []


def test_limits_in_another_unit_are_converted() -> None:
    rows = [Reading("A", t(8, 0), "temperature", 71.0, "degF")]  # 21.67 °C
    lim = [EnvironmentLimit("A", "temperature", "degC", 19.0, 21.0)]
    (exc,) = detect_excursions(rows, lim, logging_interval=TEN_MIN)
    assert exc.worst_value == pytest.approx((71 - 32) / 1.8)
    bad = [Reading("A", t(8, 0), "temperature", 1.0, "m")]
    with pytest.raises(InvalidInputError, match="cannot compare"):
        detect_excursions(bad, lim, logging_interval=TEN_MIN)


def test_jobs_overlapping_an_excursion_get_an_impact_stub() -> None:
    jobs = [
        JobInterval("J1", "A", "P-DCV-01", t(8, 0), t(8, 15)),  # before the excursion
        JobInterval("J2", "A", "P-DCV-01", t(8, 25), t(8, 35)),  # during it
        JobInterval("J3", "A", "P-MASS-01", t(8, 0), t(8, 5)),  # tighter limits: 20.1 ok
        JobInterval("J4", "A", "P-MASS-01", t(8, 5), t(8, 15)),  # 20.3 ok under 20.5
        JobInterval("J5", "A", "P-DCV-01", t(9, 0), t(9, 20)),  # in the logging gap
        JobInterval("J6", "C", "P-DCV-01", t(8, 20), t(8, 30)),  # room without limits
    ]
    stubs = {s.job_id: s for s in flag_jobs(jobs, readings(), LIMITS, logging_interval=TEN_MIN)}
    assert set(stubs) == {"J2", "J5"}
    assert stubs["J2"].status == "open" and stubs["J2"].decision is None
    assert [e.kind for e in stubs["J2"].excursions] == ["out_of_limits"]
    assert stubs["J2"].evidence == (stubs["J2"].excursions[0].id,)
    assert {e.kind for e in stubs["J5"].excursions} == {"no_data"}


def test_mass_job_flagged_under_its_tighter_limit() -> None:
    """Under the 20.5 °C limit of P-MASS-01, 21.6, 22.4 and 20.9 °C (08:20-08:40) form
    one excursion, which a job at 08:40-08:45 overlaps; under the room limit it would not."""
    jobs = [JobInterval("J7", "A", "P-MASS-01", t(8, 40), t(8, 45))]
    (stub,) = flag_jobs(jobs, readings(), LIMITS, logging_interval=TEN_MIN)
    (exc,) = [e for e in stub.excursions if e.quantity == "temperature"]
    assert (exc.start, exc.end, exc.readings) == (t(8, 20), t(8, 40), 3)
    assert exc.max_deviation == pytest.approx(1.9)
    room_only = [JobInterval("J7", "A", "P-DCV-01", t(8, 40), t(8, 45))]
    (other,) = flag_jobs(room_only, readings(), LIMITS, logging_interval=TEN_MIN)
    assert [e.quantity for e in other.excursions] == ["humidity"]  # only the humidity gap


def test_job_without_any_reading_is_no_data() -> None:
    jobs = [JobInterval("J8", "B", "P", t(8, 0), t(9, 0))]
    (stub,) = flag_jobs(jobs, readings(), LIMITS, logging_interval=TEN_MIN)
    assert stub.excursions[0].kind == "no_data"


def test_invalid_limits_jobs_and_interval() -> None:
    with pytest.raises(InvalidInputError):
        EnvironmentLimit("A", "temperature", "degC")
    with pytest.raises(InvalidInputError):
        EnvironmentLimit("A", "temperature", "degC", 22.0, 18.0)
    with pytest.raises(InvalidInputError):
        JobInterval("J", "A", "P", t(9, 0), t(8, 0))
    with pytest.raises(InvalidInputError):
        detect_excursions(readings(), LIMITS, logging_interval=timedelta(0))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(15, 25, allow_nan=False), min_size=1, max_size=40))
def test_every_reading_outside_limits_is_in_exactly_one_excursion(values: list[float]) -> None:
    """Property: out-of-limit excursions partition the out-of-limit readings; with
    regular logging there is no gap."""
    rows = [
        Reading("A", t(8, 0) + i * TEN_MIN, "temperature", v, "degC") for i, v in enumerate(values)
    ]
    lim = EnvironmentLimit("A", "temperature", "degC", 19.0, 21.0)
    found = detect_excursions(rows, [lim], logging_interval=TEN_MIN)
    assert all(e.kind == "out_of_limits" for e in found)
    outside = [r for r in rows if lim.deviation(r.value) > 0]
    assert sum(e.readings for e in found) == len(outside)
    for r in outside:
        assert sum(e.start <= r.time <= e.end for e in found) == 1
    for e in found:
        assert e.max_deviation is not None and e.max_deviation > 0
