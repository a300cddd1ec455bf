"""The ``analytics_daily`` rollup (kept small enough to read at 10 M incidents): additive indicator counts per local day ×
district × large category class, maintained with the summary in every event's transaction
(incidents/rollup.py), so a year's trend sums bounded rows instead of reading every incident's summary.
Backfilled here from ``incident_milestones`` and the callback events, in the zone of ``CITYOPS_TZ``
(default Asia/Shanghai) and the filing limit of data/indicators.toml, both recorded in
``analytics_rollup_meta`` (a view in another zone falls back to the exact fold).

Revision ID: 0013
Revises: 0012
"""
import os
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_MEASURES = ("to_file", "filed_ontime", "dispatched", "dispatched_right", "to_resolve", "resolved",
             "resolved_ontime", "to_close", "closed", "closed_ontime", "closed_in_period", "reworked",
             "overdue_delta", "filing_n", "filing_us", "handling_n", "handling_us",
             "cb_satisfied", "cb_basically_satisfied", "cb_dissatisfied", "cb_other")


def upgrade() -> None:
    op.create_table(
        "analytics_daily",
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day2", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("district", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("large", sa.String(length=3), nullable=False),
        *[sa.Column(c, sa.BigInteger(), nullable=False) for c in _MEASURES],
        sa.PrimaryKeyConstraint("day", "day2", "district", "large"),
    )
    op.create_table(
        "analytics_rollup_meta",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("filing_limit_minutes", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    from incidents.indicators import load
    from incidents.rollup import rebuild_all  # the same contributions as every later write

    rebuild_all(session=Session(bind=op.get_bind()), tz=ZoneInfo(os.environ.get("CITYOPS_TZ") or "Asia/Shanghai"),
                filing_limit_minutes=load().filing_limit_minutes)


def downgrade() -> None:
    op.drop_table("analytics_rollup_meta")
    op.drop_table("analytics_daily")
