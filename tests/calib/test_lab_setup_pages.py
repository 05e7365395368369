"""Set-up without the demo through AppTest: on an empty (migrated) database the Lab
overview shows managers the set-up form and others a note; "Lab & sites" lets managers
edit the lab and its sites and shows everyone else the records read-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from calib.auth import create_user
from calib.db import make_engine, session_scope, upgrade
from calib.permissions import Principal
from calib.records import Lab, Site

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "a-long-passphrase-1"


@pytest.fixture
def empty_url(tmp_path: Path) -> str:
    """A migrated SQLite database with one account per role and no lab."""
    url = f"sqlite:///{(tmp_path / 'empty.sqlite').as_posix()}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        for role in ("admin", "manager", "staff", "assessor"):
            create_user(
                session, Principal("cli:test", "admin"), username=role, password=PASSWORD, role=role
            )
    engine.dispose()
    return url


def _signed_in(url: str, monkeypatch: pytest.MonkeyPatch, username: str) -> AppTest:
    monkeypatch.setenv("CALIB_DATABASE_URL", url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    return at


def _engine(url: str) -> Engine:
    return make_engine(url)


def _sites(url: str) -> list[tuple[str, bool]]:
    engine = _engine(url)
    with Session(engine) as session:
        rows = [(s.code, s.is_master) for s in session.exec(select(Site).order_by(col(Site.id)))]
    engine.dispose()
    return rows


def _keys(at: AppTest) -> set[str]:
    return {w.key for w in at.text_input if w.key}


def test_staff_and_assessor_see_a_note_not_an_error(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for role in ("staff", "assessor"):
        at = _signed_in(empty_url, monkeypatch, role)
        assert at.title[0].value == "Lab overview"
        assert not at.error
        assert "no lab yet" in at.info[0].value
        assert not any(k.startswith("overview_setup") for k in _keys(at))


def test_manager_sets_up_the_lab_from_the_overview(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _signed_in(empty_url, monkeypatch, "manager")
    assert not at.error
    at.text_input(key="overview_setup_name").input("Acme Calibration")
    at.text_input(key="overview_setup_accreditation_number").input("2-1234")
    at.text_input(key="overview_setup_site_code").input("MAIN")
    at.text_input(key="overview_setup_site_name").input("Main laboratory")
    at.button(key="overview_setup_submit").click().run()
    assert not at.exception, at.exception
    assert "accreditation_body" in at.error[0].value
    assert _sites(empty_url) == []
    at.text_input(key="overview_setup_accreditation_body").input("COFRAC")
    at.button(key="overview_setup_submit").click().run()
    assert not at.error, at.error
    assert "Set up Acme Calibration with master site MAIN" in at.success[0].value
    assert _sites(empty_url) == [("MAIN", True)]
    at.button(key="overview_setup_done").click().run()
    assert not at.exception, at.exception
    assert "Acme Calibration" in at.caption[0].value
    assert len(at.metric) == 4


def test_lab_sites_page_managers_edit_others_read(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _signed_in(empty_url, monkeypatch, "admin")
    at.switch_page("calib/ui/lab_sites.py").run()
    assert not at.exception, at.exception
    assert "no lab yet" in at.info[0].value
    at.switch_page("calib/ui/overview.py").run()
    at.text_input(key="overview_setup_name").input("Acme")
    at.text_input(key="overview_setup_site_code").input("MAIN")
    at.text_input(key="overview_setup_site_name").input("Main")
    at.button(key="overview_setup_submit").click().run()
    at.switch_page("calib/ui/lab_sites.py").run()
    assert not at.exception, at.exception
    at.text_input(key="lab_sites_add_code").input("NORTH")
    at.text_input(key="lab_sites_add_name").input("North")
    at.button(key="lab_sites_add_submit").click().run()
    assert "Added site NORTH" in at.success[0].value
    at.text_input(key="lab_sites_add_code").input("north")
    at.text_input(key="lab_sites_add_name").input("Again")
    at.button(key="lab_sites_add_submit").click().run()
    assert at.error[0].value.startswith("code:")
    assert _sites(empty_url) == [("MAIN", True), ("NORTH", False)]
    site_id = _site_id(empty_url, "MAIN")
    at.checkbox(key=f"lab_sites_edit_{site_id}_master").uncheck()
    at.button(key="lab_sites_edit_submit").click().run()
    assert at.error[0].value.startswith("is_master:")
    at.selectbox(key="lab_sites_edit_choice").select_index(1).run()
    north = _site_id(empty_url, "NORTH")
    at.checkbox(key=f"lab_sites_edit_{north}_master").check()
    at.text_input(key=f"lab_sites_edit_{north}_city").input("Ghent")
    at.button(key="lab_sites_edit_submit").click().run()
    assert not at.error, at.error
    assert _sites(empty_url) == [("MAIN", False), ("NORTH", True)]
    at.text_input(key="lab_sites_lab_legal_entity").input("Acme SA")
    at.button(key="lab_sites_lab_submit").click().run()
    assert "Saved legal_entity of the lab" in at.success[0].value
    listed = at.dataframe[1].value
    assert list(listed["code"]) == ["NORTH", "MAIN"]
    assert list(listed["city"]) == ["Ghent", ""]
    for role in ("staff", "assessor"):
        other = _signed_in(empty_url, monkeypatch, role)
        other.switch_page("calib/ui/lab_sites.py").run()
        assert not other.exception, other.exception
        assert not any(k.startswith("lab_sites_") for k in _keys(other))
        lab_table = other.dataframe[0].value
        assert "Acme SA" in set(lab_table["value"])
    engine = _engine(empty_url)
    with Session(engine) as session:
        assert session.exec(select(Lab)).one().legal_entity == "Acme SA"
    engine.dispose()


def _site_id(url: str, code: str) -> int:
    engine = _engine(url)
    with Session(engine) as session:
        site = session.exec(select(Site).where(Site.code == code)).one()
    engine.dispose()
    return int(site.id or 0)
