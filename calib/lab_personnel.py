"""Personnel services: staff, competence evidence and authorisations (ISO/IEC 17025:2017 6.2).

Every function takes a ``Session`` and the acting user and calls
:func:`~calib.permissions.require` first; every write goes through
:func:`~calib.audit.audited_create` / :func:`~calib.audit.audited_update`. All input is
checked before the first write, so a refused call stores nothing (and the caller's
``session_scope`` rolls back anything else on error).

An authorisation is for a procedure *code*: it covers every version of the procedure,
as the assessment rule ``authorisations_valid_at_job_date`` reads it
(``calib/assessment/rules_lab.py``). It is valid on ``valid_from`` through
``valid_until`` inclusive. Withdrawing one ends it the day before the withdrawal date
(the record stays: an assessor sees who was authorised when).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from calib.audit import audited_create, audited_update
from calib.permissions import Actor, Permission, require
from calib.records import Authorisation, Person, Procedure, Qualification, Site, Training
from uncertainty.errors import ConflictError, InvalidInputError

__all__ = [
    "AuthorisationMatrix",
    "AuthorisationRow",
    "authorisation_matrix",
    "create_person",
    "grant_authorisation",
    "list_authorisations",
    "list_qualifications",
    "list_trainings",
    "record_qualification",
    "record_training",
    "required_text",
    "update_person",
    "valid_authorisation",
    "valid_email",
    "withdraw_authorisation",
]

T = TypeVar("T", bound=SQLModel)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PERSON_FIELDS = frozenset({"name", "email", "job_title", "active", "site_id"})


def required_text(value: object, field_name: str) -> str:
    """``value`` stripped; ``InvalidInputError`` naming ``field_name`` when blank."""
    text = str(value if value is not None else "").strip()
    if not text:
        raise InvalidInputError(f"{field_name} must not be empty", field=field_name)
    return text


def valid_email(value: object, field_name: str = "email") -> str:
    """A blank string or an address of the form ``name@domain.tld``."""
    text = str(value if value is not None else "").strip()
    if text and not _EMAIL.match(text):
        raise InvalidInputError(
            f"{field_name} must look like name@example.org, got {text!r}", field=field_name
        )
    return text


def _row(session: Session, model: type[T], record_id: object, field_name: str) -> T:
    """The row ``record_id`` of ``model`` or ``InvalidInputError`` naming the field."""
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        raise InvalidInputError(f"{field_name} must be a record id", field=field_name)
    row = session.get(model, record_id)
    if row is None:
        table = getattr(model, "__tablename__", model.__name__)
        raise InvalidInputError(f"{field_name}: no {table} with id {record_id}", field=field_name)
    return row


def _date(value: object, field_name: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidInputError(f"{field_name} must be a date", field=field_name)
    return value


def _not_future(day: dt.date, field_name: str, today: dt.date | None) -> dt.date:
    limit = today or dt.date.today()
    if day > limit:
        raise InvalidInputError(
            f"{field_name} {day} is in the future (today is {limit}): record evidence "
            "once it exists",
            field=field_name,
        )
    return day


# --------------------------------------------------------------------------- people


def create_person(
    session: Session,
    actor: Actor,
    *,
    site_id: int,
    name: str,
    email: str = "",
    job_title: str = "",
) -> Person:
    """Add a member of staff to a site (ISO/IEC 17025:2017 6.2.1)."""
    require(actor, Permission.MANAGE_LAB)
    person = Person(
        site_id=_row(session, Site, site_id, "site_id").id or 0,
        name=required_text(name, "name"),
        email=valid_email(email),
        job_title=str(job_title or "").strip(),
    )
    return audited_create(session, person, actor)


def update_person(
    session: Session, actor: Actor, person_id: int, changes: dict[str, Any]
) -> Person:
    """Change a person's name, e-mail, job title, site or ``active`` flag (leaver = inactive)."""
    require(actor, Permission.MANAGE_LAB)
    person = _row(session, Person, person_id, "person_id")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in _PERSON_FIELDS:
            raise InvalidInputError(
                f"a person has no editable field {key!r}; allowed: {', '.join(sorted(_PERSON_FIELDS))}",
                field=key,
            )
        if key == "name":
            clean[key] = required_text(value, "name")
        elif key == "email":
            clean[key] = valid_email(value)
        elif key == "site_id":
            clean[key] = _row(session, Site, value, "site_id").id
        elif key == "active":
            if not isinstance(value, bool):
                raise InvalidInputError("active must be true or false", field="active")
            clean[key] = value
        else:
            clean[key] = str(value or "").strip()
    return audited_update(session, person, clean, actor)


