"""Outcomes for the program (issue 23, item 5): coach groups and freshness snapshots.

`api_keys.coach_group` labels a coach key with its team, the finest grain outcomes are
reported by; `outcomes_freshness` keeps, per nudge time, how many facilities were fresh,
aging, stale or never reported.

Revision ID: 0010
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("coach_group", sa.Text))
    op.create_table(
        "outcomes_freshness",
        sa.Column("taken_at", sa.Text, primary_key=True),
        sa.Column("facilities", sa.Integer, nullable=False),
        sa.Column("fresh", sa.Integer, nullable=False),
        sa.Column("aging", sa.Integer, nullable=False),
        sa.Column("stale", sa.Integer, nullable=False),
        sa.Column("unreported", sa.Integer, nullable=False))


def downgrade():
    op.drop_table("outcomes_freshness")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("coach_group")
