"""Authorization and sessions: a per-user session token (rotated by logout and password changes, so every
earlier session and remember-cookie ends), API tokens bound to whom they act for (a department or a user),
and revocable device logins for kiosks such as the video wall.

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("department", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("username", sa.String(length=64), nullable=True))
    op.create_table(
        "device_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("device_logins")
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("username")
        batch_op.drop_column("department")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("session_token")
