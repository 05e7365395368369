"""The audit trail: chain, out-of-band changes, immutability, versions, concurrency."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from calib.audit import (
    audited_create,
    audited_delete,
    audited_update,
    entry_hash,
    new_version,
    verify_audit,
)
from calib.db import session_scope
from calib.records import AuditEntry, Customer, Job, Lab, Procedure
from uncertainty.errors import ImmutableRecordError, InvalidInputError


def _seed(engine: Engine) -> None:
    with session_scope(engine) as s:
        lab = audited_create(s, Lab(name="Lab"), "alice")
        audited_update(s, lab, {"name": "Lab 2"}, "bob")
        c = audited_create(s, Customer(name="C"), "alice")
        audited_delete(s, c, "alice")
        audited_create(s, Customer(name="D"), "alice")


def test_chain_links_and_hashes(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        entries = s.exec(select(AuditEntry).order_by(AuditEntry.sequence)).all()  # type: ignore[arg-type]
        assert [e.sequence for e in entries] == [1, 2, 3, 4, 5]
        assert [e.action for e in entries] == ["create", "update", "create", "delete", "create"]
        assert entries[0].prev_hash == ""
        for before, after in itertools.pairwise(entries):
            assert after.prev_hash == before.hash
        e = entries[1]
        assert e.actor == "bob" and e.table_name == "lab" and e.record_id == "1"
        assert '"name":"Lab"' in (e.before or "") and '"name":"Lab 2"' in (e.after or "")
        assert e.hash == entry_hash(
            sequence=e.sequence,
            recorded_at=e.recorded_at,
            actor=e.actor,
            action=e.action,
            table_name=e.table_name,
            record_id=e.record_id,
            before=e.before,
            after=e.after,
            prev_hash=e.prev_hash,
        )
        assert len(e.hash) == 64
        report = verify_audit(s)
        assert report.ok, report.problems


def test_hand_edited_audit_row_is_detected(engine: Engine) -> None:
    _seed(engine)
    with engine.begin() as c:
        c.execute(text("UPDATE audit_entry SET actor = 'mallory' WHERE sequence = 2"))
    with session_scope(engine) as s:
        report = verify_audit(s)
    assert not report.ok
    first = report.first_problem
    assert first is not None and first.kind == "bad_hash" and first.sequence == 2


def test_deleted_audit_row_is_detected(engine: Engine) -> None:
    _seed(engine)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_entry WHERE sequence = 3"))
    with session_scope(engine) as s:
        kinds = {p.kind for p in verify_audit(s).problems}
    assert {"gap", "broken_link"} <= kinds


def test_out_of_band_record_changes_are_detected(engine: Engine) -> None:
    _seed(engine)
    with engine.begin() as c:
        c.execute(text("UPDATE lab SET name = 'forged' WHERE id = 1"))
        c.execute(
            text(
                "INSERT INTO customer (name, contact_name, contact_email, city, country) VALUES ('ghost', '', '', '', '')"
            )
        )
        c.execute(text("DELETE FROM customer WHERE name = 'D'"))
    with session_scope(engine) as s:
        problems = verify_audit(s).problems
    found = {(p.kind, p.table_name) for p in problems}
    assert ("changed", "lab") in found
    assert ("unaudited", "customer") in found
    assert ("missing", "customer") in found
    assert "name" in next(p.message for p in problems if p.kind == "changed")


def test_released_record_is_immutable(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        proc = audited_create(s, Procedure(code="P", title="T", status="draft"), "a")
        proc = audited_update(s, proc, {"status": "approved"}, "a")  # draft -> approved is allowed
        with pytest.raises(ImmutableRecordError, match="is approved; create a new version"):
            audited_update(s, proc, {"title": "changed"}, "a")
        with pytest.raises(ImmutableRecordError):
            audited_delete(s, proc, "a")
        v2 = new_version(s, proc, {"title": "T rev 2"}, "a")
        assert (v2.version, v2.supersedes_id, v2.status, v2.code) == (2, proc.id, "draft", "P")
        assert proc.title == "T"
    with session_scope(engine) as s:
        assert verify_audit(s).ok


def test_released_job_refuses_update_without_writing(engine: Engine) -> None:
    d = dt.date(2025, 1, 1)
    with session_scope(engine) as s:
        from calib.records import Site

        lab = audited_create(s, Lab(name="L"), "a")
        site = audited_create(s, Site(lab_id=lab.id or 0, code="M", name="M", is_master=True), "a")
        cust = audited_create(s, Customer(name="C"), "a")
        proc = audited_create(s, Procedure(code="P", title="T"), "a")
        job = audited_create(
            s,
            Job(
                site_id=site.id or 0,
                customer_id=cust.id or 0,
                procedure_id=proc.id or 0,
                item_description="x",
                received_on=d,
                due_on=d,
                status="released",
            ),
            "a",
        )
        entries = len(s.exec(select(AuditEntry)).all())
        with pytest.raises(ImmutableRecordError, match=r"job .* is released"):
            audited_update(s, job, {"item_description": "y"}, "a")
        assert len(s.exec(select(AuditEntry)).all()) == entries


def test_update_rejects_unknown_field(engine: Engine) -> None:
    with session_scope(engine) as s:
        lab = audited_create(s, Lab(name="L"), "a")
        with pytest.raises(InvalidInputError, match="no field 'nmae'"):
            audited_update(s, lab, {"nmae": "x"}, "a")
        with pytest.raises(InvalidInputError, match="actor"):
            audited_create(s, Lab(name="M"), "")


def test_concurrent_writers_never_fork_the_chain(engine: Engine) -> None:
    """Several threads append at once; the chain stays linear and verifies."""
    _seed(engine)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        for i in range(5):
            for _attempt in range(20):
                try:
                    with session_scope(engine) as s:
                        audited_create(s, Customer(name=f"w{n}-{i}"), f"w{n}")
                    break
                except Exception as exc:  # SQLite may report a busy snapshot: retry
                    if "locked" not in str(exc) and "busy" not in str(exc).lower():
                        errors.append(exc)
                        return

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope(engine) as s:
        report = verify_audit(s)
        assert report.ok, report.problems
        assert report.entries == 5 + 20
