"""Partner webhooks (issue 23, item 3): outbox events, subscriptions and deliveries.

The outbox gains `event` (what happened) and `data` (its figures, JSON text); rows written
before have neither and are never sent to a partner. Subscriptions and deliveries are new
tables; a unique (subscription, outbox seq) makes dispatching idempotent.

Revision ID: 0008
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.add_column("outbox", sa.Column("event", sa.Text))
    op.add_column("outbox", sa.Column("data", sa.Text))
    op.create_index("holds_expiry", "holds", ["state", "expires_at"])
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("start_seq", SEQ, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text))
    op.create_table(
        "webhook_deliveries",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("id", sa.Text, nullable=False, unique=True),
        sa.Column("subscription_id", sa.Text),
        sa.Column("outbox_seq", SEQ),
        sa.Column("url", sa.Text),
        sa.Column("secret", sa.Text),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("lane", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("delivered_at", sa.Text),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("subscription_id", "outbox_seq", name="webhook_deliveries_once"),
        sqlite_autoincrement=True)
    op.create_index("webhook_deliveries_due", "webhook_deliveries",
                    ["state", "next_attempt_at"])
    op.create_index("webhook_deliveries_lane", "webhook_deliveries", ["lane", "state", "seq"])
    op.create_index("webhook_deliveries_subscription", "webhook_deliveries",
                    ["subscription_id", "state", "seq"])


def downgrade():
    op.drop_index("webhook_deliveries_subscription", "webhook_deliveries")
    op.drop_index("webhook_deliveries_lane", "webhook_deliveries")
    op.drop_index("webhook_deliveries_due", "webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
    op.drop_index("holds_expiry", "holds")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("data")
        batch.drop_column("event")
