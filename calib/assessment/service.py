"""Environment and check-standard services: records in, pure engine, records out.

Every function takes ``(session, actor, ...)`` and checks a permission first.
Logger readings are bulk-inserted (one audited :class:`LoggerImport` per file,
carrying the SHA-256 of the file); excursions and the jobs performed during them
are detected with :mod:`calib.assessment.environment` and stored as
:class:`ExcursionRecord` and :class:`ImpactAssessment` (ISO/IEC 17025:2017 6.3.3,
7.10). Check-standard charts and capability come from :mod:`calib.assessment.spc`
(7.7.1, 6.4.10).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import String, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from calib.assessment.environment import (
    EnvironmentLimit,
    Excursion,
    JobInterval,
    Reading,
    detect_excursions,
    flag_jobs,
    parse_logger_csv,
)
from calib.assessment.records import (
    CheckMeasurement,
    CheckStandard,
    EnvironmentLimitRecord,
    ExcursionRecord,
    ImpactAssessment,
    JobLocation,
    LoggerImport,
    LoggerReading,
    Room,
    SpecificationLimit,
)
from calib.assessment.spc import (
    CapabilityResult,
    IndividualsChart,
    XbarRChart,
    capability,
    individuals_chart,
    xbar_r_chart,
)
from calib.audit import audited_create, audited_update
from calib.permissions import Actor, Permission, require
from calib.quality import raise_nonconformity
from calib.records import Job, Procedure, Site
from uncertainty.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "IMPACT_DECISIONS",
    "FlaggedJob",
    "add_check_measurements",
    "add_job_location",
    "add_limit",
    "add_readings",
    "assess_impact",
    "check_standard_capability",
    "check_standard_chart",
    "create_check_standard",
    "create_room",
    "detect_room_excursions",
    "flag_room_jobs",
    "get_room",
    "import_logger_csv",
    "insert_readings",
    "jobs_outside_limits",
    "list_check_measurements",
    "list_check_standards",
    "list_excursions",
    "list_impact_assessments",
    "list_limits",
    "list_rooms",
    "room_limits",
    "room_readings",
    "set_specification_limit",
    "stored_time",
]

IMPACT_DECISIONS: tuple[str, ...] = ("no_impact", "recalibrate", "recall", "customer_informed")

_BATCH = 5000


def _utc(value: dt.datetime, field: str) -> dt.datetime:
    if value.tzinfo is None:
        raise InvalidInputError(f"{field} must be timezone-aware UTC, got {value}", field=field)
    return value.astimezone(dt.UTC)


# --------------------------------------------------------------------------- rooms


def create_room(
    session: Session,
    actor: Actor,
    *,
    site_id: int,
    code: str,
    name: str,
    logging_interval_minutes: int = 60,
) -> Room:
    """Add a room with a data logger (ISO/IEC 17025:2017 6.3.1).

    Lab staff enter rooms (``EDIT_RECORDS``); assessors cannot.
    """
    require(actor, Permission.EDIT_RECORDS)
    code, name = code.strip(), name.strip()
    if not code:
        raise InvalidInputError("room code must not be empty", field="code")
    if not name:
        raise InvalidInputError("room name must not be empty", field="name")
    if session.get(Site, site_id) is None:
        raise InvalidInputError(f"no site with id {site_id}", field="site_id")
    if session.exec(select(Room).where(Room.code == code)).first() is not None:
        raise InvalidInputError(f"a room with code {code!r} already exists", field="code")
    if logging_interval_minutes < 1:
        raise InvalidInputError(
            f"logging_interval_minutes must be >= 1, got {logging_interval_minutes}",
            field="logging_interval_minutes",
        )
    room = Room(
        site_id=site_id, code=code, name=name, logging_interval_minutes=logging_interval_minutes
    )
    return audited_create(session, room, actor)


def list_rooms(session: Session, actor: Actor, *, site_id: int | None = None) -> list[Room]:
    """Rooms by code, optionally of one site."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(Room).order_by(col(Room.code))
    if site_id is not None:
        stmt = stmt.where(Room.site_id == site_id)
    return list(session.exec(stmt))


def get_room(session: Session, actor: Actor, room_id: int) -> Room:
    """One room or ``NotFoundError``."""
    require(actor, Permission.VIEW_RECORDS)
    room = session.get(Room, room_id)
    if room is None:
        raise NotFoundError(f"no room with id {room_id}")
    return room


