"""The Uncertainty budgets page through AppTest, and its document <-> table conversion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from calib.demo.uncertainty import DEMO_BUDGETS
from calib.ui.budget_tables import (
    correlations_frame,
    document_from_tables,
    inputs_frame,
    model_lines,
)
from uncertainty.budget import parse_budget

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "calib/ui/budget_editor.py"


@pytest.fixture
def app_test(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    return at


def _open(at: AppTest, username: str) -> None:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(f"{username}-demo")
    at.button[0].click()
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception


def _pick(at: AppTest, name_part: str, status: str) -> None:
    box = at.selectbox(key="budget_pick")
    (index,) = [i for i, label in enumerate(box.options) if name_part in label and status in label]
    box.select_index(index)
    at.run()
    assert not at.exception, at.exception


def _model_area(at: AppTest) -> object:
    return next(t for t in at.text_area if str(t.key).startswith("budget_model_"))


def test_staff_edits_draft_model_error_then_evaluates(app_test: AppTest) -> None:
    _open(app_test, "staff")
    assert app_test.title[0].value == "Uncertainty budgets"
    listing = app_test.dataframe[0].value
    assert len(listing) == 6 and set(listing["status"]) == {"approved", "submitted", "draft"}
    _pick(app_test, "Dial pressure", "draft")
    area = _model_area(app_test)
    area.input("e = p_i + dp_res - p_S +* 2")  # type: ignore[attr-defined]
    app_test.run()
    errors = [e.value for e in app_test.error]
    assert any("Model:" in e and "'e = p_i + dp_res - p_S +* 2'" in e for e in errors)
    # The draft without the hysteresis: U below the claimed CMC is shown to the reviewer.
    assert any("below the claimed CMC" in e for e in errors)
    app_test.button(key=next(b.key for b in app_test.button if "budget_save" in str(b.key))).click()
    app_test.run()
    assert any(e.value.startswith("Not saved") for e in app_test.error)

    app_test.checkbox(key="budget_mc").check()
    app_test.number_input(key="budget_trials").set_value(2000)
    app_test.text_input(key="budget_seed").input("11")
    app_test.button(key="budget_evaluate").click()
    app_test.run()
    assert not app_test.exception, app_test.exception
    successes = [s.value for s in app_test.success]
    assert "Evaluated." in successes
    assert any(s.startswith("e = ") and "kPa" in s for s in successes)
    assert any("seed 11" in c.value for c in app_test.caption)
    (table,) = [d.value for d in app_test.dataframe if "quantity" in d.value.columns]
    assert list(table["quantity"]) == ["p_i", "dp_res", "p_S"]
    assert "index %" in table.columns


def test_staff_saves_model_change(app_test: AppTest) -> None:
    _open(app_test, "staff")
    _pick(app_test, "Dial pressure", "draft")
    area = _model_area(app_test)
    area.input("e = p_i - p_S + dp_res")  # type: ignore[attr-defined]
    app_test.run()
    app_test.button(key=next(b.key for b in app_test.button if "budget_save" in str(b.key))).click()
    app_test.run()
    assert not app_test.exception, app_test.exception
    assert any("Saved" in s.value for s in app_test.success)
    assert _model_area(app_test).value == "e = p_i - p_S + dp_res"  # type: ignore[attr-defined]


def test_manager_approves_submitted_budget(app_test: AppTest) -> None:
    _open(app_test, "manager")
    _pick(app_test, "thermocouple", "submitted")
    app_test.button(key="budget_Approve").click()
    app_test.run()
    assert not app_test.exception, app_test.exception
    assert "Approve: done." in [s.value for s in app_test.success]
    assert "approved" in app_test.header[0].value


def test_assessor_reads_only_and_comments(app_test: AppTest) -> None:
    _open(app_test, "assessor")
    _pick(app_test, "Weight", "approved")
    assert _model_area(app_test).disabled  # type: ignore[attr-defined]
    keys = {str(b.key) for b in app_test.button}
    assert "budget_evaluate" not in keys
    assert not any(k.startswith("budget_save") for k in keys)
    assert "budget_New version" not in keys
    # The stored Monte Carlo run of the demo shows its verdict.
    verdicts = [*app_test.success, *app_test.warning]
    assert any("by Monte Carlo (JCGM 101 8.2)" in s.value for s in verdicts)
    app_test.text_area(key="budget_comment_text").input("Drift history checked.")
    app_test.button(key="budget_comment").click()
    app_test.run()
    assert not app_test.exception, app_test.exception
    assert any("Drift history checked." in m.value for m in app_test.markdown)


@pytest.mark.parametrize("entry", DEMO_BUDGETS, ids=[e[0] for e in DEMO_BUDGETS])
def test_tables_round_trip(entry: tuple[str, dict[str, object], object, str]) -> None:
    """Document -> editor tables -> document gives the same validated budget."""
    document = json.loads(json.dumps(entry[1]))
    rebuilt = document_from_tables(
        document, model_lines(document), inputs_frame(document), correlations_frame(document)
    )
    assert parse_budget(rebuilt) == parse_budget(document)


def test_staff_adds_missing_input_in_editor_and_saves(app_test: AppTest) -> None:
    """The assessor's catch fixed: add the hysteresis row back (data editor state), Save."""
    _open(app_test, "staff")
    _pick(app_test, "Dial pressure", "draft")
    tag = str(_model_area(app_test).key).removeprefix("budget_model_")  # type: ignore[attr-defined]
    _model_area(app_test).input("e = p_i + dp_res - p_S - dp_h")  # type: ignore[attr-defined]
    app_test.session_state[f"budget_inputs_{tag}"] = {
        "edited_rows": {},
        "added_rows": [
            {
                "name": "dp_h",
                "value": 0.0,
                "unit": "kPa",
                "distribution": "rectangular",
                "half_width": 10.0,
                "description": "hysteresis",
            }
        ],
        "deleted_rows": [],
    }
    app_test.run()
    app_test.button(key=f"budget_save_{tag}").click()
    app_test.run()
    assert not app_test.exception, app_test.exception
    assert any("Saved" in s.value for s in app_test.success), [e.value for e in app_test.error]
    app_test.button(key="budget_evaluate").click()
    app_test.run()
    assert any("U ≥ CMC" in i.value for i in app_test.info)
    (table,) = [d.value for d in app_test.dataframe if "quantity" in d.value.columns]
    assert list(table["quantity"]) == ["p_i", "dp_res", "p_S", "dp_h"]


def test_staff_changes_cmc_line_of_draft(app_test: AppTest) -> None:
    _open(app_test, "staff")
    _pick(app_test, "Dial pressure", "draft")
    (cmc,) = [
        n
        for n in app_test.number_input
        if str(n.key).startswith("budget_line_") and str(n.key).endswith("_cmc")
    ]
    assert cmc.value == 13.0
    cmc.set_value(6.0)
    app_test.run()
    app_test.button(key=next(b.key for b in app_test.button if "line_save" in str(b.key))).click()
    app_test.run()
    assert not app_test.exception, app_test.exception
    assert "CMC line saved." in [s.value for s in app_test.success]
    assert any("CMC claimed 6 kPa" in i.value and "U ≥ CMC" in i.value for i in app_test.info)
