"""Builds a new embedded store file beside the serving one and swaps it in atomically.

Readers keep the file they opened until they notice the rename, so a reader never sees a
half-built index, and a failed or aborted run leaves the old file serving untouched. The
new file and its directory are fsynced before the rename (and the directory after it),
so a power cut leaves either the old store or the whole new one. A run killed outright
(SIGKILL, OOM) cannot remove its `<store>.building-<pid>` file; the next run removes
such files when no process with that pid is alive.
"""
import json
import logging
import os
import re
import sqlite3
from array import array
from datetime import datetime, timezone
from importlib import resources

import numpy as np

from directory_service import vocab
from directory_service.service_region import RegionBuilder
from directory_service.fast_json import loads_record
from directory_service.search import columns as cols
from directory_service.search.embedded.staged_docs import StagedDocs, encode
from directory_service.search.store import DuplicateId, IndexRejected

SCHEMA_VERSION = "4"  # 3: opening hours as week-minute intervals; 4: aliases table

ALIAS_INSERT = "INSERT INTO aliases (alias, id) VALUES (?, ?)"
# Store order is kind, latitude, longitude, id. Records wait in arrival order (their JSON
# in staged_docs.py, their keys in arrays), the keys are sorted in NumPy and the records
# written in that order: SQLite's own ORDER BY would sort the whole documents through
# temporary files (a tenth of a million-record build, issue 15).
RECORD_INSERT = "INSERT INTO records (id, kind, doc) VALUES (?, ?, ?)"
RTREE_INSERT = "INSERT INTO records_rtree VALUES (?, ?, ?, ?, ?)"
FTS_INSERT = "INSERT INTO records_fts (rowid, name, description, place) VALUES (?, ?, ?, ?)"
BATCH = 5000
COLUMN_INSERT = "INSERT INTO columns VALUES (?, ?, ?)"
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
    """Remove `<path>.building-<pid>` files (and their journals) whose run is not alive;
    returns the paths removed. A live run's file is never touched."""
    directory, name = os.path.split(path)
    pattern = re.compile(rf"^{re.escape(name)}\.building-(\d+)(-journal)?$")
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
        self.count = 0
        self.removed_leftovers = []
        self._db = None
        self._docs = None
        # Per record, in arrival order: id, kind's position in vocab.KINDS, lat, lon.
        self._ids, self._id_set = [], set()
        self._kind_order, self._lat, self._lon = array("b"), array("d"), array("d")
        # The region the records cover, kept in the meta table (service_region.py).
        self._region = RegionBuilder()

    def __enter__(self):
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._remove_temp()
            self.removed_leftovers = remove_dead_leftovers(self.path)
            self._db = sqlite3.connect(self.temp_path)
            # Large pages: a column blob is a short chain of pages, so a worker opening the
            # file reads its columns several times faster (issue 15). No journal and no
            # fsync while building: the file is served only once whole (`_swap`). A larger
            # page cache keeps the id index's pages (ids arrive in no order) in memory.
            self._db.executescript("PRAGMA page_size = 65536; PRAGMA journal_mode = OFF; "
                                   "PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;")
            self._db.executescript(resources.files(__package__).joinpath(
                "schema.sql").read_text())
            self._docs = StagedDocs(os.path.dirname(self.path))
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
        loc, record_id = record["location"], record["id"]
        if record_id in self._id_set:
            raise DuplicateId(f"{record_id}: id or alias already written in this run")
        kind_order, doc = vocab.KINDS.index(record["kind"]), encode(record)
        self._docs.append(doc)
        self._id_set.add(record_id)
        self._ids.append(record_id)
        self._kind_order.append(kind_order)
        self._lat.append(loc["lat"])
        self._lon.append(loc["lon"])
        try:
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
        order, arrival_id_rank = self._store_order()
        n = len(order)
        kinds = np.frombuffer(self._kind_order, np.int8)
        builder = cols.ColumnBuilder(n, int(np.count_nonzero(
            kinds == vocab.KINDS.index("treatment_facility"))))
        rows, rtree, fts = [], [], []
        # Each document read back from the staged file, one at a time: no whole-directory
        # list in memory.
        read = self._docs.reader()
        for rowid, arrival in enumerate(order.tolist(), 1):
            doc = read(arrival)
            record = loads_record(doc)
            builder.add(rowid - 1, record)
            rows.append((record["id"], record["kind"], doc.decode("ascii")))
            lat, lon = record["location"]["lat"], record["location"]["lon"]
            rtree.append((rowid, lat, lat, lon, lon))
            fts.append((rowid, record["name"], record.get("description") or "",
                        _place_text(record)))
            if len(rtree) >= BATCH:
                self._flush(rows, rtree, fts)
        self._flush(rows, rtree, fts)
        self._docs.close()
        id_rank = arrival_id_rank[order].astype(np.int32)
        for name, array in builder.arrays(id_rank).items():
            header, data = cols.to_blob(array)
            db.execute(COLUMN_INSERT, (name, header, data))
        info = {"schema_version": SCHEMA_VERSION, "records": str(n),
                "built_at": datetime.now(timezone.utc).isoformat(),
                "column_meta": json.dumps(builder.meta()), **self._region.meta(),
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

    def _store_order(self):
        """(arrival positions in store order: kind, lat, lon, id; each arrival's rank in
        id order). Python orders str by code point, as SQLite's BINARY collation orders
        their UTF-8 bytes (ORDER BY id)."""
        n = len(self._ids)
        id_rank = np.empty(n, dtype=np.int64)
        id_rank[np.fromiter(sorted(range(n), key=self._ids.__getitem__), np.int64, n)] = \
            np.arange(n)
        order = np.lexsort((id_rank, np.frombuffer(self._lon, np.float64),
                            np.frombuffer(self._lat, np.float64),
                            np.frombuffer(self._kind_order, np.int8)))
        return order, id_rank

    def _swap(self):
        """fsync the new file and its directory, rename, fsync the directory again."""
        directory = os.path.dirname(self.path)
        fsync_path(self.temp_path)
        fsync_path(directory)
        os.replace(self.temp_path, self.path)
        fsync_path(directory)

    def _flush(self, rows, rtree, fts):
        self._db.executemany(RECORD_INSERT, rows)
        self._db.executemany(RTREE_INSERT, rtree)
        self._db.executemany(FTS_INSERT, fts)
        rows.clear()
        rtree.clear()
        fts.clear()

    def abort(self):
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._docs is not None:
            self._docs.close()
        self._remove_temp()

    def _remove_temp(self):
        for suffix in ("", "-journal"):
            try:
                os.remove(self.temp_path + suffix)
            except FileNotFoundError:
                pass


def _reason(exc):
    """An OSError's or sqlite3 error's message, without a traceback."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f" ({exc.filename})" if exc.filename else "")
    return str(exc)


def _place_text(record):
    address = record.get("address") or {}
    parts = [address.get("city"), record.get("location_name"), record.get("fellowship")]
    return " ".join(p for p in parts if p)
