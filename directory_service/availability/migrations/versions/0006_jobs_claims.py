"""Periodic jobs run once per schedule slot across nodes (issue 23, item 1).

One row per (job, slot), inserted by the runner that claims it (directory_service/jobs/
claims.py); rows older than the claim retention are pruned by the runner.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "jobs_claims",
        sa.Column("job", sa.Text, primary_key=True),
        sa.Column("slot", sa.Text, primary_key=True),
        sa.Column("node", sa.Text, nullable=False),
        sa.Column("claimed_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text),
        sa.Column("outcome", sa.Text))
    op.create_index("jobs_claims_claimed", "jobs_claims", ["claimed_at"])


def downgrade():
    op.drop_index("jobs_claims_claimed", "jobs_claims")
    op.drop_table("jobs_claims")
