"""Outbox events (issue 23, item 3): each write path names what happened in the outbox row
it commits with the change, on SQLite and PostgreSQL; an expired hold is recorded once; an
index run adds one record.changed; the Elasticsearch sync ignores rows of no facility."""
from datetime import datetime, timedelta, timezone

import pytest

from directory_service.availability import holds, outbox, reports
from directory_service.availability.db import add_event
from directory_service.search.elastic.sync import newest_versions
from indexer import run_event
from indexer.pipeline import ImportReport
from tests.availability_backends import open_adb
from tests.test_live_support import row

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
BEDS = [row(available=2)]


@pytest.fixture
def adb(tmp_path, availability_backend):
    return open_adb(tmp_path / "availability.sqlite3")


def events_after(adb, seq=0):
    return [(r["event"], r["data"]) for r in outbox.pending(adb.read(), seq)]


def test_a_report_records_beds_updated_with_its_figures_and_nothing_private(adb):
    sent = row(available=1)
    reports.apply_report(adb, "fac-1", [sent], "key:k1", BEDS, now=NOW)
    ((event, data),) = events_after(adb)
    assert event == "beds.updated"
    assert data["facility_id"] == "fac-1" and data["how"] == "report"
    assert data["rows"] == [{"level_of_care": "3.7-WM", "population": "adult_men",
                             "capacity": 10, "available": 1, "status": "open",
                             "reported_at": sent["reported_at"]}]
    assert "key:k1" not in str(data)


def test_holds_record_created_and_decided_with_state_and_reason(adb):
    made = holds.create(adb, "fac-1", "3.7-WM", "adult_men", "coach-1", "a note", 30, BEDS,
                        now=NOW)
    holds.decide(adb, made["id"], "declined", "key:f", now=NOW + timedelta(minutes=5))
    other = holds.create(adb, "fac-1", "3.7-WM", "adult_men", "coach-1", None, 30, BEDS,
                         now=NOW)
    holds.decide(adb, other["id"], "confirmed", "key:f", now=NOW + timedelta(minutes=6))
    found = events_after(adb)
    assert [e for e, _ in found] == ["hold.created", "hold.decided", "hold.created",
                                     "hold.decided", "beds.updated"]
    created = found[0][1]
    assert created["hold_id"] == made["id"] and created["state"] == "active"
    assert "a note" not in str(found) and "coach-1" not in str(found)
    assert (found[1][1]["state"], found[3][1]["state"]) == ("declined", "confirmed")
    admitted = found[4][1]
    assert admitted["how"] == "admission" and admitted["rows"][0]["available"] == 1


def test_a_report_of_fewer_beds_records_the_released_holds_with_their_reason(adb):
    made = holds.create(adb, "fac-1", "3.7-WM", "adult_men", "coach-1", None, 30, BEDS,
                        now=NOW)
    seq = outbox.last_seq(adb.read())
    # At the clock the hold was made by (the real one passed its expiry at 12:30 UTC on
    # 2026-12-07, and the test failed from then on).
    reports.apply_report(adb, "fac-1", [row(available=0, hours_old=0.01)], "key:k", BEDS,
                         now=NOW + timedelta(minutes=1))
    (beds, beds_data), (decided, decided_data) = events_after(adb, seq)
    assert (beds, decided) == ("beds.updated", "hold.decided")
    assert beds_data["released_holds"] == [made["id"]]
    assert decided_data["state"] == "released" and decided_data["reason"]


def test_an_expired_hold_is_recorded_once(adb):
    made = holds.create(adb, "fac-1", "3.7-WM", "adult_men", "coach-1", None, 30, BEDS,
                        now=NOW)
    seq = outbox.last_seq(adb.read())
    assert holds.expire_due(adb, NOW + timedelta(minutes=29)) == 0
    assert holds.expire_due(adb, NOW + timedelta(minutes=31)) == 1
    assert holds.expire_due(adb, NOW + timedelta(minutes=45)) == 0
    ((event, data),) = events_after(adb, seq)
    assert event == "hold.expired"
    assert (data["hold_id"], data["state"], data["decided_at"]) == (
        made["id"], "expired", made["expires_at"])
    # Deciding it afterwards is refused and records nothing more.
    with pytest.raises(holds.HoldConflict):
        holds.decide(adb, made["id"], "confirmed", "key:f", now=NOW + timedelta(hours=1))
    assert len(events_after(adb, seq)) == 1


