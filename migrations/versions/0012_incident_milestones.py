"""The ``incident_milestones`` summary (for reads at scale): one row per incident with its milestones folded from
its events, maintained in every event's transaction (incidents/milestones.py). Backfilled here from the
events already stored (live and archive), set-based, in id ranges.

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_milestones",
        sa.Column("incident_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=13), nullable=False),
        sa.Column("category", sa.String(length=5), nullable=False),
        sa.Column("district", sa.Integer(), nullable=False),
        sa.Column("grid", sa.String(length=15), nullable=False),
        sa.Column("reported", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=16), nullable=True),
        sa.Column("deadline", sa.BigInteger(), nullable=True),
        sa.Column("filed", sa.BigInteger(), nullable=True),
        sa.Column("dropped", sa.BigInteger(), nullable=True),
        sa.Column("dispatched", sa.BigInteger(), nullable=True),
        sa.Column("resolved_first", sa.BigInteger(), nullable=True),
        sa.Column("resolved", sa.BigInteger(), nullable=True),
        sa.Column("resolved_ontime", sa.BigInteger(), nullable=True),
        sa.Column("closed", sa.BigInteger(), nullable=True),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("reassigns", sa.Integer(), nullable=False),
        sa.Column("reworks", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    # Backfill before the indexes: one sorted build per index is faster than maintaining them row by row.
    from incidents.milestones import rebuild  # the one fold (the same rules as every later write)

    rebuild(session=Session(bind=op.get_bind()))
    with op.batch_alter_table("incident_milestones") as batch_op:
        batch_op.create_index("ix_incident_milestones_reported", ["reported"], unique=False)
        batch_op.create_index("ix_incident_milestones_last_at", ["last_at", "reported"], unique=False)
    open_only = sa.text("state NOT IN ('closed', 'merged', 'rejected')")  # = records.MILESTONES_OPEN, verbatim
    op.create_index("ix_incident_milestones_open", "incident_milestones", ["reported"], unique=False,
                    sqlite_where=open_only, postgresql_where=open_only)
    # Callbacks of a period (satisfaction) are found by action and time, not by scanning every event in it.
    with op.batch_alter_table("events") as batch_op:
        batch_op.create_index("ix_events_action_at", ["action", "at"], unique=False)
    with op.batch_alter_table("events_archive") as batch_op:
        batch_op.create_index("ix_events_archive_action_at", ["action", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events_archive") as batch_op:
        batch_op.drop_index("ix_events_archive_action_at")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_index("ix_events_action_at")
    with op.batch_alter_table("incident_milestones") as batch_op:
        batch_op.drop_index("ix_incident_milestones_open")
        batch_op.drop_index("ix_incident_milestones_last_at")
        batch_op.drop_index("ix_incident_milestones_reported")
    op.drop_table("incident_milestones")
