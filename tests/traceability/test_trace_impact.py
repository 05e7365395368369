"""Out-of-tolerance impact (ISO/IEC 17025:2017 6.4.9, 7.10): window, depth, parameter."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from trace_helpers import base

from traceability.impact import impact_analysis
from traceability.schema import ImpactReportDocument, load_register
from uncertainty.errors import InvalidInputError, NotFoundError

FOUND = date(2024, 6, 10)


def _point(quantity: str, value: float, unit: str = "V") -> dict[str, Any]:
    return {"quantity": quantity, "value": value, "unit": unit, "expanded_uncertainty": 1e-3}


def _doc() -> dict[str, Any]:
    """CAL-2 calibrated 2023-01-15 (C-049) and 2024-01-15 (C-050); found out 2024-06-10."""
    doc = base()
    doc["issuers"].append({"id": "IN", "kind": "other", "traceability_evidence": "EV-1"})
    doc["instruments"] += [{"id": "DMM-5"}, {"id": "W-4"}, {"id": "W-6"}]
    add = doc["certificates"].extend
    add(
        [
            {
                "id": "C-049",
                "instrument": "CAL-2",
                "issuer": "IN",
                "calibrated_on": "2023-01-15",
                "due": "2024-01-15",
                "references": ["C-010"],
                "points": [_point("DC voltage", 10)],
            },
            {  # before the window (used the previous calibration)
                "id": "C-102",
                "instrument": "DMM-5",
                "issuer": "IN",
                "calibrated_on": "2023-12-01",
                "references": ["C-049"],
                "points": [_point("DC voltage", 10)],
            },
            {  # after found_on: not in the window
                "id": "C-103",
                "instrument": "DMM-5",
                "issuer": "IN",
                "calibrated_on": "2024-07-01",
                "references": ["C-050"],
                "points": [_point("DC voltage", 10)],
            },
            {  # used CAL-2 only for AC voltage
                "id": "C-104",
                "instrument": "W-6",
                "issuer": "IN",
                "calibrated_on": "2024-05-01",
                "references": [{"certificate": "C-050", "quantity": "AC voltage"}],
                "points": [_point("AC voltage", 1)],
            },
            {  # depth 2 through C-101 (DC voltage)
                "id": "C-201",
                "instrument": "W-4",
                "issuer": "IN",
                "calibrated_on": "2024-05-15",
                "references": ["C-101"],
                "points": [_point("DC voltage", 5)],
            },
            {  # depth 2 through C-104 (not impacted): not reached
                "id": "C-202",
                "instrument": "W-4",
                "issuer": "IN",
                "calibrated_on": "2024-05-20",
                "references": ["C-104"],
                "points": [_point("AC voltage", 1)],
            },
        ]
    )
    doc["events"] = [
        {
            "instrument": "CAL-2",
            "kind": "out_of_tolerance",
            "on": "2024-06-10",
            "quantity": "DC voltage",
            "value": 10,
            "unit": "V",
            "error": 6.2e-5,
        }
    ]
    return doc


def _by_id(doc: dict[str, Any], **options: Any) -> dict[str, Any]:
    result = impact_analysis(load_register(doc), "CAL-2", FOUND, **options)
    return {a.certificate: a for a in result.affected}


def test_window_from_last_good_calibration() -> None:
    result = impact_analysis(load_register(_doc()), "CAL-2", FOUND)
    assert result.window == (date(2024, 1, 15), FOUND)
    affected = {a.certificate: a for a in result.affected}
    assert set(affected) == {"C-101", "C-104", "C-201"}  # not C-102 (before), C-103 (after)
    assert affected["C-101"].impacted and affected["C-101"].depth == 1
    assert affected["C-201"].impacted and affected["C-201"].depth == 2


def test_parameter_specific_impact() -> None:
    """PITFALLS: found out at 10 V DC does not impact work on the AC function."""
    affected = _by_id(_doc())
    assert not affected["C-104"].impacted
    assert "other parameter" in affected["C-104"].reason
    assert "C-202" not in affected


def test_max_depth() -> None:
    assert set(_by_id(_doc(), max_depth=1)) == {"C-101", "C-104"}


def test_window_from_last_passing_check() -> None:
    doc = _doc()
    doc["events"].append(
        {"instrument": "CAL-2", "kind": "intermediate_check_passed", "on": "2024-04-01"}
    )
    result = impact_analysis(load_register(doc), "CAL-2", FOUND, since="last_passing_check")
    assert result.window[0] == date(2024, 4, 1)
    assert {a.certificate for a in result.affected} == {"C-104"}


def test_range_found_out_limits_impact() -> None:
    doc = _doc()
    doc["events"][0].update(range_min=0, range_max=2)
    affected = _by_id(doc)
    assert not affected["C-101"].impacted
    assert "outside the range" in affected["C-101"].reason
    doc["events"][0].update(range_min=2, range_max=20)
    assert _by_id(doc)["C-101"].impacted


def test_without_event_every_parameter_is_impacted() -> None:
    doc = _doc()
    doc["events"] = []
    assert _by_id(doc)["C-104"].impacted


def test_bad_options() -> None:
    register = load_register(_doc())
    with pytest.raises(NotFoundError):
        impact_analysis(register, "NOPE", FOUND)
    with pytest.raises(InvalidInputError):
        impact_analysis(register, "CAL-2", FOUND, since="yesterday")


def test_impact_document_shape() -> None:
    result = impact_analysis(load_register(_doc()), "CAL-2", FOUND)
    data = ImpactReportDocument.from_result(result).model_dump(mode="json")
    assert data["window"] == ["2024-01-15", "2024-06-10"]
    assert {"certificate", "depth", "impacted", "reason"} <= set(data["affected"][0])
