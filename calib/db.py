"""Database engine, one-transaction sessions and Alembic upgrades.

SQLite (the embedded default) and PostgreSQL (through psycopg 3) run the same
code. SQLite connections get WAL journalling, foreign keys and a busy timeout so
that several Streamlit sessions can share one file.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Session

from calib.config import load_settings, mask_url
from uncertainty.errors import DatabaseUnavailableError

__all__ = [
    "MIGRATIONS_DIR",
    "RECORD_MODULES",
    "current_revisions",
    "ensure_database",
    "head_revisions",
    "import_record_modules",
    "is_empty",
    "make_engine",
    "session_scope",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: Modules that define SQLModel tables; imported (when importable) before any
#: metadata comparison or migration so ``SQLModel.metadata`` is complete.
RECORD_MODULES: tuple[str, ...] = (
    "calib.records",
    "uncertainty.records",
    "traceability.records",
    "ilc.records",
    "satisfaction.records",
    "calib.assessment.records",
)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def import_record_modules() -> list[str]:
    """Import every records module that exists; return the names imported."""
    imported = []
    for name in RECORD_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        imported.append(name)
    return imported


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """Create an engine for ``url`` (default: ``CALIB_DATABASE_URL``) and check it answers.

    Raises
    ------
    DatabaseUnavailableError
        The URL is malformed, names an unsupported driver, or the database cannot be
        reached. The message names the URL with its password masked.
    """
    if url is None:
        settings = load_settings()
        url = settings.database_url
        if settings.is_embedded_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
    masked = mask_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseUnavailableError(
            f"malformed database URL {masked!r}: expected e.g. sqlite:///path/calib.sqlite "
            "or postgresql+psycopg://user:password@host:5432/dbname"
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUnavailableError(
            f"unsupported database URL {masked!r}: only sqlite and postgresql are supported"
        )
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if backend == "sqlite":
            engine = create_engine(parsed, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseUnavailableError(
            f"database {masked!r} is unavailable: {reason.replace(url, masked)}"
        ) from exc
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    A failed write therefore leaves the database exactly as it was.

    Examples
    --------
    >>> from calib.db import make_engine, session_scope
    >>> engine = make_engine("sqlite://")
    >>> with session_scope(engine) as session:
    ...     _ = session.exec(text("SELECT 1")).one()  # type: ignore[call-overload]
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(connection: Any | None = None) -> Any:
    from alembic.config import Config

    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Run ``alembic upgrade heads`` (every domain branch) on ``engine``."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)


def head_revisions() -> set[str]:
    """Head revisions of the migration scripts shipped with the package."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(_alembic_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    """Revisions the database is stamped with (empty when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def is_empty(engine: Engine) -> bool:
    """True when the database holds no lab (nothing seeded yet)."""
    from sqlmodel import select

    from calib.records import Lab

    with session_scope(engine) as session:
        return session.exec(select(Lab).limit(1)).first() is None


def ensure_database(url: str | None = None) -> Engine:
    """Engine for ``url``; an embedded SQLite database is upgraded automatically.

    A PostgreSQL database is upgraded by an operator (``calib db upgrade``); if it is
    behind the shipped migrations this raises ``DatabaseUnavailableError``.
    """
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        upgrade(engine)
    elif current_revisions(engine) != head_revisions():
        raise DatabaseUnavailableError(
            f"database {mask_url(str(engine.url.render_as_string(hide_password=False)))!r} "
            "is not at the current schema; run `calib db upgrade`"
        )
    return engine
