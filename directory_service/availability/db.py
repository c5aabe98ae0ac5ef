"""The availability database: bed reports, their history, holds and API keys (DESIGN §2, §6).

It is the store of record for live data and lives apart from the indexed directory file,
so a re-index never touches it. SQLite in WAL mode lets searches read while one writer
writes; every write runs inside `BEGIN IMMEDIATE`, which takes the write lock before the
first read, so a check-then-write (the last bed, a version check) cannot interleave with
another process's.
"""
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone

SCHEMA = """
CREATE TABLE IF NOT EXISTS bed_reports (
    facility_id   TEXT NOT NULL,
    level_of_care TEXT NOT NULL,
    population    TEXT NOT NULL,
    capacity      INTEGER,
    available     INTEGER,
    status        TEXT NOT NULL,
    reported_at   TEXT,
    reported_by   TEXT,
    note          TEXT,
    version       INTEGER NOT NULL,
    PRIMARY KEY (facility_id, level_of_care, population)
);
-- One row per facility: the version an If-Match must name.
CREATE TABLE IF NOT EXISTS facility_versions (
    facility_id TEXT PRIMARY KEY,
    version     INTEGER NOT NULL
);
-- Append-only: rows are inserted, never updated or deleted.
CREATE TABLE IF NOT EXISTS bed_history (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id   TEXT NOT NULL,
    event         TEXT NOT NULL,
    level_of_care TEXT NOT NULL,
    population    TEXT NOT NULL,
    capacity      INTEGER,
    available     INTEGER,
    status        TEXT NOT NULL,
    reported_at   TEXT,
    reported_by   TEXT,
    note          TEXT,
    version       INTEGER NOT NULL,
    recorded_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bed_history_facility ON bed_history (facility_id, seq);
CREATE TABLE IF NOT EXISTS holds (
    id            TEXT PRIMARY KEY,
    facility_id   TEXT NOT NULL,
    level_of_care TEXT NOT NULL,
    population    TEXT NOT NULL,
    coach_key_id  TEXT NOT NULL,
    note          TEXT,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    state         TEXT NOT NULL,
    decided_at    TEXT,
    reason        TEXT
);
CREATE INDEX IF NOT EXISTS holds_active ON holds (facility_id, level_of_care, population, state);
CREATE TABLE IF NOT EXISTS api_keys (
    id          TEXT PRIMARY KEY,
    hash        TEXT NOT NULL,
    role        TEXT NOT NULL,
    facility_id TEXT,
    label       TEXT,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
-- The last change per facility, by a global sequence: search workers read what changed
-- since their last look with one indexed query.
CREATE TABLE IF NOT EXISTS facility_changes (
    facility_id TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS facility_changes_seq ON facility_changes (seq);
-- Transactional outbox: one row per committed change of a facility's live figures,
-- written in the same transaction as the change. A sync step pushes them to an external
-- search engine in seq order and records how far it got per target in sync_positions.
CREATE TABLE IF NOT EXISTS outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    facility_id TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sync_positions (
    target     TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
"""
# Columns added after the first release: (table, column, type), added when missing.
ADDED_COLUMNS = (("holds", "reason", "TEXT"),)
# After ADDED_COLUMNS exist: a coach's holds (their list, the cap on active holds).
LATE_SCHEMA = """
CREATE INDEX IF NOT EXISTS holds_coach ON holds (coach_key_id, state, expires_at);
"""
MARK_CHANGED = """
INSERT INTO facility_changes (facility_id, seq)
VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM facility_changes))
ON CONFLICT (facility_id) DO UPDATE SET seq = excluded.seq
"""
OUTBOX_ADD = "INSERT INTO outbox (facility_id, created_at) VALUES (?, ?)"


def iso(moment):
    """UTC, whole seconds, "Z": one fixed format, so ISO strings compare in time order."""
    moment = moment.astimezone(timezone.utc).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def utcnow():
    return datetime.now(timezone.utc)


# How often a writer looks again for the write lock another process holds.
LOCK_POLL_S = 0.0002


class AvailabilityDB:
    """Connections to the availability file: one per thread, opened on first use."""

    def __init__(self, path, busy_timeout_ms=10_000):
        self.path = os.path.abspath(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        # Each CREATE ... IF NOT EXISTS is its own short transaction, so workers starting
        # together simply wait for one another (busy_timeout).
        db = self.connect()
        db.executescript(SCHEMA)
        _add_missing_columns(db)
        db.executescript(LATE_SCHEMA)

    def connect(self):
        db = getattr(self._local, "db", None)
        if db is None:
            # Autocommit mode: transactions are opened explicitly by `write`.
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                 timeout=self.busy_timeout_ms / 1000)
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            db.execute("PRAGMA journal_mode = WAL")
            # FULL: every commit is fsynced before it is acknowledged, so a power cut
            # loses no report or hold a client was told is saved (NORMAL, in WAL mode,
            # could lose the last ones). Its cost is measured in bench/sync_bench.py
            # and stated in docs/operations.md.
            db.execute("PRAGMA synchronous = FULL")
            self._local.db = db
        return db

    @contextmanager
    def write(self):
        """One write transaction holding the write lock from its first statement."""
        db = self.connect()
        _begin_immediate(db, self.busy_timeout_ms)
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def read(self):
        return self.connect()

    def close(self):
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


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


def _add_missing_columns(db):
    """Bring a database made by an older release up to date (idempotent, race-safe)."""
    for table, column, kind in ADDED_COLUMNS:
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column in have:
            continue
        try:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        except sqlite3.OperationalError as exc:
            # Another worker starting at the same moment added it first.
            if "duplicate column" not in str(exc):
                raise


def parse_iso(text):
    """An ISO 8601 string as an aware datetime (None stays None)."""
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def mark_changed(db, facility_id):
    """Tell every search worker, and the outbox, that this facility's live figures changed.

    Called inside the write transaction of the change, so the outbox row commits with it
    or not at all."""
    db.execute(MARK_CHANGED, (facility_id,))
    db.execute(OUTBOX_ADD, (facility_id, iso(utcnow())))
