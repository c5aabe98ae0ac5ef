"""Coach watches (issue 23, item 4): saved needs, the beds seen open, fires, the check's clock.

Revision ID: 0009
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "watches",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("coach_key_id", sa.Text, nullable=False),
        sa.Column("needs", sa.Text, nullable=False),
        sa.Column("place", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("ended_at", sa.Text),
        sa.Column("notify", sa.Text),
        sa.Column("notify_to", sa.Text),
        sa.Column("secret", sa.Text))
    op.create_index("watches_coach", "watches", ["coach_key_id", "state", "expires_at"])
    op.create_index("watches_state", "watches", ["state", "expires_at"])
    op.create_table(
        "watch_open_beds",
        sa.Column("watch_id", sa.Text, primary_key=True),
        sa.Column("facility_id", sa.Text, primary_key=True),
        sa.Column("level_of_care", sa.Text, primary_key=True),
        sa.Column("population", sa.Text, primary_key=True),
        sa.Column("since", sa.Text, nullable=False))
    op.create_table(
        "watch_fires",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("watch_id", sa.Text, nullable=False),
        sa.Column("facility_id", sa.Text, nullable=False),
        sa.Column("level_of_care", sa.Text, nullable=False),
        sa.Column("population", sa.Text, nullable=False),
        sa.Column("open", sa.Integer),
        sa.Column("fired_at", sa.Text, nullable=False),
        sa.Column("notified", sa.Text),
        sqlite_autoincrement=True)
    op.create_index("watch_fires_watch", "watch_fires", ["watch_id", "seq"])
    op.create_table(
        "watch_checks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("checked_at", sa.Text, nullable=False),
        sa.Column("recheck", sa.Text, nullable=False))


def downgrade():
    op.drop_table("watch_checks")
    op.drop_index("watch_fires_watch", "watch_fires")
    op.drop_table("watch_fires")
    op.drop_table("watch_open_beds")
    op.drop_index("watches_state", "watches")
    op.drop_index("watches_coach", "watches")
    op.drop_table("watches")