# --------------------------------------------------------------------------- competence


def _competence_record(
    session: Session,
    actor: Actor,
    model: type[T],
    person_id: int,
    title: str,
    dated: tuple[str, dt.date, dt.date | None],
    source: tuple[str, str],
) -> T:
    require(actor, Permission.MANAGE_LAB)
    date_field, day, today = dated
    record = model(
        person_id=_row(session, Person, person_id, "person_id").id or 0,
        title=required_text(title, "title"),
        **{source[0]: str(source[1] or "").strip()},
        **{date_field: _not_future(_date(day, date_field), date_field, today)},
    )
    return audited_create(session, record, actor)


def record_training(
    session: Session,
    actor: Actor,
    *,
    person_id: int,
    title: str,
    completed_on: dt.date,
    provider: str = "",
    today: dt.date | None = None,
) -> Training:
    """Record a completed training (ISO/IEC 17025:2017 6.2.5 c; evidence for 6.2.2)."""
    return _competence_record(
        session,
        actor,
        Training,
        person_id,
        title,
        ("completed_on", completed_on, today),
        ("provider", provider),
    )


def record_qualification(
    session: Session,
    actor: Actor,
    *,
    person_id: int,
    title: str,
    awarded_on: dt.date,
    issuer: str = "",
    today: dt.date | None = None,
) -> Qualification:
    """Record a qualification: education, certificate (ISO/IEC 17025:2017 6.2.2)."""
    return _competence_record(
        session,
        actor,
        Qualification,
        person_id,
        title,
        ("awarded_on", awarded_on, today),
        ("issuer", issuer),
    )


def list_trainings(
    session: Session, actor: Actor, *, person_id: int | None = None
) -> list[Training]:
    """Training records, newest first."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(Training).order_by(col(Training.completed_on).desc(), col(Training.id))
    if person_id is not None:
        stmt = stmt.where(Training.person_id == person_id)
    return list(session.exec(stmt))


def list_qualifications(
    session: Session, actor: Actor, *, person_id: int | None = None
) -> list[Qualification]:
    """Qualification records, newest first."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(Qualification).order_by(
        col(Qualification.awarded_on).desc(), col(Qualification.id)
    )
    if person_id is not None:
        stmt = stmt.where(Qualification.person_id == person_id)
    return list(session.exec(stmt))


# --------------------------------------------------------------------------- authorisations


@dataclass(frozen=True)
class AuthorisationRow:
    """An authorisation with the names an assessor reads."""

    id: int
    person_id: int
    person: str
    procedure_id: int
    procedure_code: str
    procedure_title: str
    valid_from: dt.date
    valid_until: dt.date
    authorised_by: str | None

    def state(self, as_of: dt.date) -> str:
        """``current``, ``future`` or ``ended`` on ``as_of``."""
        if as_of < self.valid_from:
            return "future"
        return "current" if as_of <= self.valid_until else "ended"

    def as_dict(self, as_of: dt.date) -> dict[str, Any]:
        """JSON-ready form with the state on ``as_of``."""
        return {
            "id": self.id,
            "person_id": self.person_id,
            "person": self.person,
            "procedure_id": self.procedure_id,
            "procedure": self.procedure_code,
            "procedure_title": self.procedure_title,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "authorised_by": self.authorised_by,
            "state": self.state(as_of),
        }


