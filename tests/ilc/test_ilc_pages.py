"""PT pages through AppTest on the demo lab: round list, scores, results entry with Save."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

SignIn = Callable[..., AppTest]  # the signed_in_app fixture (tests/conftest.py)


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"calib/ui/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_round_list_filters_and_scores_of_the_unsatisfactory_round(signed_in_app: SignIn) -> None:
    at = signed_in_app("assessor", "ilc_rounds")
    assert at.title[0].value == "PT rounds"
    listed = at.dataframe[0].value
    assert len(listed) == 9
    at.selectbox(key="ilc_rounds_sub").select("TMP").run()
    listed = at.dataframe[0].value
    assert sorted(listed["round"]) == ["IMEKO-TMP-2025", "IMEKO-TMP-2026"]
    at.selectbox(key="ilc_rounds_selected").select_index(1).run()  # newest first
    assert not at.exception, at.exception
    scores = at.dataframe[1].value
    own = scores[scores["participant"].str.contains("our lab")]
    assert own["En verdict"].iloc[0] == "UNSATISFACTORY (action)"
    assert len(scores) == 18
    assert not any(b.label == "Score round" for b in at.button)  # assessors read only


def test_status_filter_shows_the_open_round_to_a_manager_who_can_score_it(
    signed_in_app: SignIn,
) -> None:
    at = signed_in_app("manager", "ilc_rounds")
    at.selectbox(key="ilc_rounds_status").select("open").run()
    assert list(at.dataframe[0].value["round"]) == ["EURAMET-DCV-2026"]
    at.button(key="ilc_score_button").click().run()
    assert not at.exception, at.exception
    assert "Scored 5 results" in at.success[0].value
    at.selectbox(key="ilc_rounds_status").select("all").run()
    at.selectbox(key="ilc_rounds_selected").select_index(0).run()
    assert len(at.dataframe[1].value) == 5


def test_results_entry_save_stores_the_edit(signed_in_app: SignIn, demo_engine: Engine) -> None:
    from calib.ui.ilc_results import editor_key
    from ilc.records import PTResult, PTRound

    at = signed_in_app("staff", "ilc_results")
    assert at.title[0].value == "PT results"
    editor = at.data_editor[0]
    before = editor.value
    assert len(before) == 5
    with demo_engine.connect() as connection:
        round_id = connection.execute(
            select(PTRound.id).where(PTRound.code == "EURAMET-DCV-2026")
        ).scalar_one()
    key = editor_key(int(round_id), 0)
    at.session_state[key] = {
        "edited_rows": {1: {"value": 10.0000031}},
        "added_rows": [
            {
                "participant": "LAB-NEW",
                "value": 10.0000001,
                "expanded_uncertainty": 2e-6,
                "coverage_factor": 2.0,
            }
        ],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="ilc_entry_save").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Saved 6 results."
    with demo_engine.connect() as connection:
        stored = dict(
            connection.execute(
                select(PTResult.participant, PTResult.value).where(PTResult.round_id == round_id)
            ).all()
        )
    assert stored[str(before["participant"].iloc[1])] == 10.0000031
    assert stored["LAB-NEW"] == 10.0000001
    # the editor was rebuilt from the database under a new key: the input is the stored table
    assert len(at.data_editor[0].value) == 6


def test_results_entry_bad_cell_is_named_and_nothing_is_saved(
    signed_in_app: SignIn, demo_engine: Engine
) -> None:
    from calib.ui.ilc_results import editor_key
    from ilc.records import PTResult, PTRound

    at = signed_in_app("staff", "ilc_results")
    with demo_engine.connect() as connection:
        round_id = connection.execute(
            select(PTRound.id).where(PTRound.code == "EURAMET-DCV-2026")
        ).scalar_one()
        count = len(connection.execute(select(PTResult.id)).all())
    at.session_state[editor_key(int(round_id), 0)] = {
        "edited_rows": {0: {"coverage_factor": 0.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="ilc_entry_save").click().run()
    assert "row 1, column coverage_factor" in at.error[0].value
    assert "Nothing saved" in at.error[0].value
    with demo_engine.connect() as connection:
        assert len(connection.execute(select(PTResult.id)).all()) == count


def test_assessor_sees_results_read_only(signed_in_app: SignIn) -> None:
    at = signed_in_app("assessor", "ilc_results")
    assert len(at.data_editor) == 0
    assert len(at.dataframe) == 1
    assert not any(b.label == "Save" for b in at.button)


def test_history_and_plan_pages(signed_in_app: SignIn) -> None:
    at = signed_in_app("manager", "ilc_history")
    at.selectbox(key="ilc_history_measurand").select("Thermocouple type R at 1000 degC").run()
    assert not at.exception, at.exception
    assert len(at.dataframe[0].value) == 2
    assert any("IMEKO-TMP-2025" in e.value for e in at.error)
    _open(at, "ilc_plan")
    plan = at.dataframe[0].value
    status = dict(zip(plan["subdiscipline"] + "@" + plan["site"], plan["status"], strict=True))
    assert status["TOR@MAIN"] == "due"
    assert status["DCV@MAIN"] == "covered"
