"""CSV readers and the feedback form model: bad input names row and column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from satisfaction.schema import (
    MAX_COMMENT_CHARS,
    RESPONSE_COLUMNS,
    FeedbackSubmission,
    parse_complaints_csv,
    parse_jobs_csv,
    parse_responses_csv,
    read_csv_text,
    validate_submission,
)
from uncertainty.errors import InvalidInputError

DATA = Path(__file__).parent / "data"
HEADER = ",".join(RESPONSE_COLUMNS)


def _responses(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def test_reads_the_example_files() -> None:
    responses = parse_responses_csv(read_csv_text(DATA / "responses.csv"))
    jobs = parse_jobs_csv(read_csv_text(DATA / "jobs.csv"))
    complaints = parse_complaints_csv(read_csv_text(DATA / "complaints.csv"))
    assert (len(responses), len(jobs), len(complaints)) == (140, 196, 7)
    assert responses[0].submitted_on == date(2025, 1, 15)


def test_blank_rating_means_not_applicable_and_comment_is_inert() -> None:
    rows = parse_responses_csv(
        _responses('J1,2026-01-05,4,,5,3,,9,"<script>alert(1)</script>, ok"')
    )
    r = rows[0]
    assert (r.overall, r.quality, r.communication, r.recommend) == (4, None, None, 9)
    assert r.comment == "<script>alert(1)</script>, ok"
    assert r.row == 2


def test_columns_in_any_order_and_bom_accepted() -> None:
    text = "\ufeffcomment,recommend,communication,technical_accuracy,timeliness,quality,overall,submitted_on,job_id\n,10,5,5,5,5,5,2026-02-01,J9\n"
    assert parse_responses_csv(text)[0].job_id == "J9"


@pytest.mark.parametrize(
    ("row", "where", "what"),
    [
        ("J1,2026-01-05,6,4,4,4,4,9,", "row 2, column overall", "1-5"),
        ("J1,2026-01-05,0,4,4,4,4,9,", "row 2, column overall", "1-5"),
        ("J1,2026-01-05,4.5,4,4,4,4,9,", "row 2, column overall", "whole number"),
        ("J1,2026-01-05,4,4,4,4,4,11,", "row 2, column recommend", "0-10"),
        ("J1,05/01/2026,4,4,4,4,4,9,", "row 2, column submitted_on", "YYYY-MM-DD"),
        ("J1,2026-02-30,4,4,4,4,4,9,", "row 2, column submitted_on", "2026-02-30"),
        ("J1,,4,4,4,4,4,9,", "row 2, column submitted_on", "required"),
        (",2026-01-05,4,4,4,4,4,9,", "row 2, column job_id", "required"),
        ("J1,2026-01-05,4,4,4,4,4,9", "row 2", "8 cells"),
    ],
)
def test_bad_cells_name_row_and_column(row: str, where: str, what: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_responses_csv(_responses(row))
    assert info.value.field is not None and where in info.value.field
    assert what in str(info.value)


def test_duplicate_response_for_a_job() -> None:
    with pytest.raises(
        InvalidInputError, match="duplicate job_id 'J1': already given in row 2"
    ) as info:
        parse_responses_csv(_responses("J1,2026-01-05,4,,,,,9,", "J1,2026-01-06,5,,,,,9,"))
    assert info.value.field == "R.csv row 3, column job_id"


def test_oversized_comment() -> None:
    long = "x" * (MAX_COMMENT_CHARS + 1)
    with pytest.raises(InvalidInputError, match="at most 2000") as info:
        parse_responses_csv(_responses(f"J1,2026-01-05,4,,,,,9,{long}"))
    assert info.value.field == "R.csv row 2, column comment"


def test_missing_and_unknown_columns() -> None:
    with pytest.raises(InvalidInputError, match=r"missing column.*recommend"):
        parse_responses_csv(HEADER.replace(",recommend", "") + "\n")
    with pytest.raises(InvalidInputError, match=r"unknown column.*'email'"):
        parse_responses_csv(HEADER + ",email\n")
    with pytest.raises(InvalidInputError, match="empty"):
        parse_responses_csv("")


def test_jobs_dates_must_be_in_order() -> None:
    head = "job_id,customer,received_on,due_on,delivered_on\n"
    with pytest.raises(InvalidInputError, match="before received_on") as info:
        parse_jobs_csv(head + "J1,A,2026-01-10,2026-01-20,2026-01-05\n")
    assert info.value.field == "J.csv row 2, column delivered_on"
    with pytest.raises(InvalidInputError, match="due_on"):
        parse_jobs_csv(head + "J1,A,2026-01-10,2026-01-01,\n")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read"):
        read_csv_text(tmp_path / "missing.csv")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("job_id,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InvalidInputError, match="not UTF-8"):
        read_csv_text(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_parsers_never_crash_on_garbage(text: str) -> None:
    for parse in (parse_responses_csv, parse_jobs_csv, parse_complaints_csv):
        try:
            parse(text)
        except InvalidInputError:
            pass


cell = st.one_of(st.text(max_size=12), st.sampled_from(["", "3", "11", "2026-01-01", "J1", "-1"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(cell, min_size=9, max_size=9), max_size=6))
def test_responses_parser_never_crashes_on_garbage_rows(rows: list[list[str]]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(RESPONSE_COLUMNS)
    writer.writerows(rows)
    try:
        parsed = parse_responses_csv(buffer.getvalue())
    except InvalidInputError:
        return
    for r in parsed:
        assert r.overall is None or 1 <= r.overall <= 5
        assert r.recommend is None or 0 <= r.recommend <= 10


def test_feedback_submission_accepts_not_applicable() -> None:
    form = validate_submission(
        {
            "overall": 5,
            "quality": None,
            "recommend": 10,
            "comment": " <b>hi</b> ",
            "may_contact": True,
        }
    )
    assert isinstance(form, FeedbackSubmission)
    assert form.quality is None and form.comment == "<b>hi</b>"


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"overall": 6, "recommend": 9}, "overall", "Overall, how satisfied"),
        ({"overall": 4}, "recommend", "please answer"),
        ({"overall": 4, "recommend": None}, "recommend", "please answer"),
        ({"recommend": 9, "comment": "x" * 2001}, "comment", "Comment"),
        ({"recommend": 9, "overall": "4"}, "overall", "Overall"),
        ({"recommend": 9, "admin": True}, "admin", "unknown field"),
    ],
)
def test_feedback_submission_errors_name_the_question(
    data: dict[str, object], field: str, text: str
) -> None:
    with pytest.raises(InvalidInputError, match=text) as info:
        validate_submission(data)
    assert info.value.field == field
