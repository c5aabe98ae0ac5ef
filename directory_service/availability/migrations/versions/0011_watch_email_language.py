"""A watch's e-mail language: the coach page's language (English or Spanish), or the
API's `email_language`; a watch saved before it has none and is told in English.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("watches") as batch:
        batch.add_column(sa.Column("email_language", sa.Text))


def downgrade():
    with op.batch_alter_table("watches") as batch:
        batch.drop_column("email_language")
