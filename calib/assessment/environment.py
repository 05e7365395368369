"""Environmental controls: logger readings, limits, excursions, affected jobs.

ISO/IEC 17025:2017 6.3.3 asks the laboratory to monitor, control and record
environmental conditions where they influence the validity of results, and 7.10
to assess work done while conditions were outside limits. This module is pure:
it parses logger CSV text (the caller reads the file), detects excursions and
gaps in logging, and lists the jobs whose time interval overlaps one, each with
an impact-assessment stub for the lab to complete (stored by a later service).

Logger CSV layout accepted: one header row; a time column (``timestamp``, ``time``,
``datetime``, ``date time`` or ``date``) followed by one column per quantity. A
unit may follow the quantity name in brackets: ``Temperature (°C)``,
``humidity [%RH]``. Delimiter ``,``, ``;`` or tab (sniffed from the header); with
``;`` or tab a decimal comma is accepted. Timestamps ISO 8601 or
``DD/MM/YYYY HH:MM[:SS]``; naive times are taken in ``timezone`` (UTC default).
An empty cell is "no reading"; anything else that is not a number is an error
naming the row and column.

References
----------
ISO/IEC 17025:2017 6.3.3, 7.10.1.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from uncertainty.errors import InvalidInputError

__all__ = [
    "EnvironmentLimit",
    "Excursion",
    "ImpactAssessmentStub",
    "JobInterval",
    "Reading",
    "detect_excursions",
    "flag_jobs",
    "parse_logger_csv",
    "select_limits",
]

_TIME_HEADERS = {"timestamp", "time", "datetime", "date time", "date_time", "date"}
_TIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M")
_UNIT_ALIASES = {"°c": "degC", "degc": "degC", "c": "degC", "%rh": "%RH", "%": "%RH", "hpa": "hPa"}


@dataclass(frozen=True)
class Reading:
    """One logged value of one quantity in one room."""

    room: str
    time: datetime
    quantity: str
    value: float
    unit: str


def _header(name: str) -> tuple[str, str | None]:
    match = re.fullmatch(r"\s*(.*?)\s*(?:[\(\[]\s*(.*?)\s*[\)\]])?\s*", name)
    quantity = (match.group(1) if match else name).strip().lower()
    unit = match.group(2) if match else None
    if unit is not None:
        unit = _UNIT_ALIASES.get(unit.lower(), unit)
    return quantity, unit


def _parse_time(text: str, tz: tzinfo, where: str) -> datetime:
    text = text.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _TIME_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise InvalidInputError(
            f"{where}: timestamp {text!r} is not ISO 8601 or DD/MM/YYYY HH:MM[:SS]",
            field=where,
        )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def parse_logger_csv(
    text: str,
    *,
    room: str,
    units: Mapping[str, str] | None = None,
    timezone: tzinfo = UTC,
) -> list[Reading]:
    """Parse a data-logger CSV export into readings, sorted by time.

    Parameters
    ----------
    text:
        The CSV text (header row, then one row per logging instant).
    room:
        The room the logger is in.
    units:
        Unit per quantity (lower-case name) where the header carries none.

    Raises
    ------
    InvalidInputError
        No time column, a quantity without a unit, a bad timestamp or a
        non-numeric cell; the field is ``row N, column NAME`` (row 1 = header).

    Examples
    --------
    >>> rows = parse_logger_csv("time,temperature (°C)\\n2026-01-05T08:00,20.1\\n", room="A")
    >>> rows[0].quantity, rows[0].value, rows[0].unit
    ('temperature', 20.1, 'degC')
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or not lines[0].strip():
        raise InvalidInputError("the logger file is empty: expected a header row", field="row 1")
    first = lines[0]
    delimiter = max((";", "\t", ","), key=first.count)
    decimal_comma = delimiter != ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    header = next(reader)
    names = [h.strip() for h in header]
    if not names or names[0].strip().lower() not in _TIME_HEADERS:
        raise InvalidInputError(
            f"the first column must be the time ({', '.join(sorted(_TIME_HEADERS))}), "
            f"got {names[0] if names else ''!r}",
            field="row 1, column 1",
        )
    columns: list[tuple[str, str]] = []
    for col, name in enumerate(names[1:], start=2):
        quantity, unit = _header(name)
        if not quantity:
            raise InvalidInputError(f"column {col} has no name", field=f"row 1, column {col}")
        unit = unit or (units or {}).get(quantity)
        if not unit:
            raise InvalidInputError(
                f"no unit for quantity {quantity!r}: put it in the header, e.g. "
                f"'{quantity} (°C)', or pass units={{'{quantity}': ...}}",
                field=f"row 1, column {name}",
            )
        columns.append((quantity, unit))
    readings: list[Reading] = []
    for row_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names):
            raise InvalidInputError(
                f"row {row_no} has {len(row)} cells, the header has {len(names)}",
                field=f"row {row_no}",
            )
        when = _parse_time(row[0], timezone, f"row {row_no}, column {names[0]}")
        for (quantity, unit), name, cell in zip(columns, names[1:], row[1:], strict=False):
            cell = cell.strip()
            if not cell:
                continue
            number = cell.replace(",", ".") if decimal_comma else cell
            try:
                value = float(number)
            except ValueError:
                value = float("nan")
            if value != value or value in (float("inf"), float("-inf")):
                raise InvalidInputError(
                    f"row {row_no}, column {name}: {cell!r} is not a finite number",
                    field=f"row {row_no}, column {name}",
                )
            readings.append(Reading(room, when, quantity, value, unit))
    readings.sort(key=lambda r: (r.time, r.quantity))
    return readings


