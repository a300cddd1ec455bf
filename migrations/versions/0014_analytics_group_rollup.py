"""The ``analytics_group_daily`` rollup (read at 10 M incidents): the counts of ``analytics_daily`` per local
day × grid / department / category (5 digits) × district, plus ``reported`` (the category mix), maintained
in the same transactions (incidents/rollup.py), so the group tables and the dashboard sum bounded rows
instead of folding every candidate's summary row. Backfilled here by rebuilding the whole rollup (both
tables, the same contributions as every later write) in the zone and filing limit 0013 recorded.

Revision ID: 0014
Revises: 0013
"""
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_COLUMNS = ("to_file", "filed_ontime", "dispatched", "dispatched_right", "to_resolve", "resolved",
            "resolved_ontime", "to_close", "closed", "closed_ontime", "closed_in_period", "reworked",
            "overdue_delta", "filing_n", "filing_us", "handling_n", "handling_us",
            "cb_satisfied", "cb_basically_satisfied", "cb_dissatisfied", "cb_other", "reported")


def upgrade() -> None:
    op.create_table(
        "analytics_group_daily",
        sa.Column("dim", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day2", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("district", sa.Integer(), autoincrement=False, nullable=False),
        *[sa.Column(c, sa.BigInteger(), nullable=False) for c in _COLUMNS],
        sa.PrimaryKeyConstraint("dim", "day", "day2", "key", "district"),
    )
    from incidents.rollup import rebuild_all  # the same contributions as every later write

    bind = op.get_bind()
    row = bind.execute(sa.text("SELECT tz, filing_limit_minutes FROM analytics_rollup_meta")).first()
    if row is not None:  # 0013 always records one; rebuilt in its zone and limit
        rebuild_all(session=Session(bind=bind), tz=ZoneInfo(row[0]), filing_limit_minutes=float(row[1]))


def downgrade() -> None:
    op.drop_table("analytics_group_daily")
