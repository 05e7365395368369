"""Configuration, engine creation and the one-transaction session."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from calib.config import load_settings, mask_url
from calib.db import make_engine, session_scope
from calib.records import Lab
from uncertainty.errors import DatabaseUnavailableError, InvalidInputError


def test_default_database_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"CALIB_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{(tmp_path / 'calib.sqlite').as_posix()}"
    assert settings.is_embedded_sqlite
    assert settings.lockout_attempts == 5
    assert settings.lockout_minutes == 15
    assert settings.session_timeout_minutes == 30


def test_default_data_dir_is_platform_user_dir() -> None:
    settings = load_settings({})
    assert settings.data_dir.name == "calib"
    assert settings.database_url.endswith("/calib.sqlite")


def test_bad_numeric_setting_names_variable() -> None:
    with pytest.raises(InvalidInputError, match=r"CALIB_LOCKOUT_ATTEMPTS.*'five'"):
        load_settings({"CALIB_LOCKOUT_ATTEMPTS": "five"})


def test_mask_url_hides_password() -> None:
    assert (
        mask_url("postgresql+psycopg://lab:pw@h:5432/db")
        == "postgresql+psycopg://lab:***@h:5432/db"
    )
    settings = load_settings({"CALIB_DATABASE_URL": "postgresql://u:secret@h/db"})
    assert "secret" not in settings.masked_database_url


def test_malformed_url_raises_with_masked_url() -> None:
    with pytest.raises(DatabaseUnavailableError) as info:
        make_engine("not a url://user:hunter2@x")
    assert "hunter2" not in str(info.value)
    assert "***" in str(info.value)


def test_unreachable_postgres_raises_with_masked_url() -> None:
    with pytest.raises(DatabaseUnavailableError) as info:
        make_engine("postgresql+psycopg://lab:hunter2@127.0.0.1:1/nowhere")
    message = str(info.value)
    assert "hunter2" not in message
    assert "postgresql+psycopg://lab:***@127.0.0.1:1/nowhere" in message


def test_unsupported_backend_is_refused() -> None:
    with pytest.raises(DatabaseUnavailableError, match="only sqlite and postgresql"):
        make_engine("mysql://u:p@h/db")


def test_sqlite_pragmas(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with eng.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10_000


def test_failed_write_leaves_database_unchanged(engine: Engine) -> None:
    from calib.audit import audited_create

    with pytest.raises(RuntimeError), session_scope(engine) as session:
        audited_create(session, Lab(name="half-written"), "tester")
        raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert session.exec(select(Lab)).all() == []
        from calib.audit import verify_audit

        assert verify_audit(session).entries == 0
