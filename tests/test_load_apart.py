"""Rows validated and encoded in a second process (search/embedded/load_apart.py, issue 25
§3): the same outcome per row as loading them here, the same index file and report from
the indexer (rejected rows named by file, row and field), and a failure on either side
fails the build, stops the process and leaves the serving file as it was.

The thresholds are lowered so a few hundred rows take the process path."""
import copy
import json
import math
import os
import signal

import pytest

from directory_service.schemas import records
from directory_service.search.embedded import load_apart
from directory_service.search.embedded.load_apart import LoadApart, load_one, load_rows
from directory_service.search.embedded.writer import SqliteIndexWriter
from directory_service.search.store import IndexRejected
from indexer import pipeline
from indexer.dedupe import place_key
from tests.test_fast_load import BAD_CHANGES, NOW, SEED, _leaves, base_rows, changed
from tests.test_writer_rows_apart import dump, listing


@pytest.fixture
def started(monkeypatch):
    """The LoadApart instances started, lowered thresholds: a process from row 3 on."""
    got = []
    real = LoadApart.start

    def start(self):
        got.append(self)
        return real(self)

    monkeypatch.setattr(LoadApart, "start", start)
    monkeypatch.setattr(load_apart, "LOAD_APART_FROM", 3)
    monkeypatch.setattr(load_apart, "START_AT", 1)
    monkeypatch.setattr(load_apart, "BATCH", 2)
    monkeypatch.setattr(load_apart, "AHEAD", 3)
    monkeypatch.setattr(load_apart, "SWITCH_WHEN_READY", False)  # from row 3, surely
    return got


def rows_good_and_bad():
    rows = []
    for i in range(40):
        for row in base_rows():
            rows.append(dict(copy.deepcopy(row), id=f"{row['id']}{i}",
                             aliases=[f"t:old{i}"] if row["kind"] == "treatment_facility"
                             else []))
    for i, (which, path, value) in enumerate(BAD_CHANGES):
        row = changed(base_rows()[which], path, value)
        rows.insert(7 * i + 3, row if path == ("id",) else dict(row, id=f"t:bad{i}"))
    rows.insert(5, "not a record")
    rows.insert(9, {"kind": "spaceship"})
    return rows


def test_rows_loaded_apart_are_what_loading_them_here_gives(started):
    schema = records.RecordSchema()
    rows = rows_good_and_bad()
    here = [load_one(schema, copy.deepcopy(row), place_key) for row in rows]
    apart = list(load_rows(schema, copy.deepcopy(rows), place_key))
    assert len(started) == 1 and started[0].proc.returncode == 0
    assert apart == here
    assert sum(1 for loaded in apart if loaded.messages) > 30
    # Without `extract`: what the bench asks for.
    lean = list(load_rows(schema, copy.deepcopy(rows)))
    assert lean == [loaded._replace(extra=None) for loaded in here]


def test_a_small_run_starts_no_process(started, monkeypatch):
    monkeypatch.setattr(load_apart, "LOAD_APART_FROM", 10**9)
    monkeypatch.setattr(load_apart, "START_AT", 10**9)
    schema = records.RecordSchema()
    assert len(list(load_rows(schema, rows_good_and_bad()))) == len(rows_good_and_bad())
    assert started == []


def test_a_process_started_but_not_needed_is_stopped(started, monkeypatch):
    monkeypatch.setattr(load_apart, "LOAD_APART_FROM", 10**9)
    schema = records.RecordSchema()
    rows = rows_good_and_bad()
    assert list(load_rows(schema, copy.deepcopy(rows))) == [
        load_one(schema, row) for row in copy.deepcopy(rows)]
    assert len(started) == 1 and started[0].proc.returncode is not None


def index_run(tmp_path, name, sources):
    """A whole indexer run into `name`: (failure, report lines, warnings, counts, dump)."""
    path = tmp_path / name
    try:
        report = pipeline.run(sources, SqliteIndexWriter(str(path)),
                              max_rejected_fraction=1.0, now=NOW)
        failed = None
    except pipeline.IndexRunFailed as exc:
        report, failed = exc.report, str(exc)
    lines = [line for r in report.rejected for line in r.lines()]
    return (failed, lines, report.warnings, list(report.files.items()),
            list(report.tallies.items()), report.merged, dump(path))