@dataclass(frozen=True)
class EnvironmentLimit:
    """Allowed range of one quantity in a room, for one procedure or all (None)."""

    room: str
    quantity: str
    unit: str
    low: float | None = None
    high: float | None = None
    procedure: str | None = None

    def __post_init__(self) -> None:
        if self.low is None and self.high is None:
            raise InvalidInputError(
                f"limit for {self.quantity} in {self.room} needs low, high or both",
                field="low",
            )
        if self.low is not None and self.high is not None and self.low > self.high:
            raise InvalidInputError(
                f"low ({self.low}) must be <= high ({self.high}) for {self.quantity}",
                field="low",
            )

    def deviation(self, value: float) -> float:
        """Distance outside the limits (0 inside)."""
        if self.low is not None and value < self.low:
            return self.low - value
        if self.high is not None and value > self.high:
            return value - self.high
        return 0.0


def select_limits(
    limits: Sequence[EnvironmentLimit], room: str, procedure: str | None = None
) -> list[EnvironmentLimit]:
    """The limits in force for a procedure in a room.

    A procedure-specific limit replaces the room's general limit (``procedure``
    None) for the same quantity.
    """
    chosen: dict[str, EnvironmentLimit] = {}
    for lim in limits:
        if lim.room != room or lim.procedure not in (None, procedure):
            continue
        if lim.quantity not in chosen or lim.procedure is not None:
            chosen[lim.quantity] = lim
    return [chosen[q] for q in sorted(chosen)]


@dataclass(frozen=True)
class Excursion:
    """An interval with readings outside limits, or without readings."""

    room: str
    quantity: str
    kind: Literal["out_of_limits", "no_data"]
    start: datetime
    end: datetime
    max_deviation: float | None
    worst_value: float | None
    readings: int
    unit: str

    @property
    def id(self) -> str:
        """A stable identifier: room, quantity, kind and start time."""
        return f"{self.room}/{self.quantity}/{self.kind}/{self.start.isoformat()}"


def _convert(value: float, unit: str, target: str) -> float:
    if unit == target:
        return value
    from uncertainty.units import Q_

    try:
        return float(Q_(value, unit).to(target).magnitude)
    except Exception as exc:
        raise InvalidInputError(
            f"cannot compare a reading in {unit!r} with a limit in {target!r}", field="unit"
        ) from exc


def detect_excursions(
    readings: Sequence[Reading],
    limits: Sequence[EnvironmentLimit],
    *,
    logging_interval: timedelta,
    gap_tolerance: timedelta | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Excursion]:
    """Excursions outside limits and gaps in logging, per quantity with a limit.

    Consecutive readings outside the limits form one excursion from the first to
    the last such reading, with the largest deviation. Two consecutive readings
    further apart than ``logging_interval + gap_tolerance`` (default tolerance
    10 % of the interval) leave a ``no_data`` interval between them; so do the
    edges of ``[start, end]`` when given and not covered.

    References
    ----------
    ISO/IEC 17025:2017 6.3.3 (monitor, control and record conditions).
    """
    if logging_interval <= timedelta(0):
        raise InvalidInputError(
            f"logging_interval must be positive, got {logging_interval}", field="logging_interval"
        )
    max_gap = logging_interval + (
        gap_tolerance if gap_tolerance is not None else logging_interval / 10
    )
    found: list[Excursion] = []
    for lim in limits:
        series = sorted(
            (r for r in readings if r.room == lim.room and r.quantity == lim.quantity),
            key=lambda r: r.time,
        )
        run: list[tuple[Reading, float, float]] = []
        for reading in series:
            value = _convert(reading.value, reading.unit, lim.unit)
            deviation = lim.deviation(value)
            if deviation > 0:
                run.append((reading, value, deviation))
                continue
            if run:
                found.append(_out_of_limits(lim, run))
                run = []
        if run:
            found.append(_out_of_limits(lim, run))
        gaps = _gaps([r.time for r in series], max_gap, start, end)
        for gap_start, gap_end in gaps:
            found.append(
                Excursion(
                    lim.room, lim.quantity, "no_data", gap_start, gap_end, None, None, 0, lim.unit
                )
            )
    found.sort(key=lambda e: (e.start, e.quantity, e.kind))
    return found


