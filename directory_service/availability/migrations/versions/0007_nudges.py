"""Nudges to facilities (issue 23, item 2): contacts, sends, one-tap links, and a staff
session's own end (the "Update" link's short session).

Revision ID: 0007
Revises: 0005 (the lead re-chains the issue's migrations at merge)
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "nudge_contacts",
        sa.Column("facility_id", sa.Text, primary_key=True),
        sa.Column("emails", sa.Text, nullable=False),
        sa.Column("webhook_url", sa.Text),
        sa.Column("webhook_secret", sa.Text),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("paused", sa.Integer, nullable=False),
        sa.Column("link_key_id", sa.Text),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text))
    op.create_table(
        "nudge_sends",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("facility_id", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("message_id", sa.Text),
        sa.Column("stale_since", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("last_attempt_at", sa.Text))
    op.create_index("nudge_sends_facility", "nudge_sends", ["facility_id", "created_at"])
    op.create_index("nudge_sends_status", "nudge_sends", ["status", "created_at"])
    op.create_table(
        "nudge_links",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("facility_id", sa.Text, nullable=False),
        sa.Column("send_id", sa.Text),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Text, nullable=False),
        sa.Column("used_at", sa.Text))
    op.create_index("nudge_links_expires", "nudge_links", ["expires_at"])
    op.add_column("staff_sessions", sa.Column("ends_at", sa.Text))


def downgrade():
    with op.batch_alter_table("staff_sessions") as batch:
        batch.drop_column("ends_at")
    op.drop_index("nudge_links_expires", "nudge_links")
    op.drop_table("nudge_links")
    op.drop_index("nudge_sends_status", "nudge_sends")
    op.drop_index("nudge_sends_facility", "nudge_sends")
    op.drop_table("nudge_sends")
    op.drop_table("nudge_contacts")
