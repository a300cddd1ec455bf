"""Archive tables: ``incidents_archive`` and ``events_archive``, the same columns as ``incidents``
and ``events``, where ``python app.py archive --older-than-days N`` moves finished incidents in batches.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents_archive",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=13), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=5), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("grid", sa.String(length=15), nullable=False),
        sa.Column("district", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("reporter_phone", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=16), nullable=True),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("deadline", sa.DateTime(), nullable=True),
        sa.Column("rework_count", sa.Integer(), nullable=False),
        sa.Column("merged_into", sa.String(length=13), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("incidents_archive") as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_archive_grid"), ["grid"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_archive_reporter_phone"), ["reporter_phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_archive_reported_at"), ["reported_at"], unique=False)
    op.create_table(
        "events_archive",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=16), nullable=True),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("deadline", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents_archive.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "seq"),
    )
    with op.batch_alter_table("events_archive") as batch_op:
        batch_op.create_index("ix_events_archive_at", ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_archive_incident_id"), ["incident_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events_archive") as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_archive_incident_id"))
        batch_op.drop_index("ix_events_archive_at")
    op.drop_table("events_archive")
    with op.batch_alter_table("incidents_archive") as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_archive_reported_at"))
        batch_op.drop_index(batch_op.f("ix_incidents_archive_reporter_phone"))
        batch_op.drop_index(batch_op.f("ix_incidents_archive_grid"))
    op.drop_table("incidents_archive")
