"""`calib lab` on the demo lab: each command's success, its JSON, and exit 2 naming the
field with nothing stored."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from calib.cli import app
from calib.records import AuditEntry, Authorisation, Customer, Job, Person, Procedure


@pytest.fixture
def run(demo_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["lab", *args])

    return invoke


def _audit_count(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(AuditEntry)).one())


def test_people_authorisations_and_jobs_end_to_end(run, demo_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    result = run("add-person", "--name", "Zoe Weber", "--site", "NORTH", "--json")
    assert result.exit_code == 0, result.output
    person = json.loads(result.stdout)["record"]
    assert (person["name"], person["active"]) == ("Zoe Weber", True)
    result = run(
        "add-training", "--person", "Zoe Weber", "--title", "Thermometry",
        "--completed-on", "2026-10-01",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    today = dt.date.today()
    result = run(
        "authorise", "--person", "Zoe Weber", "--procedure", "CP-TMP-01",
        "--from", (today - dt.timedelta(days=1)).isoformat(),
        "--until", (today + dt.timedelta(days=365)).isoformat(), "--by", "Bruno Keller", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    auth_id = json.loads(result.stdout)["record"]["id"]
    result = run("list-authorisations", "--person", "Zoe Weber", "--json")
    (row,) = json.loads(result.stdout)["authorisations"]
    assert (row["procedure"], row["authorised_by"], row["state"]) == (
        "CP-TMP-01", "Bruno Keller", "current",
    )  # fmt: skip
    result = run("matrix", "--site", "NORTH", "--json")
    people = {p["person"]: p["authorised"] for p in json.loads(result.stdout)["people"]}
    assert set(people["Zoe Weber"]) == {"CP-TMP-01"}
    result = run(
        "log-job", "--site", "NORTH", "--customer", "1", "--procedure", "CP-TMP-01",
        "--item", "Thermocouple R", "--received", today.isoformat(),
        "--due", (today + dt.timedelta(days=10)).isoformat(), "--performer", "Zoe Weber",
        "--instrument", "REF-TMP-01", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    job = json.loads(result.stdout)["record"]
    assert (job["status"], job["performed_by_id"]) == ("in_progress", person["id"])
    assert job["instruments"] == ["REF-TMP-01"]
    result = run("list-jobs", "--procedure", "CP-TMP-01", "--site", "NORTH", "--json")
    listed = json.loads(result.stdout)["jobs"][0]
    assert (listed["id"], listed["instruments"]) == (job["id"], ["REF-TMP-01"])
    result = run("withdraw-authorisation", str(auth_id), "--on", today.isoformat())
    assert result.exit_code == 0, result.output
    assert f"ends on {today - dt.timedelta(days=1)}" in result.stdout
    with Session(demo_engine) as s:
        auth = s.get(Authorisation, auth_id)
        assert auth is not None and auth.valid_until == today - dt.timedelta(days=1)


def test_customers_and_procedures(run, demo_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    result = run("add-customer", "--name", "Zenith Optics", "--contact-email", "qa@zenith.example")
    assert result.exit_code == 0, result.output
    result = run("list-customers", "--json")
    assert "Zenith Optics" in {c["name"] for c in json.loads(result.stdout)["customers"]}
    result = run("add-procedure", "--code", "CP-HUM-01", "--title", "Hygrometer", "--json")
    assert json.loads(result.stdout)["record"]["status"] == "draft"
    result = run("revise-procedure", "--code", "CP-MAS-01", "--effective-from", "2026-11-01")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "added CP-MAS-01 v2 (approved)"
    result = run("list-procedures", "--json")
    rows = [p for p in json.loads(result.stdout)["procedures"] if p["code"] == "CP-MAS-01"]
    assert [(p["version"], p["status"]) for p in rows] == [(1, "approved"), (2, "approved")]
    result = run("list-people", "--site", "MAIN")
    assert result.exit_code == 0 and "Alice Martin" in result.stdout


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("add-person", "--name", " ", "--site", "MAIN"), "name"),
        (("add-person", "--name", "X", "--site", "SOUTH"), "--site"),
        (("add-person", "--name", "X", "--site", "MAIN", "--email", "x"), "email"),
        (("add-customer", "--name", "X", "--contact-email", "nope"), "contact_email"),
        (("add-procedure", "--code", "CP-MAS-01", "--title", "Again"), "code"),
        (("authorise", "--person", "Nobody", "--procedure", "CP-MAS-01",
          "--from", "2026-01-01", "--until", "2026-12-31"), "--person"),
        (("authorise", "--person", "Alice Martin", "--procedure", "CP-MAS-01",
          "--from", "2030-01-02", "--until", "2030-01-01"), "valid_until"),
        (("authorise", "--person", "Alice Martin", "--procedure", "CP-MAS-01",
          "--from", "31/12/2030", "--until", "2031-01-01"), "--from must be a date"),
        (("withdraw-authorisation", "999999"), "withdrawn_on"),
        (("log-job", "--site", "MAIN", "--customer", "1", "--procedure", "CP-NONE",
          "--item", "x", "--received", "2026-11-20", "--due", "2026-11-30",
          "--performer", "Alice Martin"), "procedure"),
        (("log-job", "--site", "MAIN", "--customer", "1", "--procedure", "CP-MAS-01",
          "--item", "x", "--received", "2026-11-20", "--due", "2026-11-10",
          "--performer", "Alice Martin"), "due_on"),
        (("log-job", "--site", "MAIN", "--customer", "1", "--procedure", "CP-MAS-01",
          "--item", "x", "--received", "2026-11-20", "--due", "2026-11-30",
          "--performer", "Alice Martin", "--instrument", "NO-SUCH-01"), "instrument_codes"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_field_and_stores_nothing(
    run, demo_engine: Engine, args: tuple[str, ...], field: str
) -> None:  # type: ignore[no-untyped-def]
    before = _audit_count(demo_engine)
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    if field == "withdrawn_on":  # an unknown id names the id field
        assert "authorisation_id" in result.stderr
    else:
        assert field in result.stderr, result.stderr
    assert _audit_count(demo_engine) == before


def test_log_job_refuses_an_unauthorised_performer(run, demo_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    from calib.lab_personnel import valid_authorisation

    today = dt.date.today()
    with Session(demo_engine) as s:
        outsider = next(
            p
            for p in s.exec(select(Person).where(Person.active))  # type: ignore[arg-type]
            if valid_authorisation(s, int(p.id or 0), "CP-TMP-01", today) is None
        )
        jobs = int(s.exec(select(func.count()).select_from(Job)).one())
    result = run(
        "log-job", "--site", "MAIN", "--customer", "1", "--procedure", "CP-TMP-01",
        "--item", "x", "--received", today.isoformat(), "--due", today.isoformat(),
        "--performer", str(outsider.id),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "performed_by_id" in result.stderr and outsider.name in result.stderr
    with Session(demo_engine) as s:
        assert int(s.exec(select(func.count()).select_from(Job)).one()) == jobs
        assert s.exec(select(Customer).where(Customer.name == "x")).first() is None
        assert s.exec(select(Procedure).where(Procedure.code == "CP-NONE")).first() is None
