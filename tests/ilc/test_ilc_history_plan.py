"""History signals of our lab per measurand and PT-plan coverage, on the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from ilc_db_helpers import ADMIN, ASSESSOR, MANAGER, STAFF, lab_site
from sqlmodel import Session

from calib.audit import audited_create
from calib.records import Site
from ilc.service import (
    create_round,
    create_scheme,
    create_subdiscipline,
    measurand_history,
    pt_coverage,
    save_results,
    score_round,
    set_plan_item,
)
from ilc.tabular import ResultRow
from uncertainty.errors import InvalidInputError, NotFoundError


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[Session, int]]:
    from calib.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{(tmp_path / 'hist.sqlite').as_posix()}")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session, lab_site(session)
    engine.dispose()


def _round_with_own_z(
    session: Session,
    site_id: int,
    scheme_id: int,
    code: str,
    closes_on: dt.date,
    own_z: float,
    *,
    subdiscipline_id: int | None = None,
    measurand: str = "Mass 1 kg",
    score: bool = True,
) -> int:
    """x_pt = 0 with U = 0.2 (k = 2) and σ_pt = 1: our z is our value (u(x_pt) = 0.1 < 0.3)."""
    rid = int(
        create_round(
            session,
            STAFF,
            scheme_id=scheme_id,
            code=code,
            measurand=measurand,
            unit="mg",
            opened_on=closes_on - dt.timedelta(days=30),
            closes_on=closes_on,
            method="reference",
            reference_value=0.0,
            reference_expanded_uncertainty=0.2,
            sigma_pt=1.0,
            site_id=site_id,
            subdiscipline_id=subdiscipline_id,
            own_participant="US",
        ).id
        or 0
    )
    rows = [ResultRow("US", own_z, 4.0, 2.0), ResultRow("B", 0.1, 1.0, 2.0)]
    save_results(session, STAFF, rid, rows)
    if score:
        score_round(session, MANAGER, rid, as_of=closes_on, open_actions=False)
    return rid


def test_history_signals_two_warnings_action_and_rsz(db: tuple[Session, int]) -> None:
    """z = 2.5, 2.4 (two consecutive warnings, ISO 13528:2022 9.4.2 NOTE), 3.2 (action,
    9.4.2), then RSZ over the last four = (2.5 + 2.4 + 3.2 + 1.0)/2 = 4.55 >= 3."""
    session, site_id = db
    scheme_id = int(create_scheme(session, ADMIN, provider="P", name="S").id or 0)
    start = dt.date(2024, 1, 15)
    for i, z in enumerate([2.5, 2.4, 3.2, 1.0]):
        _round_with_own_z(
            session, site_id, scheme_id, f"R{i}", start + dt.timedelta(days=90 * i), z
        )
    history = measurand_history(session, ASSESSOR, "Mass 1 kg")
    assert [p.round for p in history.points] == ["R0", "R1", "R2", "R3"]
    assert [p.z for p in history.points] == pytest.approx([2.5, 2.4, 3.2, 1.0])
    # En = z / sqrt(4² + 0.2²) with U_lab = 4 and U_ref = 0.2: no En signal
    assert history.points[2].en == pytest.approx(3.2 / (16.04**0.5))
    codes = [(s.code, s.round) for s in history.signals]
    assert codes == [
        ("two_consecutive_warnings", "R1"),
        ("action_z", "R2"),
        ("rescaled_sum_z", "R3"),
    ]


def test_history_run_of_nine_and_superseded_and_unknown(db: tuple[Session, int]) -> None:
    """Nine z scores above zero in a row: ISO 7870-2:2023 test 2."""
    session, site_id = db
    scheme_id = int(create_scheme(session, ADMIN, provider="P", name="S").id or 0)
    start = dt.date(2018, 1, 1)
    for i in range(9):
        _round_with_own_z(
            session, site_id, scheme_id, f"R{i}", start + dt.timedelta(days=200 * i), 0.4
        )
    _round_with_own_z(
        session, site_id, scheme_id, "OPEN", dt.date(2026, 12, 1), 5.0, score=False
    )  # not scored: not in the history
    history = measurand_history(session, ASSESSOR, "Mass 1 kg")
    assert len(history.points) == 9
    assert [(s.code, s.round) for s in history.signals] == [("run_of_nine", "R8")]
    with pytest.raises(NotFoundError, match="no PT round with measurand"):
        measurand_history(session, ASSESSOR, "Length")
    with pytest.raises(InvalidInputError) as info:
        measurand_history(session, ASSESSOR, "Mass 1 kg", en_limit=0)
    assert info.value.field == "en_limit"


def test_pt_coverage_covered_due_overdue(db: tuple[Session, int]) -> None:
    """ILAC P9 4.2: one participation per sub-discipline per 4-year cycle."""
    session, main = db
    north = int(audited_create(session, Site(lab_id=1, code="NORTH", name="North"), ADMIN).id or 0)
    scheme_id = int(create_scheme(session, ADMIN, provider="P", name="S").id or 0)
    subs = {
        code: int(create_subdiscipline(session, ADMIN, code=code, name=code).id or 0)
        for code in ("MAS", "DCV", "TOR", "LEN")
    }
    as_of = dt.date(2026, 11, 23)
    start = dt.date(2024, 1, 1)
    for code in subs:
        set_plan_item(session, ADMIN, subdiscipline_id=subs[code], site_id=main, cycle_start=start)
    set_plan_item(
        session, ADMIN, subdiscipline_id=subs["MAS"], site_id=north, cycle_start=dt.date(2020, 1, 1)
    )
    # MAS at MAIN: 2025 -> covered until 2029; TOR: 2022-12 -> due 2026-12 (within 180 days);
    # DCV: 2021 -> overdue; LEN: never, first cycle ends 2028 -> covered (planned);
    # MAS at NORTH: never, first cycle ended 2024 -> overdue.
    _round_with_own_z(
        session, main, scheme_id, "M", dt.date(2025, 3, 1), 0.1, subdiscipline_id=subs["MAS"]
    )
    _round_with_own_z(
        session, main, scheme_id, "T", dt.date(2022, 12, 30), 0.1, subdiscipline_id=subs["TOR"]
    )
    _round_with_own_z(
        session, main, scheme_id, "D", dt.date(2021, 6, 1), 0.1, subdiscipline_id=subs["DCV"]
    )
    rows = {(r.site, r.subdiscipline): r for r in pt_coverage(session, ASSESSOR, as_of=as_of)}
    assert {k: r.status for k, r in rows.items()} == {
        ("MAIN", "DCV"): "overdue",
        ("MAIN", "LEN"): "covered",
        ("MAIN", "MAS"): "covered",
        ("MAIN", "TOR"): "due",
        ("NORTH", "MAS"): "overdue",
    }
    assert rows[("MAIN", "MAS")].rounds_in_cycle == 1
    assert rows[("MAIN", "MAS")].last_participation == dt.date(2025, 3, 1)
    assert rows[("MAIN", "TOR")].next_due == dt.date(2026, 12, 30)
    assert rows[("MAIN", "TOR")].rounds_in_cycle == 0
    assert (rows[("NORTH", "MAS")].cycle_start, rows[("NORTH", "MAS")].cycle_end) == (
        dt.date(2024, 1, 1),
        dt.date(2028, 1, 1),
    )
    only_north = pt_coverage(session, ASSESSOR, as_of=as_of, site_id=north)
    assert [r.site for r in only_north] == ["NORTH"]
    with pytest.raises(InvalidInputError):
        set_plan_item(
            session,
            ADMIN,
            subdiscipline_id=subs["MAS"],
            site_id=main,
            cycle_start=start,
            min_rounds=0,
        )


def test_plan_docstring_examples_and_bad_plan() -> None:
    """ILAC P9:01/2024 4.2 examples in ``ilc.plan`` run as doctests."""
    import doctest

    import ilc.plan

    result = doctest.testmod(ilc.plan)
    assert result.attempted > 0 and result.failed == 0
    with pytest.raises(InvalidInputError) as info:
        ilc.plan.coverage_status(dt.date(2024, 1, 1), 4, 0, [], as_of=dt.date(2026, 1, 1))
    assert info.value.field == "min_rounds"
    twice = ilc.plan.coverage_status(
        dt.date(2024, 1, 1), 4, 2, [dt.date(2024, 6, 1)], as_of=dt.date(2026, 11, 23)
    )
    assert (twice.next_due, twice.status) == (dt.date(2026, 6, 1), "overdue")
