"""assessment: findings linked to nonconformities (ISO/IEC 17025:2017 8.7)

Revision ID: 0003_assessment_finding_nc
Revises: 0002_assessment
Create Date: 2026-11-23 04:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003_assessment_finding_nc"
down_revision: str | Sequence[str] | None = "0002_assessment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessment_finding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nonconformity_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "closure_note",
                sqlmodel.sql.sqltypes.AutoString(),
                nullable=False,
                server_default="",
            )
        )
        batch_op.create_index(
            batch_op.f("ix_assessment_finding_nonconformity_id"),
            ["nonconformity_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            "fk_assessment_finding_nonconformity_id",
            "nonconformity",
            ["nonconformity_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("assessment_finding", schema=None) as batch_op:
        batch_op.drop_constraint("fk_assessment_finding_nonconformity_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_assessment_finding_nonconformity_id"))
        batch_op.drop_column("closure_note")
        batch_op.drop_column("nonconformity_id")
