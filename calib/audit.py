"""The one audited write path and its verification.

Every create, update and delete of a record an assessor may rely on goes through
:func:`audited_create`, :func:`audited_update` or :func:`audited_delete`. Each
appends an :class:`~calib.records.AuditEntry` to an append-only chain:

``hash = sha256(canonical JSON of {sequence, recorded_at, actor, action, table,
record_id, before, after, prev_hash})``

where canonical JSON has sorted keys, no spaces and UTF-8 text. Appends lock the
single :class:`~calib.records.AuditHead` row first (an ``UPDATE``, which takes a row
lock on PostgreSQL and the write lock on SQLite), so concurrent writers queue and
never fork the chain. :func:`verify_audit` recomputes the chain and compares the
current rows of every audited table with their last audited state.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import Float, Integer, Numeric
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlmodel import Session, SQLModel, select

from calib.records import AuditEntry, AuditHead
from uncertainty.errors import ImmutableRecordError, InvalidInputError

__all__ = [
    "DEFAULT_IMMUTABLE_STATUSES",
    "AuditProblem",
    "AuditReport",
    "actor_name",
    "audit_record_id",
    "audit_table_name",
    "audited_create",
    "audited_delete",
    "audited_models",
    "audited_update",
    "canonical_json",
    "entry_hash",
    "lock_audit_head",
    "new_version",
    "record_state",
    "verify_audit",
]

DEFAULT_IMMUTABLE_STATUSES: frozenset[str] = frozenset({"released", "approved", "submitted"})

T = TypeVar("T", bound=SQLModel)


class _Named(Protocol):
    @property
    def username(self) -> str: ...


def actor_name(actor: str | _Named) -> str:
    """The audit name of an actor: a user-like object's ``username`` or the string itself."""
    name = actor if isinstance(actor, str) else actor.username
    if not name:
        raise InvalidInputError("actor must be a non-empty name", field="actor")
    return name


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict | list):
        return json.loads(canonical_json(value))
    return value


def canonical_json(data: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 text, dates in ISO 8601."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_value
    )


def record_state(obj: SQLModel) -> dict[str, Any]:
    """The audited state of a record: its column values as JSON-ready data."""
    mapper = sa_inspect(type(obj))
    excluded: frozenset[str] = getattr(type(obj), "__audit_exclude__", frozenset())
    state: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        if attr.key in excluded:
            continue
        value = getattr(obj, attr.key)
        if isinstance(value, int) and not isinstance(value, bool):
            column_type = attr.columns[0].type
            if isinstance(column_type, Float | Numeric) and not isinstance(column_type, Integer):
                value = float(value)
        state[attr.key] = _json_value(value)
    return state


def audit_record_id(obj: SQLModel) -> str:
    """The record id an audit entry names: the primary key, ``/``-joined when composite."""
    identity = sa_inspect(type(obj)).primary_key_from_instance(obj)
    return "/".join(str(part) for part in identity)


def audit_table_name(obj: SQLModel) -> str:
    """The table an audit entry names."""
    return str(sa_inspect(type(obj)).local_table.name)


