"""Builds a new embedded store file beside the serving one and swaps it in atomically.

Readers keep the file they opened until they notice the rename, so a reader never sees a
half-built index, and a failed or aborted run leaves the old file serving untouched. The
new file and its directory are fsynced before the rename (and the directory after it),
so a power cut leaves either the old store or the whole new one. A run killed outright
(SIGKILL, OOM) cannot remove its `<store>.building-<pid>` files; the next run removes
such files when no process with that pid is alive.

Records wait for the end of the run in an unnamed file (staged_docs.py); at the end a
second process writes the records, R*Tree and full-text rows (store_rows.py) while this
one builds the columns (issue 25): two cores, the same file content as one. The column
arrays go to a file of their own (column_file.py), renamed in just before the store; a run
removes the column files older than the previous build's.
"""
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
from array import array
from datetime import datetime, timezone
from importlib import resources

import numpy as np

from directory_service import vocab
from directory_service.service_region import RegionBuilder
from directory_service.fast_json import loads_record
from directory_service.search import columns as cols
from directory_service.search.embedded import column_file, store_rows
from directory_service.search.embedded.staged_docs import StagedDocs, encode, record_key
from directory_service.search.store import DuplicateId, IndexRejected

# 3: opening hours as week-minute intervals; 4: aliases table; 5: columns in a file of
# their own, mapped by every worker (column_file.py)
SCHEMA_VERSION = "5"

ALIAS_INSERT = "INSERT INTO aliases (alias, id) VALUES (?, ?)"
# Store order is kind, latitude, longitude, id. Records wait in arrival order (their JSON
# in staged_docs.py, their keys in arrays), the keys are sorted in NumPy and the records
# written in that order: SQLite's own ORDER BY would sort the whole documents through
# temporary files (a tenth of a million-record build, issue 15).
# Below this many records the rows are written in this process (no second process to start).
ROWS_APART_FROM = 20_000
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
        self._docs = None
        self.rows_peak_rss_mb = None  # the second process's, when there was one
        # Per record, in arrival order: id, kind's position in vocab.KINDS, lat, lon.
        self._ids, self._id_set = [], set()
        self._kind_order, self._lat, self._lon = array("b"), array("d"), array("d")
        # The address states named, for the region the records cover (service_region.py,
        # kept in the meta table; their points are the lat and lon arrays).
        self._states = set()

    def __enter__(self):
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            self._remove_temp()
            self.removed_leftovers = remove_dead_leftovers(self.path)
            self._db = sqlite3.connect(self.temp_path)
            # Large pages: chosen when the column arrays were blobs here (a short chain of
            # pages each, issue 15); kept, so records and text are read as before. No
            # journal and no fsync while building: the file is served only once whole (`_swap`).
            self._db.executescript("PRAGMA page_size = 65536; PRAGMA journal_mode = OFF; "
                                   "PRAGMA synchronous = OFF;")
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
        self.add_encoded(record_key(record), encode(record))

    def add_encoded(self, key, doc):
        """`add` of a record already encoded elsewhere (load_apart.py): `key` is
        staged_docs.record_key(record), `doc` staged_docs.encode(record)."""
        record_id, kind, lat, lon, aliases, state = key
        if record_id in self._id_set:
            raise DuplicateId(f"{record_id}: id or alias already written in this run")
        kind_order = vocab.KINDS.index(kind)
        self._docs.append(doc)
        self._id_set.add(record_id)
        self._ids.append(record_id)
        self._kind_order.append(kind_order)
        self._lat.append(lat)
        self._lon.append(lon)
        try:
            if aliases:
                self._db.executemany(ALIAS_INSERT, ((a, record_id) for a in aliases))
        except sqlite3.IntegrityError:
            raise DuplicateId(f"{record_id}: id or alias already written in this run") \
                from None
        self._states.add(state)
        self.count += 1

    def commit(self, meta=None):
        """Write the sorted tables and columns, then atomically replace the serving file."""
        db = self._db
        region = RegionBuilder()
        region.add_many(self._states - {None}, np.frombuffer(self._lat, np.float64),
                        np.frombuffer(self._lon, np.float64))
        order, arrival_id_rank = self._store_order()
        self._ids = self._id_set = None  # ranked: free them before the columns are made
        n = len(order)
        kinds = np.frombuffer(self._kind_order, np.int8)
        builder = cols.ColumnBuilder(n, int(np.count_nonzero(
            kinds == vocab.KINDS.index("treatment_facility"))))
        read = self._docs.reader()
        if n >= ROWS_APART_FROM:
            # The records, R*Tree and FTS rows are written by a second process while this
            # one builds the columns from the same staged documents (store_rows.py).
            db.commit()
            with self._rows_apart(order) as rows_writer:
                self._build_columns(builder, order, read)
                self.rows_peak_rss_mb = rows_writer.wait_done()
        else:
            db.execute(store_rows.CACHE_PRAGMA)
            store_rows.write_rows(db, order.tolist(), read)
            self._build_columns(builder, order, read)
        self._docs.close()
        id_rank = arrival_id_rank[order].astype(np.int32)
        try:
            layout = column_file.write(self.temp_columns, builder.arrays(id_rank))
        except OSError as exc:
            raise IndexRejected(f"cannot write the new store's columns beside {self.path}: "
                                f"{_reason(exc)}") from None
        self.columns_name = column_file.new_name(os.path.basename(self.path))
        info = {"schema_version": SCHEMA_VERSION, "records": str(n),
                "built_at": datetime.now(timezone.utc).isoformat(),
                "column_meta": json.dumps(builder.meta()), "column_file": self.columns_name,
                "column_layout": layout, **region.meta(),
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

    @staticmethod
    def _build_columns(builder, order, read):
        # Each document read back from the staged file, one at a time: no whole-directory
        # list in memory.
        for i, arrival in enumerate(order.tolist()):
            builder.add(i, loads_record(read(arrival)))

    def _rows_apart(self, order):
        return RowsApart(self.temp_path, self._docs, order)

    def abort(self):
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._docs is not None:
            self._docs.close()
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


class RowsApart:
    """store_rows.py in a child process over the temp store; a failure or an exception
    here stops it and fails the build (the writer then aborts: the old store serves)."""

    def __init__(self, temp_path, docs, order):
        self.temp_path, self.docs, self.order = temp_path, docs, order
        self.proc = None

    def __enter__(self):
        fd = self.docs.fileno()
        self.proc = subprocess.Popen(
            [sys.executable, store_rows.__file__, self.temp_path], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(fd,), close_fds=True)
        try:
            self.proc.stdin.write(json.dumps({"n": len(self.order), "fd": fd}).encode() + b"\n")
            self.proc.stdin.write(self.docs.ends_bytes())
            self.proc.stdin.write(np.ascontiguousarray(self.order, np.int64).tobytes())
            self.proc.stdin.close()
        except OSError:
            pass  # it died at once: wait_done says why
        self.proc.stdin = None  # closed: communicate() has nothing to send
        return self

    def wait_done(self):
        """Its peak RSS in MB, once it has committed; raises IndexRejected if it failed."""
        out, err = self.proc.communicate()
        if self.proc.returncode:
            raise IndexRejected("writing the store's rows failed: "
                                + err.decode(errors="replace").strip()[-2000:])
        return json.loads(out.splitlines()[-1]).get("peak_rss_mb") if out.strip() else None

    def __exit__(self, exc_type, exc, tb):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdout, self.proc.stderr):
            pipe.close()
        return False
