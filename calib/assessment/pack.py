"""The evidence pack (CONTRACTS.md section 6): write it and verify it.

A pack is a ZIP file (path ending ``.zip``) or a directory holding:

* ``report.pdf``: the human-readable report, one section per requirement;
* ``evidence/*.json`` and ``evidence/*.csv``: the records behind each requirement;
* ``manifest.json``: ``{"generated_at", "as_of", "lab", "site", "files": [{"path",
  "sha256", "bytes"}], "requirements": [{"id", "clause", "title", "status",
  "evidence": [paths]}]}``, listing every file except itself and
  ``manifest.sha256``;
* ``manifest.sha256``: the SHA-256 of ``manifest.json`` in ``sha256sum`` format,
  so a change to the manifest itself is detected too.

Verification recomputes every hash and size; a mismatch, a missing file or a file
not in the manifest makes the pack not ok. The hashes detect changes; they do not
prove who made the pack (no signature).

References
----------
FIPS 180-4 (SHA-256). ISO/IEC 17025:2017 7.5 and 8.4 (technical records, control
of records).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from calib.assessment.catalogue import RequirementStatus, Status
from uncertainty.errors import ConflictError, InvalidInputError

__all__ = [
    "Manifest",
    "ManifestDocument",
    "ManifestFile",
    "ManifestRequirement",
    "PackProblem",
    "VerificationReport",
    "verify_pack",
    "write_pack",
]

MANIFEST = "manifest.json"
MANIFEST_DIGEST = "manifest.sha256"
REPORT = "report.pdf"
_EVIDENCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(json|csv)$")
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


class ManifestFile(BaseModel):
    """One file of the pack with its SHA-256 and size."""

    model_config = ConfigDict(extra="forbid")

    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)


class ManifestRequirement(BaseModel):
    """One requirement's status and the evidence files behind it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    clause: str
    title: str
    status: Status
    evidence: list[str] = Field(default_factory=list)

    @classmethod
    def from_status(cls, status: RequirementStatus, evidence: Sequence[str]) -> ManifestRequirement:
        """From a computed status and the pack paths of its evidence files."""
        return cls(
            id=status.requirement_id,
            clause=status.clause,
            title=status.title,
            status=status.status,
            evidence=list(evidence),
        )


class ManifestDocument(BaseModel):
    """``manifest.json`` of an evidence pack (CONTRACTS.md section 6)."""

    model_config = ConfigDict(extra="forbid")

    generated_at: datetime
    as_of: date
    lab: str
    site: str | None
    files: list[ManifestFile]
    requirements: list[ManifestRequirement]


Manifest = ManifestDocument


class PackProblem(BaseModel):
    """One reason a pack does not verify."""

    model_config = ConfigDict(extra="forbid")

    path: str
    code: Literal["mismatch", "size", "missing", "extra", "manifest", "unreadable", "reference"]
    message: str


class VerificationReport(BaseModel):
    """Result of :func:`verify_pack`."""

    model_config = ConfigDict(extra="forbid")

    ok: bool
    checked: int
    problems: list[PackProblem]
    manifest: ManifestDocument | None = None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_pack(
    path: Path | str,
    *,
    lab: str,
    site: str | None,
    as_of: date,
    requirements: Sequence[ManifestRequirement],
    evidence_files: Mapping[str, bytes],
    report_pdf: bytes,
    generated_at: datetime | None = None,
    overwrite: bool = False,
) -> ManifestDocument:
    """Write an evidence pack and return its manifest.

    Parameters
    ----------
    path:
        ``*.zip`` for a ZIP file, anything else for a directory (created; must be
        empty if it exists).
    evidence_files:
        File name (``name.json`` or ``name.csv``, no folders) -> content; written
        under ``evidence/``.
    requirements:
        Each requirement's status; its ``evidence`` are pack paths
        (``evidence/name.json``) that must be among ``evidence_files``.

    Raises
    ------
    InvalidInputError
        A bad evidence file name, or a requirement citing a file not in the pack.
    ConflictError
        The target exists (and ``overwrite`` is False) or is a non-empty directory.
    """
    files: dict[str, bytes] = {REPORT: report_pdf}
    for name, content in evidence_files.items():
        if not _EVIDENCE_NAME.match(name):
            raise InvalidInputError(
                f"evidence file name {name!r} must be letters, digits, '.', '_' or '-' "
                "ending in .json or .csv, without folders",
                field="evidence_files",
            )
        files[f"evidence/{name}"] = bytes(content)
    for req in requirements:
        for ref in req.evidence:
            if ref not in files:
                raise InvalidInputError(
                    f"requirement {req.id} cites {ref!r}, which is not a file of the pack",
                    field=f"requirements.{req.id}.evidence",
                )
    manifest = ManifestDocument(
        generated_at=generated_at or datetime.now(UTC),
        as_of=as_of,
        lab=lab,
        site=site,
        files=[
            ManifestFile(path=p, sha256=_sha256(data), bytes=len(data))
            for p, data in sorted(files.items())
        ],
        requirements=list(requirements),
    )
    manifest_bytes = (manifest.model_dump_json(indent=2) + "\n").encode("utf-8")
    files[MANIFEST] = manifest_bytes
    files[MANIFEST_DIGEST] = f"{_sha256(manifest_bytes)}  {MANIFEST}\n".encode()
    target = Path(path)
    if target.suffix.lower() == ".zip":
        if target.exists() and not overwrite:
            raise ConflictError(f"{target} exists; pass overwrite=True to replace it")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, files[name])
        temporary = target.with_name(target.name + ".part")
        temporary.write_bytes(buffer.getvalue())
        temporary.replace(target)
    else:
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise ConflictError(f"{target} exists and is not an empty directory")
        (target / "evidence").mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (target / name).write_bytes(data)
    return manifest