def entry_hash(
    *,
    sequence: int,
    recorded_at: dt.datetime,
    actor: str,
    action: str,
    table_name: str,
    record_id: str,
    before: str | None,
    after: str | None,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of the canonical JSON of one audit entry's fields."""
    payload = canonical_json(
        {
            "sequence": sequence,
            "recorded_at": _json_value(recorded_at),
            "actor": actor,
            "action": action,
            "table": table_name,
            "record_id": record_id,
            "before": before,
            "after": after,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def lock_audit_head(session: Session) -> AuditHead:
    """Lock the chain head (creating it if absent) and return it, fresh from the database.

    The lock is held until the transaction ends, so the head is locked once per
    transaction and then reused from ``session.info``.
    """
    transaction = session.get_transaction()
    cached = session.info.get("calib_audit_head")
    if cached is not None and transaction is not None and cached[0] is transaction:
        head: AuditHead = cached[1]
        return head
    result = session.execute(
        sa_update(AuditHead).where(AuditHead.id == 1).values(sequence=AuditHead.sequence)  # type: ignore[arg-type]
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(AuditHead(id=1, sequence=0, hash=""))
        session.flush()
    stmt = sa_select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)  # type: ignore[arg-type]
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    head = session.execute(stmt).scalar_one()
    session.info["calib_audit_head"] = (session.get_transaction(), head)
    return head


def _append(
    session: Session,
    *,
    actor: str,
    action: str,
    table_name: str,
    record_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    head = lock_audit_head(session)
    sequence = head.sequence + 1
    recorded_at = dt.datetime.now(dt.UTC)
    before_text = None if before is None else canonical_json(before)
    after_text = None if after is None else canonical_json(after)
    digest = entry_hash(
        sequence=sequence,
        recorded_at=recorded_at,
        actor=actor,
        action=action,
        table_name=table_name,
        record_id=record_id,
        before=before_text,
        after=after_text,
        prev_hash=head.hash,
    )
    entry = AuditEntry(
        sequence=sequence,
        recorded_at=recorded_at,
        actor=actor,
        action=action,
        table_name=table_name,
        record_id=record_id,
        before=before_text,
        after=after_text,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(entry)
    head.sequence = sequence
    head.hash = digest
    session.flush()
    return entry


def _immutable_statuses(obj: SQLModel) -> frozenset[str]:
    statuses: frozenset[str] = getattr(
        type(obj), "__immutable_statuses__", DEFAULT_IMMUTABLE_STATUSES
    )
    return statuses


def _check_mutable(session: Session, obj: SQLModel) -> None:
    """Refuse a change when the STORED status of ``obj`` is immutable."""
    if not hasattr(obj, "status"):
        return
    history = sa_inspect(obj).attrs["status"].history
    stored = history.deleted[0] if history.deleted else obj.status
    if stored in _immutable_statuses(obj):
        raise ImmutableRecordError(
            f"{audit_table_name(obj)} {audit_record_id(obj)} is {stored}; create a new version "
            "instead of changing it"
        )


def audited_create(session: Session, obj: T, actor: str | _Named) -> T:
    """Insert ``obj`` and append a ``create`` entry; returns ``obj`` with its id."""
    name = actor_name(actor)
    session.add(obj)
    session.flush()
    _append(
        session,
        actor=name,
        action="create",
        table_name=audit_table_name(obj),
        record_id=audit_record_id(obj),
        before=None,
        after=record_state(obj),
    )
    return obj


def audited_update(session: Session, obj: T, changes: dict[str, Any], actor: str | _Named) -> T:
    """Apply ``changes`` to ``obj`` and append an ``update`` entry.

    Raises
    ------
    ImmutableRecordError
        ``obj`` is stored with a status in its ``__immutable_statuses__``.
    InvalidInputError
        A key of ``changes`` is not a column, or tries to change the primary key.
    """
    name = actor_name(actor)
    _check_mutable(session, obj)
    mapper = sa_inspect(type(obj))
    columns = {attr.key for attr in mapper.column_attrs}
    primary = {col.key for col in mapper.primary_key}
    for key in changes:
        if key not in columns:
            raise InvalidInputError(
                f"{audit_table_name(obj)} has no field {key!r}; allowed: {', '.join(sorted(columns))}",
                field=key,
            )
        if key in primary:
            raise InvalidInputError(f"the primary key {key!r} cannot change", field=key)
    before = record_state(obj)
    for key, value in changes.items():
        setattr(obj, key, value)
    session.add(obj)
    session.flush()
    _append(
        session,
        actor=name,
        action="update",
        table_name=audit_table_name(obj),
        record_id=audit_record_id(obj),
        before=before,
        after=record_state(obj),
    )
    return obj


def audited_delete(session: Session, obj: SQLModel, actor: str | _Named) -> None:
    """Delete ``obj`` and append a ``delete`` entry (refused for immutable records)."""
    name = actor_name(actor)
    _check_mutable(session, obj)
    before = record_state(obj)
    table_name, record_id = audit_table_name(obj), audit_record_id(obj)
    session.delete(obj)
    session.flush()
    _append(
        session,
        actor=name,
        action="delete",
        table_name=table_name,
        record_id=record_id,
        before=before,
        after=None,
    )


def new_version(session: Session, obj: T, changes: dict[str, Any], actor: str | _Named) -> T:
    """Create the next version of a versioned record; the old one stays unchanged.

    The model must have ``version`` and ``supersedes_id`` columns. The copy gets
    ``version + 1``, ``supersedes_id = obj.id`` and ``status = "draft"`` unless
    ``changes`` says otherwise, then ``changes`` applied.
    """
    mapper = sa_inspect(type(obj))
    columns = {attr.key for attr in mapper.column_attrs}
    if not {"version", "supersedes_id"} <= columns:
        raise InvalidInputError(
            f"{audit_table_name(obj)} is not versioned: it needs version and supersedes_id columns",
            field="version",
        )
    primary = {col.key for col in mapper.primary_key}
    data = {key: getattr(obj, key) for key in columns if key not in primary}
    data["version"] = int(data["version"]) + 1
    data["supersedes_id"] = mapper.primary_key_from_instance(obj)[0]
    if "status" in columns:
        data["status"] = "draft"
    for key in changes:
        if key not in columns or key in primary:
            raise InvalidInputError(f"{audit_table_name(obj)} has no field {key!r}", field=key)
    data.update(changes)
    copy = type(obj)(**data)
    return audited_create(session, copy, actor)


# --------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class AuditProblem:
    """One problem found by :func:`verify_audit`.

    ``kind`` is ``broken_link`` (chain), ``bad_hash``, ``gap``, ``head_mismatch``,
    ``changed`` (row differs from its last audited state), ``missing`` (audited row
    deleted out of band) or ``unaudited`` (row with no audit entry).
    """

    kind: str
    table_name: str | None
    record_id: str | None
    sequence: int | None
    message: str


@dataclass
class AuditReport:
    """Result of :func:`verify_audit`; ``ok`` is true when nothing was found."""

    entries: int = 0
    tables_checked: list[str] = field(default_factory=list)
    records_checked: int = 0
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chain is intact and every record equals its audited state."""
        return not self.problems

    @property
    def first_problem(self) -> AuditProblem | None:
        """The first broken link or out-of-band change, or ``None``."""
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``calib audit verify --json``)."""
        return {
            "ok": self.ok,
            "entries": self.entries,
            "tables_checked": self.tables_checked,
            "records_checked": self.records_checked,
            "problems": [problem.__dict__ for problem in self.problems],
        }


def audited_models() -> dict[str, type[SQLModel]]:
    """Every mapped SQLModel table class that is audited, by table name."""
    from calib.db import import_record_modules

    import_record_modules()
    models: dict[str, type[SQLModel]] = {}
    for mapper in SQLModel._sa_registry.mappers:  # type: ignore[attr-defined]
        cls = mapper.class_
        if not getattr(cls, "__audited__", True):
            continue
        table = getattr(mapper, "local_table", None)
        if table is None:
            continue
        models[str(table.name)] = cls
    return models


def _verify_chain(session: Session, report: AuditReport) -> dict[tuple[str, str], str | None]:
    last_state: dict[tuple[str, str], str | None] = {}
    prev_hash = ""
    expected_sequence = 1
    for entry in session.exec(select(AuditEntry).order_by(AuditEntry.sequence)):  # type: ignore[arg-type]
        report.entries += 1
        if entry.sequence != expected_sequence:
            report.problems.append(
                AuditProblem(
                    "gap",
                    entry.table_name,
                    entry.record_id,
                    entry.sequence,
                    f"audit entry {expected_sequence} is missing (next is {entry.sequence})",
                )
            )
        if entry.prev_hash != prev_hash:
            report.problems.append(
                AuditProblem(
                    "broken_link",
                    entry.table_name,
                    entry.record_id,
                    entry.sequence,
                    f"audit entry {entry.sequence}: prev_hash does not match the hash of "
                    "the entry before it",
                )
            )
        recomputed = entry_hash(
            sequence=entry.sequence,
            recorded_at=entry.recorded_at,
            actor=entry.actor,
            action=entry.action,
            table_name=entry.table_name,
            record_id=entry.record_id,
            before=entry.before,
            after=entry.after,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            report.problems.append(
                AuditProblem(
                    "bad_hash",
                    entry.table_name,
                    entry.record_id,
                    entry.sequence,
                    f"audit entry {entry.sequence} ({entry.action} {entry.table_name} "
                    f"{entry.record_id}) was edited: its hash does not match its content",
                )
            )
        prev_hash = entry.hash
        expected_sequence = entry.sequence + 1
        last_state[(entry.table_name, entry.record_id)] = entry.after
    head = session.get(AuditHead, 1)
    if report.entries and (head is None or head.hash != prev_hash):
        report.problems.append(
            AuditProblem(
                "head_mismatch",
                None,
                None,
                None,
                "the chain head does not match the last audit entry (entries removed "
                "from the end?)",
            )
        )
    return last_state


def verify_audit(session: Session) -> AuditReport:
    """Recompute the chain and compare every audited table with its last audited state.

    Problems are listed in order: chain problems first (by sequence), then
    out-of-band changes by table and record id.
    """
    report = AuditReport()
    last_state = _verify_chain(session, report)
    models = audited_models()
    engine_tables = set(sa_inspect(session.get_bind()).get_table_names())
    for table_name in sorted(models):
        if table_name not in engine_tables:
            continue
        model = models[table_name]
        report.tables_checked.append(table_name)
        seen: set[str] = set()
        for row in session.exec(select(model)):
            report.records_checked += 1
            record_id = audit_record_id(row)
            seen.add(record_id)
            key = (table_name, record_id)
            if key not in last_state or last_state[key] is None:
                report.problems.append(
                    AuditProblem(
                        "unaudited",
                        table_name,
                        record_id,
                        None,
                        f"{table_name} {record_id} exists but was not written through "
                        "the audit trail",
                    )
                )
                continue
            current = canonical_json(record_state(row))
            expected = canonical_json(json.loads(last_state[key] or "null"))
            if current != expected:
                changed = sorted(
                    name
                    for name, value in record_state(row).items()
                    if json.loads(last_state[key] or "{}").get(name) != value
                )
                report.problems.append(
                    AuditProblem(
                        "changed",
                        table_name,
                        record_id,
                        None,
                        f"{table_name} {record_id} differs from its last audited state "
                        f"(fields: {', '.join(changed) or 'unknown'})",
                    )
                )
        for (t_name, record_id), state in last_state.items():
            if t_name == table_name and state is not None and record_id not in seen:
                report.problems.append(
                    AuditProblem(
                        "missing",
                        table_name,
                        record_id,
                        None,
                        f"{table_name} {record_id} was deleted outside the audit trail",
                    )
                )
    session.expire_all()
    return report
