"""Public "Something wrong?" reports and their change counter (issue 22, item 3).

Two new tables and their indexes; a record's verification time lives in 0003's
`record_verifications`, shared with facility profiles (availability/verification.py).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "public_reports",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("record_id", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("decided_at", sa.Text),
        sa.Column("decided_by", sa.Text))
    op.create_index("public_reports_record", "public_reports", ["record_id", "state"])
    op.create_index("public_reports_state", "public_reports", ["state", "created_at"])
    op.create_table(
        "public_report_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", SEQ, nullable=False))


def downgrade():
    op.drop_table("public_report_changes")
    op.drop_index("public_reports_state", "public_reports")
    op.drop_index("public_reports_record", "public_reports")
    op.drop_table("public_reports")
