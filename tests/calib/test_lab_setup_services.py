"""Setting up a lab without the demo (calib.lab_setup) on SQLite and PostgreSQL.

One lab per database, unique site codes, always exactly one master site, permission
refusals, audit entries, and nothing written by a refused call.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from calib.audit import verify_audit
from calib.lab import get_lab, list_sites
from calib.lab_setup import (
    create_lab,
    create_site,
    find_lab,
    master_site,
    set_master_site,
    update_lab,
    update_site,
)
from calib.permissions import Principal
from calib.records import AuditEntry, Lab, Site
from uncertainty.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)

ADMIN = Principal("admin", "admin")
MANAGER = Principal("manager", "manager")
STAFF = Principal("staff", "staff")
ASSESSOR = Principal("assessor", "assessor")


def _entries(session: Session, table: str) -> list[tuple[str, str, str]]:
    rows = session.exec(
        select(AuditEntry).where(AuditEntry.table_name == table).order_by(col(AuditEntry.sequence))
    )
    return [(e.action, e.record_id, e.actor) for e in rows]


def _count(session: Session, model: type[Lab] | type[Site]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _masters(session: Session) -> list[str]:
    return [s.code for s in session.exec(select(Site).where(col(Site.is_master)))]


def _setup(session: Session) -> tuple[Site, Site]:
    create_lab(session, MANAGER, name="Acme Calibration", legal_entity="Acme SA")
    main = create_site(session, MANAGER, code="MAIN", name="Main laboratory")
    north = create_site(session, MANAGER, code="NORTH", name="North", city="Ghent")
    return main, north


def test_empty_database_has_no_lab_and_get_lab_says_how_to_set_it_up(session: Session) -> None:
    assert find_lab(session, STAFF) is None
    assert master_site(session, STAFF) is None
    with pytest.raises(NotFoundError, match="calib lab init"):
        get_lab(session, STAFF)


def test_create_lab_and_sites_first_site_is_master_and_all_is_audited(session: Session) -> None:
    lab = create_lab(
        session,
        ADMIN,
        name="  Acme Calibration ",
        legal_entity="Acme SA",
        accreditation_body="COFRAC",
        accreditation_number="2-1234",
    )
    assert (lab.name, lab.accreditation_body, lab.accreditation_number) == (
        "Acme Calibration",
        "COFRAC",
        "2-1234",
    )
    main = create_site(session, ADMIN, code="MAIN", name="Main laboratory", country="FR")
    north = create_site(session, ADMIN, code="NORTH", name="North")
    assert (main.is_master, north.is_master, main.lab_id) == (True, False, lab.id)
    assert [s.code for s in list_sites(session, STAFF)] == ["MAIN", "NORTH"]
    assert get_lab(session, STAFF).id == lab.id
    assert _entries(session, "lab") == [("create", str(lab.id), "admin")]
    site_entries = _entries(session, "site")
    assert ("create", str(main.id), "admin") in site_entries
    assert ("create", str(north.id), "admin") in site_entries
    assert verify_audit(session).ok


def test_a_second_lab_is_refused_and_nothing_is_written(session: Session) -> None:
    _setup(session)
    before = len(_entries(session, "lab"))
    with pytest.raises(ConflictError, match="already has a lab"):
        create_lab(session, ADMIN, name="Other lab")
    assert _count(session, Lab) == 1
    assert len(_entries(session, "lab")) == before


def test_site_needs_a_lab_first(session: Session) -> None:
    with pytest.raises(NotFoundError, match="calib lab init"):
        create_site(session, ADMIN, code="MAIN", name="Main")
    assert _count(session, Site) == 0


def test_duplicate_site_code_is_refused_case_insensitively(session: Session) -> None:
    _setup(session)
    with pytest.raises(ConflictError, match=r"^code: site .* already has the code 'NORTH'"):
        create_site(session, MANAGER, code="north", name="Another north")
    _, north = _setup_ids(session)
    with pytest.raises(ConflictError, match=r"^code:"):
        update_site(session, MANAGER, north, {"code": "MAIN"})
    assert _count(session, Site) == 2


def _setup_ids(session: Session) -> tuple[int, int]:
    sites = {s.code: int(s.id or 0) for s in session.exec(select(Site))}
    return sites["MAIN"], sites["NORTH"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "Lab", "accreditation_number": "2-1234"}, "accreditation_body"),
    ],
)
def test_create_lab_refuses_bad_input_naming_the_field(
    session: Session, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        create_lab(session, ADMIN, **fields)
    assert caught.value.field == field
    assert field in str(caught.value)
    assert _count(session, Lab) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": " ", "name": "X"}, "code"),
        ({"code": "NEW SITE", "name": "X"}, "code"),
        ({"code": "X" * 33, "name": "X"}, "code"),
        ({"code": "EAST", "name": ""}, "name"),
    ],
)
def test_create_site_refuses_bad_input_naming_the_field(
    session: Session, fields: dict[str, str], field: str
) -> None:
    _setup(session)
    with pytest.raises(InvalidInputError) as caught:
        create_site(session, MANAGER, **fields)
    assert caught.value.field == field
    assert _count(session, Site) == 2


def test_update_lab_and_site_are_audited(session: Session) -> None:
    main, _ = _setup(session)
    lab = update_lab(
        session, MANAGER, {"accreditation_body": "BELAC", "accreditation_number": "123-CAL"}
    )
    assert (lab.accreditation_body, lab.accreditation_number) == ("BELAC", "123-CAL")
    assert _entries(session, "lab")[-1][0] == "update"
    with pytest.raises(InvalidInputError) as caught:
        update_lab(session, MANAGER, {"accreditation_body": ""})
    assert caught.value.field == "accreditation_body"
    with pytest.raises(InvalidInputError) as caught:
        update_lab(session, MANAGER, {"colour": "red"})
    assert caught.value.field == "colour"
    update_site(session, MANAGER, int(main.id or 0), {"name": "Head office", "city": "Lyon"})
    assert (main.name, main.city, main.is_master) == ("Head office", "Lyon", True)
    assert _entries(session, "site")[-1] == ("update", str(main.id), "manager")
    assert verify_audit(session).ok


def test_set_master_site_moves_the_flag_and_audits_both_sites(session: Session) -> None:
    main, north = _setup(session)
    count = len(_entries(session, "site"))
    set_master_site(session, MANAGER, int(north.id or 0))
    assert _masters(session) == ["NORTH"]
    assert (main.is_master, north.is_master) == (False, True)
    assert _entries(session, "site")[count:] == [
        ("update", str(main.id), "manager"),
        ("update", str(north.id), "manager"),
    ]
    update_site(session, MANAGER, int(main.id or 0), {"is_master": True})
    assert _masters(session) == ["MAIN"]
    east = create_site(session, MANAGER, code="EAST", name="East", master=True)
    assert east.is_master and _masters(session) == ["EAST"]
    assert next(s.code for s in list_sites(session, STAFF)) == "EAST"


def test_removing_the_only_master_is_refused(session: Session) -> None:
    main, _ = _setup(session)
    with pytest.raises(ConflictError, match=r"^is_master: site 'MAIN' is the only master"):
        update_site(session, MANAGER, int(main.id or 0), {"is_master": False, "name": "X"})
    assert _masters(session) == ["MAIN"] and main.name == "Main laboratory"
    with pytest.raises(InvalidInputError) as caught:
        update_site(session, MANAGER, int(main.id or 0), {"is_master": "no"})
    assert caught.value.field == "is_master"
    with pytest.raises(InvalidInputError) as caught:
        set_master_site(session, MANAGER, 999)
    assert caught.value.field == "site_id"
    assert _masters(session) == ["MAIN"]


@pytest.mark.parametrize("actor", [STAFF, ASSESSOR])
def test_only_managers_and_admins_set_up_the_lab(session: Session, actor: Principal) -> None:
    with pytest.raises(PermissionDeniedError):
        create_lab(session, actor, name="Lab")
    _, north = _setup(session)
    with pytest.raises(PermissionDeniedError):
        create_site(session, actor, code="EAST", name="East")
    with pytest.raises(PermissionDeniedError):
        update_lab(session, actor, {"name": "X"})
    with pytest.raises(PermissionDeniedError):
        update_site(session, actor, int(north.id or 0), {"name": "X"})
    with pytest.raises(PermissionDeniedError):
        set_master_site(session, actor, int(north.id or 0))
    assert _masters(session) == ["MAIN"] and _count(session, Site) == 2
    assert find_lab(session, actor) is not None  # reading is allowed
