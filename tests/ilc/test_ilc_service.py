"""PT service on the database: round trip, immutability, stored scores, actions, permissions.

The round-trip and immutability tests run on SQLite and PostgreSQL (``session``
fixture); the rest on SQLite only, to keep the suite lean.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from ilc_db_helpers import ADMIN, AS_OF, ASSESSOR, MANAGER, MERCURY, STAFF, lab_site, mercury_round
from sqlmodel import Session, select

from calib.audit import verify_audit
from calib.records import CorrectiveAction, Nonconformity
from ilc import evaluate_round
from ilc.records import PTResult, PTRound, PTScore
from ilc.service import (
    close_round,
    create_round,
    create_scheme,
    create_subdiscipline,
    list_results,
    list_rounds,
    new_round_version,
    open_actions_for_round,
    round_scores,
    save_results,
    score_round,
)
from ilc.tabular import ResultRow
from uncertainty.errors import ImmutableRecordError, InvalidInputError, PermissionDeniedError


@pytest.fixture
def sqlite_session(tmp_path: Path) -> Iterator[Session]:
    from calib.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{(tmp_path / 'ilc.sqlite').as_posix()}")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as sess:
        yield sess
    engine.dispose()


def test_round_trip_enter_score_store(session: Session) -> None:
    """ISO 13528:2022 E.4, Tables E.6/E.7: the stored En, ζ and z′ are the published digits
    (En L04 −3.55, L23 −3.69, L12 −2.24, L03 −0.46, L01 0.83; z′ −3.99, −3.93, −2.59,
    −0.90, 1.16; ζ −7.10, −7.35, −4.49, −0.91, 1.67), on SQLite and PostgreSQL."""
    site_id = lab_site(session)
    pt_round = mercury_round(session, site_id)
    rid = int(pt_round.id or 0)
    save_results(session, STAFF, rid, MERCURY)
    session.commit()
    assert [r.participant for r in list_results(session, ASSESSOR, rid)] == [
        r.participant for r in MERCURY
    ]
    stored = list_results(session, ASSESSOR, rid)
    assert stored[1].coverage_factor == pytest.approx(1.732)  # U and k kept as reported
    assert stored[0].is_own_lab and stored[0].entered_by == "staff-test"
    assert stored[0].entered_at.tzinfo is not None
    outcome = score_round(session, MANAGER, rid, as_of=AS_OF)
    session.commit()
    pairs = round_scores(session, ASSESSOR, rid)
    en = [s.en for _, s in pairs]
    zp = [s.z_prime for _, s in pairs]
    zeta = [s.zeta for _, s in pairs]
    assert en == pytest.approx([-3.55, -3.69, -2.24, -0.46, 0.83], abs=0.005)
    assert zp == pytest.approx([-3.99, -3.93, -2.59, -0.90, 1.16], abs=0.005)
    assert zeta == pytest.approx([-7.10, -7.35, -4.49, -0.91, 1.67], abs=0.005)
    assert {s.z_choice for _, s in pairs} == {"z_prime"}
    assert [s.en_verdict for _, s in pairs] == [
        "unsatisfactory",
        "unsatisfactory",
        "unsatisfactory",
        "satisfactory",
        "satisfactory",
    ]
    assert pairs[0][1].method == "reference" and pairs[0][1].doe_convention == "covariance"
    assert len(outcome.nonconformities) == 1  # L04 is our lab
    refreshed = session.get(PTRound, rid)
    assert refreshed is not None and refreshed.status == "scored"
    assert refreshed.assigned_value == pytest.approx(0.044)
    summary = list_rounds(session, ASSESSOR)[0]
    assert (summary.own_participant, summary.own_verdict) == ("L04", "unsatisfactory")
    assert verify_audit(session).ok


def test_scored_round_is_immutable_change_is_a_new_version(session: Session) -> None:
    site_id = lab_site(session)
    rid = int(mercury_round(session, site_id).id or 0)
    save_results(session, STAFF, rid, MERCURY)
    score_round(session, MANAGER, rid, as_of=AS_OF)
    with pytest.raises(ImmutableRecordError, match="scored"):
        save_results(session, STAFF, rid, MERCURY[:3])
    with pytest.raises(ImmutableRecordError):
        score_round(session, MANAGER, rid, as_of=AS_OF)
    copy = new_round_version(session, STAFF, rid)
    assert (copy.version, copy.supersedes_id, copy.status) == (2, rid, "open")
    cid = int(copy.id or 0)
    assert len(list_results(session, STAFF, cid)) == 5
    save_results(session, STAFF, cid, [*MERCURY[:4], ResultRow("L01", 0.045, 0.007, 2.0)])
    score_round(session, MANAGER, cid, as_of=AS_OF)
    assert [r.id for r in list_rounds(session, ASSESSOR)] == [cid]  # latest version only
    old = {s.participant: s.en for _, s in round_scores(session, ASSESSOR, rid)}
    new = {s.participant: s.en for _, s in round_scores(session, ASSESSOR, cid)}
    assert old["L01"] == pytest.approx(0.83, abs=0.005)
    assert new["L01"] != old["L01"]
    # L04 (our lab) is unsatisfactory in both versions: still one nonconformity
    assert len(session.exec(select(Nonconformity)).all()) == 1
    session.commit()


def test_closed_round_refuses_results(sqlite_session: Session) -> None:
    rid = int(mercury_round(sqlite_session, lab_site(sqlite_session)).id or 0)
    save_results(sqlite_session, STAFF, rid, MERCURY)
    close_round(sqlite_session, STAFF, rid)
    with pytest.raises(ImmutableRecordError, match="closed"):
        save_results(sqlite_session, STAFF, rid, MERCURY)


def test_stored_scores_equal_the_engine_for_a_robust_round(sqlite_session: Session) -> None:
    """A robust (Algorithm A) round: every stored number is the engine's, unchanged."""
    site_id = lab_site(sqlite_session)
    scheme = create_scheme(sqlite_session, ADMIN, provider="P", name="S")
    pt_round = create_round(
        sqlite_session,
        STAFF,
        scheme_id=int(scheme.id or 0),
        code="R1",
        measurand="DC voltage 10 V",
        unit="V",
        opened_on=dt.date(2026, 1, 1),
        closes_on=dt.date(2026, 2, 1),
        method="robust",
        site_id=site_id,
    )
    rng = np.random.default_rng(5)
    values = 10 + rng.normal(0, 1e-6, 12)
    rows = [ResultRow(f"P{i:02d}", float(v), 2e-6, 2.0) for i, v in enumerate(values)]
    save_results(sqlite_session, STAFF, int(pt_round.id or 0), rows)
    score_round(sqlite_session, MANAGER, int(pt_round.id or 0), as_of=AS_OF)
    engine = evaluate_round(
        [r.participant for r in rows],
        [r.value for r in rows],
        [2e-6] * 12,
        [2.0] * 12,
        method="robust",
    )
    pairs = round_scores(sqlite_session, ASSESSOR, int(pt_round.id or 0))
    assert [s.z for _, s in pairs] == list(engine.z)
    assert [s.en for _, s in pairs] == list(engine.en)
    assert pairs[0][1].assigned_value == engine.assigned.value
    assert pairs[0][1].sigma_pt == engine.sigma_pt  # s* used without σ_pt