def test_a_hold_found_expired_when_decided_records_hold_expired_once(adb):
    made = holds.create(adb, "fac-1", "3.7-WM", "adult_men", "coach-1", None, 30, BEDS,
                        now=NOW)
    seq = outbox.last_seq(adb.read())
    with pytest.raises(holds.HoldConflict):
        holds.decide(adb, made["id"], "confirmed", "key:f", now=NOW + timedelta(hours=1))
    assert holds.expire_due(adb, NOW + timedelta(hours=2)) == 0
    assert [e for e, _ in events_after(adb, seq)] == ["hold.expired"]


def test_an_index_run_records_one_record_changed(adb, tmp_path, monkeypatch):
    report = ImportReport()
    report.count("a.ndjson", "loaded", 3)
    report.count("a.ndjson", "replaced", 5)
    report.not_kept = ["src:gone-2", "src:gone-1"]
    if not adb.url.startswith("sqlite"):
        monkeypatch.setenv("AVAILABILITY_URL", adb.url)
    from directory_service.config import Settings
    settings = Settings.from_env(availability_path=str(tmp_path / "availability.sqlite3"))
    assert run_event.announce(settings, report, now=NOW) is None
    (found,) = outbox.pending(adb.read(), 0)
    assert (found["facility_id"], found["event"]) == ("", "record.changed")
    assert found["data"] == {"source": "index_run", "finished_at": "2026-12-07T12:00:00Z",
                             "written": 8, "new": 3, "replaced": 5, "merged": 0,
                             "dropped": 2, "dropped_ids": ["src:gone-1", "src:gone-2"],
                             "record_ids": None}


def test_the_elasticsearch_sync_skips_rows_of_no_facility(adb):
    with adb.write() as db:
        add_event(db, "", "record.changed", {"source": "index_run"})
    reports.apply_report(adb, "fac-1", [row(available=1)], "key:k1", BEDS, now=NOW)
    assert list(newest_versions(outbox.pending(adb.read(), 0))) == ["fac-1"]


def test_no_availability_file_means_no_event_and_no_file(tmp_path):
    from directory_service.config import Settings
    settings = Settings.from_env(availability_path=str(tmp_path / "none.sqlite3"))
    assert run_event.announce(settings, ImportReport(), now=NOW) is None
    assert not (tmp_path / "none.sqlite3").exists()


def test_an_unreachable_database_does_not_fail_the_run(tmp_path):
    from directory_service.config import Settings
    settings = Settings.from_env(availability_url="postgresql://nobody@127.0.0.1:1/none",
                                 availability_connect_timeout_s=1)
    assert "not told" in run_event.announce(settings, ImportReport(), now=NOW)


def test_the_indexer_command_announces_a_swapped_run_only(tmp_path, monkeypatch):
    import pathlib

    from click.testing import CliRunner

    from directory_service.availability.db import AvailabilityDB
    from indexer.cli import main

    feed = tmp_path / "feed"
    feed.mkdir()
    seed = pathlib.Path(__file__).parent.parent / "seed_data" / "treatment_facilities.ndjson"
    lines = seed.read_text(encoding="utf-8").splitlines(keepends=True)[:5]
    (feed / "facilities.ndjson").write_text("".join(lines))
    monkeypatch.setenv("STORE_PATH", str(tmp_path / "store" / "directory.sqlite"))
    monkeypatch.setenv("AVAILABILITY_PATH", str(tmp_path / "availability.sqlite"))
    monkeypatch.delenv("AVAILABILITY_URL", raising=False)
    adb = AvailabilityDB(str(tmp_path / "availability.sqlite"))
    assert CliRunner().invoke(main, ["load", str(feed), "--quiet", "--dry-run"]).exit_code == 0
    assert outbox.pending(adb.read(), 0) == []
    done = CliRunner().invoke(main, ["load", str(feed), "--quiet"])
    assert done.exit_code == 0, done.output
    (found,) = outbox.pending(adb.read(), 0)
    assert found["event"] == "record.changed"
    assert (found["data"]["written"], found["data"]["new"]) == (5, 5)
    (feed / "facilities.ndjson").write_text('{"id": "x", "kind": "nope"}\n')
    assert CliRunner().invoke(main, ["load", str(feed), "--quiet"]).exit_code == 2
    assert len(outbox.pending(adb.read(), 0)) == 1
    adb.close()


def test_a_profile_save_records_record_changed_with_the_fields(adb):
    from directory_service.availability import profiles
    from tests import factories

    record = factories.facility("p", km=1)
    profiles.save(adb, record, {"payment": ["free"]}, by="key:f", now=NOW)
    ((event, data),) = events_after(adb)
    assert event == "record.changed"
    assert data == {"source": "profile", "record_ids": [record["id"]], "fields": ["payment"]}
