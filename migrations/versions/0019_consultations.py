"""Consultations (咨询, 即时办结): questions answered on the spot, kept apart from incidents so no case
indicator counts them, with their own audit trail.

Revision ID: 0019
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("caller_phone", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=5), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_consultations_caller_phone", "consultations", ["caller_phone"])
    op.create_index("ix_consultations_closed_at", "consultations", ["closed_at"])
    op.create_table(
        "consultation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consultation_id", "seq"),
    )
    op.create_index("ix_consultation_events_consultation_id", "consultation_events", ["consultation_id"])


def downgrade() -> None:
    op.drop_index("ix_consultation_events_consultation_id", table_name="consultation_events")
    op.drop_table("consultation_events")
    op.drop_index("ix_consultations_closed_at", table_name="consultations")
    op.drop_index("ix_consultations_caller_phone", table_name="consultations")
    op.drop_table("consultations")
