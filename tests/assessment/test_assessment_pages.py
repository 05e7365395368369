"""The assessment pages through AppTest on the demo database (signed in as each role)."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest


def _sign_in(at: AppTest, username: str, password: str) -> None:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception


def _frame(at: AppTest, column: str) -> Any:
    """The first dataframe shown with ``column`` (AppTest does not keep dataframe keys)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no dataframe with a {column!r} column")


def _open(at: AppTest, page: str) -> None:
    at.switch_page(f"calib/ui/{page}.py")
    at.run()
    assert not at.exception, at.exception


def test_assessor_checklist_drill_down_and_pack(app_test: AppTest) -> None:
    _sign_in(app_test, "assessor", "assessor-demo")
    app_test.session_state["assessment_as_of"] = __import__("datetime").date(2026, 11, 23)
    _open(app_test, "assessment_checklist")
    assert app_test.title[0].value == "Assessment"
    table = _frame(app_test, "Summary")
    assert len(table) == 17
    assert "🔴 finding" in set(table["Status"]) and "🟢 conforming" in set(table["Status"])
    app_test.selectbox(key="assessment_requirement").select("ENV-01").run()
    assert not app_test.exception, app_test.exception
    assert app_test.subheader[0].value.startswith("ENV-01")
    records = _frame(app_test, "record")
    assert any(str(ref).startswith("env_room:") for ref in records["record"])
    app_test.button(key="assessment_prepare_pack").click().run()
    assert not app_test.exception, app_test.exception
    assert app_test.session_state["assessment_pack"][0][:2] == b"PK"


def test_findings_workflow_assessor_raises_lab_responds(app_test: AppTest) -> None:
    _sign_in(app_test, "assessor", "assessor-demo")
    _open(app_test, "assessment_findings")
    assert app_test.title[0].value == "Findings"
    assert len(_frame(app_test, "Statement")) == 3
    # An assessor has no response box (cannot edit lab records).
    assert not [t for t in app_test.text_area if t.key == "finding_response"]
    # The responded finding can be verified by the assessor.
    responded = [o for o in app_test.selectbox(key="finding_selected").options if "responded" in o]
    app_test.selectbox(key="finding_selected").select(responded[0]).run()
    app_test.text_area(key="finding_verification").input("Matrix checked on site").run()
    app_test.button(key="finding_verify").click().run()
    assert not app_test.exception, app_test.exception
    statuses = set(_frame(app_test, "Statement")["Status"])
    assert "verified" in statuses


def test_staff_environment_checks_and_scopes_pages(app_test: AppTest) -> None:
    _sign_in(app_test, "staff", "staff-demo")
    _open(app_test, "assessment_environment")
    assert app_test.title[0].value == "Environment"
    assert len(_frame(app_test, "Logging (min)")) == 4
    impacts = _frame(app_test, "Excursion")
    assert "open" in set(impacts["Status"])
    _open(app_test, "assessment_checks")
    assert app_test.title[0].value == "Check standards"
    signals = _frame(app_test, "Rule")
    assert {"WE1", "WE4"} <= set(signals["Rule"])
    capability = _frame(app_test, "Index")
    assert list(capability["Index"]) == ["Cp", "Cpk", "Pp", "Ppk"]
    _open(app_test, "assessment_scopes")
    assert app_test.title[0].value == "Scopes"
    assert len(_frame(app_test, "Wording")) == 6
    assert any("Consistent" in s.value for s in app_test.success)
