"""Month-start snapshots of the rollups ("as of" a past month's end, at 10 M incidents): the correction turning
``analytics_daily`` / ``analytics_group_daily`` now into the rollups as they stood at each local month
start, kept by the writes that cross one (incidents/asof.py). Built here from the event log for the latest 13
month starts of the history; writes are followed from after the newest event.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_COLUMNS = ("to_file", "filed_ontime", "dispatched", "dispatched_right", "to_resolve", "resolved",
            "resolved_ontime", "to_close", "closed", "closed_ontime", "closed_in_period", "reworked",
            "overdue_delta", "filing_n", "filing_us", "handling_n", "handling_us",
            "cb_satisfied", "cb_basically_satisfied", "cb_dissatisfied", "cb_other")
_LATE = ("late_n", "late_running")


def _counts(*extra: str) -> list[sa.Column]:
    return [sa.Column(c, sa.BigInteger(), nullable=False) for c in (*_COLUMNS, *extra, *_LATE)]


def upgrade() -> None:
    op.add_column("analytics_rollup_meta", sa.Column("asof_since", sa.BigInteger(), nullable=True))
    op.create_table(
        "analytics_daily_asof",
        sa.Column("asof", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day2", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("district", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("large", sa.String(length=3), nullable=False),
        *_counts(),
        sa.PrimaryKeyConstraint("asof", "day", "day2", "district", "large"),
    )
    op.create_table(
        "analytics_group_asof",
        sa.Column("asof", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("dim", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day2", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("district", sa.Integer(), autoincrement=False, nullable=False),
        *_counts("reported"),
        sa.PrimaryKeyConstraint("asof", "dim", "day", "day2", "key", "district"),
    )
    op.create_table(
        "analytics_asof_months",
        sa.Column("asof", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("asof"),
    )
    import os

    from incidents import asof  # the same rules as every later write

    # the latest 13 month starts (a year of monthly reports and the same month a year before); older ones fold
    # until asof.build() builds them (CITYOPS_ASOF_BUILD_MONTHS: another count; a big history on a slow disk)
    asof.reset(session=Session(bind=op.get_bind()), recent=int(os.environ.get("CITYOPS_ASOF_BUILD_MONTHS", "13")))


def downgrade() -> None:
    from incidents import asof

    asof.forget_tables()  # its "the tables exist" cache
    op.drop_table("analytics_asof_months")
    op.drop_table("analytics_group_asof")
    op.drop_table("analytics_daily_asof")
    op.drop_column("analytics_rollup_meta", "asof_since")