def test_unsatisfactory_own_result_opens_nc_and_ca_once(sqlite_session: Session) -> None:
    rid = int(mercury_round(sqlite_session, lab_site(sqlite_session)).id or 0)
    save_results(sqlite_session, STAFF, rid, MERCURY)
    outcome = score_round(sqlite_session, MANAGER, rid, as_of=AS_OF)
    assert len(outcome.nonconformities) == 1
    nc = outcome.nonconformities[0]
    own = list_results(sqlite_session, STAFF, rid)[0]
    assert (nc.source_table, nc.source_id) == ("pt_result", str(own.id))
    assert "E4-2022" in nc.description and "En = -3.55" in nc.description
    again = open_actions_for_round(sqlite_session, MANAGER, rid, as_of=AS_OF)
    assert [n.id for n in again] == [nc.id]
    assert len(sqlite_session.exec(select(Nonconformity)).all()) == 1
    actions = sqlite_session.exec(select(CorrectiveAction)).all()
    assert len(actions) == 1 and actions[0].nonconformity_id == nc.id


def test_satisfactory_round_opens_nothing(sqlite_session: Session) -> None:
    rid = int(mercury_round(sqlite_session, lab_site(sqlite_session)).id or 0)
    rows = [
        ResultRow(r.participant, r.value, r.expanded_uncertainty, r.coverage_factor)
        for r in MERCURY
    ]
    rows[-1] = ResultRow("L01", 0.053, 0.007, 2.0, own_lab=True)
    save_results(sqlite_session, STAFF, rid, rows)
    assert score_round(sqlite_session, MANAGER, rid, as_of=AS_OF).nonconformities == []
    assert sqlite_session.exec(select(Nonconformity)).all() == []


