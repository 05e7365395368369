"""PT rounds in the lab database: schemes, sub-disciplines, the PT plan, rounds, results.

The entry side of proficiency testing (ISO/IEC 17025:2017 7.7.2): what is set up and
entered before a round is scored. Services take ``(session, actor, ...)``, check
permissions (``calib.permissions``) and write through ``calib.audit``. Entering results
needs ``edit_records`` (staff); setting the plan ``manage_lab``; assessors read.

* results of a ``closed`` or ``scored`` round are immutable: :func:`new_round_version`
  copies the round and its results into an open version;
* everything is validated before anything is written (``ilc.tabular`` checks).

The public API is re-exported by :mod:`ilc.service`; this module lives under ``calib``
because only a domain's ``records.py``/``service.py`` may import the database layer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from sqlmodel import Session, col, select

from calib.audit import audited_create, audited_delete, audited_update, new_version
from calib.permissions import Actor, Permission, require
from calib.records import Site
from ilc.assigned import METHODS
from ilc.documents import RoundSummary
from ilc.evaluate import check_score_options
from ilc.records import PTPlanItem, PTResult, PTRound, PTScheme, PTScore, PTSubdiscipline
from ilc.tabular import ResultRow, parse_results_bytes, parse_results_records
from uncertainty.errors import ImmutableRecordError, InvalidInputError, NotFoundError

__all__ = [
    "chosen_z",
    "close_round",
    "create_round",
    "create_scheme",
    "create_subdiscipline",
    "get_round",
    "import_results",
    "list_results",
    "list_rounds",
    "list_schemes",
    "list_subdisciplines",
    "new_round_version",
    "overall_verdict",
    "require_open",
    "round_scores",
    "save_results",
    "set_plan_item",
    "superseded_ids",
]

_EDITABLE_STATUS = "open"


# ---------------------------------------------------------------- schemes and plan


def create_scheme(
    session: Session,
    actor: Actor,
    *,
    provider: str,
    name: str,
    accredited_17043: bool = False,
    website: str = "",
) -> PTScheme:
    """Register a PT scheme (or comparison programme) and its provider."""
    require(actor, Permission.EDIT_RECORDS)
    for field, text in (("provider", provider), ("name", name)):
        if not text.strip():
            raise InvalidInputError(f"{field} must not be empty", field=field)
    # Rounds find their scheme by name (CLI --scheme): two schemes of one provider must differ.
    same = select(PTScheme).where(
        PTScheme.provider == provider.strip(), PTScheme.name == name.strip()
    )
    if session.exec(same).first() is not None:
        raise InvalidInputError(
            f"scheme {name.strip()!r} of {provider.strip()!r} exists already", field="name"
        )
    return audited_create(
        session,
        PTScheme(
            provider=provider.strip(),
            name=name.strip(),
            accredited_17043=accredited_17043,
            website=website,
        ),
        actor,
    )


def list_schemes(session: Session, actor: Actor) -> list[PTScheme]:
    """All schemes by provider and name."""
    require(actor, Permission.VIEW_RECORDS)
    return list(session.exec(select(PTScheme).order_by(col(PTScheme.provider), col(PTScheme.name))))


def create_subdiscipline(
    session: Session, actor: Actor, *, code: str, name: str, quantity: str = ""
) -> PTSubdiscipline:
    """Add a sub-discipline of the scope (ILAC P9 4.2), e.g. ``DCV`` DC voltage."""
    require(actor, Permission.MANAGE_LAB)
    if not code.strip():
        raise InvalidInputError("code must not be empty", field="code")
    if session.exec(select(PTSubdiscipline).where(PTSubdiscipline.code == code)).first():
        raise InvalidInputError(f"sub-discipline {code!r} exists already", field="code")
    return audited_create(
        session, PTSubdiscipline(code=code.strip(), name=name.strip(), quantity=quantity), actor
    )


def list_subdisciplines(session: Session, actor: Actor) -> list[PTSubdiscipline]:
    """All sub-disciplines by code."""
    require(actor, Permission.VIEW_RECORDS)
    return list(session.exec(select(PTSubdiscipline).order_by(col(PTSubdiscipline.code))))


def set_plan_item(
    session: Session,
    actor: Actor,
    *,
    subdiscipline_id: int,
    site_id: int,
    cycle_start: dt.date,
    cycle_years: int = 4,
    min_rounds: int = 1,
    notes: str = "",
) -> PTPlanItem:
    """Create or update the plan for one sub-discipline at one site."""
    require(actor, Permission.MANAGE_LAB)
    if not 1 <= cycle_years <= 10:
        raise InvalidInputError(
            f"cycle_years must be 1 to 10, got {cycle_years}", field="cycle_years"
        )
    if min_rounds < 1:
        raise InvalidInputError(f"min_rounds must be >= 1, got {min_rounds}", field="min_rounds")
    if session.get(PTSubdiscipline, subdiscipline_id) is None:
        raise NotFoundError(f"no sub-discipline with id {subdiscipline_id}")
    if session.get(Site, site_id) is None:
        raise NotFoundError(f"no site with id {site_id}")
    existing = session.exec(
        select(PTPlanItem).where(
            PTPlanItem.subdiscipline_id == subdiscipline_id, PTPlanItem.site_id == site_id
        )
    ).first()
    values = {
        "cycle_start": cycle_start,
        "cycle_years": cycle_years,
        "min_rounds": min_rounds,
        "notes": notes,
    }
    if existing is not None:
        return audited_update(session, existing, values, actor)
    return audited_create(
        session,
        PTPlanItem(
            subdiscipline_id=subdiscipline_id,
            site_id=site_id,
            cycle_start=cycle_start,
            cycle_years=cycle_years,
            min_rounds=min_rounds,
            notes=notes,
        ),
        actor,
    )


# ---------------------------------------------------------------- rounds


def _check_round_options(
    method: str,
    reference_value: float | None,
    reference_expanded_uncertainty: float | None,
    reference_coverage_factor: float | None,
    sigma_pt: float | None,
    en_limit: float,
    doe_convention: str,
) -> None:
    if method not in METHODS:
        raise InvalidInputError(
            f"unknown method {method!r}; allowed: {', '.join(METHODS)}", field="method"
        )
    if method == "reference":
        if reference_value is None or not math.isfinite(reference_value):
            raise InvalidInputError(
                "method 'reference' needs a finite reference_value", field="reference_value"
            )
        if reference_expanded_uncertainty is None or not reference_expanded_uncertainty >= 0:
            raise InvalidInputError(
                f"reference_expanded_uncertainty must be >= 0, got {reference_expanded_uncertainty}",
                field="reference_expanded_uncertainty",
            )
        if reference_coverage_factor is not None and not reference_coverage_factor > 0:
            raise InvalidInputError(
                f"reference_coverage_factor must be > 0, got {reference_coverage_factor}",
                field="reference_coverage_factor",
            )
    check_score_options(sigma_pt, en_limit, doe_convention)


def create_round(
    session: Session,
    actor: Actor,
    *,
    scheme_id: int,
    code: str,
    measurand: str,
    unit: str,
    opened_on: dt.date,
    closes_on: dt.date,
    method: str = "reference",
    reference_value: float | None = None,
    reference_expanded_uncertainty: float | None = None,
    reference_coverage_factor: float | None = None,
    sigma_pt: float | None = None,
    en_limit: float = 1.0,
    doe_convention: str = "covariance",
    subdiscipline_id: int | None = None,
    site_id: int | None = None,
    own_participant: str = "",
    report_on: dt.date | None = None,
) -> PTRound:
    """Create an open round; options are checked as the engine would check them."""
    require(actor, Permission.EDIT_RECORDS)
    for field, text in (("code", code), ("measurand", measurand), ("unit", unit)):
        if not text.strip():
            raise InvalidInputError(f"{field} must not be empty", field=field)
    if closes_on < opened_on:
        raise InvalidInputError(
            f"closes_on {closes_on} is before opened_on {opened_on}", field="closes_on"
        )
    _check_round_options(
        method,
        reference_value,
        reference_expanded_uncertainty,
        reference_coverage_factor,
        sigma_pt,
        en_limit,
        doe_convention,
    )
    if session.get(PTScheme, scheme_id) is None:
        raise NotFoundError(f"no PT scheme with id {scheme_id}")
    if subdiscipline_id is not None and session.get(PTSubdiscipline, subdiscipline_id) is None:
        raise NotFoundError(f"no sub-discipline with id {subdiscipline_id}")
    if site_id is not None and session.get(Site, site_id) is None:
        raise NotFoundError(f"no site with id {site_id}")
    return audited_create(
        session,
        PTRound(
            scheme_id=scheme_id,
            subdiscipline_id=subdiscipline_id,
            site_id=site_id,
            code=code.strip(),
            measurand=measurand.strip(),
            unit=unit.strip(),
            opened_on=opened_on,
            closes_on=closes_on,
            report_on=report_on,
            method=method,
            reference_value=reference_value,
            reference_expanded_uncertainty=reference_expanded_uncertainty,
            reference_coverage_factor=(
                2.0
                if method == "reference" and reference_coverage_factor is None
                else reference_coverage_factor
            ),
            sigma_pt=sigma_pt,
            en_limit=en_limit,
            doe_convention=doe_convention,
            own_participant=own_participant.strip(),
        ),
        actor,
    )


def get_round(session: Session, actor: Actor, round_id: int) -> PTRound:
    """One round or ``NotFoundError``."""
    require(actor, Permission.VIEW_RECORDS)
    found = session.get(PTRound, round_id)
    if found is None:
        raise NotFoundError(f"no PT round with id {round_id}")
    return found


def superseded_ids(session: Session) -> set[int]:
    """Ids of rounds that a newer version replaces (hidden from lists and history)."""
    return {
        int(i)
        for i in session.exec(
            select(PTRound.supersedes_id).where(col(PTRound.supersedes_id).is_not(None))
        )
        if i is not None
    }


def list_results(session: Session, actor: Actor, round_id: int) -> list[PTResult]:
    """Results of a round in entry order."""
    get_round(session, actor, round_id)
    return list(
        session.exec(
            select(PTResult)
            .where(PTResult.round_id == round_id)
            .order_by(col(PTResult.position), col(PTResult.id))
        )
    )


def round_scores(session: Session, actor: Actor, round_id: int) -> list[tuple[PTResult, PTScore]]:
    """Stored scores of a round with their results (entry order); empty before scoring."""
    results = list_results(session, actor, round_id)
    scores = {
        s.result_id: s for s in session.exec(select(PTScore).where(PTScore.round_id == round_id))
    }
    return [(r, scores[int(r.id or 0)]) for r in results if int(r.id or 0) in scores]


def list_rounds(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    subdiscipline_id: int | None = None,
    site_id: int | None = None,
    include_superseded: bool = False,
) -> list[RoundSummary]:
    """Rounds, newest first (latest versions only unless ``include_superseded``)."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(PTRound).order_by(col(PTRound.closes_on).desc(), col(PTRound.id).desc())
    if status is not None:
        stmt = stmt.where(PTRound.status == status)
    if subdiscipline_id is not None:
        stmt = stmt.where(PTRound.subdiscipline_id == subdiscipline_id)
    if site_id is not None:
        stmt = stmt.where(PTRound.site_id == site_id)
    rounds = list(session.exec(stmt))
    if not include_superseded:
        hidden = superseded_ids(session)
        rounds = [r for r in rounds if int(r.id or 0) not in hidden]
    schemes = {s.id: s for s in session.exec(select(PTScheme))}
    subs = {s.id: s.code for s in session.exec(select(PTSubdiscipline))}
    sites = {s.id: s.code for s in session.exec(select(Site))}
    ids = [int(r.id or 0) for r in rounds]
    counts: dict[int, int] = {}
    own: dict[int, PTResult] = {}
    for result in session.exec(select(PTResult).where(col(PTResult.round_id).in_(ids))):
        counts[result.round_id] = counts.get(result.round_id, 0) + 1
        if result.is_own_lab:
            own[result.round_id] = result
    own_scores = {
        s.result_id: s
        for s in session.exec(
            select(PTScore).where(
                col(PTScore.result_id).in_([int(r.id or 0) for r in own.values()])
            )
        )
    }
    out: list[RoundSummary] = []
    for r in rounds:
        rid = int(r.id or 0)
        scheme = schemes.get(r.scheme_id)
        mine = own.get(rid)
        score = own_scores.get(int(mine.id or 0)) if mine is not None else None
        out.append(
            RoundSummary(
                id=rid,
                code=r.code,
                scheme=scheme.name if scheme else "",
                provider=scheme.provider if scheme else "",
                measurand=r.measurand,
                unit=r.unit,
                subdiscipline=subs.get(r.subdiscipline_id),
                site=sites.get(r.site_id),
                opened_on=r.opened_on,
                closes_on=r.closes_on,
                method=r.method,
                status=r.status,
                version=r.version,
                results=counts.get(rid, 0),
                own_participant=mine.participant if mine else None,
                own_en=score.en if score else None,
                own_z=chosen_z(score) if score else None,
                own_verdict=overall_verdict(score) if score else None,
            )
        )
    return out


