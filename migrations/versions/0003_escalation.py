"""Escalation (督办): the per-incident schedule of the next due step and the exactly-once step claims.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalation_schedule",
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("warn_at", sa.DateTime(), nullable=False),
        sa.Column("leader_at", sa.DateTime(), nullable=False),
        sa.Column("next_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_escalation_schedule_next_at", "escalation_schedule", ["next_at"])
    op.create_table(
        "escalation_claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("incident_id", "round", "step"),
    )
    op.create_index("ix_escalation_claims_incident_id", "escalation_claims", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_escalation_claims_incident_id", table_name="escalation_claims")
    op.drop_table("escalation_claims")
    op.drop_index("ix_escalation_schedule_next_at", table_name="escalation_schedule")
    op.drop_table("escalation_schedule")
