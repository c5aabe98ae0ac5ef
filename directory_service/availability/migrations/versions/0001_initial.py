"""The availability schema as the SQLite-only releases made it.

Adoptive: a file written by an older release (before Alembic) already has some or all of
these tables, maybe without `holds.reason` or the outbox, so each table, column and index
is created only when missing. A new database gets all of them.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _tables():
    return {
        "bed_reports": lambda: op.create_table(
            "bed_reports",
            sa.Column("facility_id", sa.Text, primary_key=True),
            sa.Column("level_of_care", sa.Text, primary_key=True),
            sa.Column("population", sa.Text, primary_key=True),
            sa.Column("capacity", sa.Integer), sa.Column("available", sa.Integer),
            sa.Column("status", sa.Text, nullable=False), sa.Column("reported_at", sa.Text),
            sa.Column("reported_by", sa.Text), sa.Column("note", sa.Text),
            sa.Column("version", sa.Integer, nullable=False)),
        "facility_versions": lambda: op.create_table(
            "facility_versions",
            sa.Column("facility_id", sa.Text, primary_key=True),
            sa.Column("version", sa.Integer, nullable=False)),
        "bed_history": lambda: op.create_table(
            "bed_history",
            sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
            sa.Column("facility_id", sa.Text, nullable=False),
            sa.Column("event", sa.Text, nullable=False),
            sa.Column("level_of_care", sa.Text, nullable=False),
            sa.Column("population", sa.Text, nullable=False),
            sa.Column("capacity", sa.Integer), sa.Column("available", sa.Integer),
            sa.Column("status", sa.Text, nullable=False), sa.Column("reported_at", sa.Text),
            sa.Column("reported_by", sa.Text), sa.Column("note", sa.Text),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("recorded_at", sa.Text, nullable=False), sqlite_autoincrement=True),
        "holds": lambda: op.create_table(
            "holds",
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("facility_id", sa.Text, nullable=False),
            sa.Column("level_of_care", sa.Text, nullable=False),
            sa.Column("population", sa.Text, nullable=False),
            sa.Column("coach_key_id", sa.Text, nullable=False), sa.Column("note", sa.Text),
            sa.Column("created_at", sa.Text, nullable=False),
            sa.Column("expires_at", sa.Text, nullable=False),
            sa.Column("state", sa.Text, nullable=False), sa.Column("decided_at", sa.Text),
            sa.Column("reason", sa.Text)),
        "api_keys": lambda: op.create_table(
            "api_keys",
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("hash", sa.Text, nullable=False), sa.Column("role", sa.Text, nullable=False),
            sa.Column("facility_id", sa.Text), sa.Column("label", sa.Text),
            sa.Column("created_at", sa.Text, nullable=False), sa.Column("revoked_at", sa.Text)),
        "facility_changes": lambda: op.create_table(
            "facility_changes",
            sa.Column("facility_id", sa.Text, primary_key=True),
            sa.Column("seq", SEQ, nullable=False)),
        "outbox": lambda: op.create_table(
            "outbox",
            sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
            sa.Column("facility_id", sa.Text, nullable=False),
            sa.Column("created_at", sa.Text, nullable=False), sqlite_autoincrement=True),
        "sync_positions": lambda: op.create_table(
            "sync_positions",
            sa.Column("target", sa.Text, primary_key=True),
            sa.Column("seq", SEQ, nullable=False),
            sa.Column("updated_at", sa.Text, nullable=False)),
    }


INDEXES = (
    ("bed_history_facility", "bed_history", ["facility_id", "seq"]),
    ("holds_active", "holds", ["facility_id", "level_of_care", "population", "state"]),
    ("holds_coach", "holds", ["coach_key_id", "state", "expires_at"]),
    ("facility_changes_seq", "facility_changes", ["seq"]),
)


def upgrade():
    inspector = sa.inspect(op.get_bind())
    have = set(inspector.get_table_names())
    for name, create in _tables().items():
        if name not in have:
            create()
    if "holds" in have and "reason" not in {c["name"] for c in inspector.get_columns("holds")}:
        op.add_column("holds", sa.Column("reason", sa.Text))
    for name, table, columns in INDEXES:
        if table not in have or name not in {i["name"] for i in inspector.get_indexes(table)}:
            op.create_index(name, table, columns)


def downgrade():
    raise NotImplementedError("the first revision is not undone: drop the database instead")
