"""A deterministic demo lab, anchored on an ``as_of`` date (default: today).

Everything is drawn from one seeded ``random.Random`` so the same ``as_of`` and
``seed`` give the same lab; all writes go through the audit trail, so
``calib audit verify`` passes right after ``calib demo``.

Later waves add their own demo data through :data:`DEMO_EXTENSIONS`: each entry is
``"module:function"``, called in order as ``function(session, context)`` after the
lab is seeded (modules that are not importable yet are skipped).
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from calib.audit import audited_create, new_version
from calib.auth import create_user
from calib.db import import_record_modules, is_empty, session_scope, upgrade
from calib.lab import create_job, release_job
from calib.permissions import Principal
from calib.quality import (
    close_corrective_action,
    close_nonconformity,
    open_corrective_action,
    raise_nonconformity,
    record_effectiveness,
)
from calib.records import (
    Authorisation,
    Customer,
    Lab,
    Person,
    Procedure,
    Qualification,
    Site,
    Training,
)
from uncertainty.errors import ConflictError

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_ACTOR",
    "DEMO_EXTENSIONS",
    "DemoContext",
    "load_demo",
    "reset_database",
    "run_extensions",
    "seed_demo",
]

#: ``"module:function"`` hooks called as ``function(session, context)`` after the lab.
DEMO_EXTENSIONS: list[str] = [
    "calib.demo.ilc:seed_demo",
    "calib.demo.satisfaction:seed_demo",
    "calib.demo.uncertainty:seed_demo",
    "calib.demo.traceability:seed_demo",
    "calib.assessment.demo:seed_demo",
]

#: username -> (password, role). Printed by ``calib demo``; documented in docs/foundation.md.
DEMO_ACCOUNTS: dict[str, tuple[str, str]] = {
    "admin": ("admin-demo", "admin"),
    "manager": ("manager-demo", "manager"),
    "staff": ("staff-demo", "staff"),
    "assessor": ("assessor-demo", "assessor"),
}

DEMO_ACTOR = Principal(username="demo", role="admin")
DEFAULT_SEED = 17025

_PROCEDURES = [
    ("CP-LEN-01", "Gauge blocks by mechanical comparison", "length"),
    ("CP-MAS-01", "Mass 10 kg by substitution weighing", "mass"),
    ("CP-ELE-01", "Digital multimeter, 10 V DC", "voltage"),
    ("CP-TMP-01", "Type R thermocouple at 1000 degC by comparison", "temperature"),
    ("CP-PRS-01", "Dial pressure gauge, 0 to 10 MPa", "pressure"),
    ("CP-TOR-01", "Torque wrench, 5 to 500 N m", "torque"),
]
_ITEMS = {
    "CP-LEN-01": "Gauge block set, grade 1",
    "CP-MAS-01": "Weight 10 kg, class F1",
    "CP-ELE-01": "Digital multimeter 6.5 digit",
    "CP-TMP-01": "Thermocouple type R",
    "CP-PRS-01": "Pressure gauge 10 MPa",
    "CP-TOR-01": "Torque wrench 200 N m",
}
_STAFF = [
    ("Alice Martin", "Quality manager", 0),
    ("Bruno Keller", "Technical manager", 0),
    ("Chiara Rossi", "Senior metrologist", 0),
    ("Daniel Okafor", "Metrologist", 0),
    ("Eva Novak", "Metrologist", 0),
    ("Farid Haddad", "Technician", 0),
    ("Greta Lund", "Technician", 0),
    ("Hiro Tanaka", "Metrologist", 0),
    ("Ines Duarte", "Site lead", 1),
    ("Jonas Berg", "Metrologist", 1),
    ("Kavya Rao", "Technician", 1),
    ("Liam Byrne", "Technician", 1),
]
_CUSTOMER_WORDS = (
    ["Apex", "Boreal", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Helix", "Iris", "Juniper"],
    ["Aerospace", "Instruments", "Pharma", "Motors", "Energy", "Foods", "Labs", "Systems"],
)
_CITIES = [("Lyon", "FR"), ("Turin", "IT"), ("Graz", "AT"), ("Basel", "CH"), ("Ghent", "BE")]


@dataclass
class DemoContext:
    """What an extension gets: the anchor date, seeded generators and the ids created."""

    as_of: dt.date
    seed: int
    rng: np.random.Generator
    random: random.Random
    actor: Principal
    lab_id: int
    site_ids: list[int] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)
    procedure_ids: dict[str, int] = field(default_factory=dict)
    job_ids: list[int] = field(default_factory=list)
    user_ids: dict[str, int] = field(default_factory=dict)
    extensions_run: list[str] = field(default_factory=list)
    extensions_skipped: list[str] = field(default_factory=list)


def _seed_people(session: Session, ctx: DemoContext) -> None:
    rnd, as_of = ctx.random, ctx.as_of
    for name, title, site_index in _STAFF:
        first, last = name.lower().split()
        person = audited_create(
            session,
            Person(
                site_id=ctx.site_ids[site_index],
                name=name,
                email=f"{first}.{last}@demo-lab.example",
                job_title=title,
            ),
            ctx.actor,
        )
        pid = int(person.id or 0)
        ctx.person_ids.append(pid)
        audited_create(
            session,
            Qualification(
                person_id=pid,
                title=rnd.choice(["MSc Physics", "BEng Mechanical", "Dipl. Metrology", "BSc"]),
                issuer="University",
                awarded_on=as_of - dt.timedelta(days=rnd.randint(3 * 365, 15 * 365)),
            ),
            ctx.actor,
        )
        for course in rnd.sample(
            [
                "GUM uncertainty evaluation",
                "ISO/IEC 17025:2017",
                "Dimensional metrology",
                "Mass calibration",
                "Thermometry",
                "Electrical metrology",
            ],
            2,
        ):
            audited_create(
                session,
                Training(
                    person_id=pid,
                    title=course,
                    provider="Demo Academy",
                    # 60 to 700 days ago: everyone's training is within the 24-month
                    # review interval (same draw as before, rescaled, so the seed's
                    # other data do not move)
                    completed_on=as_of
                    - dt.timedelta(days=60 + (rnd.randint(60, 900) - 60) * 640 // 840),
                ),
                ctx.actor,
            )


def _seed_authorisations(session: Session, ctx: DemoContext) -> None:
    rnd, as_of = ctx.random, ctx.as_of
    codes = list(ctx.procedure_ids)
    special = {2: 21, 5: 45, 9: -12}  # two expire within 60 days, one expired
    for index, pid in enumerate(ctx.person_ids):
        for number, code in enumerate(rnd.sample(codes, 3)):
            days = (
                special.get(index, rnd.randint(120, 700)) if number == 0 else rnd.randint(120, 700)
            )
            audited_create(
                session,
                Authorisation(
                    person_id=pid,
                    procedure_id=ctx.procedure_ids[code],
                    valid_from=as_of - dt.timedelta(days=730),
                    valid_until=as_of + dt.timedelta(days=days),
                    authorised_by_id=ctx.person_ids[1],
                ),
                ctx.actor,
            )


def _seed_jobs(session: Session, ctx: DemoContext) -> list[tuple[int, bool]]:
    rnd, as_of = ctx.random, ctx.as_of
    month_start = as_of.replace(day=1)
    first_day = month_start - dt.timedelta(days=540)
    dates = sorted(
        [first_day + dt.timedelta(days=rnd.randint(0, 539)) for _ in range(380)]
        + [
            month_start + dt.timedelta(days=rnd.randint(0, (as_of - month_start).days))
            for _ in range(20)
        ]
    )
    codes = list(ctx.procedure_ids)
    released: list[tuple[int, bool]] = []
    for number, received in enumerate(dates, start=1):
        site_index = 0 if rnd.random() < 0.75 else 1
        staff = [
            pid for pid, (_, _, s) in zip(ctx.person_ids, _STAFF, strict=True) if s == site_index
        ]
        code = rnd.choice(codes)
        turnaround = rnd.choice([7, 10, 10, 14])
        due = received + dt.timedelta(days=turnaround)
        job = create_job(
            session,
            ctx.actor,
            site_id=ctx.site_ids[site_index],
            customer_id=rnd.choice(ctx.customer_ids),
            procedure_id=ctx.procedure_ids[code],
            item_description=_ITEMS[code],
            item_serial=f"SN{rnd.randint(10000, 99999)}",
            received_on=received,
            due_on=due,
            performed_by_id=rnd.choice(staff),
            status="in_progress",
        )
        jid = int(job.id or 0)
        ctx.job_ids.append(jid)
        late = rnd.random() < 0.12
        delivered = (
            due + dt.timedelta(days=rnd.randint(1, 9))
            if late
            else due - dt.timedelta(days=rnd.randint(0, max(0, turnaround - 3)))
        )
        if delivered <= as_of:
            release_job(
                session,
                ctx.actor,
                jid,
                certificate_number=f"DEMO-{received.year}-{number:05d}",
                delivered_on=delivered,
                authorised_by_id=ctx.person_ids[rnd.choice([1, 2])],
            )
            released.append((jid, late))
    return released


def _seed_quality(session: Session, ctx: DemoContext, released: list[tuple[int, bool]]) -> None:
    as_of, actor = ctx.as_of, ctx.actor
    late_job = next((jid for jid, late in released if late), ctx.job_ids[0])
    nc1 = raise_nonconformity(
        session,
        actor,
        description="Certificate delivered after the agreed due date",
        raised_on=as_of - dt.timedelta(days=200),
        site_id=ctx.site_ids[0],
        source_table="job",
        source_id=late_job,
    )
    ca1 = open_corrective_action(
        session,
        actor,
        int(nc1.id or 0),
        opened_on=as_of - dt.timedelta(days=198),
        root_cause="Single authorised signatory absent; no deputy planned",
        actions="Second signatory authorised; absence planning added to weekly meeting",
        due_on=as_of - dt.timedelta(days=140),
    )
    record_effectiveness(
        session,
        actor,
        int(ca1.id or 0),
        check="On-time delivery over the following 6 weeks was 96 % (target 90 %)",
        verified_on=as_of - dt.timedelta(days=146),
    )
    close_corrective_action(  # 53 days after opening (CA-01 limit: 90 days)
        session, actor, int(ca1.id or 0), closed_on=as_of - dt.timedelta(days=145)
    )
    close_nonconformity(session, actor, int(nc1.id or 0))
    nc2 = raise_nonconformity(
        session,
        actor,
        description="Reference thermocouple used 12 days past its calibration due date",
        raised_on=as_of - dt.timedelta(days=20),
        site_id=ctx.site_ids[1],
        severity="major",
        source_table="procedure",
        source_id=ctx.procedure_ids["CP-TMP-01"],
    )
    open_corrective_action(
        session,
        actor,
        int(nc2.id or 0),
        opened_on=as_of - dt.timedelta(days=18),
        root_cause="Recall list not checked at the additional site",
        actions="Impact review of 9 affected jobs; recall list shared across sites",
        due_on=as_of + dt.timedelta(days=30),
    )
    raise_nonconformity(
        session,
        actor,
        description="Environmental record missing for one day in the mass laboratory",
        raised_on=as_of - dt.timedelta(days=5),
        site_id=ctx.site_ids[0],
    )


def seed_demo(
    session: Session,
    *,
    as_of: dt.date | None = None,
    seed: int = DEFAULT_SEED,
    extensions: Sequence[str] | None = None,
) -> DemoContext:
    """Seed the demo lab in ``session`` (one transaction; the caller commits)."""
    as_of = as_of or dt.date.today()
    rnd = random.Random(seed)
    actor = DEMO_ACTOR
    lab = audited_create(
        session,
        Lab(
            name="Demo Calibration Laboratory",
            legal_entity="Demo Metrology Ltd",
            accreditation_body="DEMO-AB",
            accreditation_number="DEMO-0001",
        ),
        actor,
    )
    ctx = DemoContext(
        as_of=as_of,
        seed=seed,
        rng=np.random.default_rng(seed),
        random=rnd,
        actor=actor,
        lab_id=int(lab.id or 0),
    )
    for code, name, master, street, city, postcode in [
        ("MAIN", "Main laboratory", True, "1 Metrology Way", "Lyon", "69007"),
        ("NORTH", "North site", False, "22 Harbour Road", "Ghent", "9000"),
    ]:
        site = audited_create(
            session,
            Site(
                lab_id=ctx.lab_id,
                code=code,
                name=name,
                is_master=master,
                street=street,
                city=city,
                postcode=postcode,
                country="FR" if city == "Lyon" else "BE",
            ),
            actor,
        )
        ctx.site_ids.append(int(site.id or 0))
    for code, title, quantity in _PROCEDURES:
        procedure = audited_create(
            session,
            Procedure(
                code=code,
                title=title,
                quantity=quantity,
                effective_from=as_of - dt.timedelta(days=3 * 365),
                status="approved",
            ),
            actor,
        )
        if code == "CP-LEN-01":
            procedure = new_version(
                session,
                procedure,
                {"status": "approved", "effective_from": as_of - dt.timedelta(days=400)},
                actor,
            )
        ctx.procedure_ids[code] = int(procedure.id or 0)
    _seed_people(session, ctx)
    _seed_authorisations(session, ctx)
    for index in range(40):
        city, country = _CITIES[index % len(_CITIES)]
        first = _CUSTOMER_WORDS[0][index % 10]
        second = _CUSTOMER_WORDS[1][(index * 3 + index // 10) % 8]
        customer = audited_create(
            session,
            Customer(
                name=f"{first} {second} {index + 1:02d}",
                contact_name=f"Contact {index + 1}",
                contact_email=f"quality{index + 1}@customer.example",
                city=city,
                country=country,
            ),
            actor,
        )
        ctx.customer_ids.append(int(customer.id or 0))
    released = _seed_jobs(session, ctx)
    _seed_quality(session, ctx, released)
    # admin is the technical manager: an approver independent of the quality
    # manager's own jobs (complaint outcomes, ISO/IEC 17025:2017 7.9.6)
    persons = {"manager": ctx.person_ids[0], "admin": ctx.person_ids[1], "staff": ctx.person_ids[3]}
    for username, (password, role) in DEMO_ACCOUNTS.items():
        user = create_user(
            session,
            actor,
            username=username,
            password=password,
            role=role,
            email=f"{username}@demo-lab.example",
            display_name=f"Demo {role}",
            person_id=persons.get(username),
        )
        ctx.user_ids[username] = int(user.id or 0)
    run_extensions(session, ctx, DEMO_EXTENSIONS if extensions is None else extensions)
    return ctx


def run_extensions(session: Session, ctx: DemoContext, extensions: Sequence[str]) -> None:
    """Call each ``"module:function"`` with ``(session, ctx)``; skip missing modules."""
    for spec in extensions:
        module_name, _, function_name = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                ctx.extensions_skipped.append(spec)
                continue
            raise
        getattr(module, function_name)(session, ctx)
        ctx.extensions_run.append(spec)


def reset_database(engine: Engine) -> None:
    """Drop every calib table (and the Alembic stamp), then migrate from empty."""
    import_record_modules()
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)


def load_demo(
    engine: Engine,
    *,
    as_of: dt.date | None = None,
    reset: bool = False,
    seed: int = DEFAULT_SEED,
) -> DemoContext:
    """Migrate, refuse a non-empty database unless ``reset``, then seed in one transaction.

    Raises
    ------
    ConflictError
        The database already holds a lab and ``reset`` is false.
    """
    if reset:
        reset_database(engine)
    else:
        upgrade(engine)
        if not is_empty(engine):
            raise ConflictError(
                "the database already holds a lab; use `calib demo --reset` to replace it"
            )
    with session_scope(engine) as session:
        return seed_demo(session, as_of=as_of, seed=seed)
