"""Demo data for the assessment (``calib.demo.DEMO_EXTENSIONS``).

Rooms with limits and about 18 months of hourly logger readings (bulk rows, one
audited import per room), one temperature excursion that overlaps a gauge-block
job, one day without readings in the mass laboratory, the room and time of every
job, three check standards (the 10 V reference drifts at the end: a Western
Electric signal), specification limits, the scope vocabulary and the two site
scopes, the master and site certificates, the certification cycle, management
system documents, a management review, method validations and a few assessor
findings. A realistic picture: mostly conforming, a handful of genuine findings.

The foundation's demo assigns performers and authorisers at random; the
authorisations they lacked are added here (the demo's "authorisation matrix"),
except for the person and procedure with the fewest recent jobs, which stays a
genuine finding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

import numpy as np
from sqlmodel import Session, col, select

from calib.assessment.certification import (
    add_management_review,
    add_method_validation,
    add_quality_document,
    add_scope_line,
    assign_scope_line,
    issue_certificate,
)
from calib.assessment.cycle_service import add_cycle_step, start_certification_cycle
from calib.assessment.findings import raise_finding, respond_to_finding
from calib.assessment.records import (
    JobLocation,
    LoggerImport,
)
from calib.assessment.service import (
    add_check_measurements,
    add_limit,
    create_check_standard,
    create_room,
    detect_room_excursions,
    flag_room_jobs,
    insert_readings,
    set_specification_limit,
)
from calib.assessment.spc import individuals_chart
from calib.audit import audited_create
from calib.permissions import Principal
from calib.records import Authorisation, Job, Procedure

if TYPE_CHECKING:
    from calib.demo import DemoContext

__all__ = ["seed_demo"]

# code, site index, name, setpoint degC, humidity %RH, temperature half-width
_ROOMS = [
    ("MAIN-DIM", 0, "Dimensional laboratory", 20.0, 45.0, 1.0),
    ("MAIN-MAS", 0, "Mass laboratory", 20.0, 50.0, 1.5),
    ("MAIN-ELE", 0, "Electrical and thermal laboratory", 23.0, 45.0, 2.0),
    ("NORTH-LAB", 1, "North calibration laboratory", 21.0, 45.0, 2.0),
]
_ROOM_OF = {"CP-LEN-01": "MAIN-DIM", "CP-MAS-01": "MAIN-MAS"}
_SCOPE = [
    ("SL-LEN-01", "Gauge blocks, length", 0.5, 100.0, "mm", 0.05, "µm", "CP-LEN-01", 1),
    ("SL-MAS-01", "Mass, weights", 1.0, 10.0, "kg", 0.8, "mg/kg", "CP-MAS-01", 0),
    ("SL-ELE-01", "DC voltage, DMM", 0.0, 10.0, "V", 2.0, "µV/V", "CP-ELE-01", 0),
    ("SL-TMP-01", "Temperature, type R thermocouple", 0.0, 1000.0, "°C", 0.3, "K", "CP-TMP-01", 0),
    ("SL-PRS-01", "Pressure, dial gauge", 0.0, 10.0, "MPa", 0.05, "%", "CP-PRS-01", 1),
    ("SL-TOR-01", "Torque, hand torque tools", 5.0, 500.0, "N·m", 0.5, "%", "CP-TOR-01", 0),
]


def _at(day: dt.date, hour: float = 0.0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(hours=hour)


def _readings(
    session: Session,
    ctx: DemoContext,
    room_id: int,
    code: str,
    setpoint: float,
    humidity: float,
    start: dt.datetime,
    hours: int,
    *,
    spike: tuple[dt.datetime, int] | None,
    gap: tuple[dt.datetime, int] | None,
) -> None:
    rng = ctx.rng
    t = np.arange(hours)
    temp = setpoint + 0.25 * np.sin(2 * np.pi * (t % 24) / 24) + rng.normal(0, 0.08, hours)
    hum = humidity + 4 * np.sin(2 * np.pi * t / (24 * 365)) + rng.normal(0, 1.0, hours)
    keep = np.ones(hours, dtype=bool)
    if spike is not None:
        first = int((spike[0] - start).total_seconds() // 3600)
        temp[first : first + spike[1]] += np.array([0.9, 1.3, 1.5, 1.4, 1.1][: spike[1]])
    if gap is not None:
        first = int((gap[0] - start).total_seconds() // 3600)
        keep[first : first + gap[1]] = False
    times = [start + dt.timedelta(hours=int(i)) for i in t[keep]]
    content = f"{code}:{start.isoformat()}:{hours}:{float(temp.sum()):.6f}".encode()
    batch = audited_create(
        session,
        LoggerImport(
            room_id=room_id,
            filename=f"{code.lower()}-logger.csv",
            sha256=hashlib.sha256(content).hexdigest(),
            readings=2 * len(times),
            first_time=times[0],
            last_time=times[-1],
            imported_at=_at(ctx.as_of),
            imported_by=ctx.actor.username,
        ),
        ctx.actor,
    )
    rows = []
    for when, tv, hv in zip(times, temp[keep], hum[keep], strict=True):
        rows.append(
            {
                "import_id": batch.id,
                "room_id": room_id,
                "time": when,
                "quantity": "temperature",
                "value": round(float(tv), 3),
                "unit": "degC",
            }
        )
        rows.append(
            {
                "import_id": batch.id,
                "room_id": room_id,
                "time": when,
                "quantity": "humidity",
                "value": round(float(hv), 2),
                "unit": "%RH",
            }
        )
    insert_readings(session, rows)


def _clean_series(ctx: DemoContext, n: int, mean: float, sd: float, baseline: int) -> np.ndarray:
    """A series without any Western Electric signal (redrawn from the seeded generator)."""
    for _ in range(200):
        values = mean + sd * ctx.rng.standard_normal(n)
        if not individuals_chart(values.tolist(), baseline=baseline).signals:
            return values
    return values


def _fix_authorisations(session: Session, ctx: DemoContext, procedures: dict[int, str]) -> None:
    auths: dict[tuple[int, str], list[Authorisation]] = {}
    for auth in session.exec(select(Authorisation)):
        auths.setdefault((auth.person_id, procedures[auth.procedure_id]), []).append(auth)
    lapsed = {key for key, found in auths.items() if all(a.valid_until < ctx.as_of for a in found)}
    missing: dict[tuple[int, str], int] = {}
    since = ctx.as_of - dt.timedelta(days=365)
    for job in session.exec(select(Job)):
        code = procedures[job.procedure_id]
        for person, day in (
            (job.performed_by_id, job.received_on),
            (job.authorised_by_id, job.delivered_on),
        ):
            if person is None or day is None or (person, code) in lapsed:
                continue
            if not any(a.valid_from <= day <= a.valid_until for a in auths.get((person, code), [])):
                missing[(person, code)] = missing.get((person, code), 0) + (day >= since)
    # The pair with the fewest recent jobs stays unauthorised: a genuine finding.
    recent = sorted((n, key) for key, n in missing.items() if n > 0)
    kept = recent[0][1] if recent else None
    for person, code in sorted(missing):
        if (person, code) == kept:
            continue
        audited_create(
            session,
            Authorisation(
                person_id=person,
                procedure_id=ctx.procedure_ids[code],
                valid_from=ctx.as_of - dt.timedelta(days=730),
                valid_until=ctx.as_of + dt.timedelta(days=400),
                authorised_by_id=ctx.person_ids[1],
            ),
            ctx.actor,
        )


def seed_demo(session: Session, context: DemoContext) -> None:
    """Seed rooms, readings, excursion, job locations, check standards, scopes, cycle."""
    ctx, actor, as_of = context, context.actor, context.as_of
    procedures = {int(p.id or 0): p.code for p in session.exec(select(Procedure))}
    _fix_authorisations(session, ctx, procedures)
    start = _at(as_of - dt.timedelta(days=548))
    hours = 548 * 24
    excursion_at = _at(as_of - dt.timedelta(days=40), 10)
    gap_at = _at(as_of - dt.timedelta(days=6))
    rooms: dict[str, int] = {}
    for code, site_index, name, setpoint, humidity, half in _ROOMS:
        room = create_room(session, actor, site_id=ctx.site_ids[site_index], code=code, name=name)
        rid = int(room.id or 0)
        rooms[code] = rid
        add_limit(
            session, actor, room_id=rid, quantity="temperature", unit="degC",
            low=setpoint - half, high=setpoint + half,
        )  # fmt: skip
        add_limit(session, actor, room_id=rid, quantity="humidity", unit="%RH", low=30, high=70)
        if code == "MAIN-DIM":
            add_limit(
                session, actor, room_id=rid, quantity="temperature", unit="degC",
                low=19.5, high=20.5, procedure_id=ctx.procedure_ids["CP-LEN-01"],
            )  # fmt: skip
        _readings(
            session, ctx, rid, code, setpoint, humidity, start, hours,
            spike=(excursion_at, 5) if code == "MAIN-DIM" else None,
            gap=(gap_at, 24) if code == "MAIN-MAS" else None,
        )  # fmt: skip
    # Where and when each job was performed.
    rnd = ctx.random
    target_day = excursion_at.date()
    excursion_job = next(
        (
            int(job.id or 0)
            for job in session.exec(select(Job).order_by(col(Job.id)))
            if job.site_id == ctx.site_ids[0]
            and procedures[job.procedure_id] == "CP-LEN-01"
            and job.received_on < target_day
            and (job.delivered_on is None or job.delivered_on >= target_day)
        ),
        None,
    )
    for job in session.exec(select(Job).order_by(col(Job.id))):
        code = procedures[job.procedure_id]
        room_code = (
            _ROOM_OF.get(code, "MAIN-ELE") if job.site_id == ctx.site_ids[0] else "NORTH-LAB"
        )
        day = job.received_on + dt.timedelta(days=rnd.randint(1, 3))
        if job.delivered_on is not None:
            day = min(day, job.delivered_on)
        if day >= as_of:
            continue
        begin = _at(day, rnd.choice([8, 9, 10, 13]))
        if job.id == excursion_job:
            begin = excursion_at - dt.timedelta(hours=1)
        audited_create(
            session,
            JobLocation(
                job_id=int(job.id or 0),
                room_id=rooms[room_code],
                started_at=begin,
                finished_at=begin + dt.timedelta(hours=rnd.choice([2, 3, 4, 5])),
            ),
            actor,
        )
    # The detection of the latest import (the last 60 days).
    period = (_at(as_of - dt.timedelta(days=60)), _at(as_of))
    for rid in rooms.values():
        detect_room_excursions(
            session, actor, room_id=rid, start=period[0], end=period[1], detected_on=as_of
        )
        flag_room_jobs(session, actor, room_id=rid, start=period[0], end=period[1], as_of=as_of)
    _seed_check_standards(session, ctx)
    _seed_scopes(session, ctx)
    _seed_system(session, ctx, procedures)
    _seed_findings(session, ctx, rooms)


def _seed_check_standards(session: Session, ctx: DemoContext) -> None:
    actor, as_of = ctx.actor, ctx.as_of
    weeks = 76
    days = [as_of - dt.timedelta(days=7 * (weeks - i)) for i in range(weeks)]
    dcv = create_check_standard(
        session, actor, site_id=ctx.site_ids[0], code="CS-DCV-10V",
        name="Zener reference 10 V (check standard)", quantity="voltage", unit="µV",
        nominal=0.0, procedure_id=ctx.procedure_ids["CP-ELE-01"], baseline=25,
    )  # fmt: skip
    values = _clean_series(ctx, weeks, 1.2, 0.6, 25)
    values[-8:] += 1.6  # drift at the end: 8 points above the centre line (WE2-WE4)
    add_check_measurements(
        session, actor, int(dcv.id or 0),
        [(_at(d, 9), round(float(v), 3), None) for d, v in zip(days, values, strict=True)],
        performed_by="Daniel Okafor",
    )  # fmt: skip
    set_specification_limit(
        session, actor, int(dcv.id or 0), lsl=-8.0, usl=8.0, source="CP-ELE-01 acceptance"
    )
    mass = create_check_standard(
        session, actor, site_id=ctx.site_ids[0], code="CS-MAS-10KG",
        name="10 kg check weight", quantity="mass", unit="mg", nominal=0.0,
        procedure_id=ctx.procedure_ids["CP-MAS-01"], baseline=25,
    )  # fmt: skip
    values = _clean_series(ctx, weeks, 2.0, 1.0, 25)
    add_check_measurements(
        session, actor, int(mass.id or 0),
        [(_at(d, 10), round(float(v), 3), None) for d, v in zip(days, values, strict=True)],
        performed_by="Eva Novak",
    )  # fmt: skip
    set_specification_limit(
        session, actor, int(mass.id or 0), lsl=-16.0, usl=16.0, source="OIML R 111 F1 MPE"
    )
    pressure = create_check_standard(
        session, actor, site_id=ctx.site_ids[1], code="CS-PRS-5MPA",
        name="Reference gauge at 5 MPa", quantity="pressure", unit="kPa", nominal=0.0,
        procedure_id=ctx.procedure_ids["CP-PRS-01"], baseline=12, subgroup_size=4,
    )  # fmt: skip
    rows = []
    for month in range(18):
        day = as_of - dt.timedelta(days=30 * (18 - month))
        for k in range(4):
            value = 0.4 + 0.5 * float(ctx.rng.standard_normal())
            rows.append((_at(day, 9 + k), round(value, 3), month))
    add_check_measurements(session, actor, int(pressure.id or 0), rows, performed_by="Jonas Berg")


def _seed_scopes(session: Session, ctx: DemoContext) -> None:
    actor, as_of = ctx.actor, ctx.as_of
    for code, measurand, low, high, unit, cmc, cmc_unit, procedure, site_index in _SCOPE:
        line = add_scope_line(
            session, actor, code=code, measurand=measurand, range_min=low, range_max=high,
            unit=unit, cmc_value=cmc, cmc_unit=cmc_unit, procedure_id=ctx.procedure_ids[procedure],
        )  # fmt: skip
        assign_scope_line(
            session, actor, site_id=ctx.site_ids[site_index], scope_line_id=int(line.id or 0)
        )
    certified_on = as_of - dt.timedelta(days=425)
    master = issue_certificate(
        session, actor, number="IECQ-DEMO-0001", site_id=ctx.site_ids[0], kind="master",
        issued_on=certified_on,
    )  # fmt: skip
    issue_certificate(
        session, actor, number="IECQ-DEMO-0001-01", site_id=ctx.site_ids[1], kind="site",
        issued_on=certified_on, master_certificate_id=master.id,
    )  # fmt: skip
    cycle = start_certification_cycle(
        session, actor, certificate_id=int(master.id or 0),
        certification_body="Demo Certification Body (IECQ CB)",
        standards="IECQ 03-2; ISO/IEC 17025:2017",
    )  # fmt: skip
    cid = int(cycle.id or 0)
    for key, days_before in (
        ("applicable_standards", 200),
        ("certification_body", 160),
        ("evaluation", 60),
        ("report", 30),
    ):
        add_cycle_step(
            session, actor, cid, key=key, done_on=certified_on - dt.timedelta(days=days_before)
        )
    add_cycle_step(
        session, actor, cid, key="surveillance_1", done_on=as_of - dt.timedelta(days=52),
        note="Surveillance audit: 2 minor findings, closed",
    )  # fmt: skip


def _seed_system(session: Session, ctx: DemoContext, procedures: dict[int, str]) -> None:
    actor, as_of, rnd = ctx.actor, ctx.as_of, ctx.random
    for code, title, kind in (
        ("QM-01", "Quality manual", "manual"),
        ("QP-01", "Quality policy and objectives", "policy"),
        ("QP-07", "Control of documents and records", "procedure"),
        ("QP-12", "Nonconforming work and corrective action", "procedure"),
    ):
        add_quality_document(
            session, actor, code=code, title=title, kind=kind,
            approved_on=as_of - dt.timedelta(days=rnd.randint(120, 500)),
            review_due=as_of + dt.timedelta(days=rnd.randint(60, 300)),
        )  # fmt: skip
    add_management_review(
        session, actor, held_on=as_of - dt.timedelta(days=150), chaired_by="Alice Martin",
        inputs="Audit results, PT results, customer feedback, complaints, corrective actions",
        outputs="Second signatory per site; environmental monitoring of the mass room upgraded",
    )  # fmt: skip
    for pid, code in sorted(procedures.items()):
        proc = session.get(Procedure, pid)
        if proc is None or proc.status != "approved":
            continue
        if proc.supersedes_id is not None and proc.effective_from is not None:
            validated = proc.effective_from - dt.timedelta(days=14)
        elif any(p.supersedes_id == pid for p in session.exec(select(Procedure))):
            continue
        else:
            validated = as_of - dt.timedelta(days=rnd.randint(100, 600))
        add_method_validation(
            session, actor, procedure_id=pid, validated_on=validated,
            summary=f"{code} v{proc.version}: verification of performance (bias, repeatability, "
            "uncertainty budget) reviewed",
        )  # fmt: skip


def _seed_findings(session: Session, ctx: DemoContext, rooms: dict[str, int]) -> None:
    as_of = ctx.as_of
    assessor = Principal("assessor", "assessor", user_id=ctx.user_ids.get("assessor"))
    manager = Principal("manager", "manager", user_id=ctx.user_ids.get("manager"))
    raise_finding(
        session, assessor, requirement_id="ENV-01", grade="minor", site_id=ctx.site_ids[0],
        statement="A gauge-block job was performed during a temperature excursion in the "
        "dimensional laboratory; the impact assessment is still open.",
        evidence_refs=[f"env_room:{rooms['MAIN-DIM']}"], raised_on=as_of - dt.timedelta(days=3),
        due_on=as_of + dt.timedelta(days=60),
    )  # fmt: skip
    raise_finding(
        session, assessor, requirement_id="EQP-02", grade="observation", site_id=ctx.site_ids[0],
        statement="The 10 V check standard shows a run above the centre line; consider an "
        "investigation before the next calibration of the reference.",
        evidence_refs=["check_standard:1"], raised_on=as_of - dt.timedelta(days=3),
    )  # fmt: skip
    responded = raise_finding(
        session, assessor, requirement_id="PERS-01", grade="minor", site_id=ctx.site_ids[1],
        statement="The authorisation matrix of the North site was not updated after an "
        "authorisation lapsed.",
        raised_on=as_of - dt.timedelta(days=3), due_on=as_of + dt.timedelta(days=30),
    )  # fmt: skip
    respond_to_finding(
        session, manager, int(responded.id or 0),
        response="Authorisation renewal added to the monthly site review; affected job "
        "re-assigned to an authorised metrologist.",
        responded_on=as_of - dt.timedelta(days=1),
    )  # fmt: skip