def chosen_z(score: PTScore) -> float | None:
    """The z or z′ score the round chose for this result (ISO 13528:2022 9.4, 9.5)."""
    return score.z_prime if score.z_choice == "z_prime" else score.z


_RANK = {None: 0, "satisfactory": 1, "questionable": 2, "unsatisfactory": 3}


def overall_verdict(score: PTScore) -> str | None:
    """The worst of the En, z/z′ and ζ verdicts (``None`` when none was scored)."""
    verdicts = (score.en_verdict, score.z_verdict, score.zeta_verdict)
    worst = max(verdicts, key=lambda v: _RANK.get(v, 0))
    return worst


def require_open(found: PTRound) -> None:
    """Refuse to change results unless the round is ``open``."""
    if found.status != _EDITABLE_STATUS:
        raise ImmutableRecordError(
            f"PT round {found.code} (id {found.id}) is {found.status}: its results cannot "
            "change; create a new version of the round instead"
        )


def close_round(session: Session, actor: Actor, round_id: int) -> PTRound:
    """End results entry: ``open`` -> ``closed``."""
    require(actor, Permission.EDIT_RECORDS)
    found = get_round(session, actor, round_id)
    require_open(found)
    return audited_update(session, found, {"status": "closed"}, actor)


def new_round_version(session: Session, actor: Actor, round_id: int) -> PTRound:
    """Copy a closed or scored round and its results into a new open version."""
    require(actor, Permission.EDIT_RECORDS)
    found = get_round(session, actor, round_id)
    if int(found.id or 0) in superseded_ids(session):
        raise InvalidInputError(
            f"PT round {found.code} version {found.version} is already superseded",
            field="round_id",
        )
    results = list_results(session, actor, round_id)
    copy = new_version(
        session,
        found,
        {
            "status": _EDITABLE_STATUS,
            "assigned_value": None,
            "assigned_expanded_uncertainty": None,
            "scored_on": None,
            "scored_by": None,
        },
        actor,
    )
    for r in results:
        audited_create(
            session,
            PTResult(
                round_id=int(copy.id or 0),
                position=r.position,
                participant=r.participant,
                value=r.value,
                expanded_uncertainty=r.expanded_uncertainty,
                coverage_factor=r.coverage_factor,
                exclude_from_reference=r.exclude_from_reference,
                is_own_lab=r.is_own_lab,
                entered_by=r.entered_by,
                entered_at=r.entered_at,
            ),
            actor,
        )
    return copy