def bad_file(tmp_path):
    source = tmp_path / "feed" / "bad.ndjson"
    source.parent.mkdir()
    rows = [r for r in rows_good_and_bad() if not isinstance(r, dict) or not any(
        isinstance(v, float) and math.isnan(v) for v in _leaves(r))]
    rows.append(dict(base_rows()[1], id="t:mtg3"))  # the same id twice: rejected naming both
    source.write_text("\n".join(json.dumps(r, default=str) for r in rows) + "\n")
    return str(source)


def test_the_indexer_gives_the_same_file_and_report_apart(tmp_path, monkeypatch, started):
    sources = [SEED, bad_file(tmp_path)]
    with monkeypatch.context() as serial:
        serial.setattr(load_apart, "LOAD_APART_FROM", 10**9)
        serial.setattr(load_apart, "START_AT", 10**9)
        here = index_run(tmp_path, "here.sqlite", sources)
    assert started == []
    apart = index_run(tmp_path, "apart.sqlite", sources)
    assert len(started) == 1 and started[0].proc.returncode == 0
    assert apart == here
    failed, lines, _warnings, _files, _tallies, merged, _dump = apart
    assert failed is None and merged
    # Rejected rows named by file and row, then the field, as loaded here.
    assert any(":33 (t:bad4) levels_of_care.0: Must be one of" in line for line in lines), \
        lines
    assert any("bad.ndjson:10 location: no coordinates" in line for line in lines), lines
    assert any("t:mtg3 was already read at" in line for line in lines), lines


def serving_file(tmp_path, monkeypatch):
    path = tmp_path / "directory.sqlite"
    with monkeypatch.context() as serial:
        serial.setattr(load_apart, "LOAD_APART_FROM", 10**9)
        serial.setattr(load_apart, "START_AT", 10**9)
        pipeline.run([SEED], SqliteIndexWriter(str(path)), now=NOW)
    return path, dump(path), listing(tmp_path)


