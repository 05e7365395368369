"""Computed status of every requirement of the catalogue, from the database.

Each rule id of :data:`calib.assessment.RULE_PARAMETERS` has one function
``rule(ctx, params) -> RuleOutcome`` in :data:`RULES`; :func:`requirement_statuses`
evaluates the rules of each requirement for a site (or the whole lab) as of a
date and combines them with :func:`calib.assessment.combine` (``finding`` when a
rule failed, ``missing`` when a rule had no data, else ``conforming``).

A rule of a domain whose package is not installed yet reports ``no_data`` with
the message "module not installed" (never an error). Evidence references are
``"<table>:<id>"`` strings, resolved to records by :mod:`calib.assessment.evidence`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlmodel import Session

from calib.assessment.catalogue import (
    Catalogue,
    RequirementStatus,
    RuleOutcome,
    combine,
    load_catalogue,
)
from calib.permissions import Actor, Permission, require

__all__ = [
    "RULES",
    "RuleContext",
    "evaluate_requirement",
    "evaluate_rule",
    "not_installed",
    "requirement_statuses",
]


@dataclass
class RuleContext:
    """What every rule gets: the session, the actor, the site and the period.

    ``period_start`` is the start of the assessment period (default: one year
    before ``as_of``); jobs, nonconformities and feedback are taken from
    ``[period_start, as_of]``. ``cache`` lets rules share loaded data.
    """

    session: Session
    actor: Actor
    as_of: dt.date
    site_id: int | None = None
    period_start: dt.date = dt.date.min
    cache: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.period_start == dt.date.min:
            self.period_start = self.as_of - dt.timedelta(days=365)


RuleFunction = Callable[[RuleContext, Mapping[str, object]], RuleOutcome]


def not_installed(rule: str, module: str) -> RuleOutcome:
    """The outcome of a rule whose domain package is not installed yet."""
    return RuleOutcome(
        rule=rule, state="no_data", messages=[f"{rule}: module not installed ({module})"]
    )


def _registry() -> dict[str, RuleFunction]:
    from calib.assessment import rules_domains, rules_lab

    return {**rules_lab.RULES, **rules_domains.RULES}


RULES: dict[str, RuleFunction] = {}


def evaluate_rule(ctx: RuleContext, rule: str, params: Mapping[str, object]) -> RuleOutcome:
    """Evaluate one rule; an unknown rule is ``no_data`` with a message."""
    if not RULES:
        RULES.update(_registry())
    function = RULES.get(rule)
    if function is None:
        return RuleOutcome(
            rule=rule, state="no_data", messages=[f"{rule}: no evaluator for this rule"]
        )
    return function(ctx, params)


def evaluate_requirement(
    ctx: RuleContext, catalogue: Catalogue, requirement_id: str
) -> RequirementStatus:
    """The status of one requirement for the context's site."""
    requirement = catalogue.get(requirement_id)
    outcomes = [evaluate_rule(ctx, r.rule, r.parameters) for r in requirement.conforming]
    return combine(requirement, outcomes, site=ctx.cache.get("site_code"))  # type: ignore[arg-type]


def requirement_statuses(
    session: Session,
    actor: Actor,
    *,
    as_of: dt.date,
    site_id: int | None = None,
    catalogue: Catalogue | None = None,
    period_start: dt.date | None = None,
) -> list[RequirementStatus]:
    """Every requirement's status for a site (``None``: the whole lab) as of a date.

    References
    ----------
    ISO/IEC 17025:2017 clauses as mapped in the catalogue; IECQ 03-2.
    """
    require(actor, Permission.VIEW_RECORDS)
    from calib.records import Site

    catalogue = catalogue or load_catalogue()
    ctx = RuleContext(
        session=session,
        actor=actor,
        as_of=as_of,
        site_id=site_id,
        period_start=period_start or dt.date.min,
    )
    if site_id is not None:
        site = session.get(Site, site_id)
        ctx.cache["site_code"] = None if site is None else site.code
    return [evaluate_requirement(ctx, catalogue, req.id) for req in catalogue.requirements]
