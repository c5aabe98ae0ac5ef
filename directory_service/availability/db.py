"""The availability database: bed reports, their history, holds and API keys (DESIGN §2, §6).

It is the store of record for live data and lives apart from the indexed directory, so a
re-index never touches it. Two backends behind one schema (schema.py) and one set of
SQLAlchemy Core queries:

- SQLite (`AVAILABILITY_PATH`, the zero-setup default) in WAL mode: searches read while one
  writer writes; every write runs inside `BEGIN IMMEDIATE`, which takes the write lock
  before the first read, so a check-then-write (the last bed, a version check) cannot
  interleave with another process's.
- PostgreSQL (`AVAILABILITY_URL=postgresql://…`) for more than one API node: writes run at
  READ COMMITTED and each check-then-write first takes a transaction-scoped advisory lock
  (`lock`): per facility (the last bed, If-Match), per coach key (the cap on active holds)
  and, for the change sequence and the outbox, one global lock held from `mark_changed` to
  the commit, so sequence numbers become visible in order and no reader skips one.

Each worker process has its own connection pool (`pool_pre_ping`, so a restarted server
is reconnected to without restarting the API).
"""
import json
import logging
import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import bindparam, create_engine, event, func, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.expression import ClauseElement

from directory_service import metrics
from directory_service.availability import fast
from directory_service.availability.schema import facility_changes, outbox

log = logging.getLogger(__name__)
GLOBAL_CHANGE_LOCK = "availability:changes"
PG_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))")


def iso(moment):
    """UTC, whole seconds, "Z": one fixed format, so ISO strings compare in time order."""
    moment = moment.astimezone(timezone.utc).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def utcnow():
    return datetime.now(timezone.utc)


def parse_iso(text_value):
    """An ISO 8601 string as an aware datetime (None stays None)."""
    if text_value is None:
        return None
    return datetime.fromisoformat(text_value.replace("Z", "+00:00"))


def sqlite_url(path):
    return "sqlite:///" + os.path.abspath(path)


class Reader:
    """`adb.read()`: `execute` runs one query on a pooled connection and returns its
    rows buffered; `with adb.read() as db:` keeps one connection for several queries."""

    def __init__(self, adb):
        self.adb = adb
        self.dialect = adb.engine.dialect
        self._conn = None

    def execute(self, statement, params=None):
        with self.adb.engine.connect() as conn:
            return conn.execute(statement, params or {}).freeze()()

    def rows(self, statement, **params):
        """The rows (plain tuples) of a read on every search: the statement compiled once
        per dialect and run on the pooled DBAPI connection, skipping SQLAlchemy's result
        machinery (0.09 ms a query, twice per search, against 0.01 ms; issue 15)."""
        sql, order, defaults = self.adb.compiled(statement)
        values = {**defaults, **params}
        engine = self.adb.engine
        try:
            connection = engine.raw_connection()
        except engine.dialect.dbapi.Error as exc:
            # Cannot connect (server down, refused): SQLAlchemy's OperationalError like
            # every other path, so the outage rules apply (503 or degraded reads).
            raise sa_exc.DBAPIError.instance(sql, values, exc, engine.dialect.dbapi.Error) \
                from exc
        try:
            cursor = connection.cursor()
            cursor.execute(sql, tuple(values[name] for name in order) if order else values)
            found = cursor.fetchall()
            cursor.close()
            connection.commit()  # ends the read's snapshot (autocommit on SQLite: a no-op)
            return [tuple(row) for row in found]
        except engine.dialect.dbapi.Error as exc:
            # The driver's error as SQLAlchemy's (OperationalError for an outage: 503),
            # and a connection that failed is not returned to the pool.
            connection.invalidate(exc)
            raise sa_exc.DBAPIError.instance(sql, values, exc, engine.dialect.dbapi.Error) \
                from exc
        finally:
            connection.close()

    def __enter__(self):
        self._conn = self.adb.engine.connect()
        return self._conn

    def __exit__(self, *exc):
        self._conn.close()
        self._conn = None


# How often a writer looks again for the write lock another process holds.
LOCK_POLL_S = 0.0002


