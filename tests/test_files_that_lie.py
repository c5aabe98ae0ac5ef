"""Files that lie and runs that crash (issue 11): a cut file never replaces the directory,
a run that would drop most of it is refused, every failure is exit 2 and one line, dead
runs' temp files go, and the new store is fsynced before it is renamed into place."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from directory_service.search.embedded import writer as sqlite_writer
from directory_service.search.embedded.store import SqliteStore
from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import cli, file_checks, pipeline
from tests.conftest import ROOT, SEED


def site(i, **fields):
    return {"id": f"t:s{i:03d}", "kind": "naloxone_site", "name": f"Pharmacy {i}",
            "location": {"lat": 41.7 + i / 1000, "lon": -88.1}, "site_type": "pharmacy",
            **fields}


def ndjson(path, rows, end="\n"):
    path.write_text("\n".join(json.dumps(r) for r in rows) + end, encoding="utf-8")
    return str(path)


def load(*args, store):
    """The CLI in process; (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli.main, ["load", "--quiet", "--store", store, *args])
    return result.exit_code, result.stdout, result.stderr


def records(store):
    return SqliteStore(store).health()["records"]


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    """The seed directory serving from a store in tmp_path, and a copy of its files."""
    monkeypatch.setenv("AVAILABILITY_PATH", str(tmp_path / "availability.sqlite"))
    store = str(tmp_path / "directory.sqlite")
    pipeline.run([SEED], SqliteIndexWriter(store))
    files = tmp_path / "feed"
    shutil.copytree(SEED, files, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return store, files


def cut(path, share):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * share)])


def one_line_failure(code, stderr):
    lines = [line for line in stderr.splitlines() if line.startswith("index run failed")]
    assert code == 2 and len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("share", [0.5, 0.93])
def test_a_truncated_ndjson_file_never_replaces_the_directory(seeded, share):
    store, files = seeded
    before = records(store)
    cut(files / "treatment_facilities.ndjson", share)
    code, _, err = load(str(files), store=store)
    assert "truncated" in one_line_failure(code, err)
    assert records(store) == before


def test_a_truncated_json_array_fails_the_run(tmp_path):
    store = str(tmp_path / "s.sqlite")
    good = ndjson(tmp_path / "good.ndjson", [site(i) for i in range(4)])
    array = tmp_path / "more.json"
    array.write_text(json.dumps([site(i) for i in range(10, 20)]), encoding="utf-8")
    cut(array, 0.6)
    code, _, err = load(good, str(array), store=store)
    assert "more.json" in one_line_failure(code, err) and "truncated" in err
    assert not os.path.exists(store)


def test_whole_files_without_a_final_newline_or_with_trailing_blanks_are_not_truncated(tmp_path):
    no_newline = ndjson(tmp_path / "a.ndjson", [site(1), site(2)], end="")
    blanks = ndjson(tmp_path / "b.ndjson", [site(3)], end="\n\n  ")
    array = tmp_path / "c.json"
    array.write_text(json.dumps([site(4)], indent=2) + "\n\n", encoding="utf-8")
    assert [file_checks.truncated(p) for p in (no_newline, blanks, str(array))] == [None] * 3
    code, out, err = load(no_newline, blanks, str(array), store=str(tmp_path / "s.sqlite"))
    assert code == 0, err
    assert records(str(tmp_path / "s.sqlite")) == 4


def test_a_run_that_drops_more_than_half_the_directory_needs_allow_shrink(tmp_path, monkeypatch):
    monkeypatch.setenv("AVAILABILITY_PATH", str(tmp_path / "availability.sqlite"))
    store = str(tmp_path / "s.sqlite")
    assert load(ndjson(tmp_path / "all.ndjson", [site(i) for i in range(10)]),
                store=store)[0] == 0
    # Exactly half dropped is allowed (the limit is "more than"); six of ten is not.
    half = ndjson(tmp_path / "half.ndjson", [site(i) for i in range(5)])
    assert load(half, store=store)[0] == 0 and records(store) == 5
    assert load(ndjson(tmp_path / "all2.ndjson", [site(i) for i in range(10)]),
                store=store)[0] == 0
    four = ndjson(tmp_path / "four.ndjson", [site(i) for i in range(4)])
    code, _, err = load(four, store=store)
    line = one_line_failure(code, err)
    assert "drop 6 of the 10 records" in line and "--allow-shrink" in line
    assert records(store) == 10
    assert load(four, "--max-shrink-fraction", "0.7", store=store)[0] == 0
    assert records(store) == 4
    one = ndjson(tmp_path / "one.ndjson", [site(0)])
    assert load(one, "--allow-shrink", store=store)[0] == 0 and records(store) == 1


