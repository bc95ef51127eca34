"""causality assessments, QC runs and sign-offs, closures

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.store.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_closures",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("duplicate_of", sa.String(length=64), nullable=True),
        sa.Column("open_submissions_reason", sa.Text(), nullable=True),
        sa.Column("open_submissions", sa.JSON(), nullable=False),
        sa.Column("followups_stopped", sa.JSON(), nullable=False),
        sa.Column("state_before", sa.String(length=32), nullable=False),
        sa.Column("closed_by", sa.String(length=128), nullable=False),
        sa.Column("closed_at", gateway.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_closures")),
    )
    with op.batch_alter_table("case_closures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_closures_case_id"), ["case_id"], unique=False)

    op.create_table(
        "causality_assessments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.String(length=64), nullable=False),
        sa.Column("reaction_id", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("result", sa.String(length=60), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("supersedes", sa.String(length=64), nullable=True),
        sa.Column("assessed_by", sa.String(length=128), nullable=False),
        sa.Column("assessed_at", gateway.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_causality_assessments")),
    )
    with op.batch_alter_table("causality_assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_causality_assessments_case_id_drug_id_reaction_id"),
            ["case_id", "drug_id", "reaction_id"],
            unique=False,
        )

    op.create_table(
        "qc_runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("run_at", gateway.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("run_by", sa.String(length=128), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("blocking_failures", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("meddra_version", sa.String(length=16), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_runs")),
    )
    with op.batch_alter_table("qc_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_qc_runs_case_id_case_version"), ["case_id", "case_version"], unique=False
        )

    op.create_table(
        "qc_signoffs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("qc_run_id", sa.String(length=64), nullable=False),
        sa.Column("signed_by", sa.String(length=128), nullable=False),
        sa.Column("signed_at", gateway.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("state_before", sa.String(length=32), nullable=False),
        sa.Column("state_after", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_signoffs")),
    )
    with op.batch_alter_table("qc_signoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qc_signoffs_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("qc_signoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qc_signoffs_case_id"))

    op.drop_table("qc_signoffs")
    with op.batch_alter_table("qc_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qc_runs_case_id_case_version"))

    op.drop_table("qc_runs")
    with op.batch_alter_table("causality_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_causality_assessments_case_id_drug_id_reaction_id"))

    op.drop_table("causality_assessments")
    with op.batch_alter_table("case_closures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_closures_case_id"))

    op.drop_table("case_closures")
