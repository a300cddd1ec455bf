"""Machine intake channels: API tokens (hashed), idempotency keys, sensor alarm links.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("client", "key"),
    )
    op.create_table(
        "alarm_links",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("alarm_type", sa.String(length=32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("device_id", "alarm_type"),
    )
    with op.batch_alter_table("alarm_links") as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_links_incident_id"), ["incident_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alarm_links") as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_links_incident_id"))
    op.drop_table("alarm_links")
    op.drop_table("idempotency_keys")
    op.drop_table("api_tokens")
