"""The evidence pack of the demo lab: it verifies, any tampering is detected, the PDF renders.

CONTRACTS.md section 6; the demo database comes from ``tests/conftest.py`` (as of
2026-11-23) with the assessment demo extension.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from calib.assessment.pack import verify_pack
from calib.permissions import Principal

AS_OF = dt.date(2026, 11, 23)
ASSESSOR = Principal("assessor", "assessor")


@pytest.fixture
def demo_pack(demo_engine: Engine, tmp_path: Path) -> Path:
    from calib.assessment.evidence import build_pack

    target = tmp_path / "pack.zip"
    with Session(demo_engine) as session:
        build_pack(session, ASSESSOR, target, as_of=AS_OF)
    return target


def test_demo_pack_verifies_and_follows_the_contract(demo_pack: Path) -> None:
    report = verify_pack(demo_pack)
    assert report.ok, report.problems
    with zipfile.ZipFile(demo_pack) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    assert {"report.pdf", "manifest.json"} <= names
    assert set(manifest) >= {"generated_at", "as_of", "lab", "site", "files", "requirements"}
    assert manifest["as_of"] == "2026-11-23"
    from calib.assessment import load_catalogue

    ids = [r["id"] for r in manifest["requirements"]]
    assert ids == [r.id for r in load_catalogue().requirements]
    statuses = {r["id"]: r["status"] for r in manifest["requirements"]}
    # The demo's genuine findings (a logging gap and an unassessed excursion, a check
    # standard out of control) and its conforming system records.
    assert statuses["ENV-01"] == "finding"
    assert statuses["EQP-02"] == "finding"
    assert statuses["QMS-01"] == statuses["MR-01"] == statuses["PROC-02"] == "conforming"
    assert sum(s == "conforming" for s in statuses.values()) >= 8
    for req in manifest["requirements"]:
        assert all(path in names for path in req["evidence"])
    env = json.loads(zipfile.ZipFile(demo_pack).read("evidence/ENV-01.json").decode("utf-8"))
    assert env["requirement"]["status"] == "finding"
    assert any(ref.startswith("env_room:") for ref in env["records"])
    assert any(n.startswith("evidence/environment_MAIN-DIM_excursion_") for n in names)
    assert "evidence/check_standard_CS-DCV-10V.csv" in names


def test_demo_pack_findings_carry_their_nonconformity(demo_pack: Path) -> None:
    """ISO/IEC 17025:2017 8.7: each major/minor finding names its NC and corrective actions."""
    findings = json.loads(zipfile.ZipFile(demo_pack).read("evidence/findings.json"))
    graded = {f["reference"]: f for f in findings if f["grade"] == "minor"}
    assert len(graded) == 2
    for finding in graded.values():
        nc = finding["nonconformity"]
        assert nc["id"] == finding["nonconformity_id"] and nc["reference"].startswith("NC-")
        assert (nc["source_table"], nc["source_id"]) == ("assessment_finding", str(finding["id"]))
        assert nc["corrective_actions"] == []
    assert all(f["nonconformity"] is None for f in findings if f["grade"] == "observation")


def _rewrite(pack: Path, target: Path, name: str) -> None:
    with zipfile.ZipFile(pack) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == name:
                data = data[:-1] + bytes([data[-1] ^ 0x01])
            out.writestr(info, data)


def test_tampering_with_any_file_is_detected(demo_pack: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(demo_pack) as archive:
        names = archive.namelist()
    assert len(names) > 10
    for number, name in enumerate(names):
        tampered = tmp_path / f"t{number}.zip"
        _rewrite(demo_pack, tampered, name)
        report = verify_pack(tampered)
        assert not report.ok, name
        assert report.problems


def test_report_pdf_page_one_renders_with_its_text(demo_pack: Path) -> None:
    import pymupdf

    data = zipfile.ZipFile(demo_pack).read("report.pdf")
    document = pymupdf.open(stream=data, filetype="pdf")
    assert document.page_count >= 19  # title, summary, one page per requirement
    page = document[0]
    pixmap = page.get_pixmap(dpi=60)
    samples = pixmap.samples
    assert pixmap.width > 0 and len(set(samples)) > 2  # not a blank page
    text = page.get_text()
    assert "Service assessment evidence report" in text
    assert "Demo Calibration Laboratory" in text
    assert "2026-11-23" in text
    whole = "".join(p.get_text() for p in document)
    assert "ENV-01" in whole and "CS-DCV-10V" in whole
    # The environment section embeds the trace around the excursion as an image.
    env_page = next(p for p in document if "ENV-01 Environmental controls" in p.get_text())
    assert env_page.get_images()


def test_cli_pack_verify_and_status(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calib.cli import app

    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    runner = CliRunner()
    out = tmp_path / "north.zip"
    result = runner.invoke(
        app, ["evidence", "pack", "--out", str(out), "--site", "NORTH", "--as-of", "2026-11-23"]
    )
    assert result.exit_code == 0, result.output
    assert "17 requirements" in result.output
    result = runner.invoke(app, ["evidence", "verify", str(out)])
    assert result.exit_code == 0 and "pack intact" in result.output
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert manifest["site"] == "NORTH"
    tampered = tmp_path / "bad.zip"
    _rewrite(out, tampered, "evidence/ENV-01.json")
    result = runner.invoke(app, ["evidence", "verify", str(tampered)])
    assert result.exit_code == 1
    assert "mismatch: evidence/ENV-01.json" in result.output
    result = runner.invoke(app, ["evidence", "status", "--as-of", "2026-11-23", "--json"])
    assert result.exit_code == 1  # the demo has findings
    document = json.loads(result.output)
    assert len(document["requirements"]) == 17
    result = runner.invoke(app, ["evidence", "status", "--site", "NOWHERE"])
    assert result.exit_code == 2 and "no site 'NOWHERE'" in result.output


def test_cli_env_import(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A logger CSV (semicolon, decimal comma) imported into a room; a re-import is refused."""
    from calib.cli import app

    monkeypatch.setenv("CALIB_DATABASE_URL", demo_url)
    csv_file = tmp_path / "logger.csv"
    rows = ["Timestamp;Temperature (°C);Humidity [%RH]"]
    for hour in range(6):
        value = "22,5" if hour in (2, 3) else "20,1"
        rows.append(f"2026-11-24 0{hour}:00:00;{value};45,0")
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["evidence", "env-import", str(csv_file), "--room", "MAIN-DIM", "--as-of", "2026-11-24"],
    )
    assert result.exit_code == 0, result.output
    assert "imported 12 readings into MAIN-DIM" in result.output
    assert "1 excursions" in result.output
    again = runner.invoke(app, ["evidence", "env-import", str(csv_file), "--room", "MAIN-DIM"])
    assert again.exit_code == 2 and "already imported" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text("time,temperature\n2026-11-24 01:00,abc\n", encoding="utf-8")
    result = runner.invoke(app, ["evidence", "env-import", str(bad), "--room", "MAIN-DIM"])
    assert result.exit_code == 2 and "row" in result.output
