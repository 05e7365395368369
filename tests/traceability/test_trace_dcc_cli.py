"""`calib trace import-dcc` on SQLite and PostgreSQL: exit codes, dry run, all or nothing.

The register is the all-clear one of data/register_ok.json (NMI-X -> LAB-A -> OWN,
DC voltage); the DCC fixtures are written for these tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from typer.testing import CliRunner

from calib.cli import app
from calib.records import AuditEntry
from traceability.records import TraceCertificate, TraceInstrument, TraceIssuer, TracePoint

DATA = Path(__file__).parent / "data"
runner = CliRunner()


@pytest.fixture
def database(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The migrated test database as the CLI's database, loaded with register_ok.json."""
    monkeypatch.setenv("CALIB_DATABASE_URL", db_url)
    loaded = runner.invoke(app, ["trace", "import", str(DATA / "register_ok.json")])
    assert loaded.exit_code == 0, loaded.output
    return engine


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            model.__name__: int(
                session.execute(select(func.count()).select_from(model)).scalar_one()
            )
            for model in (TraceCertificate, TracePoint, TraceInstrument, TraceIssuer, AuditEntry)
        }


def _dcc(tmp_path: Path, name: str = "dcc_single.xml", **replace: str) -> str:
    text = (DATA / name).read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"edited_{name}"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _import(*args: str) -> Any:
    return runner.invoke(app, ["trace", "import-dcc", *args])


def _check(as_of: str = "2024-06-01") -> dict[str, Any]:
    result = runner.invoke(app, ["trace", "check", "--as-of", as_of, "--json"])
    assert result.exit_code in (0, 1), result.output
    return {c["id"]: c for c in json.loads(result.stdout)["certificates"]}


def test_import_then_check_finds_the_certificate(database: Engine) -> None:
    before = _counts(database)
    result = _import(
        str(DATA / "dcc_single.xml"),
        "--issuer",
        "LAB-A",
        "--instrument",
        "DMM-3",
        "--reference",
        "0=C-010",
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["certificate"] == "DCC-2024-0042"
    assert document["issuer"] == {"id": "LAB-A", "created": False}
    assert document["stored"] is True and document["points"] == 1
    after = _counts(database)
    assert after["TraceCertificate"] == before["TraceCertificate"] + 1
    assert after["TracePoint"] == before["TracePoint"] + 1
    # certificate, point, reference, release: each through the audit trail
    assert after["AuditEntry"] >= before["AuditEntry"] + 4
    verdict = _check()["DCC-2024-0042"]
    assert verdict["chain"] == ["DCC-2024-0042", "C-010"]
    assert verdict["traceable"] is True and verdict["instrument"] == "DMM-3"


def test_dry_run_stores_nothing(database: Engine) -> None:
    before = _counts(database)
    result = _import(
        str(DATA / "dcc_list.xml"), "--issuer", "LAB-A", "--instrument", "DMM-3", "--dry-run"
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("would import DCC-LIST-7: 3 point(s)")
    assert "[2] DC voltage 1000.0 mV U=0.006 k=2.0" in result.output
    assert _counts(database) == before
    assert "DCC-LIST-7" not in _check("2024-03-01")


def test_create_issuer_and_instrument_then_match_them_by_lab_and_serial(
    database: Engine, tmp_path: Path
) -> None:
    created = _import(
        str(DATA / "dcc_single.xml"),
        "--issuer",
        "D-K-00001",
        "--create-issuer",
        "accredited_lab",
        "--instrument",
        "DMM-NEW",
        "--create-instrument",
    )
    assert created.exit_code == 0, created.output
    assert "(created: issuer D-K-00001, instrument DMM-NEW)" in created.output
    with Session(database) as session:
        inst = session.execute(
            select(TraceInstrument).where(col(TraceInstrument.code) == "DMM-NEW")
        ).scalar_one()
        assert (inst.manufacturer, inst.model, inst.serial) == (
            "Example Instruments",
            "EX-8846",
            "SN-0012345",
        )
        lab = session.execute(
            select(TraceIssuer).where(col(TraceIssuer.code) == "D-K-00001")
        ).scalar_one()
        assert (lab.kind, lab.name) == ("accredited_lab", "Lab A Calibration")
    # The next DCC of the same lab and item needs no ids: lab code and serial match.
    path = _dcc(tmp_path, **{"DCC-2024-0042": "DCC-2025-0001", "2024-05-0": "2025-05-0"})
    matched = _import(path, "--json")
    assert matched.exit_code == 0, matched.output
    document = json.loads(matched.stdout)
    assert (document["issuer"]["id"], document["instrument"]["id"]) == ("D-K-00001", "DMM-NEW")
    assert document["issuer"]["created"] is False


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--issuer", "NOPE", "--instrument", "DMM-3"], "--issuer"),
        (["--issuer", "LAB-A", "--instrument", "NOPE"], "--instrument"),
        (["--instrument", "DMM-3"], "--issuer"),  # the lab matches no issuer
        (["--issuer", "LAB-A"], "--instrument"),  # the serial matches no instrument
        (["--issuer", "X", "--create-issuer", "club", "--instrument", "DMM-3"], "--create-issuer"),
        (["--create-issuer", "nmi", "--instrument", "DMM-3"], "--issuer"),
        (["--issuer", "LAB-A", "--create-instrument"], "--instrument"),
        (["--issuer", "LAB-A", "--instrument", "DMM-3", "--reference", "0=C-999"], "--reference"),
        (["--issuer", "LAB-A", "--instrument", "DMM-3", "--reference", "5=C-010"], "--reference"),
        (["--issuer", "LAB-A", "--instrument", "DMM-3", "--reference", "C-010"], "--reference"),
    ],
)
def test_bad_options_exit_2_naming_the_option(
    database: Engine, args: list[str], field: str
) -> None:
    before = _counts(database)
    result = _import(str(DATA / "dcc_single.xml"), *args)
    assert result.exit_code == 2, result.output
    assert f"error: {field}:" in result.output
    assert _counts(database) == before