def add_limit(
    session: Session,
    actor: Actor,
    *,
    room_id: int,
    quantity: str,
    unit: str,
    low: float | None = None,
    high: float | None = None,
    procedure_id: int | None = None,
) -> EnvironmentLimitRecord:
    """Limits of a quantity in a room, for all procedures or one (6.3.2)."""
    require(actor, Permission.EDIT_RECORDS)
    if session.get(Room, room_id) is None:
        raise InvalidInputError(f"no room with id {room_id}", field="room_id")
    room = get_room(session, actor, room_id)
    quantity, unit = quantity.strip(), unit.strip()
    if not quantity:
        raise InvalidInputError("quantity must not be empty (e.g. temperature)", field="quantity")
    if not unit:
        raise InvalidInputError("unit must not be empty (e.g. degC, %RH)", field="unit")
    if procedure_id is not None and session.get(Procedure, procedure_id) is None:
        raise InvalidInputError(f"no procedure with id {procedure_id}", field="procedure_id")
    EnvironmentLimit(room.code, quantity.lower(), unit, low, high)  # validates
    record = EnvironmentLimitRecord(
        room_id=room_id,
        procedure_id=procedure_id,
        quantity=quantity.lower(),
        unit=unit,
        low=low,
        high=high,
    )
    return audited_create(session, record, actor)


def list_limits(session: Session, actor: Actor, room_id: int) -> list[EnvironmentLimitRecord]:
    """The limit records of a room."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(EnvironmentLimitRecord).where(EnvironmentLimitRecord.room_id == room_id)
    return list(session.exec(stmt.order_by(col(EnvironmentLimitRecord.id))))


def room_limits(session: Session, actor: Actor, room_id: int) -> list[EnvironmentLimit]:
    """The room's limits as engine objects (procedure given by its code)."""
    room = get_room(session, actor, room_id)
    codes = {p.id: p.code for p in session.exec(select(Procedure))}
    return [
        EnvironmentLimit(
            room.code,
            rec.quantity,
            rec.unit,
            rec.low,
            rec.high,
            None if rec.procedure_id is None else codes.get(rec.procedure_id),
        )
        for rec in list_limits(session, actor, room_id)
    ]


# --------------------------------------------------------------------------- readings


def add_readings(
    session: Session,
    actor: Actor,
    *,
    room_id: int,
    readings: Sequence[Reading],
    filename: str,
    sha256: str,
) -> LoggerImport:
    """Store a batch of readings: one audited import record, bulk rows."""
    require(actor, Permission.EDIT_RECORDS)
    get_room(session, actor, room_id)
    times = [_utc(r.time, "time") for r in readings]
    batch = audited_create(
        session,
        LoggerImport(
            room_id=room_id,
            filename=filename,
            sha256=sha256,
            readings=len(readings),
            first_time=min(times) if times else None,
            last_time=max(times) if times else None,
            imported_at=dt.datetime.now(dt.UTC),
            imported_by=actor.username,
        ),
        actor,
    )
    rows = [
        {
            "import_id": batch.id,
            "room_id": room_id,
            "time": time,
            "quantity": r.quantity,
            "value": float(r.value),
            "unit": r.unit,
        }
        for r, time in zip(readings, times, strict=True)
    ]
    insert_readings(session, rows)
    return batch


def insert_readings(session: Session, rows: Sequence[Mapping[str, object]]) -> None:
    """Bulk-insert reading rows through the driver's ``executemany``.

    The readings table is not audited row by row; the :class:`LoggerImport`
    batch record (with the file's SHA-256) is. Times are stored as UTC: ISO text
    on SQLite (the format SQLAlchemy uses), timestamps on PostgreSQL.
    """
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (
        "INSERT INTO env_reading (import_id, room_id, time, quantity, value, unit) "
        f"VALUES ({', '.join([marker] * 6)})"
    )
    params = []
    for row in rows:
        time = _utc(row["time"], "time")  # type: ignore[arg-type]
        params.append(
            (
                row["import_id"],
                row["room_id"],
                time.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else time,
                row["quantity"],
                float(row["value"]),  # type: ignore[arg-type]
                row["unit"],
            )
        )
    for start in range(0, len(params), _BATCH):
        connection.exec_driver_sql(sql, params[start : start + _BATCH])  # type: ignore[arg-type]


