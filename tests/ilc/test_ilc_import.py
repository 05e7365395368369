"""Importing results: CSV, Excel and JSON; every bad cell is named; nothing is stored."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ilc_db_helpers import lab_site, mercury_round
from sqlmodel import Session, select

from calib.permissions import Principal
from ilc.records import PTResult
from ilc.service import import_results, list_results
from ilc.tabular import parse_results_bytes, parse_results_csv
from uncertainty.errors import InvalidInputError

STAFF = Principal("staff-test", "staff")
GOOD_CSV = (
    "participant,value,expanded_uncertainty,coverage_factor,own_lab\n"
    "L04,0.013,0.003,2,yes\n"
    "L23,0.0135,0.00108,1.732,\n"
    "L12,0.0239,,,\n"
)


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[Session, int]]:
    from calib.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{(tmp_path / 'imp.sqlite').as_posix()}")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        rid = int(mercury_round(session, lab_site(session)).id or 0)
        session.commit()
        yield session, rid
    engine.dispose()


def test_csv_import_keeps_u_and_k_as_reported(db: tuple[Session, int]) -> None:
    session, rid = db
    stored = import_results(session, STAFF, rid, GOOD_CSV.encode(), "round.csv")
    assert [(r.participant, r.expanded_uncertainty, r.coverage_factor) for r in stored] == [
        ("L04", 0.003, 2.0),
        ("L23", 0.00108, 1.732),
        ("L12", None, None),
    ]
    assert [r.is_own_lab for r in stored] == [True, False, False]


def test_import_merges_and_replace_deletes(db: tuple[Session, int]) -> None:
    session, rid = db
    import_results(session, STAFF, rid, GOOD_CSV.encode(), "round.csv")
    extra = b"participant,value\nL99,0.05\nL12,0.024\n"
    import_results(session, STAFF, rid, extra, "more.csv")
    by_name = {r.participant: r.value for r in list_results(session, STAFF, rid)}
    assert by_name == {"L04": 0.013, "L23": 0.0135, "L12": 0.024, "L99": 0.05}
    import_results(session, STAFF, rid, extra, "more.csv", replace=True)
    assert [r.participant for r in list_results(session, STAFF, rid)] == ["L99", "L12"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (GOOD_CSV.replace("0.0135", "abc"), "row 3, column value: 'abc' is not a number"),
        (GOOD_CSV.replace("1.732", "0"), "row 3, column coverage_factor: must be > 0"),
        (GOOD_CSV.replace("0.00108", "-0.1"), "row 3, column expanded_uncertainty: must be >= 0"),
        (GOOD_CSV.replace("0.00108", ""), "row 3, column expanded_uncertainty: give"),
        (GOOD_CSV.replace("L12", "L04"), "row 4, column participant: duplicate participant 'L04'"),
        (GOOD_CSV.replace(",yes", ",maybe"), "row 2, column own_lab: 'maybe' is not true/false"),
        (GOOD_CSV.replace("0.0239", "nan"), "row 4, column value: 'nan' is not a finite number"),
        (GOOD_CSV.replace("own_lab", "owner"), "unknown column(s) owner"),
        ("value\n1\n", "header lacks column(s) participant"),
    ],
)
def test_csv_errors_name_row_and_column_and_store_nothing(
    db: tuple[Session, int], text: str, where: str
) -> None:
    session, rid = db
    with pytest.raises(InvalidInputError) as info:
        import_results(session, STAFF, rid, text.encode(), "round.csv")
    assert where in str(info.value)
    assert session.exec(select(PTResult)).all() == []


def test_excel_import_and_non_numeric_cell(db: tuple[Session, int]) -> None:
    session, rid = db
    header = ["participant", "value", "expanded_uncertainty", "coverage_factor"]
    good = _xlsx([header, ["L04", 0.013, 0.003, 2], ["L23", "0.0135", 0.00108, 1.732]])
    assert [r.value for r in parse_results_bytes(good, "r.xlsx")] == [0.013, 0.0135]
    bad = _xlsx([header, ["L04", 0.013, 0.003, 2], ["L23", 0.0135, 0.00108, "k=2"]])
    with pytest.raises(InvalidInputError, match=r"row 3, column coverage_factor: 'k=2'"):
        import_results(session, STAFF, rid, bad, "r.xlsx")
    assert session.exec(select(PTResult)).all() == []
    stored = import_results(session, STAFF, rid, good, "r.xlsx")
    assert len(stored) == 2


def test_json_import_names_the_entry() -> None:
    good = {"results": [{"participant": "A", "value": 1.0}, {"participant": "B", "value": 2}]}
    assert [r.value for r in parse_results_bytes(json.dumps(good).encode(), "r.json")] == [1.0, 2.0]
    bad = {"results": [{"participant": "A", "value": 1.0}, {"participant": "B", "value": "x"}]}
    with pytest.raises(InvalidInputError) as info:
        parse_results_bytes(json.dumps(bad).encode(), "r.json")
    assert info.value.field == "results[1].value"
    with pytest.raises(InvalidInputError, match="unknown field"):
        parse_results_bytes(b'{"rows": []}', "r.json")


def test_unsupported_or_damaged_files() -> None:
    with pytest.raises(InvalidInputError, match=r"use \.csv, \.xlsx or \.json"):
        parse_results_bytes(b"", "r.txt")
    with pytest.raises(InvalidInputError, match=r"not a readable \.xlsx"):
        parse_results_bytes(b"not a zip", "r.xlsx")
    with pytest.raises(InvalidInputError, match="empty"):
        parse_results_csv("")
    with pytest.raises(InvalidInputError, match="no results"):
        parse_results_csv("participant,value\n,\n")


def test_tabular_docstring_examples() -> None:
    import doctest

    import ilc.tabular

    result = doctest.testmod(ilc.tabular)
    assert result.attempted > 0 and result.failed == 0


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(
    st.lists(
        st.tuples(finite, st.floats(0, 1e6), st.floats(0.5, 5), st.booleans()),
        min_size=1,
        max_size=8,
    )
)
@settings(max_examples=40, deadline=None)
def test_csv_round_trip_keeps_every_number(rows: list[tuple[float, float, float, bool]]) -> None:
    """Whatever valid table is written as CSV (repr of the floats) reads back exactly."""
    lines = ["participant,value,expanded_uncertainty,coverage_factor,exclude_from_reference"]
    lines += [f"P{i},{v!r},{u!r},{k!r},{x}" for i, (v, u, k, x) in enumerate(rows)]
    parsed = parse_results_csv("\n".join(lines) + "\n")
    assert [
        (r.value, r.expanded_uncertainty, r.coverage_factor, r.exclude_from_reference)
        for r in parsed
    ] == rows
