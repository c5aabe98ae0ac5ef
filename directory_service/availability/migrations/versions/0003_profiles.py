"""Facility profiles, their history, record verification and onboarding (DESIGN §12).

`facility_profiles` holds what a facility declared about itself (merged over the indexed
record, so it survives every index run); `profile_history` keeps every change and, like
`bed_history`, refuses UPDATE and DELETE; `record_verifications` says when a record was
last confirmed true; `facility_invitations` lists the keys made for a source's
facilities and when each facility claimed its record.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MESSAGE = "profile_history is append-only"
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION profile_history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER profile_history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
ON profile_history FOR EACH STATEMENT EXECUTE FUNCTION profile_history_append_only()
"""
SQLITE_TRIGGERS = [f"""
CREATE TRIGGER profile_history_no_{verb.lower()} BEFORE {verb} ON profile_history
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
""" for verb in ("UPDATE", "DELETE")]


def upgrade():
    op.create_table(
        "facility_profiles",
        sa.Column("facility_id", sa.Text, primary_key=True),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text))
    op.create_table(
        "profile_history",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("facility_id", sa.Text, nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text), sqlite_autoincrement=True)
    op.create_index("profile_history_facility", "profile_history", ["facility_id", "seq"])
    op.create_table(
        "record_verifications",
        sa.Column("record_id", sa.Text, primary_key=True),
        sa.Column("verified_at", sa.Text, nullable=False),
        sa.Column("how", sa.Text, nullable=False),
        sa.Column("by", sa.Text))
    op.create_table(
        "facility_invitations",
        sa.Column("facility_id", sa.Text, primary_key=True),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("source_name", sa.Text),
        sa.Column("invited_at", sa.Text, nullable=False),
        sa.Column("claimed_at", sa.Text),
        sa.Column("claimed_how", sa.Text))
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER profile_history_no_update")
        op.execute("DROP TRIGGER profile_history_no_delete")
    else:
        op.execute("DROP TRIGGER profile_history_append_only ON profile_history")
        op.execute("DROP FUNCTION profile_history_append_only()")
    for table in ("facility_invitations", "record_verifications", "profile_history",
                  "facility_profiles"):
        op.drop_table(table)
