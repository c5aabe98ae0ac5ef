"""Builds a new embedded store file beside the serving one and swaps it in atomically.

Readers keep the file they opened until they notice the rename, so a reader never sees a
half-built index, and a failed or aborted run leaves the old file serving untouched.
"""
import json
import os
import sqlite3
from datetime import datetime, timezone
from importlib import resources

import numpy as np

from directory_service import vocab
from directory_service.search import columns as cols
from directory_service.search.store import DuplicateId

SCHEMA_VERSION = "4"  # 3: opening hours as week-minute intervals; 4: aliases table

# kind_order is the kind's position in vocab.KINDS: rows are stored by kind, then latitude.
STAGE = ("CREATE TEMP TABLE staging (id TEXT PRIMARY KEY, kind TEXT, kind_order INTEGER, "
         "lat REAL, lon REAL, doc TEXT)")
STAGE_INSERT = "INSERT INTO staging VALUES (?, ?, ?, ?, ?, ?)"
ALIAS_INSERT = "INSERT INTO aliases (alias, id) VALUES (?, ?)"
COPY_SORTED = ("INSERT INTO records (id, kind, doc) "
               "SELECT id, kind, doc FROM staging ORDER BY kind_order, lat, lon, id")
COUNT_FACILITIES = "SELECT count(*) FROM records WHERE kind = 'treatment_facility'"
COUNT_RECORDS = "SELECT count(*) FROM records"
SELECT_SORTED = "SELECT rowid, doc FROM records ORDER BY rowid"
SELECT_ID_ORDER = "SELECT rowid FROM records ORDER BY id"
RTREE_INSERT = "INSERT INTO records_rtree VALUES (?, ?, ?, ?, ?)"
FTS_INSERT = "INSERT INTO records_fts (rowid, name, description, place) VALUES (?, ?, ?, ?)"
BATCH = 5000
COLUMN_INSERT = "INSERT INTO columns VALUES (?, ?, ?)"
META_INSERT = "INSERT INTO meta VALUES (?, ?)"


class SqliteIndexWriter:
    """Use as a context manager: rows go in with `add`, `commit` swaps, errors abort."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.temp_path = f"{self.path}.building-{os.getpid()}"
        self.count = 0
        self._db = None

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self._remove_temp()
        self._db = sqlite3.connect(self.temp_path)
        self._db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        self._db.executescript(resources.files(__package__).joinpath(
            "sqlite_schema.sql").read_text())
        self._db.execute(STAGE)
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
            self._db.executemany(ALIAS_INSERT, ((a, record["id"])
                                                for a in record.get("aliases") or ()))
        except sqlite3.IntegrityError:
            raise DuplicateId(f"{record['id']}: id or alias already written in this run") \
                from None
        self.count += 1

    def commit(self, meta=None):
        """Write the sorted tables and columns, then atomically replace the serving file."""
        db = self._db
        db.execute(COPY_SORTED)
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
        for name, array in builder.arrays(id_rank).items():
            header, data = cols.to_blob(array)
            db.execute(COLUMN_INSERT, (name, header, data))
        info = {"schema_version": SCHEMA_VERSION, "records": str(n),
                "built_at": datetime.now(timezone.utc).isoformat(),
                "column_meta": json.dumps(builder.meta()), **(meta or {})}
        db.executemany(META_INSERT, info.items())
        db.commit()
        db.execute("PRAGMA journal_mode = DELETE")
        db.close()
        self._db = None
        os.replace(self.temp_path, self.path)
        return n

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
        for suffix in ("", "-journal"):
            try:
                os.remove(self.temp_path + suffix)
            except FileNotFoundError:
                pass


def _place_text(record):
    address = record.get("address") or {}
    parts = [address.get("city"), record.get("location_name"), record.get("fellowship")]
    return " ".join(p for p in parts if p)
