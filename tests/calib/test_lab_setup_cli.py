"""`calib lab init|add-site|update-site|list-sites`, and a real lab from an EMPTY database:
db upgrade → user add → lab init → add-site → add-person → authorise → add-procedure →
add-scope-line → log-job, every step exit 0 (no demo anywhere)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from calib.cli import app
from calib.db import make_engine
from calib.records import AuditEntry, Job, Lab, Site


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``calib`` on an empty database (SQLite and PostgreSQL)."""
    monkeypatch.setenv("CALIB_DATABASE_URL", db_url)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return invoke


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def _rows(db_url: str, model: type[Lab] | type[Site] | type[Job] | type[AuditEntry]) -> int:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return int(session.exec(select(func.count()).select_from(model)).one())
    finally:
        engine.dispose()


def test_real_lab_from_an_empty_database_end_to_end(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    today = dt.date.today()
    _ok(cli("db", "upgrade"))
    _ok(cli("user", "add", "alice", "--role", "admin", "--password", "a-long-passphrase-1"))
    result = _ok(
        cli(
            "lab", "init", "--name", "Acme Calibration", "--site-code", "MAIN",
            "--site-name", "Main laboratory", "--legal-entity", "Acme SA",
            "--accreditation-body", "COFRAC", "--accreditation-number", "2-1234",
        )
    )  # fmt: skip
    assert "master site MAIN" in result.stdout
    _ok(cli("lab", "add-site", "--code", "NORTH", "--name", "North", "--city", "Ghent"))
    _ok(cli("lab", "add-person", "--name", "Zoe Weber", "--site", "MAIN"))
    _ok(cli("lab", "add-person", "--name", "Bruno Keller", "--site", "MAIN"))
    _ok(
        cli(
            "lab", "add-procedure", "--code", "CP-TMP-01", "--title", "Thermometers",
            "--quantity", "temperature",
            "--effective-from", (today - dt.timedelta(days=30)).isoformat(),
        )
    )  # fmt: skip
    for person in ("Zoe Weber", "Bruno Keller"):
        _ok(
            cli(
                "lab", "authorise", "--person", person, "--procedure", "CP-TMP-01",
                "--from", (today - dt.timedelta(days=1)).isoformat(),
                "--until", (today + dt.timedelta(days=365)).isoformat(),
            )
        )  # fmt: skip
    _ok(
        cli(
            "evidence", "add-scope-line", "--code", "SL-TMP-01",
            "--measurand", "Temperature, PRT", "--range-min", "-40", "--range-max", "150",
            "--unit", "degC", "--cmc", "0.02", "--cmc-unit", "degC", "--procedure", "CP-TMP-01",
        )
    )  # fmt: skip
    _ok(cli("lab", "add-customer", "--name", "Apex Foods"))
    _ok(
        cli(
            "lab", "log-job", "--site", "MAIN", "--customer", "Apex Foods",
            "--procedure", "CP-TMP-01", "--item", "PRT 100", "--received", today.isoformat(),
            "--due", (today + dt.timedelta(days=10)).isoformat(),
            "--performer", "Zoe Weber", "--authoriser", "Bruno Keller",
        )
    )  # fmt: skip
    sites = json.loads(_ok(cli("lab", "list-sites", "--json")).stdout)["sites"]
    assert [(s["code"], s["is_master"]) for s in sites] == [("MAIN", True), ("NORTH", False)]
    assert (_rows(db_url, Lab), _rows(db_url, Job)) == (1, 1)
    _ok(cli("audit", "verify"))


def test_init_twice_and_bad_input_exit_2_naming_the_field(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    _ok(cli("db", "upgrade"))
    result = cli("lab", "add-site", "--code", "MAIN", "--name", "Main")
    assert result.exit_code == 2 and "lab init" in result.output
    result = cli("lab", "init", "--name", " ", "--site-code", "MAIN", "--site-name", "Main")
    assert result.exit_code == 2 and "name must not be empty" in result.output
    result = cli(
        "lab", "init", "--name", "Lab", "--site-code", "MAIN", "--site-name", "Main",
        "--accreditation-number", "2-1234",
    )  # fmt: skip
    assert result.exit_code == 2 and "accreditation_body" in result.output
    result = cli("lab", "init", "--name", "Lab", "--site-code", "M 1", "--site-name", "Main")
    assert result.exit_code == 2 and "code must be" in result.output
    assert (_rows(db_url, Lab), _rows(db_url, Site), _rows(db_url, AuditEntry)) == (0, 0, 0)
    _ok(cli("lab", "init", "--name", "Lab", "--site-code", "MAIN", "--site-name", "Main"))
    result = cli("lab", "init", "--name", "Lab 2", "--site-code", "X", "--site-name", "X")
    assert result.exit_code == 2 and "already has a lab" in result.output
    result = cli("lab", "add-site", "--code", "main", "--name", "Again")
    assert result.exit_code == 2 and "code: site" in result.output
    assert (_rows(db_url, Lab), _rows(db_url, Site)) == (1, 1)
    result = cli("lab", "update-lab", "--accreditation-number", "2-1234")
    assert result.exit_code == 2 and "accreditation_body" in result.output
    result = cli("lab", "update-lab")
    assert result.exit_code == 2 and "nothing to change" in result.output
    saved = _ok(cli("lab", "update-lab", "--accreditation-body", "COFRAC",
                    "--accreditation-number", "2-1234", "--json"))  # fmt: skip
    assert json.loads(saved.stdout)["record"]["accreditation_number"] == "2-1234"


def test_add_and_update_sites_move_the_master_flag(cli) -> None:  # type: ignore[no-untyped-def]
    _ok(cli("db", "upgrade"))
    _ok(cli("lab", "init", "--name", "Lab", "--site-code", "MAIN", "--site-name", "Main"))
    added = json.loads(
        _ok(cli("lab", "add-site", "--code", "EAST", "--name", "East", "--json")).stdout
    )
    assert (added["created"], added["record"]["is_master"]) == ("site", False)
    _ok(cli("lab", "update-site", "EAST", "--master", "--city", "Ghent"))
    sites = json.loads(_ok(cli("lab", "list-sites", "--json")).stdout)["sites"]
    assert [(s["code"], s["is_master"], s["city"]) for s in sites] == [
        ("EAST", True, "Ghent"),
        ("MAIN", False, ""),
    ]
    _ok(cli("lab", "add-site", "--code", "WEST", "--name", "West", "--master"))
    table = _ok(cli("lab", "list-sites")).stdout
    assert table.splitlines()[1].split()[1:3] == ["WEST", "True"]
    result = cli("lab", "update-site", "WEST")
    assert result.exit_code == 2 and "nothing to change" in result.output
    result = cli("lab", "update-site", "SOUTH", "--name", "S")
    assert result.exit_code == 2 and "--site" in result.output
    result = cli("lab", "update-site", "EAST", "--code", "WEST")
    assert result.exit_code == 2 and "code:" in result.output


def test_cli_operator_is_the_os_login_as_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    from calib.cli_support import cli_operator

    monkeypatch.setattr(getpass, "getuser", lambda: "chiara")
    assert (cli_operator().username, cli_operator().role) == ("cli:chiara", "admin")

    def no_login() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_login)
    assert cli_operator().username == "cli:operator"
