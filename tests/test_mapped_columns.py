"""Issue 25 §6: the column arrays live in a file beside the store, mapped by every worker.

The mapped arrays are the ones the indexer computed; a worker's live bed figures go to its
own copy-on-write pages, never to the file or another worker's view; the writer keeps the
current and the previous build's column files and removes the rest (and a dead run's); a
store of the old format, or one whose column file is missing or cut short, is refused
with a clear message (503), never a crash."""
import hashlib
import json
import os
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from directory_service.schemas import records
from directory_service.search import columns as cols
from directory_service.search.embedded import column_file
from directory_service.search.embedded.store import SqliteStore
from directory_service.search.embedded.writer import SqliteIndexWriter
from directory_service.search.store import StoreUnavailable
from indexer import pipeline
from tests.conftest import ROOT, SEED
from tests.test_live_overlay import put_row
from tests.test_live_support import bearer, directory, make_app, search_open
from tests.test_files_that_lie import dead_pid


def meta_of(path):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return dict(db.execute("SELECT key, value FROM meta"))


def expected_arrays(path):
    """The columns computed anew from the store's records (ColumnBuilder, as the writer
    does), to compare with what is mapped."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        docs = [json.loads(d) for (d,) in db.execute("SELECT doc FROM records ORDER BY rowid")]
        id_order = [r - 1 for (r,) in db.execute("SELECT rowid FROM records ORDER BY id")]
    facilities = sum(d["kind"] == "treatment_facility" for d in docs)
    builder = cols.ColumnBuilder(len(docs), facilities)
    for i, doc in enumerate(docs):
        builder.add(i, doc)
    id_rank = np.empty(len(docs), dtype=np.int32)
    id_rank[id_order] = np.arange(len(docs), dtype=np.int32)
    return builder.arrays(id_rank)


def assert_mapped_equal_built(path):
    meta = meta_of(path)
    mapped = column_file.MappedColumns(path, meta["column_file"], meta["column_layout"]).arrays
    built = expected_arrays(path)
    assert set(mapped) == set(built)
    for name, array in built.items():
        got = mapped[name]
        assert (got.dtype, got.shape) == (array.dtype, array.shape), name
        assert got.tobytes() == np.ascontiguousarray(array).tobytes(), name
        assert not got.flags.writeable, name
        assert got.ctypes.data % column_file.ALIGN == 0, name


def test_the_mapped_arrays_are_the_seed_directorys_columns(seed_store_path):
    assert_mapped_equal_built(seed_store_path)


def test_the_mapped_arrays_are_a_synthetic_directorys_columns(tmp_path, shared_dir):
    from bench import search_bench as bench
    from bench.run import synthetic as synthetic_module

    synthetic = synthetic_module(shared_dir)  # ../shared/bench/synthetic.py
    path, schema = str(tmp_path / "directory.sqlite"), records.RecordSchema()
    with SqliteIndexWriter(path) as writer:
        for row in synthetic.records(2000):
            writer.add(schema.load(bench.canonical(row, "2026-12-07T12:00:00Z")))
        writer.commit()
    assert_mapped_equal_built(path)


def digest(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


VIEW_IN_ANOTHER_PROCESS = """
import sys
from directory_service.search.embedded.store import SqliteStore
store = SqliteStore(sys.argv[1])
snap = store._snapshot()
print(repr(snap.index.a["beds_open"].tobytes().hex()))
"""


def test_a_live_report_stays_in_its_own_worker(tmp_path):
    """A report written into one store object's arrays changes neither the column file,
    nor a second store object's arrays in this process, nor another process's."""
    app = make_app(tmp_path)
    store = app.extensions["store"]
    path = store.path
    sidecar = os.path.join(os.path.dirname(path), meta_of(path)["column_file"])
    before = digest(sidecar)
    other = SqliteStore(path)
    other_view = other._snapshot().index.a["beds_open"].copy()
    client = app.test_client()
    assert search_open(client, "test:b")["open"] == 3
    put_row(client, bearer(app, "admin"), "test:b", available=9)
    assert search_open(client, "test:b")["open"] == 9  # this worker sees its report...
    written = store._snapshot().index.a["beds_open"]
    assert written.flags.writeable and not np.array_equal(written, other_view,
                                                          equal_nan=True)
    # ...the file, another store object and another process do not.
    assert digest(sidecar) == before
    assert np.array_equal(other._snapshot().index.a["beds_open"], other_view, equal_nan=True)
    seen = subprocess.run([sys.executable, "-c", VIEW_IN_ANOTHER_PROCESS, path], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout
    assert eval(seen) == other_view.tobytes().hex()
    other.close()


def column_files(directory):
    return sorted(n for n in os.listdir(directory) if column_file.MARK in n)


def build(path, names=("a", "b")):
    with SqliteIndexWriter(path) as writer:
        for record in directory():
            if record["id"].split(":")[1] in names:
                writer.add(record)
        writer.commit()
    return path


def test_each_build_keeps_its_own_and_the_previous_column_file(tmp_path):
    path = str(tmp_path / "directory.sqlite")
    names = []
    for _ in range(4):
        build(path)
        names.append(meta_of(path)["column_file"])
        assert names[-1] in column_files(tmp_path)
    assert len(set(names)) == 4
    # Only the current build's and the previous one's (a worker may still be opening it).
    assert column_files(tmp_path) == sorted(names[-2:])


def test_a_crashed_builds_column_files_are_removed_by_the_next_run(tmp_path):
    path = str(tmp_path / "directory.sqlite")
    build(path)
    dead = dead_pid()
    half_written = tmp_path / f"directory.sqlite.building-{dead}.columns"
    half_written.write_bytes(b"\0" * 100)
    # Renamed in by a run that died before renaming its store in: named by no store.
    orphan = tmp_path / "directory.sqlite.columns-0123abcd"
    orphan.write_bytes(b"\0" * 100)
    previous = meta_of(path)["column_file"]
    report = pipeline.run([SEED], SqliteIndexWriter(path))
    assert report.swapped
    assert not half_written.exists() and not orphan.exists()
    assert column_files(tmp_path) == sorted([previous, meta_of(path)["column_file"]])


def test_a_renamed_store_finds_its_column_file(tmp_path):
    path = build(str(tmp_path / "directory.sqlite"))
    moved = str(tmp_path / "renamed.sqlite")
    os.rename(path, moved)
    store = SqliteStore(moved)
    assert store.health()["ok"] and store.health()["records"] == 2
    store.close()


def refused(store_path, tmp_path):
    """/readyz and a search over the store, in an app: both must be a clear 503."""
    app = make_app(tmp_path, store_path=store_path)
    client = app.test_client()
    ready = client.get("/readyz")
    search = client.get("/v1/search?lat=41.75&lon=-88.15")
    assert ready.status_code == 503 and search.status_code == 503
    assert search.mimetype == "application/problem+json"
    return ready.get_data(as_text=True)


def test_a_store_of_the_old_format_is_refused_until_rebuilt(tmp_path):
    path = build(str(tmp_path / "directory.sqlite"))
    with sqlite3.connect(path) as db:  # as schema 4 wrote it: columns inside, no file
        db.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
        db.execute("DELETE FROM meta WHERE key IN ('column_file', 'column_layout')")
    with pytest.raises(StoreUnavailable, match="schema 4, this code reads 5"):
        SqliteStore(path)._snapshot()
    assert "re-run the indexer" in refused(path, tmp_path)


def test_a_missing_column_file_is_a_clear_503(tmp_path):
    path = build(str(tmp_path / "directory.sqlite"))
    name = meta_of(path)["column_file"]
    os.remove(tmp_path / name)
    with pytest.raises(StoreUnavailable, match=f"column file .* is missing \\({name}\\)"):
        SqliteStore(path)._snapshot()
    assert "re-run the indexer" in refused(path, tmp_path)


def test_a_cut_column_file_is_a_clear_503(tmp_path):
    path = build(str(tmp_path / "directory.sqlite"))
    sidecar = tmp_path / meta_of(path)["column_file"]
    size = sidecar.stat().st_size
    os.truncate(sidecar, size // 2)
    with pytest.raises(StoreUnavailable, match=f"has {size // 2} bytes, the store expects "
                                               f"{size}"):
        SqliteStore(path)._snapshot()
    assert "re-run the indexer" in refused(path, tmp_path)