def test_a_dry_run_is_not_refused_by_the_shrink_guard_but_says_a_real_run_would_be(
        tmp_path, monkeypatch):
    # The README's example: a dry run of one feed after `make run` loaded the seed.
    monkeypatch.setenv("AVAILABILITY_PATH", str(tmp_path / "availability.sqlite"))
    store = str(tmp_path / "s.sqlite")
    assert load(ndjson(tmp_path / "all.ndjson", [site(i) for i in range(10)]),
                store=store)[0] == 0
    four = ndjson(tmp_path / "four.ndjson", [site(i) for i in range(4)])
    code, out, err = load(four, "--dry-run", store=store)
    assert code == 0 and "index run failed" not in err, err
    assert ("a real run would stop here: this run would drop 6 of the 10 records serving "
            "now (60%, more than 50%); swapping it in needs --allow-shrink") in out
    assert "4 records validated (dry run, nothing written)" in out
    assert records(store) == 10
    # Rejected rows still decide a dry run's exit status; a run within the guard says nothing.
    bad = ndjson(tmp_path / "bad.ndjson", [site(i) for i in range(4)] + [{"id": "t:x"}])
    assert load(bad, "--dry-run", "--max-rejected-fraction", "0.5", store=store)[0] == 1
    code, out, _ = load(four, "--dry-run", "--max-shrink-fraction", "0.7", store=store)
    assert code == 0 and "real run would stop" not in out


def test_renamed_ids_count_as_dropped_even_when_the_size_stays(tmp_path, monkeypatch):
    monkeypatch.setenv("AVAILABILITY_PATH", str(tmp_path / "availability.sqlite"))
    store = str(tmp_path / "s.sqlite")
    load(ndjson(tmp_path / "a.ndjson", [site(i) for i in range(6)]), store=store)
    renamed = [dict(site(i), id=f"other:{i}") for i in range(6)]
    code, _, err = load(ndjson(tmp_path / "b.ndjson", renamed), store=store)
    assert "drop 6 of the 6" in one_line_failure(code, err)
    assert SqliteStore(store).get("t:s000") is not None


def test_a_latin1_file_is_exit_2_and_one_line_naming_it(tmp_path):
    latin = tmp_path / "sites.ndjson"
    latin.write_bytes((json.dumps(site(1), ensure_ascii=False) + "\n").encode("utf-8")
                      + (json.dumps(site(2, name="Farmacia Peña"), ensure_ascii=False)
                         + "\n").encode("latin-1"))
    store = str(tmp_path / "s.sqlite")
    # The real command, so nothing between the code and the terminal adds a traceback.
    env = {**os.environ, "AVAILABILITY_PATH": str(tmp_path / "availability.sqlite")}
    done = subprocess.run([sys.executable, "-m", "indexer", "load", "--quiet", "--store", store,
                           str(latin)], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=120)
    line = one_line_failure(done.returncode, done.stderr)
    assert str(latin) in line and "UTF-8" in line and "0xf1" in line
    assert not os.path.exists(store)


def test_a_target_that_cannot_be_written_is_exit_2_and_one_line(tmp_path):
    # /proc is read-only even for root, which a chmod'ed directory is not.
    code, _, err = load(ndjson(tmp_path / "a.ndjson", [site(1)]),
                        store="/proc/directory-test.sqlite")
    line = one_line_failure(code, err)
    assert "/proc/directory-test.sqlite" in line