def test_permissions(sqlite_session: Session) -> None:
    rid = int(mercury_round(sqlite_session, lab_site(sqlite_session)).id or 0)
    with pytest.raises(PermissionDeniedError):
        save_results(sqlite_session, ASSESSOR, rid, MERCURY)
    save_results(sqlite_session, STAFF, rid, MERCURY)
    with pytest.raises(PermissionDeniedError):
        score_round(sqlite_session, STAFF, rid, as_of=AS_OF)
    with pytest.raises(PermissionDeniedError):
        create_subdiscipline(sqlite_session, STAFF, code="X", name="X")


def test_bad_rows_and_round_options_name_the_field(sqlite_session: Session) -> None:
    site_id = lab_site(sqlite_session)
    rid = int(mercury_round(sqlite_session, site_id).id or 0)
    with pytest.raises(InvalidInputError, match=r"row 2, column participant: duplicate"):
        save_results(sqlite_session, STAFF, rid, [MERCURY[0], MERCURY[0]])
    with pytest.raises(InvalidInputError, match=r"row 1, column expanded_uncertainty"):
        save_results(sqlite_session, STAFF, rid, [ResultRow("A", 1.0, -1.0, 2.0)])
    with pytest.raises(InvalidInputError, match="only one result can be the lab's own"):
        save_results(
            sqlite_session,
            STAFF,
            rid,
            [ResultRow("A", 1.0, own_lab=True), ResultRow("B", 1.0, own_lab=True)],
        )
    assert sqlite_session.exec(select(PTResult)).all() == []
    scheme_id = int(create_scheme(sqlite_session, ADMIN, provider="P", name="S").id or 0)
    common = dict(
        scheme_id=scheme_id,
        code="X",
        measurand="m",
        unit="V",
        opened_on=dt.date(2026, 1, 1),
        closes_on=dt.date(2026, 2, 1),
    )
    with pytest.raises(InvalidInputError) as info:
        create_round(sqlite_session, STAFF, method="mode", **common)  # type: ignore[arg-type]
    assert info.value.field == "method"
    with pytest.raises(InvalidInputError) as info:
        create_round(sqlite_session, STAFF, method="robust", sigma_pt=0.0, **common)  # type: ignore[arg-type]
    assert info.value.field == "sigma_pt"
    with pytest.raises(InvalidInputError) as info:
        create_round(sqlite_session, STAFF, method="reference", **common)  # type: ignore[arg-type]
    assert info.value.field == "reference_value"
    assert sqlite_session.exec(select(PTScore)).all() == []
