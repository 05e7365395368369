"""Migrations from empty, and the migrated schema equals the SQLModel metadata."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from calib.db import (
    MIGRATIONS_DIR,
    _alembic_config,
    current_revisions,
    head_revisions,
    import_record_modules,
    make_engine,
    upgrade,
)


def test_upgrade_from_empty_reaches_heads(db_url: str) -> None:
    eng = make_engine(db_url)
    assert current_revisions(eng) == set()
    upgrade(eng)
    assert current_revisions(eng) == head_revisions()
    assert "0001_foundation" in {
        rev.revision for rev in ScriptDirectory.from_config(_alembic_config()).walk_revisions()
    }
    tables = set(inspect(eng).get_table_names())
    assert {"lab", "site", "person", "job", "audit_entry", "audit_head", "app_user"} <= tables
    upgrade(eng)  # idempotent
    eng.dispose()


def test_migrated_schema_equals_metadata(engine: Engine) -> None:
    """Every table/column in SQLModel.metadata has a migration (autogenerate finds no diff)."""
    import_record_modules()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"a migration is missing; autogenerate found: {diff}"


def test_alembic_ini_ships_inside_the_package() -> None:
    assert (MIGRATIONS_DIR / "alembic.ini").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()


def test_domain_branches_convention() -> None:
    """Every other revision branches from 0001_foundation (docs/foundation.md)."""
    script = ScriptDirectory.from_config(_alembic_config())
    for rev in script.walk_revisions():
        if rev.revision != "0001_foundation" and rev.down_revision == "0001_foundation":
            assert rev.branch_labels, f"{rev.revision} needs branch_labels"