def _gaps(
    times: list[datetime], max_gap: timedelta, start: datetime | None, end: datetime | None
) -> list[tuple[datetime, datetime]]:
    """Intervals without readings: between readings further apart than ``max_gap``,
    restricted to the readings that bracket ``[start, end]`` when given, plus
    uncovered edges of that window."""
    if start is not None:
        before = [x for x in times if x <= start]
        times = [x for x in times if x >= (before[-1] if before else start)]
    if end is not None:
        after = [x for x in times if x >= end]
        times = [x for x in times if x <= (after[0] if after else end)]
    if not times:
        return [(start, end)] if start is not None and end is not None else []
    gaps: list[tuple[datetime, datetime]] = []
    if start is not None and times[0] - start > max_gap:
        gaps.append((start, times[0]))
    gaps.extend((a, b) for a, b in itertools.pairwise(times) if b - a > max_gap)
    if end is not None and end - times[-1] > max_gap:
        gaps.append((times[-1], end))
    return gaps


def _out_of_limits(lim: EnvironmentLimit, run: list[tuple[Reading, float, float]]) -> Excursion:
    worst = max(run, key=lambda item: item[2])
    return Excursion(
        room=lim.room,
        quantity=lim.quantity,
        kind="out_of_limits",
        start=run[0][0].time,
        end=run[-1][0].time,
        max_deviation=worst[2],
        worst_value=worst[1],
        readings=len(run),
        unit=lim.unit,
    )


@dataclass(frozen=True)
class JobInterval:
    """A job performed in a room under a procedure from ``start`` to ``end``."""

    job_id: str
    room: str
    procedure: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInputError(
                f"job {self.job_id}: end {self.end} is before start {self.start}", field="end"
            )


@dataclass(frozen=True)
class ImpactAssessmentStub:
    """A job that overlaps excursions; the lab completes the assessment (7.10)."""

    job_id: str
    room: str
    procedure: str
    excursions: tuple[Excursion, ...]
    status: Literal["open"] = "open"
    assessment: str = ""
    decision: str | None = None
    evidence: tuple[str, ...] = field(default=())


def flag_jobs(
    jobs: Sequence[JobInterval],
    readings: Sequence[Reading],
    limits: Sequence[EnvironmentLimit],
    *,
    logging_interval: timedelta,
    gap_tolerance: timedelta | None = None,
) -> list[ImpactAssessmentStub]:
    """Jobs performed during an excursion (or without readings), with a stub each.

    Each job is checked against the limits of its procedure in its room
    (:func:`select_limits`) over its own time interval (inclusive). A job in a
    room without limits is not flagged. Jobs without any excursion are omitted.

    References
    ----------
    ISO/IEC 17025:2017 6.3.3, 7.10.1 (b) (evaluation of the significance of
    nonconforming work).
    """
    stubs: list[ImpactAssessmentStub] = []
    for job in jobs:
        chosen = select_limits(limits, job.room, job.procedure)
        if not chosen:
            continue
        excursions = detect_excursions(
            readings,
            chosen,
            logging_interval=logging_interval,
            gap_tolerance=gap_tolerance,
            start=job.start,
            end=job.end,
        )
        hits = tuple(e for e in excursions if e.start <= job.end and e.end >= job.start)
        if hits:
            stubs.append(
                ImpactAssessmentStub(
                    job_id=job.job_id,
                    room=job.room,
                    procedure=job.procedure,
                    excursions=hits,
                    evidence=tuple(e.id for e in hits),
                )
            )
    return stubs
