"""Scope, certificate, cycle and finding-nonconformity set-up on the pages and the CLI (demo)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, func, select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner, Result

from calib.assessment.records import CertificationStepRecord, ScopeLineRecord


def _open(at: AppTest, username: str, page: str) -> None:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(f"{username}-demo")
    at.button[0].click()
    at.run()
    at.switch_page(f"calib/ui/{page}.py")
    at.run()
    assert not at.exception, at.exception


def _frame(at: AppTest, column: str) -> Any:
    return next(f.value for f in at.dataframe if column in f.value.columns)


def _submit(at: AppTest, form: str, label: str) -> None:
    at.button(key=f"FormSubmitter:{form}-{label}").click().run()
    assert not at.exception, at.exception


def _line_form(at: AppTest, cmc_unit: str) -> None:
    for key, value in (
        ("scope_new_code", "SL-ELE-02"), ("scope_new_measurand", "DC current, shunts"),
        ("scope_new_low", "0"), ("scope_new_high", "20"), ("scope_new_unit", "A"),
        ("scope_new_cmc", "50"), ("scope_new_cmc_unit", cmc_unit),
    ):  # fmt: skip
        at.text_input(key=key).input(value)
    at.selectbox(key="scope_new_procedure").select_index(0)
    _submit(at, "scope_line_form", "Add scope line")


def test_manager_sets_up_scope_lines_certificates_and_cycle(app_test: AppTest) -> None:
    _open(app_test, "manager", "assessment_scopes")
    _line_form(app_test, "V")  # a voltage CMC for a current
    assert any("cmc_unit" in e.value for e in app_test.error), [e.value for e in app_test.error]
    assert "SL-ELE-02" not in set(_frame(app_test, "Wording")["Line"])
    _line_form(app_test, "µA/A")
    assert any("SL-ELE-02 added" in s.value for s in app_test.success)
    vocabulary = _frame(app_test, "Wording")
    row = vocabulary[vocabulary["Line"] == "SL-ELE-02"].iloc[0]
    assert row["Wording"].startswith("DC current, shunts, 0 A to 20 A, CMC 50 µA/A")
    site = app_test.selectbox(key="scope_assign_site")
    site.select_index(next(i for i, o in enumerate(site.options) if o.startswith("NORTH")))
    lines = app_test.multiselect(key="scope_assign_lines")
    lines.select(next(o for o in lines.options if o.startswith("SL-ELE-02")))
    _submit(app_test, "scope_assign_form", "Update site scope")
    assert any("added to NORTH" in s.value for s in app_test.success)
    vocabulary = _frame(app_test, "Wording")
    assert vocabulary[vocabulary["Line"] == "SL-ELE-02"].iloc[0]["Sites"] == "NORTH"
    app_test.text_input(key="scope_cert_number").input("IECQ-DEMO-0002")
    _submit(app_test, "scope_certificate_form", "Issue certificate")  # the demo master is valid
    assert any(e.value.startswith("kind:") for e in app_test.error)
    app_test.date_input(key="cycle_step_date").set_value(dt.date(2026, 11, 21))
    app_test.selectbox(key="cycle_step_key").select("recertification")
    _submit(app_test, "cycle_step_form", "Record step")
    errors = [e.value for e in app_test.error]
    assert "key: record surveillance_2 before recertification" in errors, errors
    app_test.date_input(key="cycle_visit_date").set_value(dt.date(2026, 11, 20))
    app_test.text_input(key="cycle_visit_note").input("No finding")
    _submit(app_test, "cycle_surveillance_form", "Record surveillance")
    assert any("surveillance 2 recorded on 2026-11-20" in s.value for s in app_test.success)
    cycle = _frame(app_test, "State")
    assert cycle[cycle["Step"] == "Surveillance audit 2"].iloc[0]["Done"] == "2026-11-20"


@pytest.mark.parametrize("username", ["staff", "assessor"])
def test_staff_and_assessors_see_no_scope_forms(app_test: AppTest, username: str) -> None:
    _open(app_test, username, "assessment_scopes")
    keys = {t.key for t in app_test.text_input}
    assert not keys & {"scope_new_code", "scope_cert_number", "cycle_body", "cycle_visit_note"}
    assert len(_frame(app_test, "Wording")) == 6  # they still read the vocabulary
    app_test.switch_page("calib/ui/assessment_findings.py").run()
    assert not app_test.exception, app_test.exception
    table = _frame(app_test, "Nonconformity")
    minor = table[table["Grade"] == "minor"]
    assert len(minor) == 2 and all(s.startswith("NC-") for s in minor["Nonconformity"])
    assert set(table[table["Grade"] == "observation"]["Nonconformity"]) == {""}
    assert "finding_ca_cause" not in {t.key for t in app_test.text_input}  # managers only


def test_manager_opens_and_verifies_the_corrective_action_of_a_finding(
    app_test: AppTest,
) -> None:
    _open(app_test, "manager", "assessment_findings")
    app_test.text_input(key="finding_ca_cause").input("Authorisation expiry not tracked")
    app_test.text_input(key="finding_ca_actions").input("Monthly authorisation review")
    _submit(app_test, "finding_ca_form", "Open corrective action")
    assert not app_test.error, [e.value for e in app_test.error]
    app_test.text_input(key="finding_ca_check").input("Two monthly reviews held, no lapse")
    _submit(app_test, "finding_effect_form", "Record effectiveness")
    assert not app_test.error, [e.value for e in app_test.error]
    table = _frame(app_test, "Nonconformity")
    effective = [s for s in table["Nonconformity"] if "verified effective" in s]
    assert len(effective) == 1, list(table["Nonconformity"])


def test_cli_scope_and_cycle_commands(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from calib.cli import app

    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    runner = CliRunner()
    engine = create_engine(demo_url)

    def run(*args: str) -> Result:
        return runner.invoke(app, ["evidence", *args])

    def lines() -> int:
        with Session(engine) as session:
            return int(session.exec(select(func.count()).select_from(ScopeLineRecord)).one())

    line = ("add-scope-line", "--code", "SL-CLI", "--measurand", "Resistance", "--range-min")
    rest = ("0.001", "--range-max", "100", "--unit", "ohm", "--procedure", "CP-ELE-01")
    before = lines()
    for extra, field in (
        (("--cmc", "5", "--cmc-unit", "kg"), "cmc_unit"),
        (("--cmc", "0", "--cmc-unit", "%"), "cmc_value"),
        (("--cmc", "5", "--cmc-unit", "µohm/ohm", "--range-max", "0"), "range_min"),
    ):
        result = run(*line, *rest, *extra)
        assert result.exit_code == 2 and field in result.output, result.output
    result = run(*line, "0.001", "--range-max", "100", "--unit", "ohm", "--procedure", "NOPE",
                 "--cmc", "5", "--cmc-unit", "%")  # fmt: skip
    assert result.exit_code == 2 and "procedure" in result.output
    assert lines() == before  # nothing stored
    result = run(*line, *rest, "--cmc", "5", "--cmc-unit", "µohm/ohm", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["record"]["cmc"] == "5 µohm/ohm"
    result = run("assign-scope", "--site", "NORTH", "--line", "SL-CLI", "--line", "SL-MAS-01")
    assert result.exit_code == 0 and "SL-CLI, SL-MAS-01 added to" in result.output, result.output
    result = run("assign-scope", "--site", "NORTH", "--line", "SL-CLI")
    assert result.exit_code == 2 and "scope_line_id" in result.output
    result = run("assign-scope", "--site", "NOWHERE", "--line", "SL-CLI")
    assert result.exit_code == 2 and "site" in result.output
    result = run("add-certificate", "--number", "X-1", "--kind", "master", "--site", "MAIN")
    assert result.exit_code == 2 and "kind" in result.output  # the demo master is valid
    result = run(
        *("add-certificate", "--number", "X-2", "--kind", "site", "--site", "NORTH"),
        *("--master", "NOPE"),
    )
    assert result.exit_code == 2 and "master" in result.output
    result = run("add-certificate", "--number", "X-3", "--kind", "site", "--site", "NORTH",
                 "--issued-on", "23/11/2026", "--master", "IECQ-DEMO-0001")  # fmt: skip
    assert result.exit_code == 2 and "--issued-on" in result.output
    result = run("add-certificate", "--number", "X-4", "--kind", "site", "--site", "NORTH",
                 "--master", "IECQ-DEMO-0001", "--issued-on", "2026-11-20")  # fmt: skip
    assert result.exit_code == 2 and "already holds IECQ-DEMO-0001-01" in result.output
    result = run(
        "start-cycle", "--certificate", "IECQ-DEMO-0001", "--body", "B", "--standards", "S"
    )
    assert result.exit_code == 2 and "certificate_id" in result.output
    result = run("add-cycle-step", "--step", "coffee", "--date", "2026-11-20")
    assert result.exit_code == 2 and "key" in result.output
    result = run("add-surveillance", "--date", "2026-11-20", "--note", "no finding", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["record"]["key"] == "surveillance_2"
    result = run("add-surveillance", "--date", "2026-11-21")
    assert result.exit_code == 2 and "done_on" in result.output  # no third in three years
    result = run("add-cycle-step", "--step", "recertification", "--date", "2026-11-22")
    assert result.exit_code == 0 and "recertification" in result.output
    with Session(engine) as session:
        keys = {s.key for s in session.exec(select(CertificationStepRecord))}
    assert {"surveillance_1", "surveillance_2", "recertification"} <= keys
    result = run("retire-scope-line", "SL-CLI")
    assert result.exit_code == 0 and "retired scope line SL-CLI" in result.output
    result = run("retire-scope-line", "SL-CLI")
    assert result.exit_code == 2 and "already retired" in result.output
    engine.dispose()
