"""Results tables as entered or uploaded: CSV, Excel (.xlsx) and JSON, validated per cell.

Also the replicate grids of a homogeneity or stability check (one row per PT item,
one column per replicate; ISO 13528:2022 B.3): :func:`parse_replicate_grid`,
:func:`parse_replicate_bytes`.

A results table has the columns ``participant, value, expanded_uncertainty,
coverage_factor`` and optionally ``exclude_from_reference`` and ``own_lab``.
Every problem names its row and column as a spreadsheet does (the header is row
1, the first result row 2), so the whole table is refused before anything is
stored. The expanded uncertainty is kept as reported, with its own k
(ISO 13528:2022 9.6: ζ and z′ use u = U/k with each participant's k).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from uncertainty.errors import InvalidInputError

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ResultRow",
    "parse_replicate_bytes",
    "parse_replicate_grid",
    "parse_results_bytes",
    "parse_results_csv",
    "parse_results_json",
    "parse_results_records",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("participant", "value")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "expanded_uncertainty",
    "coverage_factor",
    "exclude_from_reference",
    "own_lab",
)
_TRUE = {"true", "1", "yes", "y", "x"}
_FALSE = {"false", "0", "no", "n", ""}


@dataclass(frozen=True)
class ResultRow:
    """One validated result: value, U as reported and its k (both or neither)."""

    participant: str
    value: float
    expanded_uncertainty: float | None = None
    coverage_factor: float | None = None
    exclude_from_reference: bool = False
    own_lab: bool = False


def _where(row: int, column: str) -> str:
    return f"row {row}, column {column}"


def _is_blank(cell: object) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float) and math.isnan(cell):
        return True
    return isinstance(cell, str) and cell.strip() == ""


def _number(cell: object, row: int, column: str, *, required: bool) -> float | None:
    if _is_blank(cell):
        if required:
            raise InvalidInputError(f"{_where(row, column)}: empty cell", field=_where(row, column))
        return None
    if isinstance(cell, bool):
        raise InvalidInputError(
            f"{_where(row, column)}: {cell!r} is not a number", field=_where(row, column)
        )
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        text = str(cell).strip()
        try:
            value = float(text)
        except ValueError:
            raise InvalidInputError(
                f"{_where(row, column)}: {text!r} is not a number", field=_where(row, column)
            ) from None
    if not math.isfinite(value):
        raise InvalidInputError(
            f"{_where(row, column)}: {cell!r} is not a finite number", field=_where(row, column)
        )
    return value


def _flag(cell: object, row: int, column: str) -> bool:
    if _is_blank(cell):
        return False
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float) and cell in (0, 1):
        return bool(cell)
    text = str(cell).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInputError(
        f"{_where(row, column)}: {cell!r} is not true/false (allowed: true, false, yes, no, 1, 0)",
        field=_where(row, column),
    )


def _check_header(header: Sequence[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidInputError(
            f"header lacks column(s) {', '.join(missing)}; expected "
            f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}",
            field="header",
        )
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise InvalidInputError(
            f"unknown column(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}",
            field="header",
        )
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InvalidInputError(f"column {name} appears twice", field="header")
        seen.add(name)


def parse_results_records(
    records: Iterable[Mapping[str, object]], *, first_row: int = 2
) -> list[ResultRow]:
    """Validate rows given as mappings (column -> cell); rows are numbered from ``first_row``.

    Blank rows are skipped. Raises :class:`InvalidInputError` naming row and column for
    a non-numeric, non-finite or empty required cell, a negative U, k <= 0, U without k
    (or k without U), and a duplicate participant.

    Examples
    --------
    >>> parse_results_records([{"participant": "L1", "value": "1.5"}])[0].value
    1.5
    >>> parse_results_records([{"participant": "L1", "value": "abc"}])
    Traceback (most recent call last):
    ...
    uncertainty.errors.InvalidInputError: row 2, column value: 'abc' is not a number
    """
    rows: list[ResultRow] = []
    seen: dict[str, int] = {}
    for offset, record in enumerate(records):
        row = first_row + offset
        if all(_is_blank(v) for v in record.values()):
            continue
        unknown = [k for k in record if k not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        if unknown:
            raise InvalidInputError(
                f"row {row}: unknown column(s) {', '.join(map(str, unknown))}", field=f"row {row}"
            )
        raw_name = record.get("participant")
        participant = "" if _is_blank(raw_name) else str(raw_name).strip()
        if not participant:
            where = _where(row, "participant")
            raise InvalidInputError(f"{where}: empty cell", field=where)
        if participant in seen:
            where = _where(row, "participant")
            raise InvalidInputError(
                f"{where}: duplicate participant {participant!r} (also in row {seen[participant]})",
                field=where,
            )
        seen[participant] = row
        value = _number(record.get("value"), row, "value", required=True) or 0.0
        big_u = _number(
            record.get("expanded_uncertainty"), row, "expanded_uncertainty", required=False
        )
        k = _number(record.get("coverage_factor"), row, "coverage_factor", required=False)
        if big_u is not None and big_u < 0:
            where = _where(row, "expanded_uncertainty")
            raise InvalidInputError(f"{where}: must be >= 0, got {big_u:g}", field=where)
        if k is not None and k <= 0:
            where = _where(row, "coverage_factor")
            raise InvalidInputError(f"{where}: must be > 0, got {k:g}", field=where)
        if (big_u is None) != (k is None):
            column = "coverage_factor" if k is None else "expanded_uncertainty"
            where = _where(row, column)
            raise InvalidInputError(
                f"{where}: give expanded_uncertainty and coverage_factor together (or neither)",
                field=where,
            )
        rows.append(
            ResultRow(
                participant=participant,
                value=value,
                expanded_uncertainty=big_u,
                coverage_factor=k,
                exclude_from_reference=_flag(
                    record.get("exclude_from_reference"), row, "exclude_from_reference"
                ),
                own_lab=_flag(record.get("own_lab"), row, "own_lab"),
            )
        )
    if not rows:
        raise InvalidInputError("the table holds no results", field="results")
    return rows


def parse_results_csv(text: str) -> list[ResultRow]:
    """Parse a CSV results table (header row first; comma separated; UTF-8, BOM allowed)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidInputError("the CSV file is empty", field="header") from None
    _check_header(header)
    records: list[dict[str, object]] = []
    for offset, cells in enumerate(reader):
        if len(cells) > len(header):
            raise InvalidInputError(
                f"row {offset + 2} has more cells than the header", field=f"row {offset + 2}"
            )
        records.append(dict(zip(header, cells, strict=False)))
    return parse_results_records(records)


