"""Builds a new embedded store file beside the serving one and swaps it in atomically.

Readers keep the file they opened until they notice the rename, so a reader never sees a
half-built index, and a failed or aborted run leaves the old file serving untouched. The
new file and its directory are fsynced before the rename (and the directory after it),
so a power cut leaves either the old store or the whole new one. A run killed outright
(SIGKILL, OOM) cannot remove its `<store>.building-<pid>` files; the next run removes
such files when no process with that pid is alive.

The column arrays go to a file of their own (column_file.py), renamed in just before the
store; a run removes the column files older than the previous build's.
"""
import json
import logging
import os
import re
import sqlite3
from datetime import datetime, timezone
from importlib import resources

import numpy as np

from directory_service import vocab
from directory_service.service_region import RegionBuilder
from directory_service.search import columns as cols
from directory_service.search.embedded import column_file
from directory_service.search.store import DuplicateId, IndexRejected

# 3: opening hours as week-minute intervals; 4: aliases table; 5: columns in a file of
# their own, mapped by every worker (column_file.py)
SCHEMA_VERSION = "5"

# kind_order is the kind's position in vocab.KINDS: rows are stored by kind, then latitude.
STAGE = ("CREATE TEMP TABLE staging (id TEXT PRIMARY KEY, kind TEXT, kind_order INTEGER, "
         "lat REAL, lon REAL, doc TEXT)")
STAGE_INSERT = "INSERT INTO staging VALUES (?, ?, ?, ?, ?, ?)"
ALIAS_INSERT = "INSERT INTO aliases (alias, id) VALUES (?, ?)"
# Store order is kind, latitude, longitude, id. The keys are sorted in NumPy and the rows
# copied in that order by rowid: SQLite's own ORDER BY would sort the whole documents
# through temporary files (a tenth of a million-record build, issue 15).
STAGED_KEYS = "SELECT rowid, kind_order, lat, lon FROM staging"
STAGED_ID_ORDER = "SELECT rowid FROM staging ORDER BY id"
COPY_ROW = "INSERT INTO records (id, kind, doc) SELECT id, kind, doc FROM staging WHERE rowid = ?"
COUNT_FACILITIES = "SELECT count(*) FROM records WHERE kind = 'treatment_facility'"
COUNT_RECORDS = "SELECT count(*) FROM records"
SELECT_SORTED = "SELECT rowid, doc FROM records ORDER BY rowid"
SELECT_ID_ORDER = "SELECT rowid FROM records ORDER BY id"
RTREE_INSERT = "INSERT INTO records_rtree VALUES (?, ?, ?, ?, ?)"
FTS_INSERT = "INSERT INTO records_fts (rowid, name, description, place) VALUES (?, ?, ?, ?)"
BATCH = 5000
META_INSERT = "INSERT INTO meta VALUES (?, ?)"


log = logging.getLogger(__name__)


def pid_alive(pid):
    """Whether a process with this pid exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def remove_dead_leftovers(path):
    """Remove `<path>.building-<pid>` files (and their journals and column files) whose
    run is not alive; returns the paths removed. A live run's files are never touched."""
    directory, name = os.path.split(path)
    pattern = re.compile(rf"^{re.escape(name)}\.building-(\d+)(-journal|\.columns)?$")
    removed = []
    for entry in sorted(os.listdir(directory)):
        match = pattern.match(entry)
        if not match or pid_alive(int(match.group(1))):
            continue
        try:
            os.remove(os.path.join(directory, entry))
        except FileNotFoundError:
            continue
        log.warning("removed %s, left by index run %s, which is not running",
                    entry, match.group(1))
        removed.append(os.path.join(directory, entry))
    return removed