def import_logger_csv(
    session: Session,
    actor: Actor,
    *,
    room_id: int,
    content: bytes,
    filename: str,
    as_of: dt.date | None = None,
) -> tuple[LoggerImport, list[ExcursionRecord], list[ImpactAssessment]]:
    """Import a logger CSV, then detect excursions and flag the jobs they touch.

    Raises
    ------
    InvalidInputError
        The file does not parse (the message names row and column).
    ConflictError
        The same file (same SHA-256) was already imported for this room.
    """
    room = get_room(session, actor, room_id)
    digest = hashlib.sha256(content).hexdigest()
    seen = session.exec(
        select(LoggerImport).where(LoggerImport.room_id == room_id, LoggerImport.sha256 == digest)
    ).first()
    if seen is not None:
        raise ConflictError(f"{filename} was already imported for room {room.code} ({seen.id})")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{filename} is not UTF-8 text", field="file") from exc
    readings = parse_logger_csv(text, room=room.code)
    batch = add_readings(
        session, actor, room_id=room_id, readings=readings, filename=filename, sha256=digest
    )
    if not readings:
        return batch, [], []
    start = min(r.time for r in readings)
    end = max(r.time for r in readings)
    day = as_of or dt.date.today()
    excursions = detect_room_excursions(
        session, actor, room_id=room_id, start=start, end=end, detected_on=day
    )
    flagged = flag_room_jobs(session, actor, room_id=room_id, start=start, end=end, as_of=day)
    return batch, excursions, flagged


def room_readings(
    session: Session,
    actor: Actor,
    room_id: int,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    quantity: str | None = None,
) -> list[Reading]:
    """Readings of a room in ``[start, end]``, in time order."""
    room = get_room(session, actor, room_id)
    table = LoggerReading.__table__  # type: ignore[attr-defined]
    raw_time = type_coerce(table.c.time, String)
    stmt = sa_select(raw_time, table.c.quantity, table.c.value, table.c.unit).where(
        table.c.room_id == room_id
    )
    if start is not None:
        stmt = stmt.where(table.c.time >= _utc(start, "start"))
    if end is not None:
        stmt = stmt.where(table.c.time <= _utc(end, "end"))
    if quantity is not None:
        stmt = stmt.where(table.c.quantity == quantity)
    rows = session.connection().execute(stmt.order_by(table.c.time)).all()
    return [Reading(room.code, stored_time(time), q, value, unit) for time, q, value, unit in rows]


def stored_time(value: object) -> dt.datetime:
    """A reading time as stored (ISO text on SQLite, a datetime on PostgreSQL) -> UTC."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------- excursions


def _store_excursion(
    session: Session, actor: Actor, room_id: int, exc: Excursion, detected_on: dt.date
) -> ExcursionRecord:
    found = session.exec(
        select(ExcursionRecord).where(
            ExcursionRecord.room_id == room_id,
            ExcursionRecord.quantity == exc.quantity,
            ExcursionRecord.kind == exc.kind,
            ExcursionRecord.start == exc.start,
        )
    ).first()
    if found is not None:
        return found
    return audited_create(
        session,
        ExcursionRecord(
            room_id=room_id,
            quantity=exc.quantity,
            kind=exc.kind,
            start=exc.start,
            end=exc.end,
            max_deviation=exc.max_deviation,
            worst_value=exc.worst_value,
            readings=exc.readings,
            unit=exc.unit,
            detected_on=detected_on,
        ),
        actor,
    )


def detect_room_excursions(
    session: Session,
    actor: Actor,
    *,
    room_id: int,
    start: dt.datetime,
    end: dt.datetime,
    detected_on: dt.date,
) -> list[ExcursionRecord]:
    """Detect excursions outside the room's general limits and store the new ones (6.3.3)."""
    require(actor, Permission.EDIT_RECORDS)
    room = get_room(session, actor, room_id)
    limits = [lim for lim in room_limits(session, actor, room_id) if lim.procedure is None]
    readings = room_readings(session, actor, room_id, start=start, end=end)
    found = detect_excursions(
        readings,
        limits,
        logging_interval=dt.timedelta(minutes=room.logging_interval_minutes),
        start=_utc(start, "start"),
        end=_utc(end, "end"),
    )
    return [_store_excursion(session, actor, room_id, exc, detected_on) for exc in found]


