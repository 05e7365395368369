"""Each finding code of CONTRACTS section 4 on a small register, and an all-clear register."""

from __future__ import annotations

from trace_helpers import base, cert, codes, issuer, verdicts

from traceability.findings import FINDING_CODES


def test_all_clear_register_has_no_findings() -> None:
    """NMI -> accredited lab -> own accredited lab, all current, in scope, TUR >= 4."""
    result = verdicts(base())
    assert set(result) == {"C-010", "C-050", "C-101"}
    for verdict in result.values():
        assert verdict.traceable
        assert verdict.findings == ()
    assert result["C-101"].chain == ("C-101", "C-050", "C-010")


def test_contract_severities() -> None:
    """CONTRACTS section 4: ISSUER_NOT_ILAC_MRA conditional, TUR and SUPERSEDED warn, rest fail."""
    assert FINDING_CODES["ISSUER_NOT_ILAC_MRA"].severity == "conditional"
    assert FINDING_CODES["TUR_BELOW_MINIMUM"].severity == "warn"
    assert FINDING_CODES["REFERENCE_SUPERSEDED"].severity == "warn"
    for code in (
        "NO_VALID_CERTIFICATE",
        "REFERENCE_EXPIRED_AT_USE",
        "REFERENCE_QUARANTINED_AT_USE",
        "CHAIN_CYCLE",
        "CHAIN_NOT_TERMINATED",
        "ACCREDITATION_INVALID_AT_CALIBRATION_DATE",
        "OUTSIDE_ACCREDITED_SCOPE",
        "UNCERTAINTY_BELOW_REFERENCE",
        "UNCERTAINTY_BELOW_CMC",
    ):
        assert FINDING_CODES[code].severity == "fail", code
        assert FINDING_CODES[code].clause


def test_no_valid_certificate_when_latest_calibration_expired() -> None:
    result = verdicts(base(), as_of="2025-06-01")
    assert "NO_VALID_CERTIFICATE" in codes(result["C-101"])
    assert not result["C-101"].traceable
    finding = next(f for f in result["C-101"].findings if f.code == "NO_VALID_CERTIFICATE")
    assert finding.evidence == ("DMM-3", "C-101")


def test_no_valid_certificate_not_raised_for_retired_instrument() -> None:
    doc = base()
    doc["instruments"][2]["status"] = "retired"
    assert "NO_VALID_CERTIFICATE" not in codes(verdicts(doc, "2025-06-01")["C-101"])


def test_expired_certificate_of_a_reference_does_not_break_its_earlier_use() -> None:
    """PITFALLS: a past result is judged as of its own date; C-050 stays traceable in 2026."""
    doc = base()
    cert(doc, "C-050")["due"] = "2030-01-01"
    result = verdicts(doc, as_of="2026-06-01")
    assert result["C-050"].traceable  # C-010 expired 2025-01-10, after its use in 2024
    assert "REFERENCE_EXPIRED_AT_USE" not in codes(result["C-050"])


def test_reference_expired_at_use() -> None:
    doc = base()
    cert(doc, "C-050")["calibrated_on"] = "2025-02-01"
    cert(doc, "C-050")["due"] = "2026-02-01"
    cert(doc, "C-101")["calibrated_on"] = "2025-03-01"
    cert(doc, "C-101")["due"] = "2026-03-01"
    result = verdicts(doc, as_of="2025-06-01")
    assert "REFERENCE_EXPIRED_AT_USE" in codes(result["C-050"])
    assert not result["C-050"].traceable
    assert "REFERENCE_NOT_TRACEABLE" in codes(result["C-101"])
    assert not result["C-101"].traceable


def test_reference_used_on_its_due_date_is_valid() -> None:
    doc = base()
    cert(doc, "C-050")["calibrated_on"] = "2025-01-10"
    cert(doc, "C-050")["due"] = "2026-01-10"
    cert(doc, "C-101")["calibrated_on"] = "2025-03-01"
    cert(doc, "C-101")["due"] = "2026-03-01"
    assert verdicts(doc, "2025-06-01")["C-050"].traceable


def test_reference_not_yet_calibrated_at_use() -> None:
    doc = base()
    cert(doc, "C-101")["calibrated_on"] = "2024-01-01"
    result = verdicts(doc)
    assert "REFERENCE_NOT_YET_CALIBRATED_AT_USE" in codes(result["C-101"])


def test_reference_quarantined_at_use() -> None:
    doc = base()
    doc["events"] = [
        {"instrument": "CAL-2", "kind": "quarantine", "on": "2024-02-01", "id": "EV-1"}
    ]
    result = verdicts(doc)
    assert "REFERENCE_QUARANTINED_AT_USE" in codes(result["C-101"])
    finding = next(f for f in result["C-101"].findings if f.code == "REFERENCE_QUARANTINED_AT_USE")
    assert "EV-1" in finding.evidence
    assert not result["C-101"].traceable