def test_an_unexpected_crash_is_exit_2_and_one_line(tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise KeyError("levels_of_care")

    monkeypatch.setattr(pipeline, "run", explode)
    code, _, err = load(ndjson(tmp_path / "a.ndjson", [site(1)]),
                        store=str(tmp_path / "s.sqlite"))
    assert one_line_failure(code, err) == ("index run failed: KeyError: 'levels_of_care'; "
                                           "the previous index keeps serving")
    result = CliRunner().invoke(cli.main, ["load", "--quiet", "--debug", "--store",
                                           str(tmp_path / "s.sqlite"), str(tmp_path / "a.ndjson")])
    assert result.exit_code == 2 and "Traceback" in result.stderr


def test_rejected_rows_still_exit_1(tmp_path):
    rows = [site(i) for i in range(9)] + [site(9, site_type="castle")]
    code, _, err = load(ndjson(tmp_path / "a.ndjson", rows), store=str(tmp_path / "s.sqlite"))
    assert code == 1 and "site_type" in err and "index run failed" not in err


@pytest.mark.parametrize("kind", [["naloxone_site"], {"a": 1}, 7, None])
def test_a_kind_that_is_no_string_is_a_rejected_row_not_a_crash(tmp_path, kind):
    rows = [site(i) for i in range(9)] + [dict(site(9), kind=kind)]
    code, _, err = load(ndjson(tmp_path / "a.ndjson", rows), store=str(tmp_path / "s.sqlite"))
    assert code == 1 and "kind" in err and "must be one of" in err
    assert "index run failed" not in err and "TypeError" not in err


def _meeting(i, **fields):
    return {"name": f"Meeting {i}", "slug": f"m{i}", "day": 1, "time": "19:00",
            "latitude": 41.75, "longitude": -88.15, "types": ["O"], **fields}


def _samhsa(i, **fields):
    return {"frid": f"f{i}", "name1": f"Program {i}", "street1": "1 Main St",
            "city": "Naperville", "state": "IL", "zip": "60540", "latitude": "41.75",
            "longitude": "-88.15", "typeFacility": "SA", "services": [
                {"f1": "Type of Care", "f2": "TC", "f3": "Substance use treatment"}], **fields}


@pytest.mark.parametrize("name, rows, loaded, said", [
    # A value of a shape the format never has: its row is rejected, or loaded without
    # that value with a warning; the other rows load and the run is never a crash.
    ("aa-feed.json", [_meeting(1, types=7), _meeting(2, types=True)]
     + [_meeting(i) for i in range(3, 11)], 10, "types:not-a-list"),
    ("findtreatment.json", [_samhsa(1, services=5), _samhsa(2, services=["x"])]
     + [_samhsa(i) for i in range(3, 11)], 8, "not of the shape the format has"),
    ("sites.json", [site(1, address=True), site(2, address=[1, 2]),
                    site(3, location="north")] + [site(i) for i in range(4, 11)], 7,
     "address._schema: Invalid input type"),
])
def test_a_value_of_the_wrong_shape_is_its_row_s_problem_not_the_run_s(tmp_path, name, rows,
                                                                         loaded, said):
    (tmp_path / name).write_text(json.dumps(rows), encoding="utf-8")
    code, _, err = load(str(tmp_path / name), "--allow-rejected", "--max-rejected-fraction",
                        "0.5", store=str(tmp_path / "s.sqlite"))
    assert code == 0 and "index run failed" not in err and "Traceback" not in err, err
    assert records(str(tmp_path / "s.sqlite")) == loaded
    assert said in err and f"{name}:1 " in err and f"{name}:2 " in err


def test_a_file_whose_structure_is_not_its_format_s_fails_the_run_naming_it(tmp_path):
    # An HSDS tabular file whose service ids are objects: no row can be told from another,
    # so the file is refused by name (the old index keeps serving), not a bare TypeError.
    tables = {"services.csv": [{"id": {"nested": 1}, "name": "Detox", "status": "active"}],
              "service_at_location.csv": [{"id": "sal", "service_id": ["a"],
                                           "location_id": "loc"}],
              "locations.csv": [{"id": "loc", "name": "Here", "latitude": 41.75,
                                 "longitude": -88.15}]}
    (tmp_path / "registry.json").write_text(json.dumps(tables), encoding="utf-8")
    code, _, err = load(str(tmp_path / "registry.json"), store=str(tmp_path / "s.sqlite"))
    message = one_line_failure(code, err)
    assert "registry.json: not the shape of a hsds file" in message, message
    assert "previous index keeps serving" in message
    assert not os.path.exists(tmp_path / "s.sqlite")


DEEP = "[" * 100_000 + "]" * 100_000  # far past the JSON decoder's nesting limit


@pytest.mark.parametrize("name, text", [
    # One row nested past reason among good ones: that row is rejected, by number.
    ("rows.ndjson", "\n".join([json.dumps(site(1)), '{"kind": "meeting", "name": ' + DEEP +
                               "}", *(json.dumps(site(i)) for i in range(2, 10))]) + "\n"),
    # A whole JSON file nested past reason, as a Meeting Guide feed and as our own array.
    ("feed.json", '[{"slug": "a", "day": 1, "time": "19:00", "name": ' + DEEP + "}]"),
    ("sites.json", '[{"kind": "naloxone_site", "name": ' + DEEP + "}]"),
])
def test_json_nested_past_reason_is_a_rejected_row_or_file_never_a_crash(tmp_path, name,
                                                                         text):
    (tmp_path / name).write_text(text, encoding="utf-8")
    code, _, err = load(str(tmp_path / name), store=str(tmp_path / "s.sqlite"))
    assert "nested too deep" in err and "RecursionError" not in err, err
    if name == "rows.ndjson":
        assert code == 1 and ":2 " in err  # the other nine rows are loaded
        assert records(str(tmp_path / "s.sqlite")) == 9
    else:
        assert code == 2 and not os.path.exists(tmp_path / "s.sqlite")


def test_a_csv_cell_past_the_reader_s_limit_fails_the_run_naming_the_file(tmp_path):
    shutil.copy(os.path.join(ROOT, "tests", "fixtures", "formats", "csv", "naloxone.mapping.yaml"),
                tmp_path / "sites.mapping.yaml")
    header = "Name,Address,City,State,Zip,Latitude,Longitude,Type,Training,Hours\n"
    good = "Pharmacy {i},1 Main St,Naperville,IL,60540,41.75,-88.15,pharmacy,TRUE,\n"
    text = header + "".join(good.format(i=i) for i in range(3)) + \
        '"' + "x" * 200_000 + '",1 Main St,Naperville,IL,60540,41.75,-88.15,pharmacy,,\n'
    (tmp_path / "sites.csv").write_text(text, encoding="utf-8")
    code, _, err = load(str(tmp_path / "sites.csv"), store=str(tmp_path / "s.sqlite"))
    message = one_line_failure(code, err)
    assert "sites.csv: unreadable as CSV after row 4" in message and "field limit" in message
    assert not os.path.exists(tmp_path / "s.sqlite")
    # A BMLT export is read whole to be recognised: the same failure, naming it.
    (tmp_path / "export.csv").write_text("id_bigint,weekday_tinyint,start_time,meeting_name\n"
                                         '1,2,19:00:00,"' + "x" * 200_000 + '"\n')
    code, _, err = load(str(tmp_path / "export.csv"), store=str(tmp_path / "s.sqlite"))
    assert "export.csv: unreadable as CSV" in one_line_failure(code, err)


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temp_files_of_dead_runs_are_removed_and_live_ones_kept(tmp_path):
    store = tmp_path / "s.sqlite"
    dead = dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        leftovers = [tmp_path / f"s.sqlite.building-{dead}",
                     tmp_path / f"s.sqlite.building-{dead}-journal"]
        running = tmp_path / f"s.sqlite.building-{live.pid}"
        other = tmp_path / f"t.sqlite.building-{dead}"
        for path in leftovers + [running, other]:
            path.write_bytes(b"x" * 1000)
        report = pipeline.run([ndjson(tmp_path / "a.ndjson", [site(1)])],
                              SqliteIndexWriter(str(store)))
        assert not any(p.exists() for p in leftovers)
        assert running.exists() and other.exists()
        assert sum("left by an index run that died" in w for w in report.warnings) == 2
    finally:
        live.kill()
        live.wait()


def test_the_new_store_and_its_directory_are_fsynced_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("rename", src, dst))
        real_replace(src, dst)

    monkeypatch.setattr(sqlite_writer.os, "fsync", fsync)
    monkeypatch.setattr(sqlite_writer.os, "replace", replace)
    store = str(tmp_path / "s.sqlite")
    pipeline.run([ndjson(tmp_path / "a.ndjson", [site(1)])], SqliteIndexWriter(store))
    temp = f"{store}.building-{os.getpid()}"
    # The column file (written and fsynced first) is renamed in before the store.
    with sqlite3.connect(store) as db:
        (columns,) = db.execute("SELECT value FROM meta WHERE key = 'column_file'").fetchone()
    columns = str(tmp_path / columns)
    assert events == [("fsync", f"{temp}.columns"), ("fsync", temp),
                      ("rename", f"{temp}.columns", columns), ("fsync", str(tmp_path)),
                      ("rename", temp, store), ("fsync", str(tmp_path))]


def test_the_availability_database_fsyncs_every_commit(tmp_path):
    from directory_service.availability.db import AvailabilityDB

    adb = AvailabilityDB(str(tmp_path / "availability.sqlite"))
    # 2 is FULL (0 OFF, 1 NORMAL, 3 EXTRA): an acknowledged write survives a power cut.
    with adb.read() as db:
        assert db.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    adb.close()
