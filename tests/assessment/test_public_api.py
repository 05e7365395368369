"""Declared public API, purity, and the pieces working together."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import calib.assessment as assessment
from calib.assessment import (
    ManifestRequirement,
    ReportSection,
    RuleOutcome,
    build_report_pdf,
    combine,
    load_catalogue,
    verify_pack,
    write_pack,
)

EXPECTED = {
    "CERTIFICATION_STEPS", "CONTROL_CHART_FACTORS", "IECQ_ELEMENTS", "RULE_PARAMETERS",
    "CapabilityResult", "Catalogue", "Certificate", "CertificationCycle", "ChartFactors",
    "ConformityRule", "CycleStep", "EnvironmentLimit", "Excursion", "ImpactAssessmentStub",
    "IndexEstimate", "IndividualsChart", "JobInterval", "Manifest", "ManifestDocument",
    "ManifestFile", "ManifestRequirement", "PackProblem", "Reading", "RenderedCertificate",
    "ReportSection", "Requirement", "RequirementStatus", "RuleOutcome", "ScopeIssue",
    "ScopeLine", "ScopeReport", "Signal", "Site", "SourceReference", "VerificationReport",
    "XbarRChart", "XbarRLimits", "add_months", "build_certificates", "build_report_pdf",
    "capability", "certification_cycle", "combine", "consistency_report", "cp_interval",
    "cpk_interval", "detect_excursions", "find_unicode_font", "flag_jobs", "individuals_chart",
    "load_catalogue", "parse_logger_csv", "render_certificate", "render_line", "select_limits",
    "verify_pack", "western_electric_signals", "write_pack", "xbar_r_chart", "xbar_r_limits",
}  # fmt: skip


def test_all_is_the_declared_api() -> None:
    assert set(assessment.__all__) == EXPECTED
    for name in assessment.__all__:
        assert hasattr(assessment, name)


def test_no_database_or_streamlit_import() -> None:
    code = (
        "import sys, calib.assessment; "
        "print([m for m in ('sqlmodel', 'sqlalchemy', 'streamlit') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_catalogue_to_verified_pack(tmp_path: Path) -> None:
    """Statuses from outcomes -> report PDF -> pack -> verify, as the later wave will do."""
    catalogue = load_catalogue()
    statuses = []
    for req in catalogue.requirements:
        state = "fail" if req.id == "ENV-01" else "pass"
        outcomes = [
            RuleOutcome(rule=r.rule, state=state, evidence=[f"{req.id}:1"]) for r in req.conforming
        ]
        statuses.append(combine(req, outcomes))
    evidence = {f"{s.requirement_id}.json": json.dumps(s.model_dump()).encode() for s in statuses}
    pdf = build_report_pdf(
        lab="Example Lab",
        site="HQ",
        as_of=date(2026, 3, 1),
        sections=[
            ReportSection(s.requirement_id, s.clause, s.title, s.status, s.messages)
            for s in statuses
        ],
        generated_at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    manifest = write_pack(
        tmp_path / "pack.zip",
        lab="Example Lab",
        site="HQ",
        as_of=date(2026, 3, 1),
        requirements=[
            ManifestRequirement.from_status(s, [f"evidence/{s.requirement_id}.json"])
            for s in statuses
        ],
        evidence_files=evidence,
        report_pdf=pdf,
    )
    assert {r.status for r in manifest.requirements} == {"conforming", "finding"}
    report = verify_pack(tmp_path / "pack.zip")
    assert report.ok and report.checked == len(statuses) + 1
