"""Moving a whole traceability register between the database and the engine, in bulk.

:func:`load_register_from_db` fetches the trace tables with a handful of set-based
``SELECT`` statements that return plain column tuples (no ORM object per row) and hands
them to the pure :func:`traceability.assembly.register_from_rows`. :func:`write_register`
stores a validated register document, every row through the audit trail
(:func:`audited_insert`: one batched ``INSERT`` per table and one hash-chained audit
entry per row).

References
----------
ISO/IEC 17025:2017 6.4.13 (equipment records), 8.4 (control of records).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Float, Numeric, bindparam, select, update
from sqlmodel import Session, SQLModel

from calib.audit import (
    actor_name,
    audit_record_id,
    audit_table_name,
    canonical_json,
    entry_hash,
    lock_audit_head,
    record_state,
)
from calib.permissions import Actor
from calib.records import AuditEntry, Site
from traceability.assembly import RegisterRows, register_from_rows
from traceability.records import (
    TraceAccreditationBody,
    TraceCertificate,
    TraceCmcLine,
    TraceEvent,
    TraceInstrument,
    TraceIssuer,
    TracePoint,
    TracePolicy,
    TraceReference,
)
from traceability.register import Register
from traceability.schema import RegisterDocument
from uncertainty.errors import InvalidInputError

__all__ = [
    "audited_create_many",
    "load_register_from_db",
    "tur_minimum",
    "write_register",
]

T = TypeVar("T", bound=SQLModel)


def _c(model: type[SQLModel]) -> Any:
    """The table columns of ``model`` (typed loosely: set-based selects return tuples)."""
    return model.__table__.c  # type: ignore[attr-defined]


def audited_create_many(session: Session, objs: Sequence[T], actor: Actor | str) -> list[T]:
    """Insert ORM ``objs`` in one batched flush and append one ``create`` entry per row.

    For a few hundred rows; bulk loads use :func:`audited_insert` (no ORM objects).
    """
    if not objs:
        return []
    session.add_all(objs)
    session.flush()
    _append_creates(
        session,
        actor,
        [
            (audit_table_name(obj), audit_record_id(obj), canonical_json(record_state(obj)))
            for obj in objs
        ],
    )
    return list(objs)


def _column_defaults(model: type[SQLModel]) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required():
            defaults[name] = info.get_default(call_default_factory=True)
    return defaults


def audited_insert(
    session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]], actor: Actor | str
) -> list[int]:
    """Insert ``rows`` (column values) of ``model`` in bulk; one audit entry per row.

    One ``INSERT ... RETURNING id`` for all rows (SQLAlchemy's insertmanyvalues, in
    parameter order), then the audit entries with exactly the canonical state
    :func:`calib.audit.record_state` gives for the stored row, so ``calib audit verify``
    accepts them. Returns the new ids in the order of ``rows``.
    """
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    defaults = _column_defaults(model)
    columns = [c for c in table.columns if c.name != "id"]
    full = [{c.name: row.get(c.name, defaults.get(c.name)) for c in columns} for row in rows]
    ids = list(
        session.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), full
        ).scalars()
    )
    floats = {c.name for c in columns if isinstance(c.type, Float | Numeric)}
    name = str(table.name)
    states = []
    for ident, row in zip(ids, full, strict=True):
        state: dict[str, Any] = {"id": ident}
        for key, value in row.items():
            if key in floats and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            state[key] = value
        states.append((name, str(ident), canonical_json(state)))
    _append_creates(session, actor, states)
    return ids


def _append_creates(
    session: Session, actor: Actor | str, states: Sequence[tuple[str, str, str]]
) -> None:
    """Append one ``create`` entry per (table, record id, canonical after-state)."""
    name = actor_name(actor)
    head = lock_audit_head(session)
    sequence, previous = head.sequence, head.hash
    recorded_at = dt.datetime.now(dt.UTC)
    entries: list[dict[str, Any]] = []
    for table, record, after in states:
        sequence += 1
        digest = entry_hash(
            sequence=sequence,
            recorded_at=recorded_at,
            actor=name,
            action="create",
            table_name=table,
            record_id=record,
            before=None,
            after=after,
            prev_hash=previous,
        )
        entries.append(
            {
                "sequence": sequence,
                "recorded_at": recorded_at,
                "actor": name,
                "action": "create",
                "table_name": table,
                "record_id": record,
                "before": None,
                "after": after,
                "prev_hash": previous,
                "hash": digest,
            }
        )
        previous = digest
    session.execute(AuditEntry.__table__.insert(), entries)  # type: ignore[attr-defined]
    head.sequence, head.hash = sequence, previous
    session.add(head)
    session.flush()


def tur_minimum(session: Session) -> float:
    """The register's minimum TUR (4 when never set)."""
    value = session.execute(select(_c(TracePolicy).tur_minimum).limit(1)).scalar()
    return 4.0 if value is None else float(value)