def _read_pack(path: Path) -> tuple[dict[str, bytes], list[PackProblem]]:
    problems: list[PackProblem] = []
    files: dict[str, bytes] = {}
    if path.is_dir():
        for item in sorted(path.rglob("*")):
            if item.is_file():
                files[item.relative_to(path).as_posix()] = item.read_bytes()
        return files, problems
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                if info.filename in files:
                    problems.append(
                        PackProblem(
                            path=info.filename,
                            code="extra",
                            message="file appears twice in the ZIP",
                        )
                    )
                    continue
                files[info.filename] = archive.read(info)
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
        problems.append(
            PackProblem(path=str(path), code="unreadable", message=f"cannot read the pack: {exc}")
        )
    return files, problems


def verify_pack(path: Path | str) -> VerificationReport:
    """Recompute every hash of a pack (ZIP or directory) against its manifest.

    Not ok on: an unreadable pack or manifest, a manifest whose SHA-256 differs
    from ``manifest.sha256``, a file whose hash or size differs, a listed file
    missing, a file not listed, or a requirement citing a file not listed.

    References
    ----------
    CONTRACTS.md section 6 (``calib evidence verify``); FIPS 180-4.
    """
    target = Path(path)
    if not target.exists():
        raise InvalidInputError(f"no pack at {target}", field="path")
    files, problems = _read_pack(target)
    if problems and not files:
        return VerificationReport(ok=False, checked=0, problems=problems)
    raw = files.pop(MANIFEST, None)
    digest = files.pop(MANIFEST_DIGEST, None)
    if raw is None:
        problems.append(
            PackProblem(path=MANIFEST, code="missing", message="the pack has no manifest.json")
        )
        return VerificationReport(ok=False, checked=0, problems=problems)
    expected_digest = f"{_sha256(raw)}  {MANIFEST}\n".encode()
    if digest is None:
        problems.append(
            PackProblem(path=MANIFEST_DIGEST, code="missing", message="manifest.sha256 is missing")
        )
    elif digest != expected_digest:
        problems.append(
            PackProblem(
                path=MANIFEST,
                code="mismatch",
                message="manifest.json does not match the SHA-256 recorded in manifest.sha256",
            )
        )
    try:
        manifest = ManifestDocument.model_validate_json(raw)
    except ValidationError as exc:
        problems.append(
            PackProblem(
                path=MANIFEST,
                code="manifest",
                message=f"manifest.json is invalid: {exc.errors()[0]['msg']}",
            )
        )
        return VerificationReport(ok=False, checked=0, problems=problems)
    listed: set[str] = set()
    for entry in manifest.files:
        listed.add(entry.path)
        data = files.get(entry.path)
        if data is None:
            problems.append(
                PackProblem(
                    path=entry.path, code="missing", message="listed in the manifest but absent"
                )
            )
            continue
        if len(data) != entry.bytes:
            problems.append(
                PackProblem(
                    path=entry.path,
                    code="size",
                    message=f"{len(data)} bytes, manifest says {entry.bytes}",
                )
            )
        if _sha256(data) != entry.sha256:
            problems.append(
                PackProblem(
                    path=entry.path, code="mismatch", message="SHA-256 differs from the manifest"
                )
            )
    for name in sorted(set(files) - listed):
        problems.append(
            PackProblem(path=name, code="extra", message="file not listed in the manifest")
        )
    for req in manifest.requirements:
        for ref in req.evidence:
            if ref not in listed:
                problems.append(
                    PackProblem(
                        path=ref,
                        code="reference",
                        message=f"requirement {req.id} cites a file not in the manifest",
                    )
                )
    return VerificationReport(
        ok=not problems, checked=len(manifest.files), problems=problems, manifest=manifest
    )
