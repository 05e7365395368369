"""The requirement catalogue of a calibration-laboratory service assessment.

The catalogue is data (``requirements.json`` next to this module): each requirement
has an id, its source (document, edition, clause), a title, the IECQ 03-2
process-certification elements it serves, and what "conforming" means as a list of
rules with parameters. Re-basing on another edition of a standard means loading a
different JSON file; no code changes. The rules are evaluated by the services of
each domain (a later wave); this module only validates the catalogue and combines
rule outcomes into a requirement status.

Facts copied into the catalogue (the project does not read external files):

* IECQ 03-2 service certification: calibration laboratories are assessed on
  measurement traceability, uncertainty budgets, inter-laboratory comparison
  results and environmental controls; service providers demonstrate qualified
  personnel, documented procedures, suitable facilities and equipment and a quality
  management system aligned with ISO 9001 or equivalent; certified service
  providers monitor customer satisfaction with defined metrics for service
  quality, timeliness and technical accuracy.
* IECQ 03-2 process certification elements: process definition, capability
  analysis (Cpk, Ppk), operator competence, equipment qualification, process
  monitoring (SPC charts, corrective action triggers), change management.

(Source: IECQ 03-2 overview text, "IECQ 03-2 Process/Service Assessment", summary of
the scheme requirements; kept in ``requirements.json`` under ``sources``.)

References
----------
ISO/IEC 17025:2017 clauses 6.2-6.5, 7.2, 7.6-7.10, 8.6, 8.7, 8.9.
IECQ 03-2 (Process/Service Assessment scheme rules).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from uncertainty.errors import InvalidInputError

__all__ = [
    "IECQ_ELEMENTS",
    "RULE_PARAMETERS",
    "Catalogue",
    "ConformityRule",
    "Requirement",
    "RequirementStatus",
    "RuleOutcome",
    "SourceReference",
    "Status",
    "combine",
    "load_catalogue",
]

Status = Literal["conforming", "finding", "missing"]

IECQ_ELEMENTS: tuple[str, ...] = (
    "process definition",
    "capability analysis",
    "operator competence",
    "equipment qualification",
    "process monitoring",
    "change management",
)
"""IECQ 03-2 process-certification elements (IECQ 03-2 overview, process elements table)."""

RULE_PARAMETERS: dict[str, dict[str, type]] = {
    "authorisations_valid_at_job_date": {},
    "competence_records_current": {"review_interval_months": int},
    "environment_within_limits_during_jobs": {},
    "environment_logging_complete": {},
    "equipment_calibrated_at_use": {},
    "check_standards_in_control": {"rule_set": str},
    "process_capability": {"min_cpk": float},
    "traceability_chain_valid": {},
    "procedures_approved_and_current": {"review_interval_months": int},
    "procedure_changes_revalidated": {},
    "approved_budget_per_procedure": {},
    "reported_u_not_below_cmc": {},
    "pt_plan_covers_subdisciplines": {"cycle_years": int},
    "unsatisfactory_pt_actions_closed": {},
    "reports_state_uncertainty": {},
    "complaints_handled": {"max_days": int},
    "nonconforming_work_controlled": {},
    "feedback_metrics_for_period": {"period_months": int, "metrics": list},
    "feedback_triggers_acted_on": {},
    "corrective_actions_closed": {"max_days": int},
    "management_review_held": {"interval_months": int},
    "management_system_documented": {},
}
"""Known rule ids and the parameters each takes (name -> type).

A catalogue that names an unknown rule or parameter is refused, so a typo cannot
silently turn a requirement into an unchecked one.
"""


class SourceReference(BaseModel):
    """Where a requirement comes from: document, edition, clause."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    document: str = Field(min_length=1)
    edition: str = Field(min_length=1)
    clause: str = Field(min_length=1)

    def label(self) -> str:
        """``"ISO/IEC 17025:2017 6.4"``; a non-year edition is put in brackets."""
        if self.edition.isdigit():
            return f"{self.document}:{self.edition} {self.clause}"
        return f"{self.document} ({self.edition}) {self.clause}"


class ConformityRule(BaseModel):
    """One rule of what "conforming" means: ``{"rule": "...", **parameters}``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    rule: str

    @model_validator(mode="after")
    def _known_rule_and_parameters(self) -> ConformityRule:
        if self.rule not in RULE_PARAMETERS:
            raise ValueError(
                f"unknown rule {self.rule!r}; allowed: {', '.join(sorted(RULE_PARAMETERS))}"
            )
        allowed = RULE_PARAMETERS[self.rule]
        for name, value in self.parameters.items():
            if name not in allowed:
                raise ValueError(
                    f"rule {self.rule!r} takes no parameter {name!r}; "
                    f"allowed: {sorted(allowed) or 'none'}"
                )
            expected = allowed[name]
            ok = isinstance(value, expected) and not isinstance(value, bool)
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                ok = True
            if not ok:
                raise ValueError(
                    f"parameter {name!r} of rule {self.rule!r} must be {expected.__name__}, "
                    f"got {value!r}"
                )
        return self

    @property
    def parameters(self) -> dict[str, object]:
        """The rule's parameters (every key except ``rule``)."""
        return dict(self.model_extra or {})


