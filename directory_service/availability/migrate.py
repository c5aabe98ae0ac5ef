"""Schema migrations (Alembic) and the one-command copy of a SQLite file to PostgreSQL.

Every worker calls `upgrade` when it opens the database. It checks the revision first
(one cheap query) and only migrates under a lock: SQLite's `BEGIN IMMEDIATE`, or an
advisory lock on PostgreSQL, so workers and nodes starting together migrate once. A file
made before Alembic (no `alembic_version`) is adopted by revision 0001, which creates only
what is missing, so no row is lost.
"""
import logging
import os
from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from directory_service.availability import schema
from directory_service.availability.db import AvailabilityDB, lock

MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
MIGRATION_LOCK = "availability:migrations"
COPY_BATCH = 1000
log = logging.getLogger(__name__)


def _config(connection=None):
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head():
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(conn):
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(adb):
    """Bring the database to the newest revision (a no-op when it is there already)."""
    with adb.engine.connect() as conn:
        if _has_version_table(conn) and current(conn) == head():
            return
    with adb.engine.connect() as conn:
        conn.execution_options(availability_write=True)
        with conn.begin():
            lock(conn, MIGRATION_LOCK)
            found = current(conn)
            if found != head():
                # One line when something changes; Alembic's own per-step lines stay at
                # WARNING (request_log.configure), so a worker start that changes
                # nothing logs nothing.
                log.info("migrating the availability database from %s to %s", found or "none",
                         head())
                command.upgrade(_config(conn), "head")


def _has_version_table(conn):
    return inspect(conn).has_table("alembic_version")


def counts(adb):
    """{table: rows} of every availability table."""
    with adb.read() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                for t in schema.TABLES}


class TargetNotEmpty(Exception):
    """The target database already holds availability rows; nothing was copied."""


def copy(source_url, target_url, batch=COPY_BATCH):
    """Copy every row of `source_url` (e.g. the SQLite file) into an empty `target_url`
    in one transaction, keeping sequence numbers; returns {table: rows copied}.

    The source is first brought to the newest revision (an old file is adopted), the
    target is migrated, and PostgreSQL's sequences are moved past the copied numbers."""
    source = AvailabilityDB(url=source_url)
    target = AvailabilityDB(url=target_url)
    try:
        busy = {name: n for name, n in counts(target).items() if n}
        if busy:
            raise TargetNotEmpty("the target already has rows: " + ", ".join(
                f"{name} {n}" for name, n in sorted(busy.items())))
        copied = {}
        with source.read() as src, target.write() as dst:
            for table in schema.TABLES:
                rows = src.execute(select(table)).mappings()
                copied[table.name] = 0
                while chunk := rows.fetchmany(batch):
                    dst.execute(table.insert(), [dict(r) for r in chunk])
                    copied[table.name] += len(chunk)
            if dst.dialect.name == "postgresql":
                for table in (schema.bed_history, schema.outbox, schema.webhook_deliveries):
                    dst.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'seq'), "
                        f"COALESCE((SELECT MAX(seq) FROM {table.name}), 0) + 1, false)"))
        after = counts(target)
        wrong = {name: (n, after[name]) for name, n in copied.items() if after[name] != n}
        if wrong:
            raise RuntimeError(f"row counts differ after the copy: {wrong}")
        return copied
    finally:
        source.close()
        target.close()


def to_url(value):
    """A database URL as given, or a file path as a SQLite URL."""
    return value if "://" in value else "sqlite:///" + os.path.abspath(value)
