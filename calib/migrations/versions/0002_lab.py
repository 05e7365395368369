"""lab: instruments used for a job (ISO/IEC 17025:2017 7.5.1)

Revision ID: 0002_lab
Revises: 0001_foundation
Create Date: 2026-11-23 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002_lab"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("lab",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_instrument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("instrument_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["job.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "instrument_code"),
    )
    with op.batch_alter_table("job_instrument", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_instrument_job_id"), ["job_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_job_instrument_instrument_code"), ["instrument_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("job_instrument", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_instrument_instrument_code"))
        batch_op.drop_index(batch_op.f("ix_job_instrument_job_id"))
    op.drop_table("job_instrument")
