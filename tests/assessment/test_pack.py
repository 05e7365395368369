"""Evidence pack (CONTRACTS.md section 6): write, verify, tamper detection."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calib.assessment.catalogue import RequirementStatus
from calib.assessment.pack import (
    ManifestDocument,
    ManifestRequirement,
    verify_pack,
    write_pack,
)
from uncertainty.errors import ConflictError, InvalidInputError

EVIDENCE = {
    "traceability.json": b'{"chains": [{"standard": "DMM-1", "ok": true}]}',
    "environment.csv": "time,temperature\n2026-03-02T08:00,20.1 \xb0C\n".encode(),
}
REQS = [
    ManifestRequirement(
        id="TRACE-01",
        clause="ISO/IEC 17025:2017 6.5",
        title="Metrological traceability",
        status="conforming",
        evidence=["evidence/traceability.json"],
    ),
    ManifestRequirement.from_status(
        RequirementStatus(
            requirement_id="ENV-01",
            clause="ISO/IEC 17025:2017 6.3",
            title="Environmental controls",
            status="finding",
        ),
        ["evidence/environment.csv"],
    ),
]
WHEN = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def make(path: Path) -> ManifestDocument:
    return write_pack(
        path,
        lab="Example Lab",
        site="HQ",
        as_of=date(2026, 3, 1),
        requirements=REQS,
        evidence_files=EVIDENCE,
        report_pdf=b"%PDF-1.4 fake report",
        generated_at=WHEN,
    )


def test_zip_pack_layout_and_manifest_contract(tmp_path: Path) -> None:
    pack = tmp_path / "pack.zip"
    manifest = make(pack)
    with zipfile.ZipFile(pack) as archive:
        names = set(archive.namelist())
        raw = json.loads(archive.read("manifest.json"))
    assert names == {
        "report.pdf",
        "evidence/traceability.json",
        "evidence/environment.csv",
        "manifest.json",
        "manifest.sha256",
    }
    # CONTRACTS.md section 6 field names, exactly
    assert set(raw) >= {"generated_at", "as_of", "lab", "site", "files", "requirements"}
    assert set(raw["files"][0]) == {"path", "sha256", "bytes"}
    assert set(raw["requirements"][0]) == {"id", "clause", "title", "status", "evidence"}
    assert raw["as_of"] == "2026-03-01"
    assert {f.path for f in manifest.files} == {
        "report.pdf",
        "evidence/traceability.json",
        "evidence/environment.csv",
    }
    report = verify_pack(pack)
    assert report.ok and report.checked == 3 and report.problems == []


def test_sha256_of_a_known_content(tmp_path: Path) -> None:
    """FIPS 180-2 Appendix B.1: SHA-256("abc") = ba7816bf...f20015ad."""
    manifest = write_pack(
        tmp_path / "d",
        lab="L",
        site=None,
        as_of=date(2026, 1, 1),
        requirements=[],
        evidence_files={},
        report_pdf=b"abc",
    )
    assert (
        manifest.files[0].sha256
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert manifest.files[0].bytes == 3


def test_directory_pack_verifies_and_detects_extra_and_missing(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    make(folder)
    assert verify_pack(folder).ok
    (folder / "evidence" / "sneaked.json").write_bytes(b"{}")
    report = verify_pack(folder)
    assert not report.ok and [p.code for p in report.problems] == ["extra"]
    (folder / "evidence" / "sneaked.json").unlink()
    (folder / "report.pdf").unlink()
    report = verify_pack(folder)
    assert not report.ok and [p.code for p in report.problems] == ["missing"]


def _rewrite(zip_path: Path, member: str, mutate: object) -> None:
    with zipfile.ZipFile(zip_path) as archive:
        contents = {n: archive.read(n) for n in archive.namelist()}
    contents[member] = mutate(contents[member])  # type: ignore[operator]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    zip_path.write_bytes(buffer.getvalue())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_byte_change_in_any_file_is_detected(
    tmp_path: Path, data: st.DataObject
) -> None:
    """Property: changing one byte of any file of the pack (the manifest included)
    makes verification fail."""
    pack = tmp_path / "p.zip"
    make(pack)
    assert verify_pack(pack).ok
    with zipfile.ZipFile(pack) as archive:
        names = archive.namelist()
    member = data.draw(st.sampled_from(names))
    with zipfile.ZipFile(pack) as archive:
        size = len(archive.read(member))
    position = data.draw(st.integers(0, size - 1))
    delta = data.draw(st.integers(1, 255))

    def flip(content: bytes) -> bytes:
        changed = bytearray(content)
        changed[position] = (changed[position] + delta) % 256
        return bytes(changed)

    _rewrite(pack, member, flip)
    assert not verify_pack(pack).ok
    pack.unlink()


def test_tampered_file_names_the_path(tmp_path: Path) -> None:
    pack = tmp_path / "p.zip"
    make(pack)
    _rewrite(pack, "evidence/traceability.json", lambda b: b.replace(b"true", b"fals"))
    report = verify_pack(pack)
    assert [(p.path, p.code) for p in report.problems] == [
        ("evidence/traceability.json", "mismatch")
    ]


def test_manifest_change_is_detected_even_when_consistent(tmp_path: Path) -> None:
    pack = tmp_path / "p.zip"
    make(pack)
    _rewrite(pack, "manifest.json", lambda b: b.replace(b'"finding"', b'"conforming"'))
    report = verify_pack(pack)
    assert not report.ok and report.problems[0].path == "manifest.json"


def test_unreadable_and_manifestless_packs(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert [p.code for p in verify_pack(junk).problems] == ["unreadable"]
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "x.txt").write_text("x")
    assert [p.code for p in verify_pack(empty).problems] == ["missing"]
    with pytest.raises(InvalidInputError):
        verify_pack(tmp_path / "absent.zip")


def test_write_refuses_bad_names_dangling_references_and_overwrites(tmp_path: Path) -> None:
    kwargs = dict(lab="L", site=None, as_of=date(2026, 1, 1), report_pdf=b"x")
    with pytest.raises(InvalidInputError, match="evidence file name"):
        write_pack(tmp_path / "a.zip", requirements=[], evidence_files={"../x.json": b""}, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="not a file of the pack"):
        write_pack(tmp_path / "a.zip", requirements=REQS, evidence_files={}, **kwargs)  # type: ignore[arg-type]
    make(tmp_path / "b.zip")
    with pytest.raises(ConflictError):
        make(tmp_path / "b.zip")
    make(tmp_path / "dir")
    with pytest.raises(ConflictError):
        make(tmp_path / "dir")
    (tmp_path / "plain").write_text("x")
    with pytest.raises(ConflictError):
        make(tmp_path / "plain")


def test_manifest_rejects_unknown_fields_and_bad_status() -> None:
    with pytest.raises(ValueError):
        ManifestRequirement.model_validate(
            {"id": "X", "clause": "c", "title": "t", "status": "ok", "evidence": []}
        )
    with pytest.raises(ValueError):
        ManifestDocument.model_validate(
            {
                "generated_at": WHEN.isoformat(),
                "as_of": "2026-01-01",
                "lab": "L",
                "site": None,
                "files": [],
                "requirements": [],
                "extra": 1,
            }
        )


def test_manifest_json_schema_available() -> None:
    schema = ManifestDocument.model_json_schema()
    assert set(schema["required"]) >= {"generated_at", "as_of", "lab", "files", "requirements"}
