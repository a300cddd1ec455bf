"""A covering index for the report-time window that hotspots (9 weeks, grouped by cell) and recurrence (30 days,
placed by coordinates) read (at 10 M incidents): ``(reported_at, state, grid, district, category, lon, lat)``, so
those queries never visit the wide incident rows (descriptions, addresses).

Revision ID: 0016
Revises: 0015
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_window", "incidents",
                    ["reported_at", "state", "grid", "district", "category", "lon", "lat"])


def downgrade() -> None:
    op.drop_index("ix_incidents_window", table_name="incidents")