def test_a_failure_after_creating_rolls_everything_back(database: Engine) -> None:
    """Issuer and instrument are created first; the bad reference then undoes them."""
    before = _counts(database)
    result = _import(
        str(DATA / "dcc_single.xml"),
        "--issuer",
        "LAB-NEW",
        "--create-issuer",
        "accredited_lab",
        "--instrument",
        "DMM-NEW",
        "--create-instrument",
        "--reference",
        "0=C-999",
    )
    assert result.exit_code == 2 and "unknown reference certificate 'C-999'" in result.output
    assert _counts(database) == before


def test_refusals_name_the_dcc_element_and_store_nothing(database: Engine, tmp_path: Path) -> None:
    before = _counts(database)
    ok = ["--issuer", "LAB-A", "--instrument", "DMM-3"]
    no_k = _dcc(tmp_path, **{"<si:coverageFactor>2</si:coverageFactor>": ""})
    result = _import(no_k, *ok)
    assert result.exit_code == 2
    assert "si:expandedUnc/si:coverageFactor: an expanded uncertainty without" in result.output
    wrong_ns = _dcc(tmp_path, **{"https://ptb.de/dcc": "https://example.org/dcc"})
    assert "not a DCC" in _import(wrong_ns, *ok).output
    missing = _import(str(tmp_path / "nope.xml"), *ok)
    assert missing.exit_code == 2 and "cannot read" in missing.output
    assert _counts(database) == before
    # The same certificate twice: the second is refused at dcc:uniqueIdentifier.
    assert _import(str(DATA / "dcc_single.xml"), *ok).exit_code == 0
    again = _import(str(DATA / "dcc_single.xml"), *ok)
    assert again.exit_code == 2
    assert "dcc:coreData/dcc:uniqueIdentifier: certificate 'DCC-2024-0042' already exists" in (
        again.output
    )


def test_an_instrument_with_another_serial_is_refused(database: Engine) -> None:
    with Session(database) as session:
        row = session.execute(
            select(TraceInstrument).where(col(TraceInstrument.code) == "DMM-3")
        ).scalar_one()
        row.serial = "SN-OTHER"
        session.commit()
    result = _import(str(DATA / "dcc_single.xml"), "--issuer", "LAB-A", "--instrument", "DMM-3")
    assert result.exit_code == 2
    assert "has serial 'SN-OTHER'" in result.output and "--instrument" in result.output