def parse_results_json(data: object) -> list[ResultRow]:
    """Parse decoded JSON: a list of result objects or ``{"results": [...]}``.

    Entries are numbered ``results[i]`` in messages (as JSON has no rows).
    """
    if isinstance(data, Mapping):
        extra = [k for k in data if k != "results"]
        if extra:
            raise InvalidInputError(
                f"unknown field(s) {', '.join(map(str, extra))}; expected 'results'",
                field=str(extra[0]),
            )
        data = data.get("results")
    if not isinstance(data, list):
        raise InvalidInputError("expected a list of results", field="results")
    for i, item in enumerate(data):
        if not isinstance(item, Mapping):
            raise InvalidInputError(
                f"results[{i}] must be an object, got {item!r}", field=f"results[{i}]"
            )
    try:
        return parse_results_records(data, first_row=0)
    except InvalidInputError as exc:
        message = str(exc).replace("row ", "results[", 1)
        field = (exc.field or "").replace("row ", "results[", 1)
        message = message.replace(", column ", "].", 1)
        field = field.replace(", column ", "].", 1)
        raise InvalidInputError(message, field=field) from exc


def _excel_records(data: bytes) -> list[dict[str, Any]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InvalidInputError(f"not a readable .xlsx workbook: {exc}", field="file") from exc
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    if not rows:
        raise InvalidInputError("the worksheet is empty", field="header")
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    while header and header[-1] == "":
        header.pop()
    _check_header(header)
    records: list[dict[str, Any]] = []
    for offset, cells in enumerate(rows[1:]):
        extra = [c for c in cells[len(header) :] if not _is_blank(c)]
        if extra:
            raise InvalidInputError(
                f"row {offset + 2} has more cells than the header", field=f"row {offset + 2}"
            )
        records.append(dict(zip(header, cells, strict=False)))
    return records


def parse_results_bytes(data: bytes, filename: str) -> list[ResultRow]:
    """Parse an uploaded file by its extension: ``.csv``, ``.xlsx`` or ``.json``."""
    name = filename.lower()
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"{filename} is not UTF-8 text", field="file") from exc
        return parse_results_csv(text)
    if name.endswith(".xlsx"):
        return parse_results_records(_excel_records(data))
    if name.endswith(".json"):
        try:
            decoded = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInputError(f"{filename} is not valid JSON: {exc}", field="file") from exc
        return parse_results_json(decoded)
    raise InvalidInputError(
        f"unsupported file {filename!r}: use .csv, .xlsx or .json", field="file"
    )


