"""assessment: environment, check standards, scopes, certification cycle, findings

Revision ID: 0002_assessment
Revises: 0001_foundation
Create Date: 2026-11-23 02:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002_assessment"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("assessment",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "management_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("chaired_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("inputs", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("outputs", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "quality_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["quality_document.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quality_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_document_code"), ["code"], unique=False)

    op.create_table(
        "method_validation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("validated_on", sa.Date(), nullable=False),
        sa.Column("validated_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedure.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("method_validation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_method_validation_procedure_id"), ["procedure_id"], unique=False
        )

    op.create_table(
        "scope_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("measurand", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("range_min", sa.Float(), nullable=True),
        sa.Column("range_max", sa.Float(), nullable=True),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("cmc", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedure.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "assessment_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("requirement_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("clause", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("statement", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("evidence_refs", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("raised_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("response", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("responded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("responded_on", sa.Date(), nullable=True),
        sa.Column("verification", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("verified_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("verified_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("assessment_finding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_finding_site_id"), ["site_id"], unique=False
        )

    op.create_table(
        "check_standard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("quantity", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("nominal", sa.Float(), nullable=True),
        sa.Column("baseline", sa.Integer(), nullable=False),
        sa.Column("subgroup_size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedure.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("check_standard", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_standard_site_id"), ["site_id"], unique=False)

    op.create_table(
        "env_room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("logging_interval_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("env_room", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_room_site_id"), ["site_id"], unique=False)

    op.create_table(
        "scope_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("master_certificate_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["master_certificate_id"],
            ["scope_certificate.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("scope_certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scope_certificate_site_id"), ["site_id"], unique=False)

    op.create_table(
        "site_scope_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("scope_line_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scope_line_id"],
            ["scope_line.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "scope_line_id", name="uq_site_scope_line"),
    )
    with op.batch_alter_table("site_scope_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_scope_line_site_id"), ["site_id"], unique=False)

    op.create_table(
        "certification_cycle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("certification_body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("standards", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["scope_certificate.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "check_measurement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_standard_id", sa.Integer(), nullable=False),
        sa.Column("measured_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("subgroup", sa.Integer(), nullable=True),
        sa.Column("performed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_standard_id"],
            ["check_standard.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("check_measurement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_measurement_check_standard_id"),
            ["check_standard_id"],
            unique=False,
        )

    op.create_table(
        "env_excursion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("end", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("max_deviation", sa.Float(), nullable=True),
        sa.Column("worst_value", sa.Float(), nullable=True),
        sa.Column("readings", sa.Integer(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("detected_on", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["env_room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("env_excursion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_excursion_room_id"), ["room_id"], unique=False)

    op.create_table(
        "env_limit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedure.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["env_room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("env_limit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_limit_room_id"), ["room_id"], unique=False)

    op.create_table(
        "env_logger_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("readings", sa.Integer(), nullable=False),
        sa.Column("first_time", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_time", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("imported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("imported_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["env_room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("env_logger_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_logger_import_room_id"), ["room_id"], unique=False)

    op.create_table(
        "spec_limit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_standard_id", sa.Integer(), nullable=False),
        sa.Column("lsl", sa.Float(), nullable=True),
        sa.Column("usl", sa.Float(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_standard_id"],
            ["check_standard.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("check_standard_id"),
    )
    op.create_table(
        "certification_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["certification_cycle.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cycle_id", "key", name="uq_certification_step"),
    )
    with op.batch_alter_table("certification_step", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certification_step_cycle_id"), ["cycle_id"], unique=False
        )

    op.create_table(
        "env_impact_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("excursion_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("assessment", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("assessed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("nonconformity_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["excursion_id"],
            ["env_excursion.id"],
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["job.id"],
        ),
        sa.ForeignKeyConstraint(
            ["nonconformity_id"],
            ["nonconformity.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "excursion_id", name="uq_env_impact"),
    )
    with op.batch_alter_table("env_impact_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_env_impact_assessment_excursion_id"), ["excursion_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_env_impact_assessment_job_id"), ["job_id"], unique=False
        )

    op.create_table(
        "env_job_location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["job.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["env_room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id"),
    )
    with op.batch_alter_table("env_job_location", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_job_location_room_id"), ["room_id"], unique=False)

    op.create_table(
        "env_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("time", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("quantity", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["env_logger_import.id"],
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["env_room.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("env_reading", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_env_reading_import_id"), ["import_id"], unique=False)
        batch_op.create_index("ix_env_reading_room_time", ["room_id", "time"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("env_reading", schema=None) as batch_op:
        batch_op.drop_index("ix_env_reading_room_time")
        batch_op.drop_index(batch_op.f("ix_env_reading_import_id"))

    op.drop_table("env_reading")
    with op.batch_alter_table("env_job_location", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_env_job_location_room_id"))

    op.drop_table("env_job_location")
    with op.batch_alter_table("env_impact_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_env_impact_assessment_job_id"))
        batch_op.drop_index(batch_op.f("ix_env_impact_assessment_excursion_id"))

    op.drop_table("env_impact_assessment")
    with op.batch_alter_table("certification_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certification_step_cycle_id"))

    op.drop_table("certification_step")
    op.drop_table("spec_limit")
    with op.batch_alter_table("env_logger_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_env_logger_import_room_id"))

    op.drop_table("env_logger_import")
    with op.batch_alter_table("env_limit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_env_limit_room_id"))

    op.drop_table("env_limit")
    with op.batch_alter_table("env_excursion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_env_excursion_room_id"))

    op.drop_table("env_excursion")
    with op.batch_alter_table("check_measurement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_measurement_check_standard_id"))

    op.drop_table("check_measurement")
    op.drop_table("certification_cycle")
    with op.batch_alter_table("site_scope_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_scope_line_site_id"))

    op.drop_table("site_scope_line")
    with op.batch_alter_table("scope_certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scope_certificate_site_id"))

    op.drop_table("scope_certificate")
    with op.batch_alter_table("env_room", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_env_room_site_id"))

    op.drop_table("env_room")
    with op.batch_alter_table("check_standard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_standard_site_id"))

    op.drop_table("check_standard")
    with op.batch_alter_table("assessment_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_finding_site_id"))

    op.drop_table("assessment_finding")
    op.drop_table("scope_line")
    with op.batch_alter_table("method_validation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_method_validation_procedure_id"))

    op.drop_table("method_validation")
    with op.batch_alter_table("quality_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_document_code"))

    op.drop_table("quality_document")
    op.drop_table("management_review")
