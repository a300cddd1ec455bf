"""The city's geography in tables: districts, streets, communities, unit grid cells and places, with a
version every process watches to reload its grid index.

Revision ID: 0020
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "geo_features",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("geometry", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_geo_features_level", "geo_features", ["level"])
    op.create_table(
        "geo_meta",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("generated", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("geo_meta")
    op.drop_index("ix_geo_features_level", table_name="geo_features")
    op.drop_table("geo_features")
