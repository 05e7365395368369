"""Bad input: exit-2 errors name the record id and the field (CONTRACTS section 4)."""

from __future__ import annotations

from typing import Any

import pytest
from trace_helpers import base, cert, issuer

from traceability.schema import RegisterDocument, load_register
from uncertainty.errors import InvalidInputError


def _error(doc: dict[str, Any]) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        load_register(doc)
    return caught.value


def test_valid_register_loads() -> None:
    register = load_register(base())
    assert len(register.certificates) == 3
    assert register.tur_minimum == 4


def test_unknown_reference_id() -> None:
    doc = base()
    cert(doc, "C-101")["references"] = [{"certificate": "C-999", "quantity": "DC voltage"}]
    error = _error(doc)
    assert error.field == "certificates[C-101].references[0]"
    assert "C-999" in str(error)


def test_unknown_issuer_instrument_and_body() -> None:
    doc = base()
    cert(doc, "C-050")["issuer"] = "NOBODY"
    assert _error(doc).field == "certificates[C-050].issuer"
    doc = base()
    cert(doc, "C-050")["instrument"] = "NOTHING"
    assert _error(doc).field == "certificates[C-050].instrument"
    doc = base()
    issuer(doc, "LAB-A")["accreditation_body"] = "AB-9"
    assert _error(doc).field == "issuers[LAB-A].accreditation_body"


def test_due_before_calibration() -> None:
    doc = base()
    cert(doc, "C-050")["due"] = "2023-01-01"
    error = _error(doc)
    assert error.field == "certificates[C-050].due"
    assert "2023-01-01" in str(error)


def test_unit_incompatible_with_quantity() -> None:
    doc = base()
    cert(doc, "C-050")["points"][0]["unit"] = "kg"
    error = _error(doc)
    assert error.field == "certificates[C-050].points[0].unit"
    assert "kg" in str(error)


def test_cmc_unit_incompatible_with_quantity() -> None:
    doc = base()
    issuer(doc, "LAB-A")["cmcs"][0]["unit"] = "m"
    assert _error(doc).field == "issuers[LAB-A].cmcs[0].unit"


def test_unknown_quantity_name_needs_only_a_parsable_unit() -> None:
    doc = base()
    cert(doc, "C-050")["points"].append(
        {"quantity": "flux widget", "value": 1, "unit": "V*s", "expanded_uncertainty": 0.1}
    )
    load_register(doc)
    cert(doc, "C-050")["points"][-1]["unit"] = "blorbs"
    assert _error(doc).field == "certificates[C-050].points[1].unit"


def test_negative_uncertainty() -> None:
    doc = base()
    cert(doc, "C-010")["points"][0]["expanded_uncertainty"] = -1e-7
    error = _error(doc)
    assert error.field == "certificates[C-010].points[0].expanded_uncertainty"
    assert "-1e-07" in str(error)


@pytest.mark.parametrize("k", [0, -2])
def test_coverage_factor_must_be_positive(k: float) -> None:
    doc = base()
    cert(doc, "C-010")["points"][0]["coverage_factor"] = k
    assert _error(doc).field == "certificates[C-010].points[0].coverage_factor"


def test_duplicate_ids() -> None:
    doc = base()
    doc["certificates"].append(dict(cert(doc, "C-050")))
    error = _error(doc)
    assert error.field == "certificates[3].id"
    assert "C-050" in str(error)
    doc = base()
    doc["instruments"].append({"id": "STD-1"})
    assert "STD-1" in str(_error(doc))


def test_unknown_field_is_an_error() -> None:
    doc = base()
    cert(doc, "C-050")["colour"] = "red"
    error = _error(doc)
    assert error.field == "certificates[C-050].colour"


def test_bad_kind_and_bad_date() -> None:
    doc = base()
    issuer(doc, "NMI-X")["kind"] = "guru"
    assert _error(doc).field == "issuers[NMI-X].kind"
    doc = base()
    cert(doc, "C-010")["calibrated_on"] = "2023-13-45"
    assert _error(doc).field == "certificates[C-010].calibrated_on"


def test_event_for_unknown_instrument() -> None:
    doc = base()
    doc["events"] = [{"instrument": "X", "kind": "quarantine", "on": "2024-01-01"}]
    assert _error(doc).field == "events[0].instrument"


def test_json_schema_is_available() -> None:
    schema = RegisterDocument.model_json_schema()
    assert schema["additionalProperties"] is False
    assert "certificates" in schema["properties"]