@dataclass(frozen=True)
class FlaggedJob:
    """A job in a room whose conditions left the procedure's limits."""

    job_id: int
    excursions: tuple[Excursion, ...]


def jobs_outside_limits(
    session: Session,
    actor: Actor,
    *,
    room_id: int,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[FlaggedJob]:
    """Jobs performed in the room whose interval overlaps an excursion (own limits).

    Each job is checked with :func:`~calib.assessment.environment.flag_jobs`
    against its procedure's limits over its own interval.

    References
    ----------
    ISO/IEC 17025:2017 6.3.3, 7.10.1.
    """
    require(actor, Permission.VIEW_RECORDS)
    room = get_room(session, actor, room_id)
    stmt = (
        select(JobLocation, Job, Procedure)
        .join(Job, col(Job.id) == JobLocation.job_id)
        .join(Procedure, col(Procedure.id) == Job.procedure_id)
        .where(JobLocation.room_id == room_id)
    )
    if start is not None:
        stmt = stmt.where(JobLocation.finished_at >= _utc(start, "start"))
    if end is not None:
        stmt = stmt.where(JobLocation.started_at <= _utc(end, "end"))
    rows = session.exec(stmt.order_by(col(JobLocation.started_at))).all()
    limits = room_limits(session, actor, room_id)
    if not rows or not limits:
        return []
    interval = dt.timedelta(minutes=room.logging_interval_minutes)
    margin = 2 * interval
    readings = room_readings(
        session,
        actor,
        room_id,
        start=rows[0][0].started_at - margin,
        end=max(r[0].finished_at for r in rows) + margin,
    )
    times = [r.time for r in readings]
    out: list[FlaggedJob] = []
    for location, job, procedure in rows:
        lo = bisect.bisect_left(times, location.started_at - margin)
        hi = bisect.bisect_right(times, location.finished_at + margin)
        interval_job = JobInterval(
            str(job.id), room.code, procedure.code, location.started_at, location.finished_at
        )
        for stub in flag_jobs([interval_job], readings[lo:hi], limits, logging_interval=interval):
            out.append(FlaggedJob(int(job.id or 0), stub.excursions))
    return out


def flag_room_jobs(
    session: Session,
    actor: Actor,
    *,
    room_id: int,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    as_of: dt.date,
) -> list[ImpactAssessment]:
    """Open an impact assessment for each job performed during an excursion (7.10)."""
    require(actor, Permission.EDIT_RECORDS)
    created: list[ImpactAssessment] = []
    for flagged in jobs_outside_limits(session, actor, room_id=room_id, start=start, end=end):
        for exc in flagged.excursions:
            record = _store_excursion(session, actor, room_id, exc, as_of)
            exists = session.exec(
                select(ImpactAssessment).where(
                    ImpactAssessment.job_id == flagged.job_id,
                    ImpactAssessment.excursion_id == record.id,
                )
            ).first()
            if exists is None:
                created.append(
                    audited_create(
                        session,
                        ImpactAssessment(job_id=flagged.job_id, excursion_id=int(record.id or 0)),
                        actor,
                    )
                )
    return created


def list_excursions(
    session: Session, actor: Actor, *, room_id: int | None = None
) -> list[ExcursionRecord]:
    """Stored excursions, newest first."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(ExcursionRecord).order_by(col(ExcursionRecord.start).desc())
    if room_id is not None:
        stmt = stmt.where(ExcursionRecord.room_id == room_id)
    return list(session.exec(stmt))


def list_impact_assessments(
    session: Session, actor: Actor, *, status: str | None = None
) -> list[ImpactAssessment]:
    """Impact assessments, optionally ``open`` or ``closed`` only."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(ImpactAssessment).order_by(col(ImpactAssessment.id))
    if status is not None:
        stmt = stmt.where(ImpactAssessment.status == status)
    return list(session.exec(stmt))


def assess_impact(
    session: Session,
    actor: Actor,
    assessment_id: int,
    *,
    assessment: str,
    decision: str,
    assessed_on: dt.date,
    raise_nc: bool = False,
) -> ImpactAssessment:
    """Record the impact assessment of a flagged job and close it (7.10.1 b, c).

    ``raise_nc`` also raises a nonconformity linked to the assessment.
    """
    require(actor, Permission.EDIT_RECORDS)
    record = session.get(ImpactAssessment, assessment_id)
    if record is None:
        raise NotFoundError(f"no impact assessment with id {assessment_id}")
    if decision not in IMPACT_DECISIONS:
        raise InvalidInputError(
            f"decision must be one of {', '.join(IMPACT_DECISIONS)}, got {decision!r}",
            field="decision",
        )
    if not assessment.strip():
        raise InvalidInputError("assessment must say what was evaluated", field="assessment")
    changes: dict[str, object] = {
        "assessment": assessment,
        "decision": decision,
        "assessed_by": actor.username,
        "assessed_on": assessed_on,
        "status": "closed",
    }
    if raise_nc:
        job = session.get(Job, record.job_id)
        nc = raise_nonconformity(
            session,
            actor,
            description=f"Job {record.job_id} performed during an environmental excursion: "
            f"{assessment}",
            raised_on=assessed_on,
            site_id=None if job is None else job.site_id,
            source_table="env_impact_assessment",
            source_id=assessment_id,
        )
        changes["nonconformity_id"] = nc.id
    return audited_update(session, record, changes, actor)


def add_job_location(
    session: Session,
    actor: Actor,
    *,
    job_id: int,
    room_id: int,
    started_at: dt.datetime,
    finished_at: dt.datetime,
) -> JobLocation:
    """Record where and when a job's measurements were made."""
    require(actor, Permission.EDIT_RECORDS)
    started_at, finished_at = _utc(started_at, "started_at"), _utc(finished_at, "finished_at")
    if finished_at < started_at:
        raise InvalidInputError(
            f"finished_at {finished_at} is before started_at {started_at}", field="finished_at"
        )
    location = JobLocation(
        job_id=job_id, room_id=room_id, started_at=started_at, finished_at=finished_at
    )
    return audited_create(session, location, actor)


# --------------------------------------------------------------------------- check standards


def create_check_standard(
    session: Session,
    actor: Actor,
    *,
    site_id: int,
    code: str,
    name: str,
    unit: str,
    quantity: str = "",
    nominal: float | None = None,
    procedure_id: int | None = None,
    baseline: int = 20,
    subgroup_size: int = 1,
) -> CheckStandard:
    """Register a check standard (6.4.10); lab staff may enter one (``EDIT_RECORDS``)."""
    require(actor, Permission.EDIT_RECORDS)
    code, name, unit = code.strip(), name.strip(), unit.strip()
    if not code:
        raise InvalidInputError("check standard code must not be empty", field="code")
    if not name:
        raise InvalidInputError("check standard description must not be empty", field="name")
    if not unit:
        raise InvalidInputError("unit must not be empty", field="unit")
    if session.get(Site, site_id) is None:
        raise InvalidInputError(f"no site with id {site_id}", field="site_id")
    if session.exec(select(CheckStandard).where(CheckStandard.code == code)).first() is not None:
        raise InvalidInputError(f"a check standard with code {code!r} already exists", field="code")
    if baseline < 2:
        raise InvalidInputError(f"baseline must be >= 2, got {baseline}", field="baseline")
    if not 1 <= subgroup_size <= 25:
        raise InvalidInputError(
            f"subgroup_size must be 1 to 25, got {subgroup_size}", field="subgroup_size"
        )
    standard = CheckStandard(
        site_id=site_id,
        code=code,
        name=name,
        unit=unit,
        quantity=quantity,
        nominal=nominal,
        procedure_id=procedure_id,
        baseline=baseline,
        subgroup_size=subgroup_size,
    )
    return audited_create(session, standard, actor)


def list_check_standards(
    session: Session, actor: Actor, *, site_id: int | None = None
) -> list[CheckStandard]:
    """Check standards by code, optionally of one site."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(CheckStandard).order_by(col(CheckStandard.code))
    if site_id is not None:
        stmt = stmt.where(CheckStandard.site_id == site_id)
    return list(session.exec(stmt))


def add_check_measurements(
    session: Session,
    actor: Actor,
    check_standard_id: int,
    rows: Sequence[tuple[dt.datetime, float, int | None]],
    *,
    performed_by: str = "",
) -> list[CheckMeasurement]:
    """Add measurements ``(measured_at, value, subgroup)`` of a check standard (audited)."""
    require(actor, Permission.EDIT_RECORDS)
    if session.get(CheckStandard, check_standard_id) is None:
        raise NotFoundError(f"no check standard with id {check_standard_id}")
    return [
        audited_create(
            session,
            CheckMeasurement(
                check_standard_id=check_standard_id,
                measured_at=_utc(time, "measured_at"),
                value=float(value),
                subgroup=subgroup,
                performed_by=performed_by or actor.username,
            ),
            actor,
        )
        for time, value, subgroup in rows
    ]


def list_check_measurements(
    session: Session, actor: Actor, check_standard_id: int, *, until: dt.date | None = None
) -> list[CheckMeasurement]:
    """Measurements in time order (up to the end of ``until`` when given)."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(CheckMeasurement).where(CheckMeasurement.check_standard_id == check_standard_id)
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
        stmt = stmt.where(CheckMeasurement.measured_at < end)
    return list(session.exec(stmt.order_by(col(CheckMeasurement.measured_at))))


def check_standard_chart(
    session: Session, actor: Actor, check_standard_id: int, *, until: dt.date | None = None
) -> IndividualsChart | XbarRChart | None:
    """I-MR chart (subgroup size 1) or X-bar/R chart; ``None`` before enough data.

    Limits are frozen from the first ``baseline`` points (subgroups).

    References
    ----------
    Montgomery (2009) 6.2, 6.4; Western Electric (1956) rules as in Montgomery 5.3.6.
    """
    standard = session.get(CheckStandard, check_standard_id)
    if standard is None:
        raise NotFoundError(f"no check standard with id {check_standard_id}")
    data = list_check_measurements(session, actor, check_standard_id, until=until)
    if standard.subgroup_size == 1:
        values = [m.value for m in data]
        if len(values) < 3:
            return None
        return individuals_chart(values, baseline=min(standard.baseline, len(values)))
    groups: dict[int, list[float]] = {}
    for m in data:
        groups.setdefault(m.subgroup if m.subgroup is not None else -1, []).append(m.value)
    subgroups = [v for _, v in sorted(groups.items()) if len(v) == standard.subgroup_size]
    if len(subgroups) < 2:
        return None
    return xbar_r_chart(subgroups, baseline=min(standard.baseline, len(subgroups)))


def set_specification_limit(
    session: Session,
    actor: Actor,
    check_standard_id: int,
    *,
    lsl: float | None,
    usl: float | None,
    source: str = "",
) -> SpecificationLimit:
    """Set the specification limits used for capability (IECQ 03-2 capability analysis)."""
    require(actor, Permission.EDIT_RECORDS)
    if session.get(CheckStandard, check_standard_id) is None:
        raise InvalidInputError(
            f"no check standard with id {check_standard_id}", field="check_standard_id"
        )
    if lsl is None and usl is None:
        raise InvalidInputError("give lsl, usl or both", field="lsl")
    if lsl is not None and usl is not None and lsl >= usl:
        raise InvalidInputError(f"lsl must be < usl, got {lsl} and {usl}", field="lsl")
    found = session.exec(
        select(SpecificationLimit).where(SpecificationLimit.check_standard_id == check_standard_id)
    ).first()
    if found is not None:
        return audited_update(session, found, {"lsl": lsl, "usl": usl, "source": source}, actor)
    spec = SpecificationLimit(check_standard_id=check_standard_id, lsl=lsl, usl=usl, source=source)
    return audited_create(session, spec, actor)


def check_standard_capability(
    session: Session, actor: Actor, check_standard_id: int, *, until: dt.date | None = None
) -> tuple[SpecificationLimit, CapabilityResult] | None:
    """Cp, Cpk, Pp, Ppk with intervals; ``None`` without limits or data.

    References
    ----------
    Montgomery (2009) 8.3; ISO 22514-2:2017.
    """
    require(actor, Permission.VIEW_RECORDS)
    spec = session.exec(
        select(SpecificationLimit).where(SpecificationLimit.check_standard_id == check_standard_id)
    ).first()
    if spec is None:
        return None
    values = [
        m.value for m in list_check_measurements(session, actor, check_standard_id, until=until)
    ]
    if len(values) < 3:
        return None
    return spec, capability(values, lsl=spec.lsl, usl=spec.usl)
