"""`python -m indexer export` (issue 21, item 11): from any working directory, relative
paths are the caller's; a failure is exit 2 and one line, and never leaves a cut file."""
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import pipeline
from tests.conftest import ROOT, SEED


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("export-seed") / "directory.sqlite"
    pipeline.run([SEED], SqliteIndexWriter(str(path)))
    return path


def export(*args, cwd, env=None):
    """The command as an operator runs it, from `cwd`; (exit code, stdout, stderr)."""
    environment = {**os.environ, "AVAILABILITY_PATH": str(cwd / "availability.sqlite"),
                   "PYTHONPATH": ROOT, **(env or {})}
    environment.pop("STORE_PATH", None)
    done = subprocess.run([sys.executable, "-m", "indexer", "export", *args], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def one_line_failure(code, stderr):
    assert code == 2 and "Traceback" not in stderr, stderr
    (line,) = [line for line in stderr.splitlines() if line.strip()]
    assert line.startswith("export failed: ")
    return line


def test_relative_store_and_out_are_read_from_the_working_directory(seed_store, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "exports").mkdir(parents=True)
    store = os.path.relpath(seed_store, elsewhere)
    code, _, err = export("--format", "geojson", "--kind", "naloxone_site", "--store", store,
                          "--out", "exports/naloxone.geojson", cwd=elsewhere)
    assert code == 0, err
    written = elsewhere / "exports" / "naloxone.geojson"
    collection = json.loads(written.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) > 10
    assert {f["properties"]["kind"] for f in collection["features"]} == {"naloxone_site"}
    # Readable like any file the operator makes, not private like a temporary file.
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(written).st_mode & 0o777 == 0o666 & ~mask
    assert os.listdir(elsewhere / "exports") == ["naloxone.geojson"]


def test_no_store_where_it_is_run_is_one_line_naming_the_file_and_writes_nothing(tmp_path):
    previous = tmp_path / "naloxone.geojson"
    previous.write_text('{"type":"FeatureCollection","features":[]}\n', encoding="utf-8")
    code, _, err = export("--format", "geojson", "--out", "naloxone.geojson", cwd=tmp_path)
    line = one_line_failure(code, err)
    assert f"no index at {tmp_path / 'var' / 'directory.sqlite'}" in line
    assert "--store" in line and "STORE_PATH" in line
    assert previous.read_text(encoding="utf-8") == '{"type":"FeatureCollection","features":[]}\n'
    assert sorted(os.listdir(tmp_path)) == ["naloxone.geojson"]


def test_a_failure_half_way_leaves_no_cut_file(seed_store, tmp_path):
    # A store whose 200th record cannot be read: the export fails after writing many.
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(seed_store.read_bytes())
    with sqlite3.connect(broken) as db:
        (bad_id,) = db.execute("SELECT id FROM records ORDER BY id LIMIT 1 OFFSET 200").fetchone()
        db.execute("UPDATE records SET doc = '{\"id\": ' WHERE id = ?", (bad_id,))
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = export("--format", "geojson", "--store", str(broken),
                          "--out", "out/all.geojson", cwd=tmp_path)
    line = one_line_failure(code, err)
    assert "JSONDecodeError" in line and "out/all.geojson was not written" in line
    assert os.listdir(out) == []
    # An earlier, good export at that path is kept as it was.
    assert export("--format", "geojson", "--store", str(seed_store), "--out", "out/all.geojson",
                  cwd=tmp_path)[0] == 0
    good = (out / "all.geojson").read_bytes()
    code, _, err = export("--format", "geojson", "--store", str(broken),
                          "--out", "out/all.geojson", cwd=tmp_path)
    assert code == 2 and (out / "all.geojson").read_bytes() == good
    assert os.listdir(out) == ["all.geojson"]


def test_standard_output_still_streams(seed_store, tmp_path):
    code, out, err = export("--kind", "takeback_site", "--store", str(seed_store), cwd=tmp_path)
    assert code == 0, err
    lines = out.splitlines()
    assert lines and all(json.loads(line)["kind"] == "takeback_site" for line in lines)
