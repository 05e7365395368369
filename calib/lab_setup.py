"""Setting up a lab without the demo: the lab record and its sites.

One ``Lab`` per database; sites with unique codes and always exactly one master site
(ISO/IEC 17025:2017 5.1 and 5.3: the laboratory is a legal entity and defines its
sites; the accreditation scope names the master site). Every function takes a
``Session`` and the acting user, checks :attr:`~calib.permissions.Permission.MANAGE_LAB`
(viewing: ``VIEW_RECORDS``), validates everything before it writes, and writes through
the audit trail. The caller's transaction makes each call atomic: a refused call
writes nothing, because every check runs before the first write.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from calib.audit import audited_create, audited_update
from calib.lab_personnel import required_text
from calib.permissions import Actor, Permission, require
from calib.records import Lab, Site
from uncertainty.errors import ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "LAB_FIELDS",
    "SITE_FIELDS",
    "create_lab",
    "create_site",
    "find_lab",
    "master_site",
    "set_master_site",
    "update_lab",
    "update_site",
]

#: Editable lab fields (``name`` is required).
LAB_FIELDS: tuple[str, ...] = ("name", "legal_entity", "accreditation_body", "accreditation_number")
#: Editable site fields besides the master flag (``code`` and ``name`` are required).
SITE_FIELDS: tuple[str, ...] = ("code", "name", "street", "city", "postcode", "country")
_CODE_MAX = 32


def find_lab(session: Session, actor: Actor) -> Lab | None:
    """The lab of this database, or ``None`` before set-up (unlike ``calib.lab.get_lab``)."""
    require(actor, Permission.VIEW_RECORDS)
    return session.exec(select(Lab).order_by(col(Lab.id))).first()


def master_site(session: Session, actor: Actor) -> Site | None:
    """The master site, or ``None`` when there is no site yet."""
    require(actor, Permission.VIEW_RECORDS)
    return session.exec(select(Site).where(col(Site.is_master)).order_by(col(Site.id))).first()


def _lab_values(changes: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in LAB_FIELDS:
            raise InvalidInputError(
                f"a lab has no field {key!r}; allowed: {', '.join(LAB_FIELDS)}", field=key
            )
        clean[key] = required_text(value, "name") if key == "name" else str(value or "").strip()
    return clean


def _check_accreditation(values: dict[str, Any]) -> None:
    """An accreditation number means nothing without the body that issued it."""
    if values.get("accreditation_number") and not values.get("accreditation_body"):
        raise InvalidInputError(
            "accreditation_body must be given with an accreditation number "
            f"({values['accreditation_number']!r})",
            field="accreditation_body",
        )


def create_lab(
    session: Session,
    actor: Actor,
    *,
    name: str,
    legal_entity: str = "",
    accreditation_body: str = "",
    accreditation_number: str = "",
) -> Lab:
    """Create the lab of this database (once; a second lab is refused with ``ConflictError``)."""
    require(actor, Permission.MANAGE_LAB)
    values = _lab_values(
        {
            "name": name,
            "legal_entity": legal_entity,
            "accreditation_body": accreditation_body,
            "accreditation_number": accreditation_number,
        }
    )
    _check_accreditation(values)
    existing = session.exec(select(Lab)).first()
    if existing is not None:
        raise ConflictError(
            f"lab: this database already has a lab ({existing.name!r}, id {existing.id}); "
            "change it with update_lab"
        )
    return audited_create(session, Lab(**values), actor)


def _the_lab(session: Session) -> Lab:
    lab = session.exec(select(Lab).order_by(col(Lab.id))).first()
    if lab is None:
        raise NotFoundError("lab: no lab in this database yet; create it first (`calib lab init`)")
    return lab


def update_lab(session: Session, actor: Actor, changes: dict[str, Any]) -> Lab:
    """Change the lab's name, legal entity or accreditation."""
    require(actor, Permission.MANAGE_LAB)
    lab = _the_lab(session)
    clean = _lab_values(changes)
    merged = {key: str(getattr(lab, key)) for key in LAB_FIELDS} | clean
    _check_accreditation(merged)
    return audited_update(session, lab, clean, actor)


def _site_code(session: Session, value: object, site_id: int | None) -> str:
    code = required_text(value, "code")
    if len(code) > _CODE_MAX or any(ch.isspace() for ch in code):
        raise InvalidInputError(
            f"code must be at most {_CODE_MAX} characters without spaces, got {code!r}",
            field="code",
        )
    for other in session.exec(select(Site)):
        if other.code.casefold() == code.casefold() and other.id != site_id:
            raise ConflictError(f"code: site {other.id} already has the code {other.code!r}")
    return code


def _site_values(
    session: Session, changes: dict[str, Any], site_id: int | None = None
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in SITE_FIELDS:
            raise InvalidInputError(
                f"a site has no field {key!r}; allowed: {', '.join(SITE_FIELDS)}, is_master",
                field=key,
            )
        if key == "code":
            clean[key] = _site_code(session, value, site_id)
        elif key == "name":
            clean[key] = required_text(value, "name")
        else:
            clean[key] = str(value or "").strip()
    return clean


def _masters(session: Session) -> list[Site]:
    return list(session.exec(select(Site).where(col(Site.is_master)).order_by(col(Site.id))))


def _move_master(session: Session, actor: Actor, site: Site) -> None:
    """Clear the flag of every other site, then set it on ``site`` (one transaction)."""
    for other in _masters(session):
        if other.id != site.id:
            audited_update(session, other, {"is_master": False}, actor)
    if not site.is_master:
        audited_update(session, site, {"is_master": True}, actor)


def create_site(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    master: bool = False,
    street: str = "",
    city: str = "",
    postcode: str = "",
    country: str = "",
) -> Site:
    """Add a site. The first site is the master; ``master=True`` moves the flag to the new one."""
    require(actor, Permission.MANAGE_LAB)
    lab = _the_lab(session)
    values = _site_values(
        session,
        {
            "code": code,
            "name": name,
            "street": street,
            "city": city,
            "postcode": postcode,
            "country": country,
        },
    )
    first = not _masters(session)
    site = audited_create(session, Site(lab_id=int(lab.id or 0), **values), actor)
    if first or master:
        _move_master(session, actor, site)
    return site


def _site(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise InvalidInputError(f"site_id: no site with id {site_id}", field="site_id")
    return site


def update_site(session: Session, actor: Actor, site_id: int, changes: dict[str, Any]) -> Site:
    """Change a site's code, name or address; ``is_master: True`` makes it the master.

    ``is_master: False`` on the master is refused: a lab always has exactly one master
    site, so the flag is moved by making another site the master.
    """
    require(actor, Permission.MANAGE_LAB)
    site = _site(session, site_id)
    fields = dict(changes)
    make_master = fields.pop("is_master", None)
    if make_master is not None and not isinstance(make_master, bool):
        raise InvalidInputError(
            f"is_master must be true or false, got {make_master!r}", field="is_master"
        )
    if make_master is False and site.is_master:
        raise ConflictError(
            f"is_master: site {site.code!r} is the only master site; "
            "make another site the master instead"
        )
    clean = _site_values(session, fields, site_id)
    if clean:
        audited_update(session, site, clean, actor)
    if make_master:
        _move_master(session, actor, site)
    return site


def set_master_site(session: Session, actor: Actor, site_id: int) -> Site:
    """Make ``site_id`` the master site; the previous master loses the flag in the same call."""
    require(actor, Permission.MANAGE_LAB)
    site = _site(session, site_id)
    _move_master(session, actor, site)
    return site
