"""From ROWS_APART_FROM records the index writer has a second process write the records,
R*Tree and FTS rows (search/embedded/store_rows.py) while it builds the columns (issue
25): the file must hold what the one-process build writes, and a failure on either side
must fail the build and leave the serving file as it was."""
import os
import random
import sqlite3

import pytest

from directory_service.search.embedded import store_rows, writer as writer_module
from directory_service.search.embedded.writer import SqliteIndexWriter
from directory_service.search.store import IndexRejected
from tests.factories import facility, meeting, site


def records(n, seed=3):
    rng = random.Random(seed)
    makers = [facility, meeting, lambda rid, **kw: site(rid, **kw)]
    out = []
    for i in range(n):
        point = {"lat": 41.7 + rng.uniform(-0.5, 0.5), "lon": -88.1 + rng.uniform(-0.5, 0.5)}
        extra = {"description": f"café {i}"} if i % 7 == 0 else {}
        out.append(rng.choice(makers)(f"r{rng.randrange(10**6):06d}-{i}", location=point,
                                       **extra))
    return out


def build(path, rows, apart_from, monkeypatch):
    monkeypatch.setattr(writer_module, "ROWS_APART_FROM", apart_from)
    with SqliteIndexWriter(str(path)) as writer:
        for record in rows:
            writer.add(record)
        writer.commit()


def dump(path):
    """The store's SQL, but its build time and its column file's name (each build's own),
    followed by the column file's bytes."""
    db = sqlite3.connect(str(path))
    try:
        columns = db.execute("SELECT value FROM meta WHERE key = 'column_file'").fetchone()[0]
        lines = [line for line in db.iterdump()
                 if not line.startswith(("INSERT INTO \"meta\" VALUES('built_at'",
                                         "INSERT INTO \"meta\" VALUES('column_file'"))]
    finally:
        db.close()
    with open(os.path.join(os.path.dirname(path), columns), "rb") as fh:
        return lines + [fh.read()]


def listing(directory):
    """The directory's files, column files by their kind (their names are each build's)."""
    return sorted("<columns>" if ".columns-" in name else name for name in os.listdir(directory))


def test_a_second_process_writes_what_one_process_writes(tmp_path, monkeypatch):
    rows = records(600)
    build(tmp_path / "one.sqlite", rows, 10**9, monkeypatch)
    build(tmp_path / "two.sqlite", rows, 1, monkeypatch)
    one, two = dump(tmp_path / "one.sqlite"), dump(tmp_path / "two.sqlite")
    assert any("records_fts_data" in line for line in one)
    assert any("records_rtree_node" in line for line in one)
    assert one == two


def serving_before(tmp_path, monkeypatch):
    path = tmp_path / "directory.sqlite"
    build(path, records(50, seed=1), 10**9, monkeypatch)
    return path, dump(path)


def test_a_failed_second_process_fails_the_build_and_the_old_file_serves(
        tmp_path, monkeypatch):
    path, before = serving_before(tmp_path, monkeypatch)
    failing = tmp_path / "failing_rows.py"
    failing.write_text("import sys\nsys.stdin.buffer.read()\n"
                       "sys.stderr.write('disk full, say')\nsys.exit(3)\n")
    monkeypatch.setattr(store_rows, "__file__", str(failing))
    with pytest.raises(IndexRejected, match="disk full, say"):
        build(path, records(200), 1, monkeypatch)
    assert dump(path) == before
    assert listing(tmp_path) == ["<columns>", "directory.sqlite", "failing_rows.py"]


def test_a_failure_while_building_columns_stops_the_second_process(tmp_path, monkeypatch):
    path, before = serving_before(tmp_path, monkeypatch)
    started = []
    real = writer_module.RowsApart.__enter__

    def enter(self):
        got = real(self)
        started.append(self.proc)
        return got

    def broken(builder, order, read):
        raise RuntimeError("column builder broke")

    monkeypatch.setattr(writer_module.RowsApart, "__enter__", enter)
    monkeypatch.setattr(SqliteIndexWriter, "_build_columns", staticmethod(broken))
    with pytest.raises(RuntimeError, match="column builder broke"):
        build(path, records(200), 1, monkeypatch)
    assert started and started[0].returncode is not None  # stopped and waited for
    assert dump(path) == before
    assert listing(tmp_path) == ["<columns>", "directory.sqlite"]


def test_the_rows_script_imports_nothing_of_the_service(tmp_path):
    # It runs as a plain script, started fresh for every build: a package import there
    # would cost the service's whole import time.
    with open(store_rows.__file__, encoding="utf-8") as fh:
        source = fh.read()
    assert "directory_service" not in source.split('"""', 2)[2]
