"""The "PT set-up" page through AppTest on the demo lab: staff create a scheme and a
round, a bad value is reported naming its field, assessors do not get the page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

SignIn = Callable[..., AppTest]  # the signed_in_app fixture (tests/conftest.py)


def _setup_page(at: AppTest) -> AppTest:
    at.switch_page("calib/ui/ilc_setup.py")
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "PT set-up"
    return at


def _fill_round(at: AppTest, code: str) -> None:
    at.text_input(key="ilc_setup_round_code").input(code)
    at.text_input(key="ilc_setup_round_measurand").input("DC voltage 10 V")
    at.text_input(key="ilc_setup_round_unit").input("V")
    at.selectbox(key="ilc_setup_round_sub").select("DCV")
    at.text_input(key="ilc_setup_round_own").input("L07")


def test_staff_create_scheme_and_round_and_see_it_listed(signed_in_app: SignIn) -> None:
    at = _setup_page(signed_in_app("staff"))
    # staff enter records; sub-disciplines and the plan are for managers
    assert at.text_input(key="ilc_setup_scheme_name") is not None
    assert not any(t.key == "ilc_setup_sub_code" for t in at.text_input)
    assert not any(s.key == "ilc_setup_plan_sub" for s in at.selectbox)
    at.text_input(key="ilc_setup_scheme_provider").input("NMI Example")
    at.text_input(key="ilc_setup_scheme_name").input("Bilateral 2027")
    at.button(key="ilc_setup_scheme_submit").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Created scheme ")
    at.selectbox(key="ilc_setup_round_scheme").select("NMI Example – Bilateral 2027")
    _fill_round(at, "BIL-DCV-2027")
    at.text_input(key="ilc_setup_round_ref_value").input("10.0000012")
    at.text_input(key="ilc_setup_round_ref_u").input("5e-7")
    at.button(key="ilc_setup_round_submit").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == []
    assert any(s.value.startswith("Created round ") for s in at.success)
    listed = at.dataframe[-1].value  # the round list is the last table
    row = listed[listed["round"] == "BIL-DCV-2027"]
    assert list(row["status"]) == ["open"]
    assert list(row["provider"]) == ["NMI Example"]


def test_bad_input_names_the_field_and_stores_nothing(signed_in_app: SignIn) -> None:
    at = _setup_page(signed_in_app("staff"))
    _fill_round(at, "BAD-DCV-2027")
    at.text_input(key="ilc_setup_round_ref_value").input("10")
    at.text_input(key="ilc_setup_round_ref_u").input("-1e-6")
    at.button(key="ilc_setup_round_submit").click().run()
    assert not at.exception, at.exception
    assert "reference_expanded_uncertainty" in at.error[0].value
    at.text_input(key="ilc_setup_round_ref_u").input("1e-6")
    at.text_input(key="ilc_setup_round_sigma").input("abc")
    at.button(key="ilc_setup_round_submit").click().run()
    assert "sigma_pt" in at.error[0].value
    listed = at.dataframe[-1].value  # the round list is the last table
    assert "BAD-DCV-2027" not in set(listed["round"])


def test_manager_adds_a_subdiscipline_and_plan_item(signed_in_app: SignIn) -> None:
    at = _setup_page(signed_in_app("manager"))
    at.text_input(key="ilc_setup_sub_code").input("ACV")
    at.text_input(key="ilc_setup_sub_name").input("AC voltage")
    at.button(key="ilc_setup_sub_submit").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Created sub-discipline ")
    at.selectbox(key="ilc_setup_plan_sub").select("ACV")
    at.button(key="ilc_setup_plan_submit").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Saved plan item ") for s in at.success)


def test_assessor_does_not_get_the_page(signed_in_app: SignIn) -> None:
    from calib.ui.registry import pages_for

    assert "PT set-up" not in {p.title for p in pages_for("assessor")}
    assert "PT set-up" in {p.title for p in pages_for("staff")}
    at = signed_in_app("assessor")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("calib/ui/ilc_setup.py")
