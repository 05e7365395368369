"""Requirement catalogue: coverage, validation, re-basing, combine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calib.assessment.catalogue import (
    IECQ_ELEMENTS,
    RuleOutcome,
    combine,
    load_catalogue,
)
from uncertainty.errors import InvalidInputError

REQUIRED_17025 = {
    "6.2",
    "6.3",
    "6.4",
    "6.5",
    "7.2",
    "7.6",
    "7.7",
    "7.8",
    "7.9",
    "7.10",
    "8.6",
    "8.7",
    "8.9",
}
TOPICS = {
    "measurement traceability",
    "uncertainty budgets",
    "inter-laboratory comparison results",
    "environmental controls",
    "competent and authorised personnel",
    "documented and current procedures",
    "suitable and calibrated equipment",
    "quality management system",
    "customer-satisfaction monitoring",
}


def test_packaged_catalogue_covers_the_17025_clauses() -> None:
    """ISO/IEC 17025:2017 clauses 6.2-6.5, 7.2, 7.6-7.10, 8.6, 8.7, 8.9 are all mapped."""
    cat = load_catalogue()
    covered = {c.split(".")[0] + "." + c.split(".")[1] for c in cat.clauses("ISO/IEC 17025")}
    assert REQUIRED_17025 <= covered


def test_packaged_catalogue_covers_iecq_elements_and_topics() -> None:
    """IECQ 03-2 process elements and the service-assessment topics are all present."""
    cat = load_catalogue()
    assert cat.elements() == set(IECQ_ELEMENTS)
    assert {r.topic for r in cat.requirements} >= TOPICS


def test_rules_and_parameters_from_the_brief() -> None:
    cat = load_catalogue()
    rules = {rule.rule: rule.parameters for req in cat.requirements for rule in req.conforming}
    assert rules["pt_plan_covers_subdisciplines"] == {"cycle_years": 4}
    assert rules["authorisations_valid_at_job_date"] == {}
    assert "approved_budget_per_procedure" in rules
    sat = rules["feedback_metrics_for_period"]["metrics"]
    assert sat == ["service_quality", "timeliness", "technical_accuracy"]


def test_clause_label() -> None:
    req = load_catalogue().get("ENV-01")
    assert req.clause == "ISO/IEC 17025:2017 6.3"
    assert "IECQ 03-2 (scheme overview) process monitoring" in req.clauses()


def _catalogue_dict() -> dict[str, object]:
    text = (Path(__file__).parents[2] / "calib" / "assessment" / "requirements.json").read_text(
        "utf-8"
    )
    return json.loads(text)  # type: ignore[no-any-return]


def test_rebase_on_another_edition_without_code(tmp_path: Path) -> None:
    data = _catalogue_dict()
    data["catalogue_id"] = "future-edition"
    for req in data["requirements"]:  # type: ignore[attr-defined]
        if req["source"]["document"] == "ISO/IEC 17025":
            req["source"]["edition"] = "2030"
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    cat = load_catalogue(path)
    assert cat.catalogue_id == "future-edition"
    assert cat.get("ENV-01").clause == "ISO/IEC 17025:2030 6.3"


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (
            lambda d: d["requirements"][0]["conforming"].append({"rule": "no_such_rule"}),
            "conforming",
        ),
        (lambda d: d["requirements"][8]["conforming"][0].update(cycle_yaers=4), "conforming"),
        (lambda d: d["requirements"][8]["conforming"][0].update(cycle_years="four"), "conforming"),
        (lambda d: d["requirements"][0].update(colour="red"), "colour"),
        (lambda d: d["requirements"][0].update(iecq_elements=["welding"]), "requirements"),
        (lambda d: d["requirements"][1].update(id=d["requirements"][0]["id"]), "top level"),
        (lambda d: d["requirements"][0].update(conforming=[]), "conforming"),
    ],
)
def test_invalid_catalogue_is_refused(tmp_path: Path, mutate: object, where: str) -> None:
    data = _catalogue_dict()
    mutate(data)  # type: ignore[operator]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidInputError, match=where):
        load_catalogue(path)


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not JSON"):
        load_catalogue(bad)
    with pytest.raises(InvalidInputError, match="cannot read"):
        load_catalogue(tmp_path / "absent.json")


def test_unknown_requirement_id() -> None:
    with pytest.raises(InvalidInputError, match="no requirement"):
        load_catalogue().get("NOPE-01")


def test_combine_conforming_finding_missing() -> None:
    req = load_catalogue().get("UNC-01")
    ok = [
        RuleOutcome(
            rule="approved_budget_per_procedure", state="pass", evidence=["budget:1", "budget:2"]
        ),
        RuleOutcome(rule="reported_u_not_below_cmc", state="pass", evidence=["job:7", "budget:2"]),
    ]
    status = combine(req, ok, site="HQ")
    assert status.status == "conforming"
    assert status.site == "HQ"
    assert status.evidence == ["budget:1", "budget:2", "job:7"]
    assert status.clause == "ISO/IEC 17025:2017 7.6"

    fail = [
        ok[0],
        RuleOutcome(rule="reported_u_not_below_cmc", state="fail", messages=["job 7: U < CMC"]),
    ]
    assert combine(req, fail).status == "finding"
    assert "job 7: U < CMC" in combine(req, fail).messages

    partial = combine(req, ok[:1])
    assert partial.status == "missing"
    assert any("not evaluated" in m for m in partial.messages)

    nodata = [ok[0], RuleOutcome(rule="reported_u_not_below_cmc", state="no_data")]
    assert combine(req, nodata).status == "missing"


def test_finding_outranks_missing() -> None:
    req = load_catalogue().get("UNC-01")
    outcomes = [RuleOutcome(rule="approved_budget_per_procedure", state="fail")]
    assert combine(req, outcomes).status == "finding"


def test_combine_rejects_foreign_and_duplicate_rules() -> None:
    req = load_catalogue().get("UNC-01")
    with pytest.raises(InvalidInputError, match="does not belong"):
        combine(req, [RuleOutcome(rule="complaints_handled", state="pass")])
    twice = [RuleOutcome(rule="approved_budget_per_procedure", state="pass")] * 2
    with pytest.raises(InvalidInputError, match="two outcomes"):
        combine(req, twice)


def test_rule_outcome_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError):
        RuleOutcome.model_validate({"rule": "x", "state": "pass", "colour": 1})