def _authorisations_for(
    session: Session, person_id: int, code: str
) -> list[tuple[Authorisation, Procedure]]:
    stmt = (
        select(Authorisation, Procedure)
        .join(Procedure, col(Procedure.id) == Authorisation.procedure_id)
        .where(Authorisation.person_id == person_id, Procedure.code == code)
    )
    return list(session.exec(stmt))


def valid_authorisation(
    session: Session, person_id: int, procedure_code: str, day: dt.date
) -> Authorisation | None:
    """The authorisation of ``person_id`` for ``procedure_code`` valid on ``day``, if any.

    The same test as the assessment rule (``valid_from <= day <= valid_until``, any
    version of the procedure). Internal helper: callers check permissions.
    """
    for auth, _ in _authorisations_for(session, person_id, procedure_code):
        if auth.valid_from <= day <= auth.valid_until:
            return auth
    return None


def list_authorisations(
    session: Session,
    actor: Actor,
    *,
    person_id: int | None = None,
    procedure_code: str | None = None,
    as_of: dt.date | None = None,
) -> list[AuthorisationRow]:
    """Authorisations by person and procedure; with ``as_of`` only those valid that day."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = (
        select(Authorisation, Person, Procedure)
        .join(Person, col(Person.id) == Authorisation.person_id)
        .join(Procedure, col(Procedure.id) == Authorisation.procedure_id)
    )
    if person_id is not None:
        stmt = stmt.where(Authorisation.person_id == person_id)
    if procedure_code is not None:
        stmt = stmt.where(Procedure.code == procedure_code)
    if as_of is not None:
        stmt = stmt.where(
            col(Authorisation.valid_from) <= as_of, col(Authorisation.valid_until) >= as_of
        )
    names = {int(p.id or 0): p.name for p in session.exec(select(Person))}
    rows = [
        AuthorisationRow(
            id=int(auth.id or 0),
            person_id=auth.person_id,
            person=person.name,
            procedure_id=auth.procedure_id,
            procedure_code=procedure.code,
            procedure_title=procedure.title,
            valid_from=auth.valid_from,
            valid_until=auth.valid_until,
            authorised_by=names.get(auth.authorised_by_id or -1),
        )
        for auth, person, procedure in session.exec(stmt)
    ]
    return sorted(rows, key=lambda r: (r.person, r.procedure_code, r.valid_from, r.id))


def grant_authorisation(
    session: Session,
    actor: Actor,
    *,
    person_id: int,
    procedure_id: int,
    valid_from: dt.date,
    valid_until: dt.date,
    authorised_by_id: int | None = None,
) -> Authorisation:
    """Authorise a person to perform a procedure for a period (ISO/IEC 17025:2017 6.2.5 f, 6.2.6).

    Refused: an inactive person, a withdrawn procedure, ``valid_until`` before
    ``valid_from``, self-authorisation (6.2.6 asks the *laboratory* to authorise), or a
    period overlapping another authorisation of the same person for the same
    procedure code (renew by starting the day after the current one ends).
    """
    require(actor, Permission.MANAGE_LAB)
    person = _row(session, Person, person_id, "person_id")
    if not person.active:
        raise InvalidInputError(
            f"{person.name} is inactive: reactivate before authorising", field="person_id"
        )
    procedure = _row(session, Procedure, procedure_id, "procedure_id")
    if procedure.status == "withdrawn":
        raise InvalidInputError(
            f"procedure {procedure.code} v{procedure.version} is withdrawn", field="procedure_id"
        )
    start = _date(valid_from, "valid_from")
    end = _date(valid_until, "valid_until")
    if end < start:
        raise InvalidInputError(
            f"valid_until {end} is before valid_from {start}", field="valid_until"
        )
    if authorised_by_id is not None:
        signer = _row(session, Person, authorised_by_id, "authorised_by_id")
        if signer.id == person.id:
            raise InvalidInputError(
                "a person cannot authorise themselves (ISO/IEC 17025:2017 6.2.6)",
                field="authorised_by_id",
            )
    for other, _ in _authorisations_for(session, person_id, procedure.code):
        if other.valid_from <= end and start <= other.valid_until:
            raise ConflictError(
                f"valid_from: {person.name} already holds authorisation {other.id} for "
                f"{procedure.code} from {other.valid_from} to {other.valid_until}; start after "
                f"{other.valid_until} or withdraw it first"
            )
    auth = Authorisation(
        person_id=person_id,
        procedure_id=procedure_id,
        valid_from=start,
        valid_until=end,
        authorised_by_id=authorised_by_id,
    )
    return audited_create(session, auth, actor)


def withdraw_authorisation(
    session: Session, actor: Actor, authorisation_id: int, *, withdrawn_on: dt.date
) -> Authorisation:
    """End an authorisation: it is no longer valid from ``withdrawn_on`` (6.2.5 f).

    ``valid_until`` becomes the day before ``withdrawn_on``; withdrawing on or before
    ``valid_from`` leaves an authorisation that was never valid. Withdrawing one that
    already ended is refused.
    """
    require(actor, Permission.MANAGE_LAB)
    auth = _row(session, Authorisation, authorisation_id, "authorisation_id")
    day = _date(withdrawn_on, "withdrawn_on")
    if day > auth.valid_until:
        raise InvalidInputError(
            f"authorisation {auth.id} already ended on {auth.valid_until}", field="withdrawn_on"
        )
    last_day = max(day, auth.valid_from) - dt.timedelta(days=1)
    return audited_update(session, auth, {"valid_until": last_day}, actor)


@dataclass(frozen=True)
class AuthorisationMatrix:
    """Who is authorised for which procedure on ``as_of`` (the assessor's first question).

    ``cells[(person_id, code)]`` is the end date of the authorisation valid that day.
    """

    as_of: dt.date
    procedures: list[tuple[str, str]]
    people: list[tuple[int, str]]
    cells: dict[tuple[int, str], dt.date] = field(default_factory=dict)

    def table(self) -> list[dict[str, str]]:
        """One row per person, one column per procedure code (``until YYYY-MM-DD`` or blank)."""
        return [
            {
                "person": name,
                **{
                    code: (
                        f"until {self.cells[(pid, code)].isoformat()}"
                        if (pid, code) in self.cells
                        else ""
                    )
                    for code, _ in self.procedures
                },
            }
            for pid, name in self.people
        ]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "as_of": self.as_of.isoformat(),
            "procedures": [{"code": c, "title": t} for c, t in self.procedures],
            "people": [
                {
                    "person_id": pid,
                    "person": name,
                    "authorised": {
                        code: self.cells[(pid, code)].isoformat()
                        for code, _ in self.procedures
                        if (pid, code) in self.cells
                    },
                }
                for pid, name in self.people
            ],
        }


def _latest_titles(procedures: Iterable[Procedure]) -> list[tuple[str, str]]:
    latest: dict[str, Procedure] = {}
    for proc in procedures:
        if proc.code not in latest or latest[proc.code].version < proc.version:
            latest[proc.code] = proc
    return [(code, latest[code].title) for code in sorted(latest)]


def authorisation_matrix(
    session: Session, actor: Actor, *, as_of: dt.date, site_id: int | None = None
) -> AuthorisationMatrix:
    """Procedure × active person on ``as_of``, optionally for one site's staff."""
    require(actor, Permission.VIEW_RECORDS)
    stmt = select(Person).where(col(Person.active)).order_by(col(Person.name))
    if site_id is not None:
        stmt = stmt.where(Person.site_id == site_id)
    people = [(int(p.id or 0), p.name) for p in session.exec(stmt)]
    ids = {pid for pid, _ in people}
    cells: dict[tuple[int, str], dt.date] = {}
    for row in list_authorisations(session, actor, as_of=as_of):
        if row.person_id in ids:
            key = (row.person_id, row.procedure_code)
            cells[key] = max(cells.get(key, row.valid_until), row.valid_until)
    return AuthorisationMatrix(
        as_of=as_of,
        procedures=_latest_titles(session.exec(select(Procedure))),
        people=people,
        cells=cells,
    )
