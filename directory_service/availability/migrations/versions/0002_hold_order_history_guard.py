"""Holds keep their creation order without SQLite's rowid; history refuses change.

`holds.created_seq` orders holds made in the same second (released newest first, a
coach's list); an adopted SQLite file fills it from rowid. A trigger on `bed_history`
refuses UPDATE and DELETE on both backends: the history is append-only even for someone
at the database prompt (a superuser can still drop the trigger; backups keep history).

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MESSAGE = "bed_history is append-only"
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION bed_history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER bed_history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON bed_history
FOR EACH STATEMENT EXECUTE FUNCTION bed_history_append_only()
"""
SQLITE_TRIGGERS = [f"""
CREATE TRIGGER bed_history_no_{verb.lower()} BEFORE {verb} ON bed_history
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
""" for verb in ("UPDATE", "DELETE")]


def upgrade():
    op.add_column("holds", sa.Column("created_seq", SEQ))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE holds SET created_seq = rowid")
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    op.create_index("holds_created_seq", "holds", ["created_seq"])


def downgrade():
    op.drop_index("holds_created_seq", "holds")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER bed_history_no_update")
        op.execute("DROP TRIGGER bed_history_no_delete")
    else:
        op.execute("DROP TRIGGER bed_history_append_only ON bed_history")
        op.execute("DROP FUNCTION bed_history_append_only()")
    with op.batch_alter_table("holds") as batch:
        batch.drop_column("created_seq")