# ---------------------------------------------------------------- results


def _revalidate(rows: Sequence[ResultRow]) -> list[ResultRow]:
    """Run programmatic rows through the same checks as an uploaded table."""
    return parse_results_records(
        [
            {
                "participant": r.participant,
                "value": r.value,
                "expanded_uncertainty": r.expanded_uncertainty,
                "coverage_factor": r.coverage_factor,
                "exclude_from_reference": r.exclude_from_reference,
                "own_lab": r.own_lab,
            }
            for r in rows
        ],
        first_row=1,
    )


def save_results(
    session: Session,
    actor: Actor,
    round_id: int,
    rows: Sequence[ResultRow],
    *,
    replace: bool = True,
    now: dt.datetime | None = None,
) -> list[PTResult]:
    """Store a round's results: changed rows updated, new rows added.

    With ``replace`` (the editor's Save) participants missing from ``rows`` are
    deleted; without it (an import) they are kept. Everything is validated before
    anything is written; the round must be ``open``. A result is the lab's own when
    its participant is the round's ``own_participant`` or its row says ``own_lab``.
    """
    require(actor, Permission.EDIT_RECORDS)
    found = get_round(session, actor, round_id)
    require_open(found)
    checked = _revalidate(rows)
    own_rows = [
        r.participant
        for r in checked
        if r.own_lab or (found.own_participant and r.participant == found.own_participant)
    ]
    if len(own_rows) > 1:
        raise InvalidInputError(
            f"only one result can be the lab's own, got {', '.join(own_rows)}", field="own_lab"
        )
    stamp = now or dt.datetime.now(dt.UTC)
    existing = {r.participant: r for r in list_results(session, actor, round_id)}
    if not replace and own_rows:
        for name, r in existing.items():
            if r.is_own_lab and name not in own_rows:
                raise InvalidInputError(
                    f"{name} is already the lab's own result in this round", field="own_lab"
                )
    base = 0 if replace else len(existing)
    stored: list[PTResult] = []
    for index, row in enumerate(checked):
        is_own = row.participant in own_rows
        current = existing.get(row.participant)
        if replace:
            position = index
        else:
            position = current.position if current is not None else base + index
        values: dict[str, object] = {
            "position": position,
            "value": row.value,
            "expanded_uncertainty": row.expanded_uncertainty,
            "coverage_factor": row.coverage_factor,
            "exclude_from_reference": row.exclude_from_reference,
            "is_own_lab": is_own,
        }
        if current is None:
            stored.append(
                audited_create(
                    session,
                    PTResult(
                        round_id=round_id,
                        participant=row.participant,
                        entered_by=actor.username,
                        entered_at=stamp,
                        **values,  # type: ignore[arg-type]
                    ),
                    actor,
                )
            )
            continue
        changes = {k: v for k, v in values.items() if getattr(current, k) != v}
        if changes:
            changes.update(entered_by=actor.username, entered_at=stamp)
            audited_update(session, current, changes, actor)
        stored.append(current)
    if replace:
        keep = {r.participant for r in checked}
        for name, r in existing.items():
            if name not in keep:
                audited_delete(session, r, actor)
    return stored


def import_results(
    session: Session,
    actor: Actor,
    round_id: int,
    data: bytes,
    filename: str,
    *,
    replace: bool = False,
) -> list[PTResult]:
    """Parse a CSV, Excel (.xlsx) or JSON file and store its results (nothing on error)."""
    require(actor, Permission.EDIT_RECORDS)
    require_open(get_round(session, actor, round_id))
    return save_results(
        session, actor, round_id, parse_results_bytes(data, filename), replace=replace
    )
