"""Server-side staff sessions (issue 24, item 5): sign-out and expiry end them for good.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("last_seen_at", sa.Text, nullable=False))
    op.create_index("staff_sessions_key", "staff_sessions", ["key_id"])
    op.create_index("staff_sessions_seen", "staff_sessions", ["last_seen_at"])


def downgrade():
    op.drop_index("staff_sessions_seen", "staff_sessions")
    op.drop_index("staff_sessions_key", "staff_sessions")
    op.drop_table("staff_sessions")