# ------------------------------------------------------------------------- loading


def load_register_from_db(session: Session, *, include_drafts: bool = False) -> Register:
    """Build the engine's register from the database (released certificates only).

    Eight ``SELECT`` statements of column tuples; the three large tables (certificates,
    points, references) straight from the driver's cursor, in id order (the order they
    were entered; a certificate's points and references are written once, in position
    order). :func:`traceability.assembly.register_from_rows` builds the register.
    """
    bodies = session.execute(
        select(
            _c(TraceAccreditationBody).id,
            _c(TraceAccreditationBody).code,
            _c(TraceAccreditationBody).ilac_mra,
            _c(TraceAccreditationBody).name,
        ).order_by(_c(TraceAccreditationBody).id)
    ).all()
    cmc_lines = session.execute(
        select(
            _c(TraceCmcLine).issuer_id,
            _c(TraceCmcLine).quantity,
            _c(TraceCmcLine).range_min,
            _c(TraceCmcLine).range_max,
            _c(TraceCmcLine).unit,
            _c(TraceCmcLine).expanded_uncertainty,
            _c(TraceCmcLine).coverage_factor,
        ).order_by(_c(TraceCmcLine).issuer_id, _c(TraceCmcLine).position, _c(TraceCmcLine).id)
    ).all()
    issuers = session.execute(
        select(
            _c(TraceIssuer).id,
            _c(TraceIssuer).code,
            _c(TraceIssuer).kind,
            _c(TraceIssuer).accreditation_body_id,
            _c(TraceIssuer).accreditation_number,
            _c(TraceIssuer).accreditation_valid_from,
            _c(TraceIssuer).accreditation_valid_until,
            _c(TraceIssuer).traceability_evidence,
            _c(TraceIssuer).name,
        ).order_by(_c(TraceIssuer).id)
    ).all()
    instruments = session.execute(
        select(
            _c(TraceInstrument).id,
            _c(TraceInstrument).code,
            _c(TraceInstrument).description,
            _c(TraceInstrument).role,
            _c(TraceInstrument).status,
            _c(TraceInstrument).manufacturer,
            _c(TraceInstrument).model,
            _c(TraceInstrument).serial,
            _c(Site).code,
            _c(TraceInstrument).calibration_interval_months,
        )
        .outerjoin(Site, _c(Site).id == _c(TraceInstrument).site_id)
        .order_by(_c(TraceInstrument).id)
    ).all()
    certificates = _fetch(
        session,
        select(
            _c(TraceCertificate).id,
            _c(TraceCertificate).code,
            _c(TraceCertificate).instrument_id,
            _c(TraceCertificate).issuer_id,
            _c(TraceCertificate).calibrated_on,
            _c(TraceCertificate).due_on,
            _c(TraceCertificate).supersedes_id,
            _c(TraceCertificate).issued_on,
            _c(TraceCertificate).status,
        ).order_by(_c(TraceCertificate).id),
    )
    points = _fetch(
        session,
        select(
            _c(TracePoint).certificate_id,
            _c(TracePoint).quantity,
            _c(TracePoint).value,
            _c(TracePoint).unit,
            _c(TracePoint).expanded_uncertainty,
            _c(TracePoint).coverage_factor,
            _c(TracePoint).tolerance,
            _c(TracePoint).as_found_error,
            _c(TracePoint).as_left_error,
        ).order_by(_c(TracePoint).id),
    )
    references = _fetch(
        session,
        select(
            _c(TraceReference).certificate_id,
            _c(TraceReference).reference_certificate_id,
            _c(TraceReference).quantity,
        ).order_by(_c(TraceReference).id),
    )
    events = session.execute(
        select(
            _c(TraceEvent).instrument_id,
            _c(TraceEvent).kind,
            _c(TraceEvent).occurred_on,
            _c(TraceEvent).quantity,
            _c(TraceEvent).value,
            _c(TraceEvent).unit,
            _c(TraceEvent).error,
            _c(TraceEvent).range_min,
            _c(TraceEvent).range_max,
            _c(TraceEvent).code,
        ).order_by(_c(TraceEvent).occurred_on, _c(TraceEvent).id)
    ).all()
    rows = RegisterRows(
        bodies=bodies,
        cmc_lines=cmc_lines,
        issuers=issuers,
        instruments=instruments,
        certificates=certificates,
        points=points,
        references=references,
        events=events,
        tur_minimum=tur_minimum(session),
    )
    return register_from_rows(rows, include_drafts=include_drafts)