def fsync_path(path):
    """Flush a file's or a directory's data and metadata to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SqliteIndexWriter:
    """Use as a context manager: rows go in with `add`, `commit` swaps, errors abort."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.temp_path = f"{self.path}.building-{os.getpid()}"
        self.temp_columns = f"{self.temp_path}.columns"
        self.columns_name = None
        self.count = 0
        self.removed_leftovers = []
        self._db = None
        # The region the records cover, kept in the meta table (service_region.py).
        self._region = RegionBuilder()

    def __enter__(self):
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._remove_temp()
            self.removed_leftovers = remove_dead_leftovers(self.path)
            self._db = sqlite3.connect(self.temp_path)
            # Large pages: chosen when the column arrays were blobs here (a short chain of
            # pages each, issue 15); kept, so records and text are read as before.
            self._db.executescript("PRAGMA page_size = 65536; PRAGMA journal_mode = OFF; "
                                   "PRAGMA synchronous = OFF;")
            self._db.executescript(resources.files(__package__).joinpath(
                "schema.sql").read_text())
            self._db.execute(STAGE)
        except (OSError, sqlite3.Error) as exc:
            self.abort()
            raise IndexRejected(f"cannot build a new store beside {self.path}: "
                                f"{_reason(exc)}") from None
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None or self._db is not None:
            self.abort()
        return False

    def add(self, record):
        """Stage one validated record; an id or alias given twice raises DuplicateId."""
        loc = record["location"]
        try:
            self._db.execute(STAGE_INSERT, (record["id"], record["kind"],
                                            vocab.KINDS.index(record["kind"]), loc["lat"],
                                            loc["lon"], json.dumps(record, separators=(",", ":"))))
            aliases = record.get("aliases")
            if aliases:
                self._db.executemany(ALIAS_INSERT, ((a, record["id"]) for a in aliases))
        except sqlite3.IntegrityError:
            raise DuplicateId(f"{record['id']}: id or alias already written in this run") \
                from None
        self._region.add(record)
        self.count += 1

    def commit(self, meta=None):
        """Write the sorted tables and columns, then atomically replace the serving file."""
        db = self._db
        db.executemany(COPY_ROW, ((int(r),) for r in self._store_order(db)))
        db.execute("DROP TABLE staging")
        n = db.execute(COUNT_RECORDS).fetchone()[0]
        builder = cols.ColumnBuilder(n, db.execute(COUNT_FACILITIES).fetchone()[0])
        rtree, fts = [], []
        # A cursor of its own, read row by row: no whole-directory list in memory.
        for rowid, doc in db.cursor().execute(SELECT_SORTED):
            record = json.loads(doc)
            builder.add(rowid - 1, record)
            lat, lon = record["location"]["lat"], record["location"]["lon"]
            rtree.append((rowid, lat, lat, lon, lon))
            fts.append((rowid, record["name"], record.get("description") or "",
                        _place_text(record)))
            if len(rtree) >= BATCH:
                self._flush(rtree, fts)
        self._flush(rtree, fts)
        id_rank = np.empty(n, dtype=np.int32)
        order = np.fromiter((r[0] - 1 for r in db.execute(SELECT_ID_ORDER)), np.int64, n)
        id_rank[order] = np.arange(n, dtype=np.int32)
        try:
            layout = column_file.write(self.temp_columns, builder.arrays(id_rank))
        except OSError as exc:
            raise IndexRejected(f"cannot write the new store's columns beside {self.path}: "
                                f"{_reason(exc)}") from None
        self.columns_name = column_file.new_name(os.path.basename(self.path))
        info = {"schema_version": SCHEMA_VERSION, "records": str(n),
                "built_at": datetime.now(timezone.utc).isoformat(),
                "column_meta": json.dumps(builder.meta()), "column_file": self.columns_name,
                "column_layout": layout, **self._region.meta(),
                **(meta or {})}
        db.executemany(META_INSERT, info.items())
        db.commit()
        db.execute("PRAGMA journal_mode = DELETE")
        db.close()
        self._db = None
        try:
            self._swap()
        except OSError as exc:
            raise IndexRejected(f"cannot put the new store in place at {self.path}: "
                                f"{_reason(exc)}") from None
        return n

    @staticmethod
    def _store_order(db):
        """Staging rowids in store order (kind, lat, lon, id), as ORDER BY would give."""
        n = db.execute("SELECT count(*) FROM staging").fetchone()[0]
        keys = np.array(db.execute(STAGED_KEYS).fetchall(), dtype=np.float64).reshape(n, 4)
        rowids = keys[:, 0].astype(np.int64)
        # The id's rank, from the staging table's primary key index (no sort).
        id_rank = np.empty(int(rowids.max(initial=0)) + 1, dtype=np.int64)
        id_rank[np.fromiter((r for (r,) in db.execute(STAGED_ID_ORDER)), np.int64, n)] = \
            np.arange(n)
        order = np.lexsort((id_rank[rowids], keys[:, 3], keys[:, 2], keys[:, 1]))
        return rowids[order]

    def _swap(self):
        """fsync the new file, rename its column file in, fsync the directory, rename the
        store, fsync the directory again; then remove the column files older than the
        previous build's (whose store workers may still be opening)."""
        directory = os.path.dirname(self.path)
        previous = _column_file_of(self.path)
        fsync_path(self.temp_path)
        os.replace(self.temp_columns, os.path.join(directory, self.columns_name))
        fsync_path(directory)
        os.replace(self.temp_path, self.path)
        fsync_path(directory)
        for path in column_file.stale(self.path, keep={self.columns_name, previous}):
            try:
                os.remove(path)
            except FileNotFoundError:
                pass

    def _flush(self, rtree, fts):
        self._db.executemany(RTREE_INSERT, rtree)
        self._db.executemany(FTS_INSERT, fts)
        rtree.clear()
        fts.clear()

    def abort(self):
        if self._db is not None:
            self._db.close()
            self._db = None
        self._remove_temp()

    def _remove_temp(self):
        for suffix in ("", "-journal", ".columns"):
            try:
                os.remove(self.temp_path + suffix)
            except FileNotFoundError:
                pass


def _column_file_of(path):
    """The column file named by the store at `path`, or None (no store, another format)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'column_file'").fetchone()
        return row[0] if row else None
    except sqlite3.Error:
        return None
    finally:
        db.close()


def _reason(exc):
    """An OSError's or sqlite3 error's message, without a traceback."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f" ({exc.filename})" if exc.filename else "")
    return str(exc)


def _place_text(record):
    address = record.get("address") or {}
    parts = [address.get("city"), record.get("location_name"), record.get("fellowship")]
    return " ".join(p for p in parts if p)
