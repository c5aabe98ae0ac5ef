"""Builds a new embedded store file beside the serving one and swaps it in atomically.

Readers keep the file they opened until they notice the rename, so a reader never sees a
half-built index, and a failed or aborted run leaves the old file serving untouched.
"""
import json
import os
import sqlite3
from datetime import datetime, timezone
from importlib import resources

from directory_service.search import columns as cols

SCHEMA_VERSION = "1"

STAGE = ("CREATE TEMP TABLE staging (id TEXT PRIMARY KEY, kind TEXT, lat REAL, lon REAL, "
         "doc TEXT)")
STAGE_INSERT = "INSERT OR REPLACE INTO staging VALUES (?, ?, ?, ?, ?)"
STAGE_EXISTS = "SELECT 1 FROM staging WHERE id = ?"
COPY_SORTED = ("INSERT INTO records (id, kind, doc) "
               "SELECT id, kind, doc FROM staging ORDER BY lat, lon, id")
SELECT_SORTED = "SELECT rowid, doc FROM records ORDER BY rowid"
RTREE_INSERT = "INSERT INTO records_rtree VALUES (?, ?, ?, ?, ?)"
FTS_INSERT = "INSERT INTO records_fts (rowid, name, description, place) VALUES (?, ?, ?, ?)"
COLUMN_INSERT = "INSERT INTO columns VALUES (?, ?, ?)"
META_INSERT = "INSERT INTO meta VALUES (?, ?)"


class SqliteIndexWriter:
    """Use as a context manager: rows go in with `add`, `commit` swaps, errors abort."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.temp_path = f"{self.path}.building-{os.getpid()}"
        self.duplicates = []
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
        """Stage one validated record; a second record with the same id replaces the first."""
        if self._db.execute(STAGE_EXISTS, (record["id"],)).fetchone():
            self.duplicates.append(record["id"])
        else:
            self.count += 1
        loc = record["location"]
        self._db.execute(STAGE_INSERT, (record["id"], record["kind"], loc["lat"], loc["lon"],
                                        json.dumps(record, separators=(",", ":"))))

    def commit(self, meta=None):
        """Write the sorted tables and columns, then atomically replace the serving file."""
        db = self._db
        db.execute(COPY_SORTED)
        db.execute("DROP TABLE staging")
        builder = cols.ColumnBuilder()
        for rowid, doc in db.execute(SELECT_SORTED).fetchall():
            record = json.loads(doc)
            builder.add(record)
            lat, lon = record["location"]["lat"], record["location"]["lon"]
            db.execute(RTREE_INSERT, (rowid, lat, lat, lon, lon))
            db.execute(FTS_INSERT, (rowid, record["name"], record.get("description") or "",
                                    _place_text(record)))
        for name, array in builder.arrays().items():
            header, data = cols.to_blob(array)
            db.execute(COLUMN_INSERT, (name, header, data))
        info = {"schema_version": SCHEMA_VERSION, "records": str(len(builder.rows)),
                "built_at": datetime.now(timezone.utc).isoformat(),
                "column_meta": json.dumps(builder.meta()), **(meta or {})}
        db.executemany(META_INSERT, info.items())
        db.commit()
        db.execute("PRAGMA journal_mode = DELETE")
        db.close()
        self._db = None
        os.replace(self.temp_path, self.path)
        return len(builder.rows)

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