def _fetch(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    """All rows of ``stmt`` as plain tuples straight from the driver (bulk loads).

    No type processing: SQLite returns dates as ISO text, which
    :func:`~traceability.assembly.register_from_rows` parses.
    """
    connection = session.connection()
    sql = str(stmt.compile(dialect=connection.dialect))
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        rows: list[tuple[Any, ...]] = list(cursor.fetchall())
    finally:
        cursor.close()
    return rows


# ------------------------------------------------------------------------- writing


def _existing(session: Session, column: Any, codes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        found.update(session.execute(select(column).where(column.in_(chunk))).scalars())
    return found


def _refuse_existing(session: Session, document: RegisterDocument) -> None:
    checks: list[tuple[str, Any, list[str]]] = [
        (
            "accreditation_bodies",
            _c(TraceAccreditationBody).code,
            [b.id for b in document.accreditation_bodies],
        ),
        ("issuers", _c(TraceIssuer).code, [i.id for i in document.issuers]),
        ("instruments", _c(TraceInstrument).code, [i.id for i in document.instruments]),
        ("certificates", _c(TraceCertificate).code, [c.id for c in document.certificates]),
    ]
    for what, column, codes in checks:
        clash = _existing(session, column, codes)
        if clash:
            first = next(code for code in codes if code in clash)
            more = f" (and {len(clash) - 1} more)" if len(clash) > 1 else ""
            raise InvalidInputError(
                f"id {first!r} is already in the database{more}; a register import only adds "
                "new records (amend a certificate with a new one that supersedes it)",
                field=f"{what}[{first}].id",
            )


def write_register(
    session: Session,
    actor: Actor | str,
    document: RegisterDocument,
    *,
    site_ids: dict[str, int] | None = None,
    job_ids: dict[str, int] | None = None,
    customer_ids: dict[str, int] | None = None,
) -> dict[str, int]:
    """Store a validated register document (new records only); returns counts per table.

    ``site_ids`` maps site codes to ids; an instrument's ``site`` must be one of them
    (default: every site of the database). ``job_ids`` links certificates (by number) to
    customer jobs, ``customer_ids`` marks instruments (by id) as customer items.
    """
    job_ids = job_ids or {}
    customer_ids = customer_ids or {}
    _refuse_existing(session, document)
    if site_ids is None:
        site_ids = {
            code: ident for ident, code in session.execute(select(_c(Site).id, _c(Site).code)).all()
        }
    for inst in document.instruments:
        if inst.site and inst.site not in site_ids:
            raise InvalidInputError(
                f"unknown site {inst.site!r}; known: {', '.join(sorted(site_ids)) or 'none'}",
                field=f"instruments[{inst.id}].site",
            )
    body_rows = [
        {"code": b.id, "name": b.name, "ilac_mra": b.ilac_mra}
        for b in document.accreditation_bodies
    ]
    body_ids = dict(
        zip(
            (b.id for b in document.accreditation_bodies),
            audited_insert(session, TraceAccreditationBody, body_rows, actor),
            strict=True,
        )
    )
    for code, ident in session.execute(
        select(_c(TraceAccreditationBody).code, _c(TraceAccreditationBody).id)
    ):
        body_ids.setdefault(code, ident)
    issuer_rows = []
    for i in document.issuers:
        acc = i.accreditation
        issuer_rows.append(
            {
                "code": i.id,
                "name": i.name,
                "kind": i.kind,
                "accreditation_body_id": body_ids.get(i.accreditation_body or ""),
                "accreditation_number": acc.number if acc else None,
                "accreditation_valid_from": acc.valid_from if acc else None,
                "accreditation_valid_until": acc.valid_until if acc else None,
                "traceability_evidence": i.traceability_evidence,
            }
        )
    issuer_ids = dict(
        zip(
            (i.id for i in document.issuers),
            audited_insert(session, TraceIssuer, issuer_rows, actor),
            strict=True,
        )
    )
    audited_insert(
        session,
        TraceCmcLine,
        [
            {
                "issuer_id": issuer_ids[i.id],
                "position": j,
                "quantity": c.quantity,
                "range_min": c.min,
                "range_max": c.max,
                "unit": c.unit,
                "expanded_uncertainty": c.expanded_uncertainty,
                "coverage_factor": c.coverage_factor,
            }
            for i in document.issuers
            for j, c in enumerate(i.cmcs)
        ],
        actor,
    )
    instrument_rows = [
        {
            "code": i.id,
            "description": i.description,
            "manufacturer": i.manufacturer,
            "model": i.model,
            "serial": i.serial,
            "site_id": site_ids.get(i.site) if i.site else None,
            "role": i.role,
            "status": i.status,
            "calibration_interval_months": i.calibration_interval_months,
            "customer_id": customer_ids.get(i.id),
        }
        for i in document.instruments
    ]
    instrument_ids = dict(
        zip(
            (i.id for i in document.instruments),
            audited_insert(session, TraceInstrument, instrument_rows, actor),
            strict=True,
        )
    )
    cert_rows = [
        {
            "code": c.id,
            "instrument_id": instrument_ids[c.instrument],
            "issuer_id": issuer_ids[c.issuer],
            "calibrated_on": c.calibrated_on,
            "due_on": c.due,
            "issued_on": c.issued_on,
            "supersedes_id": None,
            "job_id": job_ids.get(c.id),
            "status": "released",
        }
        for c in document.certificates
    ]
    # Rows first (ids in document order), then the amendment links, then the audit
    # entries with the final state: one transaction, so nobody sees the intermediate.
    cert_ids = _insert_certificates(session, actor, document, cert_rows)
    audited_insert(
        session,
        TracePoint,
        [
            {
                "certificate_id": cert_ids[c.id],
                "position": j,
                "quantity": p.quantity,
                "value": p.value,
                "unit": p.unit,
                "expanded_uncertainty": p.expanded_uncertainty,
                "coverage_factor": p.coverage_factor,
                "tolerance": p.tolerance,
                "as_found_error": p.as_found_error,
                "as_left_error": p.as_left_error,
            }
            for c in document.certificates
            for j, p in enumerate(c.points)
        ],
        actor,
    )
    references = []
    for c in document.certificates:
        for j, r in enumerate(c.references):
            code, quantity = (r, None) if isinstance(r, str) else (r.certificate, r.quantity)
            references.append(
                {
                    "certificate_id": cert_ids[c.id],
                    "reference_certificate_id": cert_ids[code],
                    "position": j,
                    "quantity": quantity,
                }
            )
    audited_insert(session, TraceReference, references, actor)
    audited_insert(
        session,
        TraceEvent,
        [
            {
                "code": e.id,
                "instrument_id": instrument_ids[e.instrument],
                "kind": e.kind,
                "occurred_on": e.on,
                "quantity": e.quantity,
                "value": e.value,
                "unit": e.unit,
                "error": e.error,
                "range_min": e.range_min,
                "range_max": e.range_max,
                "notes": "",
            }
            for e in document.events
        ],
        actor,
    )
    _set_tur_minimum(session, actor, document.tur_minimum)
    return {
        "accreditation_bodies": len(document.accreditation_bodies),
        "issuers": len(document.issuers),
        "instruments": len(document.instruments),
        "certificates": len(document.certificates),
        "points": sum(len(c.points) for c in document.certificates),
        "references": len(references),
        "events": len(document.events),
    }


def _insert_certificates(
    session: Session, actor: Actor | str, document: RegisterDocument, rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Insert certificates in document order, then link amendments, then audit them."""
    table = TraceCertificate.__table__  # type: ignore[attr-defined]
    if not rows:
        return {}
    ids = list(
        session.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
        ).scalars()
    )
    cert_ids = dict(zip((c.id for c in document.certificates), ids, strict=True))
    links = [
        {"b_id": cert_ids[c.id], "b_supersedes": cert_ids[c.supersedes]}
        for c in document.certificates
        if c.supersedes is not None
    ]
    if links:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(supersedes_id=bindparam("b_supersedes")),
            links,
            execution_options={"synchronize_session": False},
        )
        position = {ident: k for k, ident in enumerate(ids)}
        for link in links:
            rows[position[link["b_id"]]]["supersedes_id"] = link["b_supersedes"]
    states = []
    for ident, row in zip(ids, rows, strict=True):
        states.append(("trace_certificate", str(ident), canonical_json({"id": ident, **row})))
    _append_creates(session, actor, states)
    return cert_ids


def _set_tur_minimum(session: Session, actor: Actor | str, value: float) -> None:
    from calib.audit import audited_update

    policy = session.execute(select(TracePolicy).limit(1)).scalar()
    if policy is None:
        audited_insert(session, TracePolicy, [{"tur_minimum": float(value)}], actor)
    elif policy.tur_minimum != value:
        audited_update(session, policy, {"tur_minimum": value}, actor)
