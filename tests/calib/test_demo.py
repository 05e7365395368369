"""The demo lab: size, determinism, refusal on a non-empty database, extension hook."""

from __future__ import annotations

import datetime as dt
import random
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from calib.audit import verify_audit
from calib.db import make_engine, session_scope, upgrade
from calib.demo import DEMO_ACTOR, DemoContext, load_demo, run_extensions, seed_demo
from calib.lab import lab_overview
from calib.permissions import Principal
from calib.records import Authorisation, CorrectiveAction, Customer, Job, Person, Site, User
from uncertainty.errors import ConflictError

AS_OF = dt.date(2026, 11, 23)


def _count(s: Session, model: type) -> int:
    return int(s.exec(select(func.count()).select_from(model)).one())


def test_demo_contents_and_audit(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as s:
        sites = s.exec(select(Site)).all()
        assert len(sites) == 2 and sum(site.is_master for site in sites) == 1
        assert all(site.street and site.city for site in sites)
        assert _count(s, Person) == 12
        assert _count(s, Customer) == 40
        # Domain extensions may add jobs of their own (e.g. an urgent job for an excursion).
        assert _count(s, Job) >= 400
        assert {u.role for u in s.exec(select(User))} == {"admin", "manager", "staff", "assessor"}
        cas = s.exec(select(CorrectiveAction)).all()
        assert {ca.status for ca in cas} == {"open", "closed"}
        assert all(ca.effectiveness_verified_on for ca in cas if ca.status == "closed")
        expired = [a for a in s.exec(select(Authorisation)) if a.valid_until < AS_OF]
        assert len(expired) == 1
        overview = lab_overview(s, Principal("a", "assessor"), as_of=AS_OF)
        assert overview.jobs_received_this_month >= 10
        assert len(overview.expiring_authorisations) == 2
        assert overview.on_time_rate is not None and 0.8 < overview.on_time_rate < 0.97
        # Every domain's demo may open corrective actions of its own (a satisfaction
        # signal, a complaint); the overview must count exactly the open ones stored.
        open_cas = sum(ca.status != "closed" for ca in cas)
        assert overview.open_corrective_actions == open_cas >= 1
        report = verify_audit(s)
        assert report.ok, report.problems[:3]


def test_demo_is_deterministic(demo_engine: Engine, tmp_path: Path) -> None:
    """A second build with the same as_of and seed equals the shared demo database."""

    def jobs(eng: Engine) -> list[tuple[object, ...]]:
        with session_scope(eng) as s:
            return [
                (j.received_on, j.delivered_on, j.customer_id, j.item_serial)
                for j in s.exec(select(Job).order_by(Job.id))  # type: ignore[arg-type]
            ]

    eng = make_engine(f"sqlite:///{tmp_path / 'again.sqlite'}")
    upgrade(eng)
    with session_scope(eng) as s:
        seed_demo(s, as_of=AS_OF, extensions=[])
    foundation_jobs = jobs(eng)
    assert len(foundation_jobs) == 400
    assert jobs(demo_engine)[:400] == foundation_jobs
    with session_scope(eng) as s:
        # The foundation's own quality records: one open corrective action.
        overview = lab_overview(s, Principal("a", "assessor"), as_of=AS_OF)
        assert overview.open_corrective_actions == 1
    eng.dispose()


def test_demo_refuses_non_empty_database(demo_engine: Engine) -> None:
    with pytest.raises(ConflictError, match="--reset"):
        load_demo(demo_engine, as_of=AS_OF)


def test_extensions_called_in_order_and_missing_skipped(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    module = types.ModuleType("calib_test_demo_ext")

    def hook(session: Session, ctx: DemoContext) -> None:
        calls.append(f"{ctx.as_of}:{len(ctx.job_ids)}")

    module.hook = hook  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "calib_test_demo_ext", module)
    ctx = DemoContext(
        as_of=AS_OF,
        seed=1,
        rng=np.random.default_rng(1),
        random=random.Random(1),
        actor=DEMO_ACTOR,
        lab_id=1,
        job_ids=[1, 2, 3],
    )
    run_extensions(session, ctx, ["not_a_module_yet.demo:seed", "calib_test_demo_ext:hook"])
    assert calls == ["2026-11-23:3"]
    assert ctx.extensions_skipped == ["not_a_module_yet.demo:seed"]
    assert ctx.extensions_run == ["calib_test_demo_ext:hook"]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_demo_on_postgres_verifies(engine: Engine) -> None:
    """The whole demo through the audit path on PostgreSQL, then verify."""
    with session_scope(engine) as s:
        seed_demo(s, as_of=AS_OF)
    with session_scope(engine) as s:
        report = verify_audit(s)
        assert report.ok, report.problems[:3]
        overview = lab_overview(s, Principal("a", "assessor"), as_of=AS_OF)
        stored = s.exec(select(CorrectiveAction)).all()
        assert overview.open_corrective_actions == sum(ca.status != "closed" for ca in stored)