def test_reference_returned_to_service_before_use_is_fine() -> None:
    doc = base()
    doc["events"] = [
        {"instrument": "CAL-2", "kind": "quarantine", "on": "2024-02-01"},
        {"instrument": "CAL-2", "kind": "returned_to_service", "on": "2024-02-15"},
    ]
    assert verdicts(doc)["C-101"].traceable


def test_quarantine_after_use_does_not_break_earlier_calibration() -> None:
    doc = base()
    doc["events"] = [{"instrument": "CAL-2", "kind": "out_of_tolerance", "on": "2024-04-01"}]
    assert verdicts(doc)["C-101"].traceable


def test_reference_superseded_before_use_warns() -> None:
    doc = base()
    amended = dict(cert(doc, "C-050"), id="C-050A", supersedes="C-050", issued_on="2024-02-01")
    doc["certificates"].append(amended)
    result = verdicts(doc)
    assert codes(result["C-101"]) == {"REFERENCE_SUPERSEDED"}
    assert result["C-101"].traceable


def test_reference_superseded_after_use_is_not_a_finding() -> None:
    doc = base()
    amended = dict(cert(doc, "C-050"), id="C-050A", supersedes="C-050", issued_on="2024-05-01")
    doc["certificates"].append(amended)
    assert verdicts(doc)["C-101"].findings == ()


def test_chain_cycle() -> None:
    doc = base()
    cert(doc, "C-010")["references"] = ["C-101"]
    result = verdicts(doc)
    for cert_id in ("C-010", "C-050", "C-101"):
        assert "CHAIN_CYCLE" in codes(result[cert_id])
        assert not result[cert_id].traceable
    finding = next(f for f in result["C-010"].findings if f.code == "CHAIN_CYCLE")
    assert finding.evidence == ("C-010", "C-050", "C-101")
    assert result["C-101"].chain == ("C-101", "C-050", "C-010")


def test_self_reference_is_a_cycle() -> None:
    doc = base()
    cert(doc, "C-101")["references"] = ["C-101"]
    assert "CHAIN_CYCLE" in codes(verdicts(doc)["C-101"])


def test_upstream_of_a_cycle_is_not_traceable_without_cycle_finding() -> None:
    doc = base()
    cert(doc, "C-050")["references"] = ["C-050"]
    result = verdicts(doc)
    assert "CHAIN_CYCLE" not in codes(result["C-101"])
    assert "REFERENCE_NOT_TRACEABLE" in codes(result["C-101"])


def test_chain_not_terminated() -> None:
    doc = base()
    issuer(doc, "NMI-X")["kind"] = "other"
    result = verdicts(doc)
    assert {"CHAIN_NOT_TERMINATED", "ISSUER_NOT_ILAC_MRA"} <= codes(result["C-010"])
    assert not result["C-010"].traceable
    assert not result["C-101"].traceable


def test_issuer_not_ilac_mra_is_conditional() -> None:
    doc = base()
    doc["accreditation_bodies"][0]["ilac_mra"] = False
    result = verdicts(doc)
    assert codes(result["C-050"]) == {"ISSUER_NOT_ILAC_MRA"}
    assert result["C-050"].traceable  # conditional keeps it traceable
    assert result["C-101"].traceable


def test_issuer_not_ilac_mra_lifted_by_evidence() -> None:
    doc = base()
    doc["accreditation_bodies"][0]["ilac_mra"] = False
    issuer(doc, "LAB-A")["traceability_evidence"] = "EV-P10-7"
    issuer(doc, "OWN")["traceability_evidence"] = "EV-P10-8"
    result = verdicts(doc)
    assert result["C-050"].findings == ()


def test_accreditation_invalid_at_calibration_date() -> None:
    doc = base()
    issuer(doc, "LAB-A")["accreditation"]["valid_until"] = "2023-12-31"
    result = verdicts(doc)
    assert "ACCREDITATION_INVALID_AT_CALIBRATION_DATE" in codes(result["C-050"])
    assert not result["C-050"].traceable


def test_accreditation_expired_after_calibration_is_fine() -> None:
    doc = base()
    issuer(doc, "LAB-A")["accreditation"]["valid_until"] = "2024-01-15"
    assert verdicts(doc, "2024-12-01")["C-050"].traceable


def test_outside_accredited_scope() -> None:
    doc = base()
    issuer(doc, "LAB-A")["cmcs"][0]["max"] = 5
    result = verdicts(doc)
    assert "OUTSIDE_ACCREDITED_SCOPE" in codes(result["C-050"])


def test_nmi_point_outside_its_cmcs() -> None:
    doc = base()
    cert(doc, "C-010")["points"][0]["value"] = 100
    assert "OUTSIDE_ACCREDITED_SCOPE" in codes(verdicts(doc)["C-010"])


def test_scope_in_other_quantity_does_not_cover() -> None:
    doc = base()
    issuer(doc, "LAB-A")["cmcs"][0]["quantity"] = "AC voltage"
    assert "OUTSIDE_ACCREDITED_SCOPE" in codes(verdicts(doc)["C-050"])


