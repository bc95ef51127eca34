"""submissions, transmissions and acknowledgements

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gateway.store.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, gateway.store.tables.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("destination_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        _ts("day_zero"),
        sa.Column("safety_report_id", sa.String(length=100), nullable=True),
        sa.Column("worldwide_case_id", sa.String(length=100), nullable=True),
        sa.Column("message_id", sa.String(length=100), nullable=True),
        sa.Column("message_date", sa.String(length=32), nullable=True),
        sa.Column("batch_number", sa.String(length=100), nullable=True),
        sa.Column("transmission_id", sa.String(length=64), nullable=True),
        sa.Column("retransmission_of", sa.String(length=64), nullable=True),
        sa.Column("local_report_number", sa.String(length=100), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("deadline_met", sa.Boolean(), nullable=True),
        sa.Column("transmissions", sa.Integer(), nullable=False),
        _ts("planned_at", nullable=False),
        _ts("dispatched_at"),
        _ts("acked_at"),
        _ts("overdue_at"),
        _ts("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint(
            "case_id",
            "case_version",
            "destination_id",
            "kind",
            name=op.f("uq_submissions_case_id_case_version_destination_id_kind"),
        ),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submissions_status_destination_id"), ["status", "destination_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_submissions_batch_number_message_id"), ["batch_number", "message_id"]
        )
        batch_op.create_index(batch_op.f("ix_submissions_case_id"), ["case_id"])

    op.create_table(
        "transmissions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("destination_id", sa.String(length=64), nullable=False),
        sa.Column("batch_number", sa.String(length=100), nullable=False),
        sa.Column("format", sa.String(length=4), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at", nullable=False),
        _ts("sent_at"),
        _ts("next_attempt_at"),
        sa.Column("receipt_state", sa.String(length=16), nullable=False),
        _ts("receipt_due_at"),
        _ts("receipt_at"),
        sa.Column("ack_state", sa.String(length=16), nullable=False),
        _ts("ack_due_at"),
        _ts("ack_at"),
        sa.Column("ack_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transmissions")),
        sa.UniqueConstraint("batch_number", name=op.f("uq_transmissions_batch_number")),
    )
    with op.batch_alter_table("transmissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transmissions_status_next_attempt_at"), ["status", "next_attempt_at"]
        )
        batch_op.create_index(
            batch_op.f("ix_transmissions_ack_state_ack_due_at"), ["ack_state", "ack_due_at"]
        )

    op.create_table(
        "acks",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=512), nullable=True),
        _ts("received_at", nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("format", sa.String(length=8), nullable=True),
        sa.Column("batch_number", sa.String(length=100), nullable=True),
        sa.Column("ack_message_id", sa.String(length=100), nullable=True),
        sa.Column("batch_code", sa.String(length=2), nullable=True),
        sa.Column("parsed", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        _ts("routed_at"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acks")),
    )
    with op.batch_alter_table("acks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_acks_batch_number"), ["batch_number"])
        batch_op.create_index(batch_op.f("ix_acks_sha256"), ["sha256"])


def downgrade() -> None:
    op.drop_table("acks")
    op.drop_table("transmissions")
    op.drop_table("submissions")