class Requirement(BaseModel):
    """One requirement of the catalogue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z][A-Z0-9-]*$")
    title: str = Field(min_length=1)
    topic: str = Field(min_length=1)
    source: SourceReference
    also: list[SourceReference] = Field(default_factory=list)
    iecq_elements: list[str] = Field(default_factory=list)
    conforming_means: str = Field(min_length=1)
    conforming: list[ConformityRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _elements_known(self) -> Requirement:
        for element in self.iecq_elements:
            if element not in IECQ_ELEMENTS:
                raise ValueError(
                    f"unknown IECQ element {element!r}; allowed: {', '.join(IECQ_ELEMENTS)}"
                )
        rules = [rule.rule for rule in self.conforming]
        if len(set(rules)) != len(rules):
            raise ValueError(f"requirement {self.id} lists a rule twice: {rules}")
        return self

    @property
    def clause(self) -> str:
        """The primary clause as one string, e.g. ``"ISO/IEC 17025:2017 6.3"``."""
        return self.source.label()

    def clauses(self) -> list[str]:
        """Every clause the requirement maps to, primary first."""
        return [self.source.label(), *(ref.label() for ref in self.also)]


class Catalogue(BaseModel):
    """A requirement catalogue (one edition of the assessment criteria)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    catalogue_id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    sources: list[str] = Field(default_factory=list)
    requirements: list[Requirement] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Catalogue:
        ids = [req.id for req in self.requirements]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"requirement ids must be unique; repeated: {duplicates}")
        return self

    def get(self, requirement_id: str) -> Requirement:
        """The requirement with this id (``InvalidInputError`` if absent)."""
        for req in self.requirements:
            if req.id == requirement_id:
                return req
        raise InvalidInputError(
            f"no requirement {requirement_id!r} in catalogue {self.catalogue_id}",
            field="requirement_id",
        )

    def clauses(self, document: str) -> set[str]:
        """The clauses of ``document`` (e.g. ``"ISO/IEC 17025"``) that are covered."""
        found: set[str] = set()
        for req in self.requirements:
            for ref in (req.source, *req.also):
                if ref.document == document:
                    found.add(ref.clause)
        return found

    def elements(self) -> set[str]:
        """The IECQ 03-2 process-certification elements that are covered."""
        return {element for req in self.requirements for element in req.iecq_elements}


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Load and validate a catalogue; the packaged one when ``path`` is None.

    Raises
    ------
    InvalidInputError
        The file is not JSON or does not follow the catalogue model; the message
        names the field.
    """
    if path is None:
        text = resources.files(__package__).joinpath("requirements.json").read_text("utf-8")
        origin = "requirements.json"
    else:
        origin = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInputError(f"cannot read catalogue {origin}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"catalogue {origin} is not JSON: {exc}") from exc
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInputError(
            f"catalogue {origin} is invalid at {where or 'top level'}: {first['msg']}",
            field=where or None,
        ) from exc


class RuleOutcome(BaseModel):
    """What a service found for one rule of one requirement.

    ``state`` is ``pass`` (the records show conformity), ``fail`` (at least one
    record shows a nonconformity) or ``no_data`` (no record to judge by).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    state: Literal["pass", "fail", "no_data"]
    messages: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)


class RequirementStatus(BaseModel):
    """The computed status of one requirement, with its messages and evidence ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requirement_id: str
    clause: str
    title: str
    status: Status
    site: str | None = None
    messages: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    outcomes: list[RuleOutcome] = Field(default_factory=list)


def combine(
    requirement: Requirement, outcomes: Sequence[RuleOutcome], *, site: str | None = None
) -> RequirementStatus:
    """Combine the rule outcomes of one requirement into its status.

    ``finding`` if any rule failed; otherwise ``missing`` if any rule of the
    requirement has no outcome or an outcome ``no_data``; otherwise
    ``conforming``. Messages and evidence ids are kept in rule order, without
    repeats. A finding outranks missing evidence because it is a demonstrated
    nonconformity (ISO/IEC 17025:2017 7.10, 8.7).

    Raises
    ------
    InvalidInputError
        An outcome names a rule the requirement does not have, or a rule twice.

    Examples
    --------
    >>> req = load_catalogue().get("ENV-01")
    >>> out = [RuleOutcome(rule=r.rule, state="pass") for r in req.conforming]
    >>> combine(req, out).status
    'conforming'
    """
    wanted = [rule.rule for rule in requirement.conforming]
    by_rule: dict[str, RuleOutcome] = {}
    for outcome in outcomes:
        if outcome.rule not in wanted:
            raise InvalidInputError(
                f"outcome for rule {outcome.rule!r} does not belong to requirement "
                f"{requirement.id}; its rules are {wanted}",
                field="outcomes.rule",
            )
        if outcome.rule in by_rule:
            raise InvalidInputError(
                f"two outcomes for rule {outcome.rule!r} of requirement {requirement.id}",
                field="outcomes.rule",
            )
        by_rule[outcome.rule] = outcome
    messages: list[str] = []
    evidence: list[str] = []
    states: list[str] = []
    for rule in wanted:
        found = by_rule.get(rule)
        if found is None:
            states.append("no_data")
            messages.append(f"{rule}: not evaluated (no records)")
            continue
        states.append(found.state)
        messages.extend(found.messages)
        evidence.extend(e for e in found.evidence if e not in evidence)
    status: Status
    if "fail" in states:
        status = "finding"
    elif "no_data" in states:
        status = "missing"
    else:
        status = "conforming"
    return RequirementStatus(
        requirement_id=requirement.id,
        clause=requirement.clause,
        title=requirement.title,
        status=status,
        site=site,
        messages=messages,
        evidence=evidence,
        outcomes=[by_rule[r] for r in wanted if r in by_rule],
    )