class AvailabilityDB:
    """One engine (a connection pool per worker process) on the availability database."""

    def __init__(self, path=None, busy_timeout_ms=10_000, url=None, pool_size=5,
                 pool_timeout_s=10.0, connect_timeout_s=5, migrate=True, max_overflow=None):
        self.url = url or sqlite_url(path)
        self.path = None if url else os.path.abspath(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._options = dict(pool_size=pool_size, pool_timeout=pool_timeout_s)
        self.connect_timeout_s = connect_timeout_s
        self.max_overflow = pool_size if max_overflow is None else max_overflow
        if self.path and os.path.dirname(self.path):
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._pid = None
        self._engine = None
        self._compiled = {}
        self._group = None
        self._schema_ok = not migrate
        if migrate:
            try:
                self._ensure_schema()
            except OperationalError:
                # The server is down at start: the API still starts (readiness says why),
                # and the first request that reaches the database migrates it.
                log.warning("availability database unreachable at start; will retry")

    @classmethod
    def from_settings(cls, settings, migrate=True):
        return cls(settings.availability_path, settings.availability_busy_timeout_ms,
                   url=settings.availability_url or None,
                   pool_size=settings.availability_pool_size,
                   pool_timeout_s=settings.availability_pool_timeout_s,
                   connect_timeout_s=settings.availability_connect_timeout_s, migrate=migrate,
                   max_overflow=settings.availability_max_overflow)

    @property
    def backend_name(self):
        """"sqlite" or "postgresql", read from the URL (no connection needed)."""
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    def compiled(self, statement):
        """(SQL text in the driver's parameter style, positional parameter names or
        None, the statement's own values such as literals): the one Core statement,
        compiled once for this database."""
        found = self._compiled.get(statement)
        if found is None:
            compiled = statement.compile(dialect=self.engine.dialect)
            found = (str(compiled), compiled.positiontup, dict(compiled.params))
            self._compiled[statement] = found
        return found

    @property
    def engine(self):
        # A forked worker (gunicorn) must not share the parent's pooled sockets.
        if self._engine is not None and self._pid != os.getpid():
            self._engine.dispose(close=False)
            self._pid = os.getpid()
        if self._engine is None:
            self._engine = self._create_engine()
            self._pid = os.getpid()
        return self._engine

    def _create_engine(self):
        if self.url.startswith("sqlite"):
            engine = create_engine(self.url, connect_args={
                "check_same_thread": False, "timeout": self.busy_timeout_ms / 1000},
                **self._options)
            event.listen(engine, "connect", self._sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        url = self.url.replace("postgresql://", "postgresql+psycopg://", 1)
        # pool_pre_ping: a connection the server dropped (restart, fail-over) is replaced
        # before use, so the API recovers without a restart.
        return create_engine(url, connect_args={"connect_timeout": self.connect_timeout_s,
                                                "application_name": "directory-service"},
                             max_overflow=self.max_overflow, pool_pre_ping=True,
                             **self._options)

    def _ensure_schema(self):
        if not self._schema_ok:
            from directory_service.availability import migrate as migrations

            migrations.upgrade(self)
            self._schema_ok = True

    def _sqlite_connect(self, dbapi_connection, _record):
        # The driver's own transaction handling is off: `_sqlite_begin` opens them.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: every commit is fsynced before it is acknowledged, so a power cut loses no
        # report or hold a client was told is saved (NORMAL, in WAL mode, could lose the
        # last ones). Its cost is measured in bench/sync_bench.py, docs/operations.md.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    @contextmanager
    def write(self):
        """One write transaction: on SQLite it holds the write lock from its first
        statement; on PostgreSQL callers `lock` what they check before writing."""
        started, failure = time.perf_counter(), None
        try:
            self._ensure_schema()
            with self.engine.connect() as conn:
                conn.execution_options(availability_write=True,
                                       busy_timeout_ms=self.busy_timeout_ms)
                with conn.begin():
                    yield conn
        except sa_exc.SQLAlchemyError as exc:  # the database's failures, not a refusal
            failure = exc
            raise
        finally:
            metrics.observe_availability("write", time.perf_counter() - started, failure)

    def grouped_write(self, work):
        """`work(db)` in a write transaction that concurrent callers may share (group
        commit, group_commit.py): returns its result or raises its exception once the
        transaction it ran in has committed, so an acknowledged change is on disk. Each
        caller's work runs in its own savepoint: one that raises (a refusal, a stale
        version) is rolled back alone. On PostgreSQL, whose WAL flush already groups
        concurrent commits, it is one transaction of its own (`write`)."""
        if self.backend_name != "sqlite":
            with self.write() as db:
                return work(db)
        if self._group is None or self._group.pid != os.getpid():
            from directory_service.availability.group_commit import GroupCommit

            self._group = GroupCommit(self)
        return self._group.run(work)

    def read(self):
        self._ensure_schema()
        return Reader(self)

    def ping(self):
        """Raises when the database cannot answer (readiness)."""
        self._ensure_schema()
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self):
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _sqlite_begin(conn):
    # Reads stay in autocommit, as they always were: each sees the last commit.
    if conn.get_execution_options().get("availability_write"):
        timeout_ms = conn.get_execution_options().get("busy_timeout_ms", 10_000)
        _begin_immediate(conn.connection.dbapi_connection, timeout_ms)


def _begin_immediate(db, timeout_ms):
    """BEGIN IMMEDIATE, waiting for another process's write lock in short sleeps of our
    own. SQLite's busy handler sleeps inside the C call (1, 2, 5, 10 ms, ...): under
    gevent that stalls every request of the worker and overshoots a lock freed sooner;
    time.sleep (gevent's, in gunicorn) lets the worker serve meanwhile (issue 15)."""
    db.execute("PRAGMA busy_timeout = 0")
    deadline = time.monotonic() + timeout_ms / 1000
    try:
        while True:
            try:
                db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(LOCK_POLL_S)
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")


def lock(db, *names):
    """Serialise check-then-write on PostgreSQL: transaction-scoped advisory locks, taken
    in the order given (callers keep one order: coach, facility, changes). On SQLite the
    `BEGIN IMMEDIATE` of `write` already serialises every writer, so nothing to do."""
    if db.dialect.name == "postgresql":
        for name in names:
            fast.rows(db, PG_LOCK, name=name)


_UPSERTS = {}


def upsert(db, table, values, keys, update=None):
    """INSERT … ON CONFLICT (keys) DO UPDATE, in the connection's dialect.

    With plain values and the default update, the statement is built once per dialect,
    table and columns and the values are bound at execution: building it again for every
    report cost more than running it (issue 15)."""
    insert = postgresql.insert if db.dialect.name == "postgresql" else sqlite.insert
    if update is None and not any(isinstance(v, ClauseElement) for v in values.values()):
        return db.execute(upsert_statement(db.dialect.name, table, tuple(values), keys), values)
    statement = insert(table).values(**values)
    update = update if update is not None else {
        c: statement.excluded[c] for c in values if c not in keys}
    return db.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=update))


