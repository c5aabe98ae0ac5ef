"""The indexer: validation report, atomic swap, dry run and exit codes."""
import json
import os
import subprocess
import sys

import pytest

from directory_service.search.embedded.store import SqliteStore
from directory_service.search.embedded.writer import SqliteIndexWriter
from indexer import pipeline
from tests.conftest import ROOT, SEED

GOOD = {"id": "t:good", "kind": "naloxone_site", "name": "Good Pharmacy",
        "location": {"lat": 41.75, "lon": -88.15}, "site_type": "pharmacy"}


def write_ndjson(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return str(path)


def test_seed_data_loads_without_rejections(tmp_path):
    store_path = tmp_path / "s.sqlite"
    report = pipeline.run([SEED], SqliteIndexWriter(str(store_path)))
    assert report.rejected == [] and report.swapped
    counts = {os.path.basename(f): c["loaded"] for f, c in report.files.items()}
    assert counts["treatment_facilities.ndjson"] >= 60
    assert counts["meetings.ndjson"] >= 150
    assert counts["naloxone_sites.ndjson"] >= 40
    assert counts["takeback_sites.ndjson"] >= 30
    assert SqliteStore(str(store_path)).health()["records"] == report.loaded


def test_bad_rows_are_reported_with_file_row_and_field_and_good_rows_load(tmp_path):
    bad_lat = {**GOOD, "id": "t:bad", "location": {"lat": 123, "lon": -88}}
    src = write_ndjson(tmp_path / "sites.ndjson",
                       [GOOD, bad_lat, "{not json", {**GOOD, "id": "t:good2"}])
    store_path = str(tmp_path / "s.sqlite")
    report = pipeline.run([src], SqliteIndexWriter(store_path), max_rejected_fraction=0.9)
    assert report.loaded == 2
    lines = [line for r in report.rejected for line in r.lines()]
    assert any(line.startswith(f"{src}:2 (t:bad) location.lat:") for line in lines)
    assert any(line.startswith(f"{src}:3 _row: invalid JSON") for line in lines)
    assert SqliteStore(store_path).get("t:good2")["name"] == "Good Pharmacy"


def test_failed_run_leaves_the_old_store_serving(tmp_path):
    store_path = str(tmp_path / "s.sqlite")
    pipeline.run([write_ndjson(tmp_path / "a.ndjson", [GOOD])], SqliteIndexWriter(store_path))
    reader = SqliteStore(store_path)
    assert reader.get("t:good") is not None
    all_bad = write_ndjson(tmp_path / "b.ndjson", [{**GOOD, "id": "t:x", "kind": "nope"}] * 3)
    with pytest.raises(pipeline.IndexRunFailed):
        pipeline.run([all_bad], SqliteIndexWriter(store_path))
    assert reader.get("t:good") is not None
    assert not [n for n in os.listdir(tmp_path) if ".building-" in n]


def test_crash_mid_run_leaves_the_old_store_serving(tmp_path):
    store_path = str(tmp_path / "s.sqlite")
    pipeline.run([write_ndjson(tmp_path / "a.ndjson", [GOOD])], SqliteIndexWriter(store_path))

    class Exploding(SqliteIndexWriter):
        def add(self, record):
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        pipeline.run([write_ndjson(tmp_path / "b.ndjson", [{**GOOD, "id": "t:new"}])],
                     Exploding(store_path))
    store = SqliteStore(store_path)
    assert store.get("t:good") is not None and store.get("t:new") is None


def test_swap_is_seen_by_an_open_reader(tmp_path):
    store_path = str(tmp_path / "s.sqlite")
    pipeline.run([write_ndjson(tmp_path / "a.ndjson", [GOOD])], SqliteIndexWriter(store_path))
    reader = SqliteStore(store_path)
    assert reader.health()["records"] == 1
    pipeline.run([write_ndjson(tmp_path / "b.ndjson", [GOOD, {**GOOD, "id": "t:two"}])],
                 SqliteIndexWriter(store_path))
    assert reader.health()["records"] == 2 and reader.get("t:two") is not None


def test_dry_run_writes_nothing(tmp_path):
    store_path = tmp_path / "s.sqlite"
    report = pipeline.run([write_ndjson(tmp_path / "a.ndjson", [GOOD])],
                          SqliteIndexWriter(str(store_path)), dry_run=True)
    assert report.loaded == 1 and not report.swapped
    assert not store_path.exists()


def test_a_repeated_id_is_a_rejected_row_naming_both_and_the_first_stays(tmp_path):
    store_path = str(tmp_path / "s.sqlite")
    first = write_ndjson(tmp_path / "a.ndjson", [GOOD])
    second = write_ndjson(tmp_path / "b.ndjson", [{**GOOD, "id": "t:other"},
                                                  {**GOOD, "name": "Renamed"}])
    for dry_run in (True, False):
        report = pipeline.run([first, second], SqliteIndexWriter(store_path),
                              max_rejected_fraction=0.5, dry_run=dry_run)
        (line,) = [line for r in report.rejected for line in r.lines()]
        assert line.startswith(f"{second}:2 (t:good) id: t:good was already read at {first}:1")
        assert report.files[second]["rejected"] == 1 and report.written == 2
    assert SqliteStore(store_path).get("t:good")["name"] == "Good Pharmacy"


def test_seed_bed_times_are_rebased_to_the_load_time(tmp_path):
    from datetime import datetime, timezone

    store_path = str(tmp_path / "s.sqlite")
    now = datetime.now(timezone.utc)
    report = pipeline.run([SEED], SqliteIndexWriter(store_path), now=now)
    assert report.rejected == []
    times = [datetime.fromisoformat(b["reported_at"].replace("Z", "+00:00"))
             for r in SqliteStore(store_path).scan(("treatment_facility",))
             for b in r["beds"] if b["reported_at"]]
    newest_age_h = (now - max(times)).total_seconds() / 3600
    oldest_age_h = (now - min(times)).total_seconds() / 3600
    # The seed's freshest reports are minutes old and its stalest days old, whenever loaded.
    assert 0 <= newest_age_h < 1 and oldest_age_h > 24


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "indexer", "load", "--quiet", *args],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


def test_cli_exit_codes_and_report(tmp_path):
    store = str(tmp_path / "s.sqlite")
    good = write_ndjson(tmp_path / "good.ndjson", [GOOD])
    ok = run_cli(good, "--store", store)
    assert ok.returncode == 0 and "1 records written and swapped in: 1 new" in ok.stdout
    assert f"{good}: 1 read = 1 loaded + 0 replaced + 0 merged + 0 rejected + 0 warned" \
        in ok.stdout
    mixed = write_ndjson(tmp_path / "mixed.ndjson",
                         [GOOD, {**GOOD, "id": "t:b", "site_type": "castle"}])
    rejected = run_cli(mixed, "--store", store, "--max-rejected-fraction", "0.9")
    assert rejected.returncode == 1
    assert f"{mixed}:2 (t:b) site_type:" in rejected.stderr
    tolerated = run_cli(mixed, "--store", store, "--max-rejected-fraction", "0.9",
                        "--allow-rejected")
    assert tolerated.returncode == 0
    failed = run_cli(str(tmp_path / "missing"), "--store", store)
    assert failed.returncode == 2 and "previous index" not in failed.stdout
    assert "no such file" in failed.stderr
