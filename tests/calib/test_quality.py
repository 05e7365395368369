"""Nonconformities and corrective actions (ISO/IEC 17025:2017 7.10, 8.7)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from calib.audit import verify_audit
from calib.db import session_scope
from calib.permissions import Principal
from calib.quality import (
    close_corrective_action,
    close_nonconformity,
    list_corrective_actions,
    open_corrective_action,
    raise_nonconformity,
    record_effectiveness,
)
from uncertainty.errors import ConflictError, InvalidInputError

M = Principal("max", "manager")
D = dt.date(2026, 3, 1)


def test_corrective_action_needs_effectiveness_verification(engine: Engine) -> None:
    with session_scope(engine) as s:
        nc = raise_nonconformity(
            s, M, description="Late certificate", raised_on=D, source_table="job", source_id=7
        )
        assert nc.reference == "NC-2026-001" and nc.source_id == "7"
        ca = open_corrective_action(
            s, M, nc.id or 0, opened_on=D, root_cause="no deputy", actions="train deputy"
        )
        with pytest.raises(ConflictError, match="effectiveness verification"):
            close_corrective_action(s, M, ca.id or 0, closed_on=D)
        with pytest.raises(ConflictError, match="open corrective action"):
            close_nonconformity(s, M, nc.id or 0)
        with pytest.raises(InvalidInputError):
            record_effectiveness(s, M, ca.id or 0, check="  ", verified_on=D)
        record_effectiveness(
            s, M, ca.id or 0, check="3 months on time", verified_on=D + dt.timedelta(days=90)
        )
        with pytest.raises(InvalidInputError, match="closed_on"):
            close_corrective_action(s, M, ca.id or 0, closed_on=D)
        closed = close_corrective_action(s, M, ca.id or 0, closed_on=D + dt.timedelta(days=91))
        assert closed.status == "closed" and closed.effectiveness_verified_by == "max"
        assert close_nonconformity(s, M, nc.id or 0).status == "closed"
        assert list_corrective_actions(s, M, status="open") == []
        assert verify_audit(s).ok
