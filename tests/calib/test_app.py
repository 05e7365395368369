"""The Streamlit shell through AppTest: sign-in (good and bad password), overview, roles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def app_test(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


def _sign_in(at: AppTest, username: str, password: str) -> None:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    at.button[0].click()
    at.run()


def _open_corrective_actions(at: AppTest, site_id: int | None) -> int:
    """What the service says, to compare the page with (demo extensions add their own)."""
    import datetime as dt

    from calib.db import make_engine, session_scope
    from calib.lab import lab_overview
    from calib.permissions import Principal

    engine = make_engine(os.environ["CALIB_DATABASE_URL"])
    try:
        with session_scope(engine) as session:
            overview = lab_overview(
                session, Principal("t", "assessor"), as_of=dt.date.today(), site_id=site_id
            )
            return overview.open_corrective_actions
    finally:
        engine.dispose()


def test_sign_in_page_first(app_test: AppTest) -> None:
    assert not app_test.exception
    assert app_test.title[0].value == "Sign in to calib"


def test_bad_password_shows_generic_error(app_test: AppTest) -> None:
    _sign_in(app_test, "admin", "not-the-password")
    assert not app_test.exception
    assert [e.value for e in app_test.error] == ["wrong username or password"]
    assert "calib_user" not in app_test.session_state


def test_good_password_shows_overview(app_test: AppTest) -> None:
    _sign_in(app_test, "manager", "manager-demo")
    assert not app_test.exception, app_test.exception
    assert app_test.title[0].value == "Lab overview"
    labels = {m.label: m.value for m in app_test.metric}
    assert "Jobs received this month" in labels
    assert "On-time delivery (12 months)" in labels
    assert labels["Open corrective actions"] == str(_open_corrective_actions(app_test, None))
    assert any("Signed in as" in md.value for md in app_test.sidebar.markdown)


def test_site_selector_filters_overview(app_test: AppTest) -> None:
    _sign_in(app_test, "assessor", "assessor-demo")
    everything = {m.label: m.value for m in app_test.metric}["Open corrective actions"]
    selector = app_test.sidebar.selectbox(key="site_id")
    assert selector.options[0] == "All sites"
    selector.select_index(1).run()
    assert not app_test.exception, app_test.exception
    assert isinstance(app_test.session_state["site_id"], int)
    main_site = {m.label: m.value for m in app_test.metric}["Open corrective actions"]
    site_id = app_test.session_state["site_id"]
    assert everything == str(_open_corrective_actions(app_test, None))
    assert main_site == str(_open_corrective_actions(app_test, site_id))
    assert int(main_site) < int(everything)


def test_admin_sees_users_page_staff_does_not(app_test: AppTest) -> None:
    _sign_in(app_test, "admin", "admin-demo")
    assert not app_test.exception, app_test.exception
    app_test.switch_page("calib/ui/users.py")
    app_test.run()
    assert not app_test.exception, app_test.exception
    assert app_test.title[0].value == "Users"
    assert len(app_test.dataframe) == 1


def test_idle_session_times_out(app_test: AppTest) -> None:
    import datetime as dt

    _sign_in(app_test, "staff", "staff-demo")
    assert app_test.title[0].value == "Lab overview"
    app_test.session_state["calib_last_activity"] = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    app_test.run()
    assert app_test.title[0].value == "Sign in to calib"
    assert "timed out" in app_test.info[0].value


def test_staff_cannot_open_users_page(app_test: AppTest) -> None:
    _sign_in(app_test, "staff", "staff-demo")
    try:
        app_test.switch_page("calib/ui/users.py")
    except ValueError:
        return  # not a registered page for this role
    app_test.run()
    assert all(t.value != "Users" for t in app_test.title)
