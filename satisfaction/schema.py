"""Documents of the satisfaction domain: CSV imports, the feedback form, the report.

CSV formats (CONTRACTS.md section 5; UTF-8, comma-separated, a header row, any
column order, no other columns):

- responses ``R.csv``: ``job_id,submitted_on,overall,quality,timeliness,
  technical_accuracy,communication,recommend,comment`` — ratings 1-5 (blank =
  not applicable), ``recommend`` 0-10 (blank = not answered), dates
  ``YYYY-MM-DD``, one response per ``job_id``, comment at most 2000 characters.
- jobs ``J.csv``: ``job_id,customer,received_on,due_on,delivered_on``
  (``delivered_on`` blank = not delivered yet).
- complaints ``C.csv`` (optional, calib extension):
  ``complaint_id,job_id,received_on``.

Rows are numbered as a spreadsheet shows them: the header is row 1. Every
error names the file, the row and the column, shows the bad value and says
what is allowed. Comments are kept verbatim as inert text; they are never
interpreted as markup or code.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from uncertainty.errors import InvalidInputError

__all__ = [
    "COMPLAINT_COLUMNS",
    "DIMENSIONS",
    "JOB_COLUMNS",
    "MAX_COMMENT_CHARS",
    "MAX_CSV_BYTES",
    "QUESTION_LABELS",
    "RESPONSE_COLUMNS",
    "BaselineOut",
    "ComplaintPeriodOut",
    "ComplaintRateOut",
    "ComplaintRecord",
    "DimensionOut",
    "FeedbackSubmission",
    "JobRecord",
    "NpsOut",
    "PeriodOut",
    "ProportionOut",
    "ResponseRecord",
    "RollingOut",
    "SatisfactionReportDocument",
    "SignalOut",
    "TurnaroundOut",
    "parse_complaints_csv",
    "parse_jobs_csv",
    "parse_responses_csv",
    "read_csv_text",
    "validate_submission",
]

RESPONSE_COLUMNS = (
    "job_id",
    "submitted_on",
    "overall",
    "quality",
    "timeliness",
    "technical_accuracy",
    "communication",
    "recommend",
    "comment",
)
JOB_COLUMNS = ("job_id", "customer", "received_on", "due_on", "delivered_on")
COMPLAINT_COLUMNS = ("complaint_id", "job_id", "received_on")
DIMENSIONS = ("quality", "timeliness", "technical_accuracy", "communication")
MAX_COMMENT_CHARS = 2000
MAX_ID_CHARS = 100
MAX_CSV_BYTES = 20_000_000

QUESTION_LABELS: dict[str, str] = {
    "overall": "Overall, how satisfied are you with this calibration job?",
    "quality": "Quality of the service",
    "timeliness": "Timeliness (turnaround, meeting the agreed date)",
    "technical_accuracy": (
        "Technical accuracy (certificate correctness, clarity of uncertainty statements)"
    ),
    "communication": "Communication",
    "recommend": "How likely are you to recommend us to a colleague? (0-10)",
    "comment": "Comment (optional)",
    "may_contact": "May we contact you about your answers?",
}
"""Form labels, one per question; errors name the question by its label."""

_INT = re.compile(r"[0-9]{1,3}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --------------------------------------------------------------------------- CSV rows


@dataclass(frozen=True)
class ResponseRecord:
    """One feedback response as imported from ``R.csv`` (``row`` = spreadsheet row)."""

    job_id: str
    submitted_on: date
    overall: int | None
    quality: int | None
    timeliness: int | None
    technical_accuracy: int | None
    communication: int | None
    recommend: int | None
    comment: str
    row: int


@dataclass(frozen=True)
class JobRecord:
    """One job as imported from ``J.csv``."""

    job_id: str
    customer: str
    received_on: date
    due_on: date
    delivered_on: date | None
    row: int


@dataclass(frozen=True)
class ComplaintRecord:
    """One complaint as imported from ``C.csv``."""

    complaint_id: str
    job_id: str
    received_on: date
    row: int


def read_csv_text(path: Path) -> str:
    """Read a UTF-8 CSV file (BOM allowed), mapping I/O and decoding errors to InvalidInputError."""
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise InvalidInputError(
                f"{path} is {size} bytes; at most {MAX_CSV_BYTES} bytes are accepted",
                field=str(path),
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}", field=str(path)) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV",
            field=str(path),
        ) from exc


def _where(source: str, row: int, column: str) -> str:
    return f"{source} row {row}, column {column}"


def _rows(text: str, source: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Split CSV text into (row number, {column: cell}) after checking the header."""
    if not isinstance(text, str):
        raise InvalidInputError(f"{source} must be text", field=source)
    text = text.removeprefix("\ufeff")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise InvalidInputError(f"{source} is not valid CSV: {exc}", field=source) from exc
    if not records or not any(cell.strip() for cell in records[0]):
        raise InvalidInputError(
            f"{source} is empty: expected the header row {','.join(columns)}", field=source
        )
    header = [cell.strip() for cell in records[0]]
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise InvalidInputError(
            f"{source} header repeats column(s) {', '.join(map(repr, duplicates))}",
            field=f"{source} row 1",
        )
    missing = [c for c in columns if c not in header]
    if missing:
        raise InvalidInputError(
            f"{source} is missing column(s) {', '.join(missing)}; expected {','.join(columns)}",
            field=f"{source} row 1",
        )
    unknown = [h for h in header if h not in columns]
    if unknown:
        raise InvalidInputError(
            f"{source} has unknown column(s) {', '.join(repr(u[:40]) for u in unknown)}; "
            f"allowed: {','.join(columns)}",
            field=f"{source} row 1",
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for index, record in enumerate(records[1:], start=2):
        if all(not cell.strip() for cell in record):
            continue  # blank line or a row of empty cells
        if len(record) != len(header):
            raise InvalidInputError(
                f"{source} row {index} has {len(record)} cells but the header has {len(header)}",
                field=f"{source} row {index}",
            )
        rows.append((index, dict(zip(header, record, strict=True))))
    return rows


def _text_id(cells: Mapping[str, str], column: str, source: str, row: int) -> str:
    value = cells[column].strip()
    where = _where(source, row, column)
    if not value:
        raise InvalidInputError(f"{column} is required and may not be blank", field=where)
    if len(value) > MAX_ID_CHARS or _CONTROL.search(value):
        raise InvalidInputError(
            f"{column} must be at most {MAX_ID_CHARS} printable characters, got {value[:40]!r}",
            field=where,
        )
    return value


def _optional_int(
    cells: Mapping[str, str], column: str, source: str, row: int, low: int, high: int
) -> int | None:
    raw = cells[column].strip()
    if raw == "":
        return None
    where = _where(source, row, column)
    if not _INT.fullmatch(raw) or not low <= int(raw) <= high:
        raise InvalidInputError(
            f"{column} must be a whole number {low}-{high} or blank (not applicable), "
            f"got {raw[:40]!r}",
            field=where,
        )
    return int(raw)


def _date(cells: Mapping[str, str], column: str, source: str, row: int, *, required: bool) -> Any:
    raw = cells[column].strip()
    where = _where(source, row, column)
    if raw == "":
        if required:
            raise InvalidInputError(
                f"{column} is required: an ISO 8601 date such as 2026-01-31", field=where
            )
        return None
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInputError(
            f"{column} must be an ISO 8601 date YYYY-MM-DD such as 2026-01-31, got {raw[:40]!r}",
            field=where,
        ) from exc


def _comment(cells: Mapping[str, str], source: str, row: int) -> str:
    value = cells["comment"]
    where = _where(source, row, "comment")
    if len(value) > MAX_COMMENT_CHARS:
        raise InvalidInputError(
            f"comment has {len(value)} characters; at most {MAX_COMMENT_CHARS} are allowed",
            field=where,
        )
    if "\x00" in value:
        raise InvalidInputError(
            "comment contains a NUL character, which is not allowed", field=where
        )
    return value.strip()


T = TypeVar("T")


def _unique(items: list[T], key: Callable[[T], str], column: str, source: str) -> list[T]:
    seen: dict[str, int] = {}
    for item in items:
        value = key(item)
        row = int(getattr(item, "row", 0))
        if value in seen:
            raise InvalidInputError(
                f"duplicate {column} {value!r}: already given in row {seen[value]}; "
                f"one record per {column} is allowed",
                field=_where(source, row, column),
            )
        seen[value] = row
    return items


def parse_responses_csv(text: str, *, source: str = "R.csv") -> list[ResponseRecord]:
    """Parse responses CSV text; raise InvalidInputError naming row and column.

    >>> rows = parse_responses_csv(
    ...     "job_id,submitted_on,overall,quality,timeliness,technical_accuracy,"
    ...     "communication,recommend,comment\\nJ1,2026-01-05,5,4,,5,4,9,<b>fine</b>\\n"
    ... )
    >>> rows[0].overall, rows[0].timeliness, rows[0].comment
    (5, None, '<b>fine</b>')
    """
    out: list[ResponseRecord] = []
    for row, cells in _rows(text, source, RESPONSE_COLUMNS):
        ratings = {c: _optional_int(cells, c, source, row, 1, 5) for c in ("overall", *DIMENSIONS)}
        out.append(
            ResponseRecord(
                job_id=_text_id(cells, "job_id", source, row),
                submitted_on=_date(cells, "submitted_on", source, row, required=True),
                overall=ratings["overall"],
                quality=ratings["quality"],
                timeliness=ratings["timeliness"],
                technical_accuracy=ratings["technical_accuracy"],
                communication=ratings["communication"],
                recommend=_optional_int(cells, "recommend", source, row, 0, 10),
                comment=_comment(cells, source, row),
                row=row,
            )
        )
    return _unique(out, lambda r: r.job_id, "job_id", source)


def parse_jobs_csv(text: str, *, source: str = "J.csv") -> list[JobRecord]:
    """Parse jobs CSV text; dates must satisfy received_on <= due_on and <= delivered_on.

    >>> jobs = parse_jobs_csv(
    ...     "job_id,customer,received_on,due_on,delivered_on\\nJ1,ACME,2026-01-02,2026-01-12,\\n"
    ... )
    >>> jobs[0].delivered_on is None
    True
    """
    out: list[JobRecord] = []
    for row, cells in _rows(text, source, JOB_COLUMNS):
        received = _date(cells, "received_on", source, row, required=True)
        due = _date(cells, "due_on", source, row, required=True)
        delivered = _date(cells, "delivered_on", source, row, required=False)
        if due < received:
            raise InvalidInputError(
                f"due_on {due} is before received_on {received}",
                field=_where(source, row, "due_on"),
            )
        if delivered is not None and delivered < received:
            raise InvalidInputError(
                f"delivered_on {delivered} is before received_on {received}",
                field=_where(source, row, "delivered_on"),
            )
        customer = cells["customer"].strip()
        if len(customer) > 200 or _CONTROL.search(customer):
            raise InvalidInputError(
                f"customer must be at most 200 printable characters, got {customer[:40]!r}",
                field=_where(source, row, "customer"),
            )
        out.append(
            JobRecord(
                _text_id(cells, "job_id", source, row), customer, received, due, delivered, row
            )
        )
    return _unique(out, lambda j: j.job_id, "job_id", source)


def parse_complaints_csv(text: str, *, source: str = "C.csv") -> list[ComplaintRecord]:
    """Parse complaints CSV text (``complaint_id,job_id,received_on``).

    >>> parse_complaints_csv("complaint_id,job_id,received_on\\nC1,J1,2026-02-01\\n")[0].job_id
    'J1'
    """
    out = [
        ComplaintRecord(
            _text_id(cells, "complaint_id", source, row),
            _text_id(cells, "job_id", source, row),
            _date(cells, "received_on", source, row, required=True),
            row,
        )
        for row, cells in _rows(text, source, COMPLAINT_COLUMNS)
    ]
    return _unique(out, lambda c: c.complaint_id, "complaint_id", source)


# --------------------------------------------------------------------------- the form


class FeedbackSubmission(BaseModel):
    """What the customer form submits: ratings 1-5 or None (not applicable), recommend 0-10.

    The comment is kept as inert text (never rendered as markup), at most
    2000 characters. Unknown fields are an error.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    overall: int | None = Field(default=None, ge=1, le=5)
    quality: int | None = Field(default=None, ge=1, le=5)
    timeliness: int | None = Field(default=None, ge=1, le=5)
    technical_accuracy: int | None = Field(default=None, ge=1, le=5)
    communication: int | None = Field(default=None, ge=1, le=5)
    recommend: int = Field(ge=0, le=10)
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)
    may_contact: bool = False

    @field_validator("comment")
    @classmethod
    def _inert_text(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("the comment contains a NUL character, which is not allowed")
        return value.strip()


def validate_submission(data: Mapping[str, object]) -> FeedbackSubmission:
    """Validate form data; the error names the question by its label.

    >>> try:
    ...     validate_submission({"overall": 6, "recommend": 9})
    ... except InvalidInputError as exc:
    ...     exc.field
    'overall'
    """
    try:
        return FeedbackSubmission.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "form"
        label = QUESTION_LABELS.get(name, name)
        if first["type"] == "extra_forbidden":
            message = f"unknown field {name!r}; allowed: {', '.join(QUESTION_LABELS)}"
        elif first["type"] == "missing" or (first.get("input") is None and name == "recommend"):
            message = f"{label}: please answer this question"
        else:
            message = f"{label}: {first['msg']} (got {str(first.get('input'))[:40]!r})"
        raise InvalidInputError(message, field=name) from exc


# --------------------------------------------------------------------------- the report


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProportionOut(_Out):
    """A share with its interval and the n it rests on."""

    value: float | None
    ci: tuple[float, float] | None
    n: int
    successes: int


class NpsOut(_Out):
    """Net Promoter Score in points with its adjusted-Wald interval."""

    value: float | None
    ci: tuple[float, float] | None
    n: int
    promoters: int
    passives: int
    detractors: int
    method: str = "adjusted-Wald (Rocks 2016)"


class DimensionOut(_Out):
    """Mean rating (t interval) and top-2-box share (Wilson interval)."""

    mean: float | None
    ci: tuple[float, float] | None
    n: int
    top2_share: float | None
    top2_ci: tuple[float, float] | None
    not_applicable: int


class TurnaroundOut(_Out):
    """Calendar days from receipt to delivery."""

    median: float | None
    p90: float | None
    n: int
    quantile_method: str


class ComplaintRateOut(_Out):
    """Complaints per 100 delivered jobs, exact (Garwood) interval."""

    value: float | None
    ci: tuple[float, float] | None
    complaints: int
    jobs: int


class PeriodOut(_Out):
    """One month of the dissatisfied-share p-chart."""

    period: str
    n: int
    dissatisfied: int
    dissatisfied_share: float | None
    center: float | None
    ucl: float | None
    lcl: float | None
    method: str
    upper_tail_probability: float | None
    in_baseline: bool
    signal: bool


class ComplaintPeriodOut(_Out):
    """One month of the complaints-per-job u-chart."""

    period: str
    jobs: int
    complaints: int
    complaints_per_job: float | None
    center: float | None
    ucl: float | None
    method: str
    upper_tail_probability: float | None
    in_baseline: bool
    signal: bool


class RollingOut(_Out):
    """Trailing 12-month figures ending at ``period``."""

    period: str
    n: int
    csat: ProportionOut
    dissatisfied_share: float | None


class BaselineOut(_Out):
    """Where the frozen centre lines came from."""

    periods_requested: int
    dissatisfied_periods: list[str]
    dissatisfied_center: float | None
    complaint_periods: list[str]
    complaint_center: float | None
    notes: list[str]


class SignalOut(_Out):
    """A fired trigger rule, with the records behind it."""

    rule: str
    period: str
    message: str
    chart: str
    data_ids: list[str]
    periods: list[str]


class SatisfactionReportDocument(_Out):
    """Output of ``calib satisfaction report`` (CONTRACTS.md section 5)."""

    responses: int
    confidence: float
    csat: ProportionOut
    nps: NpsOut
    dimensions: dict[str, DimensionOut]
    response_rate: ProportionOut | None
    on_time_delivery: ProportionOut
    turnaround_days: TurnaroundOut
    complaint_rate: ComplaintRateOut | None
    periods: list[PeriodOut]
    complaint_periods: list[ComplaintPeriodOut]
    rolling_12_months: list[RollingOut]
    baseline: BaselineOut
    target: float | None
    signals: list[SignalOut]