def test_scope_not_recorded_warns() -> None:
    doc = base()
    issuer(doc, "OWN")["cmcs"] = []
    result = verdicts(doc)
    assert codes(result["C-101"]) == {"SCOPE_NOT_RECORDED"}
    assert result["C-101"].traceable


def test_uncertainty_below_cmc_after_unit_normalisation() -> None:
    """C-050 in mV against a CMC in V: U = 0.01 mV (u = 5e-6 V) < CMC u = 1e-5 V."""
    doc = base()
    cert(doc, "C-050")["points"][0]["expanded_uncertainty"] = 0.01
    assert "UNCERTAINTY_BELOW_CMC" in codes(verdicts(doc)["C-050"])


def test_uncertainty_equal_to_cmc_is_fine() -> None:
    """U = 0.02 mV, k = 2 is exactly the CMC 2e-5 V, k = 2."""
    doc = base()
    cert(doc, "C-050")["points"][0]["expanded_uncertainty"] = 0.02
    assert "UNCERTAINTY_BELOW_CMC" not in codes(verdicts(doc)["C-050"])


def test_uncertainty_compared_after_k_normalisation() -> None:
    """U = 0.03 mV looks larger than the CMC U = 0.02 mV, but with k = 4 u = 7.5e-6 V < 1e-5 V."""
    doc = base()
    point = cert(doc, "C-050")["points"][0]
    point["expanded_uncertainty"], point["coverage_factor"] = 0.03, 4
    assert "UNCERTAINTY_BELOW_CMC" in codes(verdicts(doc)["C-050"])
    point["coverage_factor"] = 3  # u = 1e-5 V: equal, fine
    assert "UNCERTAINTY_BELOW_CMC" not in codes(verdicts(doc)["C-050"])


def test_uncertainty_below_reference() -> None:
    doc = base()
    issuer(doc, "OWN")["cmcs"][0]["expanded_uncertainty"] = 1e-5
    cert(doc, "C-101")["points"][0]["expanded_uncertainty"] = 4e-5  # u 2e-5 V < 2.5e-5 V
    result = verdicts(doc)
    assert codes(result["C-101"]) == {"UNCERTAINTY_BELOW_REFERENCE"}
    finding = result["C-101"].findings[0]
    assert finding.evidence == ("C-101", "C-050")


def test_point_level_reference_only_serves_its_quantity() -> None:
    doc = base()
    issuer(doc, "OWN")["cmcs"][0]["expanded_uncertainty"] = 1e-5
    cert(doc, "C-101")["points"][0]["expanded_uncertainty"] = 4e-5
    cert(doc, "C-101")["references"] = [{"certificate": "C-050", "quantity": "AC voltage"}]
    assert "UNCERTAINTY_BELOW_REFERENCE" not in codes(verdicts(doc)["C-101"])


def test_tur_below_minimum_warns() -> None:
    doc = base()
    cert(doc, "C-101")["points"][0]["tolerance"] = 4e-4  # TUR = 4e-4 / 1.2e-4 = 3.3
    result = verdicts(doc)
    assert codes(result["C-101"]) == {"TUR_BELOW_MINIMUM"}
    assert result["C-101"].traceable


def test_tur_exactly_at_minimum_is_fine() -> None:
    """tolerance ±1 mV, U95 = 0.25 mV: TUR = 2 / (2 × 0.25) = 4 = minimum."""
    doc = base()
    point = cert(doc, "C-050")["points"][0]
    point["tolerance"], point["expanded_uncertainty"] = 1.0, 0.25
    assert "TUR_BELOW_MINIMUM" not in codes(verdicts(doc)["C-050"])
    doc["tur_minimum"] = 4.5
    assert "TUR_BELOW_MINIMUM" in codes(verdicts(doc)["C-050"])


def test_certificates_issued_after_as_of_are_not_listed() -> None:
    assert set(verdicts(base(), "2024-02-01")) == {"C-010", "C-050"}


def test_temperature_offset_units_are_normalised() -> None:
    """CMC in degC, point in K: 323.15 K is 50 degC (value with offset), U as a difference."""
    doc = base()
    issuer(doc, "LAB-A")["cmcs"].append(
        {
            "quantity": "temperature",
            "min": -40,
            "max": 150,
            "unit": "degC",
            "expanded_uncertainty": 0.02,
            "coverage_factor": 2,
        }
    )
    point = {"quantity": "temperature", "value": 323.15, "unit": "K", "expanded_uncertainty": 0.02}
    cert(doc, "C-050")["points"].append(point)
    assert verdicts(doc)["C-050"].findings == ()
    point["expanded_uncertainty"] = 0.018
    assert codes(verdicts(doc)["C-050"]) == {"UNCERTAINTY_BELOW_CMC"}
    point["value"] = 500.0  # 226.85 degC: outside -40..150 degC
    assert "OUTSIDE_ACCREDITED_SCOPE" in codes(verdicts(doc)["C-050"])
