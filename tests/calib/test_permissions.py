"""Role x permission, enforced by services and by the page registry."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from calib.auth import create_user, list_users
from calib.db import session_scope
from calib.lab import create_customer, get_job, lab_overview, list_jobs, release_job, update_job
from calib.permissions import ROLE_PERMISSIONS, ROLES, Permission, Principal, allowed, require
from calib.quality import open_corrective_action, raise_nonconformity
from calib.ui.registry import PAGES, pages_for
from uncertainty.errors import ImmutableRecordError, PermissionDeniedError

AS_OF = dt.date(2026, 11, 23)
ASSESSOR = Principal("eve", "assessor")
STAFF = Principal("sam", "staff")
MANAGER = Principal("max", "manager")
ADMIN = Principal("ann", "admin")


def test_role_table() -> None:
    assert set(ROLE_PERMISSIONS) == set(ROLES) == {"admin", "manager", "staff", "assessor"}
    assert ROLE_PERMISSIONS["admin"] == frozenset(Permission)
    assert not allowed("assessor", Permission.EDIT_RECORDS)
    assert allowed("assessor", Permission.ADD_FINDINGS)
    assert allowed("assessor", Permission.VIEW_AUDIT)
    assert not allowed("staff", Permission.MANAGE_USERS)
    assert not allowed("manager", Permission.MANAGE_USERS)
    assert not allowed("nobody", Permission.VIEW_RECORDS)
    with pytest.raises(PermissionDeniedError, match="sign in"):
        require(None, Permission.VIEW_RECORDS)


def test_assessor_reads_but_cannot_edit(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as s:
        assert lab_overview(s, ASSESSOR, as_of=AS_OF).jobs_received_this_month > 0
        job = list_jobs(s, ASSESSOR)[0]
        with pytest.raises(PermissionDeniedError, match="assessor"):
            update_job(s, ASSESSOR, job.id or 0, {"item_serial": "X"})
        with pytest.raises(PermissionDeniedError):
            create_customer(s, ASSESSOR, name="New")
        with pytest.raises(PermissionDeniedError):
            raise_nonconformity(s, ASSESSOR, description="x", raised_on=AS_OF)


def test_staff_cannot_manage_users_or_approve(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as s:
        with pytest.raises(PermissionDeniedError):
            list_users(s, STAFF)
        with pytest.raises(PermissionDeniedError):
            create_user(s, STAFF, username="x", password="long-enough", role="admin")
        open_job = next(j for j in list_jobs(s, STAFF) if j.status != "released")
        with pytest.raises(PermissionDeniedError):
            release_job(
                s,
                STAFF,
                open_job.id or 0,
                certificate_number="X",
                delivered_on=AS_OF,
                authorised_by_id=1,
            )
        with pytest.raises(PermissionDeniedError):
            open_corrective_action(s, STAFF, 1, opened_on=AS_OF, root_cause="r", actions="a")
        update_job(s, STAFF, open_job.id or 0, {"item_serial": "SN-NEW"})
        assert get_job(s, STAFF, open_job.id or 0).item_serial == "SN-NEW"
        released = next(j for j in list_jobs(s, STAFF) if j.status == "released")
        with pytest.raises(ImmutableRecordError):
            update_job(s, MANAGER, released.id or 0, {"item_serial": "Y"})
        assert len(list_users(s, ADMIN)) == 4


def test_registry_pages_by_role() -> None:
    titles = {role: {p.title for p in pages_for(role)} for role in ROLES}
    assert "Lab overview" in titles["assessor"]
    assert "Users" in titles["admin"]
    assert "Users" not in titles["staff"] | titles["manager"] | titles["assessor"]
    assert sum(1 for p in PAGES if p.default) == 1
    assert len({p.url_path for p in PAGES}) == len(PAGES)
