"""Property tests (hypothesis): the check never crashes, is local, and ignores unit choice."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traceability.chain import check_register
from traceability.schema import load_register

AS_OF = date(2025, 1, 1)
ISSUERS = [
    {
        "id": "NMI",
        "kind": "nmi",
        "cmcs": [
            {
                "quantity": "DC voltage",
                "min": 0,
                "max": 20,
                "unit": "V",
                "expanded_uncertainty": 1e-6,
                "coverage_factor": 2,
            }
        ],
    },
    {
        "id": "LAB",
        "kind": "accredited_lab",
        "accreditation_body": "MRA",
        "accreditation": {"number": "1", "valid_from": "2022-01-01", "valid_until": "2024-06-30"},
        "cmcs": [
            {
                "quantity": "DC voltage",
                "min": 0,
                "max": 100,
                "unit": "V",
                "expanded_uncertainty": 1e-5,
                "coverage_factor": 2,
            }
        ],
    },
    {
        "id": "NONMRA",
        "kind": "accredited_lab",
        "accreditation_body": "LOCAL",
        "accreditation": {"number": "2", "valid_from": "2020-01-01"},
    },
    {"id": "OTHER", "kind": "other"},
    {"id": "CRM", "kind": "crm_producer"},
]


@st.composite
def registers(draw: st.DrawFn) -> dict[str, Any]:
    n_instruments = draw(st.integers(1, 5))
    instruments = [
        {"id": f"I{i}", "status": draw(st.sampled_from(["in_service", "retired"]))}
        for i in range(n_instruments)
    ]
    certificates: list[dict[str, Any]] = []
    n_certs = draw(st.integers(1, 10))
    for c in range(n_certs):
        start = date(2022, 1, 1) + timedelta(days=draw(st.integers(0, 1000)))
        due = start + timedelta(days=draw(st.integers(0, 800)))
        points = [
            {
                "quantity": "DC voltage",
                "value": draw(st.floats(0.01, 50)),
                "unit": "V",
                "expanded_uncertainty": draw(st.floats(1e-7, 1e-3)),
                "coverage_factor": draw(st.sampled_from([1.0, 2.0, 2.5])),
                "tolerance": draw(st.none() | st.floats(1e-6, 1e-2)),
            }
            for _ in range(draw(st.integers(0, 2)))
        ]
        certificates.append(
            {
                "id": f"C{c}",
                "instrument": f"I{draw(st.integers(0, n_instruments - 1))}",
                "issuer": draw(st.sampled_from([i["id"] for i in ISSUERS])),
                "calibrated_on": start.isoformat(),
                "due": due.isoformat(),
                "points": points,
            }
        )
    for cert in certificates:
        refs = draw(st.lists(st.integers(0, n_certs - 1), max_size=3, unique=True))
        cert["references"] = [f"C{r}" for r in refs]
    events = [
        {
            "instrument": f"I{draw(st.integers(0, n_instruments - 1))}",
            "kind": draw(
                st.sampled_from(["quarantine", "returned_to_service", "out_of_tolerance"])
            ),
            "on": (date(2022, 1, 1) + timedelta(days=draw(st.integers(0, 1000)))).isoformat(),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    return {
        "accreditation_bodies": [
            {"id": "MRA", "ilac_mra": True},
            {"id": "LOCAL", "ilac_mra": False},
        ],
        "issuers": copy.deepcopy(ISSUERS),
        "instruments": instruments,
        "certificates": certificates,
        "events": events,
    }


def _verdicts(doc: dict[str, Any]) -> dict[str, tuple[bool, tuple[str, ...]]]:
    result = check_register(load_register(doc), AS_OF)
    return {
        v.certificate: (v.traceable, tuple(sorted(f.code for f in v.findings)))
        for v in result.verdicts
    }


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(registers())
def test_check_never_crashes_and_verdict_matches_fail_findings(doc: dict[str, Any]) -> None:
    result = check_register(load_register(doc), AS_OF)
    for verdict in result.verdicts:
        assert verdict.traceable == (not any(f.severity == "fail" for f in verdict.findings))
        assert verdict.chain[0] == verdict.certificate
        assert len(set(verdict.chain)) == len(verdict.chain)


@SETTINGS
@given(registers(), st.integers(0, 1000))
def test_unrelated_certificate_changes_no_other_verdict(doc: dict[str, Any], day: int) -> None:
    before = _verdicts(doc)
    doc["instruments"].append({"id": "NEW"})
    doc["certificates"].append(
        {
            "id": "C-NEW",
            "instrument": "NEW",
            "issuer": "NMI",
            "calibrated_on": (date(2022, 1, 1) + timedelta(days=day)).isoformat(),
            "points": [
                {"quantity": "DC voltage", "value": 10, "unit": "V", "expanded_uncertainty": 1e-5}
            ],
        }
    )
    after = _verdicts(doc)
    after.pop("C-NEW", None)
    assert after == before


@SETTINGS
@given(registers())
def test_volts_or_millivolts_give_the_same_verdicts(doc: dict[str, Any]) -> None:
    before = _verdicts(doc)
    for cert in doc["certificates"]:
        for point in cert["points"]:
            point["unit"] = "mV"
            for key in ("value", "expanded_uncertainty", "tolerance"):
                if point[key] is not None:
                    point[key] *= 1000
    for issuer in doc["issuers"]:
        for line in issuer.get("cmcs", []):
            line["unit"] = "mV"
            for key in ("min", "max", "expanded_uncertainty"):
                line[key] *= 1000
    assert _verdicts(doc) == before
