"""Alembic environment for calib.

Imports every records module that exists (``calib.records`` and, once written,
``uncertainty.records``, ``traceability.records``, ``ilc.records``,
``satisfaction.records``) so ``SQLModel.metadata`` is complete. The connection
comes from :func:`calib.db.upgrade` (``config.attributes["connection"]``);
otherwise the configured ``CALIB_DATABASE_URL`` is used.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from calib.db import import_record_modules, make_engine

import_record_modules()
target_metadata = SQLModel.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the given connection or on the configured database."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or None)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("calib migrations run online only: use `calib db upgrade`")
run_migrations_online()
