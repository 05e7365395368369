"""Replicate grids of a homogeneity check as pasted or uploaded (``ilc.tabular``)."""

from __future__ import annotations

import io
import re

import pytest
from ilc_annex_e import E2_HOMOGENEITY

from ilc.tabular import parse_replicate_bytes, parse_replicate_grid
from uncertainty.errors import InvalidInputError


def test_csv_upload_with_bom_header_and_labels_gives_table_e2() -> None:
    lines = ["item,replicate 1,replicate 2"] + [
        f"{i + 1},{a:.3f},{b:.3f}" for i, (a, b) in enumerate(E2_HOMOGENEITY)
    ]
    data = ("\n".join(lines) + "\n").encode("utf-8-sig")
    assert parse_replicate_bytes(data, "e2.CSV", first_column_labels=True) == E2_HOMOGENEITY


def test_xlsx_upload_skips_blank_rows_and_trailing_blank_cells() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["item", "r1", "r2"])
    sheet.append([])
    for i, (a, b) in enumerate(E2_HOMOGENEITY):
        sheet.append([f"T{i + 1}", a, b, None])
    buffer = io.BytesIO()
    book.save(buffer)
    grid = parse_replicate_bytes(buffer.getvalue(), "e2.xlsx", first_column_labels=True)
    assert grid == E2_HOMOGENEITY


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1\t\t2\n3\t4\t5", "row 1, column 2: empty cell"),
        ("1 2\n3", "row 2: 1 replicates, but row 1 has 2"),
        ("1 2\n3 inf", "row 2, column 2: 'inf' is not a finite number"),
        ("a b\nc d", "row 2, column 1: 'c' is not a number"),
        ("", "need at least 2 items with at least 2 replicates each, got 0 x 0"),
    ],
)
def test_bad_grids_name_the_row_and_column(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        parse_replicate_grid(text)


def test_stability_grid_may_have_one_item_and_one_replicate() -> None:
    assert parse_replicate_grid("0.191", min_items=1, min_replicates=1) == [[0.191]]


def test_unsupported_upload_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=re.escape("use .csv, .txt or .xlsx")):
        parse_replicate_bytes(b"{}", "grid.json")