def upsert_statement(dialect_name, table, columns, keys):
    """The upsert of `columns` (values bound at execution), built once per dialect."""
    cache_key = (dialect_name, table.name, tuple(columns), tuple(keys))
    statement = _UPSERTS.get(cache_key)
    if statement is None:
        insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
        base = insert(table)
        statement = base.on_conflict_do_update(index_elements=list(keys), set_={
            c: base.excluded[c] for c in columns if c not in keys})
        _UPSERTS[cache_key] = statement
    return statement


_MARK_CHANGED = {}
OUTBOX_ADD = outbox.insert()


def _mark_changed_statement(dialect_name):
    """facility_changes upsert with the next global sequence number (built once)."""
    statement = _MARK_CHANGED.get(dialect_name)
    if statement is None:
        insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
        next_seq = select(func.coalesce(func.max(facility_changes.c.seq), 0) + 1)
        base = insert(facility_changes).values(facility_id=bindparam("facility_id"),
                                               seq=next_seq.scalar_subquery())
        statement = base.on_conflict_do_update(index_elements=["facility_id"],
                                               set_={"seq": base.excluded.seq})
        _MARK_CHANGED[dialect_name] = statement
    return statement


def mark_changed(db, facility_id, event=None, data=None):
    """Tell every search worker, and the outbox, that this facility's live figures changed.

    Called inside the write transaction of the change, so the outbox row commits with it
    or not at all. `event` names what happened for the partners' webhooks (a name of
    webhooks/events.py; None: nothing a partner is told of) and `data` its figures (a
    dict, stored as JSON). On PostgreSQL the global change lock is held from here to the
    commit: sequence numbers are then taken and made visible in one order."""
    lock(db, GLOBAL_CHANGE_LOCK)
    fast.rows(db, _mark_changed_statement(db.dialect.name), facility_id=facility_id)
    add_event(db, facility_id, event, data)


def add_event(db, facility_id, event, data=None):
    """One outbox row (in the caller's transaction) without touching the search workers'
    change sequence: an event no facility's live figures hang on, such as an index run
    (facility_id "")."""
    lock(db, GLOBAL_CHANGE_LOCK)
    fast.rows(db, OUTBOX_ADD, facility_id=facility_id, created_at=iso(utcnow()), event=event,
              data=None if data is None else json.dumps(data, sort_keys=True))
