"""Alembic environment for the availability database.

The application runs migrations itself (availability/migrate.py) on a connection it
already holds inside a locked transaction, passed as `config.attributes["connection"]`.
"""
from alembic import context

from directory_service.availability.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