# ------------------------------------------------------------------ replicate grids


def _cells(text: str) -> list[list[str]]:
    """Split pasted lines on tabs, else semicolons, else commas, else runs of spaces."""
    lines = text.splitlines()
    for separator in ("\t", ";", ","):
        if any(separator in line for line in lines):
            return [[c.strip() for c in line.split(separator)] for line in lines]
    return [line.split() for line in lines]


def _numeric(cell: object) -> bool:
    if _is_blank(cell) or isinstance(cell, bool):
        return False
    try:
        float(str(cell).strip())
    except ValueError:
        return False
    return True


def _replicate(cell: object, row: int, column: int) -> float:
    value = _number(cell, row, str(column), required=True)
    if value is None:  # unreachable: a required blank cell raises
        raise InvalidInputError(f"{_where(row, str(column))}: empty cell", field="samples")
    return value


def _replicate_rows(
    rows: Sequence[tuple[int, Sequence[object]]],
    *,
    first_column_labels: bool,
    min_items: int,
    min_replicates: int,
) -> list[list[float]]:
    """Numbers of a grid whose rows are (row number, cells); a header row is skipped."""
    rows = [(n, cells) for n, cells in rows if any(not _is_blank(c) for c in cells)]
    if rows and not any(_numeric(c) for c in rows[0][1]):
        rows = rows[1:]  # a header such as "item, replicate 1, replicate 2"
    offset = 1 if first_column_labels else 0
    grid: list[list[float]] = []
    width, first = 0, 0
    for number, cells in rows:
        kept = list(cells[offset:])
        while kept and _is_blank(kept[-1]):
            kept.pop()
        values = [_replicate(c, number, i + 1 + offset) for i, c in enumerate(kept)]
        if not grid:
            width, first = len(values), number
        elif len(values) != width:
            raise InvalidInputError(
                f"row {number}: {len(values)} replicates, but row {first} has {width}; "
                "every item needs the same number of replicates",
                field=f"row {number}",
            )
        grid.append(values)
    if len(grid) < min_items or width < min_replicates:
        raise InvalidInputError(
            f"need at least {min_items} items with at least {min_replicates} replicates each, "
            f"got {len(grid)} x {width}",
            field="samples",
        )
    return grid


def parse_replicate_grid(
    text: str, *, first_column_labels: bool = False, min_items: int = 2, min_replicates: int = 2
) -> list[list[float]]:
    """Rows of replicates as pasted: one item per line, the values split by tabs (a
    spreadsheet paste), else semicolons, else commas, else spaces (decimal point only);
    a first line without any number is a header and is skipped.

    Examples
    --------
    >>> parse_replicate_grid("item\\trep 1\\trep 2\\nA\\t0.185\\t0.194\\nB\\t0.187\\t0.189",
    ...                      first_column_labels=True)
    [[0.185, 0.194], [0.187, 0.189]]
    >>> parse_replicate_grid("1;2\\n3;x")
    Traceback (most recent call last):
    ...
    uncertainty.errors.InvalidInputError: row 2, column 2: 'x' is not a number
    """
    rows = list(enumerate(_cells(text), start=1))
    return _replicate_rows(
        rows,
        first_column_labels=first_column_labels,
        min_items=min_items,
        min_replicates=min_replicates,
    )


def parse_replicate_bytes(
    data: bytes,
    filename: str,
    *,
    first_column_labels: bool = False,
    min_items: int = 2,
    min_replicates: int = 2,
) -> list[list[float]]:
    """A replicate grid from an uploaded ``.csv``/``.txt`` or ``.xlsx`` (first worksheet)."""
    name = filename.lower()
    if name.endswith((".csv", ".txt")):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"{filename} is not UTF-8 text", field="file") from exc
        return parse_replicate_grid(
            text,
            first_column_labels=first_column_labels,
            min_items=min_items,
            min_replicates=min_replicates,
        )
    if name.endswith(".xlsx"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise InvalidInputError(f"not a readable .xlsx workbook: {exc}", field="file") from exc
        rows = [
            (n, list(r)) for n, r in enumerate(book.worksheets[0].iter_rows(values_only=True), 1)
        ]
        book.close()
        return _replicate_rows(
            rows,
            first_column_labels=first_column_labels,
            min_items=min_items,
            min_replicates=min_replicates,
        )
    raise InvalidInputError(f"unsupported file {filename!r}: use .csv, .txt or .xlsx", field="file")
