"""Setting up rooms, limits and check standards from the services, the pages and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner, Result

from calib.assessment.service import (
    add_check_measurements,
    add_limit,
    create_check_standard,
    create_room,
    list_check_measurements,
    list_limits,
    set_specification_limit,
)
from calib.audit import verify_audit
from calib.permissions import Principal
from calib.records import Site
from uncertainty.errors import InvalidInputError, PermissionDeniedError

STAFF = Principal("staff", "staff")
ASSESSOR = Principal("assessor", "assessor")


def _site_id(session: Session, code: str) -> int:
    site = session.exec(select(Site).where(Site.code == code)).one()
    return int(site.id or 0)


def test_staff_sets_up_room_limit_and_check_standard(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        main = _site_id(session, "MAIN")
        room = create_room(session, STAFF, site_id=main, code="R-NEW", name="New room")
        rid = int(room.id or 0)
        add_limit(session, STAFF, room_id=rid, quantity="Temperature", unit="degC", low=18, high=22)
        assert [(lim.quantity, lim.low, lim.high) for lim in list_limits(session, STAFF, rid)] == [
            ("temperature", 18, 22)
        ]
        cs = create_check_standard(
            session, STAFF, site_id=main, code="CS-NEW", name="1 kg check", unit="mg", nominal=0.0
        )
        csid = int(cs.id or 0)
        set_specification_limit(session, STAFF, csid, lsl=-1.0, usl=1.0)
        at = dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)
        add_check_measurements(session, STAFF, csid, [(at, 0.1, None)], performed_by="A. Smith")
        (m,) = list_check_measurements(session, STAFF, csid)
        assert (m.value, m.performed_by) == (0.1, "A. Smith")
        session.commit()
        assert verify_audit(session).ok


def test_setup_errors_name_the_field_and_assessors_cannot_write(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        main = _site_id(session, "MAIN")
        with pytest.raises(PermissionDeniedError):
            create_room(session, ASSESSOR, site_id=main, code="R-X", name="X")
        with pytest.raises(PermissionDeniedError):
            create_check_standard(session, ASSESSOR, site_id=main, code="C", name="C", unit="g")
        cases: list[tuple[Callable[[], object], str]] = [
            (lambda: create_room(session, STAFF, site_id=main, code=" ", name="X"), "code"),
            (lambda: create_room(session, STAFF, site_id=main, code="R-X", name=""), "name"),
            (lambda: create_room(session, STAFF, site_id=9999, code="R-X", name="X"), "site_id"),
            (
                lambda: add_limit(session, STAFF, room_id=9999, quantity="t", unit="degC"),
                "room_id",
            ),
            (
                lambda: create_check_standard(
                    session, STAFF, site_id=main, code="C-X", name="C", unit=""
                ),
                "unit",
            ),
        ]
        for call, field in cases:
            with pytest.raises(InvalidInputError) as info:
                call()
            assert info.value.field == field
        room = create_room(session, STAFF, site_id=main, code="R-DUP", name="Dup")
        with pytest.raises(InvalidInputError) as info:
            create_room(session, STAFF, site_id=main, code="R-DUP", name="Again")
        assert info.value.field == "code"
        rid = int(room.id or 0)
        with pytest.raises(InvalidInputError) as info:
            add_limit(session, STAFF, room_id=rid, quantity="t", unit="degC", low=22, high=18)
        assert info.value.field == "low"
        with pytest.raises(InvalidInputError) as info:
            add_limit(session, STAFF, room_id=rid, quantity="", unit="degC", low=1)
        assert info.value.field == "quantity"
        session.rollback()


def _sign_in(at: AppTest, username: str, password: str) -> None:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    at.switch_page("calib/ui/assessment_environment.py")
    at.run()
    assert not at.exception, at.exception


def test_staff_adds_room_and_limit_on_the_page(app_test: AppTest) -> None:
    _sign_in(app_test, "staff", "staff-demo")
    app_test.text_input(key="env_new_room_code").input("R-APP")
    app_test.text_input(key="env_new_room_name").input("App room")
    app_test.button(key="FormSubmitter:env_room_form-Add room").click().run()
    assert not app_test.exception, app_test.exception
    assert any("R-APP" in s.value for s in app_test.success)
    rooms = next(f.value for f in app_test.dataframe if "Logging (min)" in f.value.columns)
    assert "R-APP" in set(rooms["Room"])
    room_box = app_test.selectbox(key="env_new_limit_room")
    index = next(i for i, o in enumerate(room_box.options) if o.startswith("R-APP"))
    room_box.select_index(index)
    app_test.text_input(key="env_new_limit_q").input("temperature")
    app_test.text_input(key="env_new_limit_unit").input("degC")
    app_test.text_input(key="env_new_limit_low").input("19.5")
    app_test.text_input(key="env_new_limit_high").input("abc")
    app_test.button(key="FormSubmitter:env_limit_form-Add limit").click().run()
    assert any("high must be a number" in e.value for e in app_test.error)
    app_test.text_input(key="env_new_limit_q").input("temperature")
    app_test.text_input(key="env_new_limit_unit").input("degC")
    app_test.text_input(key="env_new_limit_low").input("19.5")
    app_test.text_input(key="env_new_limit_high").input("20.5")
    app_test.selectbox(key="env_new_limit_room").select_index(index)
    app_test.button(key="FormSubmitter:env_limit_form-Add limit").click().run()
    assert not app_test.exception, app_test.exception
    assert not app_test.error, [e.value for e in app_test.error]
    shown = app_test.selectbox(key="env_room")
    shown.select_index(next(i for i, o in enumerate(shown.options) if o.startswith("R-APP")))
    app_test.run()
    limits = next(f.value for f in app_test.dataframe if "Quantity" in f.value.columns)
    assert list(limits["Low"]) == [19.5] and list(limits["High"]) == [20.5]


def test_assessor_sees_no_setup_form(app_test: AppTest) -> None:
    _sign_in(app_test, "assessor", "assessor-demo")
    keys = {t.key for t in app_test.text_input}
    assert "env_new_room_code" not in keys and "env_new_limit_q" not in keys
    app_test.switch_page("calib/ui/assessment_checks.py")
    app_test.run()
    assert not app_test.exception, app_test.exception
    assert "checks_new_code" not in {t.key for t in app_test.text_input}


def test_cli_setup_commands(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from calib.cli import app

    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["evidence", *args])

    result = run("add-room", "--code", "R-CLI", "--name", "CLI room", "--site", "NORTH", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["record"]["code"] == "R-CLI"
    result = run(
        *("add-limit", "--room", "R-CLI", "--quantity", "humidity", "--unit", "%RH"),
        *("--low", "30", "--high", "70", "--json"),
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["record"]["high"] == 70
    result = run("add-limit", "--room", "NOPE", "--quantity", "t", "--unit", "degC")
    assert result.exit_code == 2 and "room" in result.output
    result = run(
        *("add-check-standard", "--code", "CS-CLI", "--description", "Gauge block", "--unit"),
        *("um", "--site", "MAIN", "--nominal", "0", "--lsl", "-0.5", "--usl", "0.5"),
    )
    assert result.exit_code == 0, result.output
    result = run(
        *("add-check", "--standard", "CS-CLI", "--value", "0.12"),
        *("--date", "2026-11-20", "--by", "B. Jones", "--json"),
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)["record"]
    assert record["value"] == 0.12 and record["performed_by"] == "B. Jones"
    result = run("add-check", "--standard", "CS-CLI", "--value", "1", "--date", "20-11")
    assert result.exit_code == 2 and "--date" in result.output
    result = run("add-room", "--code", "R-CLI", "--name", "Again", "--site", "MAIN")
    assert result.exit_code == 2 and "code" in result.output
