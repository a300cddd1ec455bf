"""Photo provenance: each stored photo's case, event, server receipt time, device position (when the browser
gave one) and its content (SHA-256) and perceptual (64-bit dHash) hashes, to flag a photo reused across cases.

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=13), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("dhash", sa.BigInteger(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_photos_code", "photos", ["code"])
    op.create_index("ix_photos_sha256", "photos", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_photos_sha256", table_name="photos")
    op.drop_index("ix_photos_code", table_name="photos")
    op.drop_table("photos")