def test_a_killed_process_fails_the_build_and_the_old_file_serves(
        tmp_path, monkeypatch, started):
    path, before, files = serving_file(tmp_path, monkeypatch)
    real = LoadApart._receive

    def receive(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        return real(self)

    monkeypatch.setattr(LoadApart, "_receive", receive)
    with pytest.raises(IndexRejected, match="validating rows in a second process failed"):
        pipeline.run([SEED], SqliteIndexWriter(str(path)), now=NOW)
    assert started[0].proc.returncode == -signal.SIGKILL
    assert dump(path) == before
    assert listing(tmp_path) == files


class BreaksOnOneRow(records._RecordDispatch):
    """A schema that raises what it should not on one row (a bug, not a bad row)."""

    def load(self, row):
        if isinstance(row, dict) and row.get("id") == "t:nal7":
            raise RuntimeError("the schema broke on t:nal7")
        return super().load(row)


def test_a_schema_failure_in_the_process_fails_the_build(tmp_path, monkeypatch, started):
    path, before, files = serving_file(tmp_path, monkeypatch)
    monkeypatch.setattr(pipeline, "RecordSchema", BreaksOnOneRow)
    with pytest.raises(IndexRejected, match="the schema broke on t:nal7"):
        pipeline.run([bad_file(tmp_path)], SqliteIndexWriter(str(path)), now=NOW,
                     max_rejected_fraction=1.0)
    assert started[0].proc.returncode is not None  # stopped and waited for
    assert dump(path) == before
    assert listing(tmp_path) == files + ["feed"]


def test_a_failure_on_this_side_stops_the_process(tmp_path, monkeypatch, started):
    path, before, files = serving_file(tmp_path, monkeypatch)

    def rows():
        for i in range(60):
            yield dict(base_rows()[2], id=f"t:n{i}")
        raise RuntimeError("the feed broke")

    with pytest.raises(RuntimeError, match="the feed broke"):
        with SqliteIndexWriter(str(path)) as writer:
            for loaded in load_rows(records.RecordSchema(), rows()):
                writer.add_encoded(loaded.key, loaded.doc)
            writer.commit()
    assert started[0].proc.returncode is not None  # stopped and waited for
    assert dump(path) == before
    assert listing(tmp_path) == files


def test_the_region_from_the_point_arrays_is_the_region_added_record_by_record():
    import random

    import numpy as np

    from directory_service.service_region import RegionBuilder

    rng = random.Random(5)
    # Points on the grid's half-way marks too, where rounding rules part ways.
    lats = [rng.choice([rng.uniform(25, 49), rng.randrange(250, 490) / 10 + 0.05,
                        -rng.randrange(0, 400) / 10 - 0.05]) for _ in range(5000)]
    lons = [rng.choice([rng.uniform(-124, -67), -rng.randrange(670, 1240) / 10 - 0.05])
            for _ in range(5000)]
    states = [rng.choice(["IL", "TX", "", None, "XX", "Ill"]) for _ in range(5000)]
    one = RegionBuilder()
    for state, lat, lon in zip(states, lats, lons):
        one.add({"location": {"lat": lat, "lon": lon}, "address": {"state": state}})
    many = RegionBuilder()
    many.add_many(set(states) - {None}, np.array(lats), np.array(lons))
    assert (one.states, one.cells) == (many.states, many.cells)
    assert one.meta() == many.meta()


def test_a_failure_in_the_writer_stops_the_process(tmp_path, monkeypatch, started):
    from contextlib import closing

    from directory_service.search.store import DuplicateId

    path, before, files = serving_file(tmp_path, monkeypatch)
    rows = [dict(base_rows()[2], id=f"t:n{i % 40}") for i in range(60)]  # t:n0 again at 40
    with pytest.raises(DuplicateId, match="t:n0"):
        with SqliteIndexWriter(str(path)) as writer:
            with closing(load_rows(records.RecordSchema(), rows)) as loaded_rows:
                for loaded in loaded_rows:
                    writer.add_encoded(loaded.key, loaded.doc)
            writer.commit()
    assert started[0].proc.returncode is not None  # stopped and waited for
    assert dump(path) == before
    assert listing(tmp_path) == files


def test_rows_go_to_the_process_once_it_is_ready_in_the_same_order(started, monkeypatch):
    # The default: rows are loaded here until the process says it is ready, whenever
    # that is; the outcomes are the same and in the same order either way.
    monkeypatch.setattr(load_apart, "SWITCH_WHEN_READY", True)
    schema = records.RecordSchema()
    rows = rows_good_and_bad() * 3
    assert list(load_rows(schema, copy.deepcopy(rows), place_key)) == [
        load_one(schema, row, place_key) for row in copy.deepcopy(rows)]
    assert len(started) == 1 and started[0].proc.returncode is not None


def test_the_shared_samples_give_the_same_file_and_report_apart(tmp_path, monkeypatch,
                                                                started, shared_dir):
    """Real feeds of every reader (CSV with mappings, Meeting Guide, FindTreatment), read
    ahead into the process: a reader that reused one object across rows (the CSV
    mapping's default address) gave every NY drop box the last row's address this way."""
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    mappings = os.path.join(os.path.dirname(__file__), "fixtures", "formats",
                            "realdata_mappings")
    for name in ("takeback/ny_dec_medication_dropboxes.flat.csv",
                 "naloxone/vancouver-pharmacies.csv",
                 "meetings/meeting-guide-feeds/nwta.test.json",
                 "meetings/meeting-guide-feeds/al-anon.json",
                 "treatment/findtreatment-api-page.json"):
        shutil.copy(os.path.join(shared_dir, "data", name), data)
        mapping = os.path.join(mappings, os.path.basename(name)[:-4] + ".mapping.yaml")
        if name.endswith(".csv"):
            shutil.copy(mapping, data)
    monkeypatch.setattr(load_apart, "BATCH", 64)
    with monkeypatch.context() as serial:
        serial.setattr(load_apart, "LOAD_APART_FROM", 10**9)
        serial.setattr(load_apart, "START_AT", 10**9)
        here = index_run(tmp_path, "here.sqlite", [str(data)])
    apart = index_run(tmp_path, "apart.sqlite", [str(data)])
    assert len(started) == 1 and started[0].proc.returncode == 0
    assert apart[0] is None and apart == here
