"""Group commit of bed reports on the SQLite file (issue 25, item 4;
availability/group_commit.py): reports queued together share one transaction, and
within it every rule still holds report by report — If-Match conflicts are refused
(412), an older report never replaces a newer one, a refused report is rolled back
alone while the others of its group commit, and each accepted report writes its outbox
event once."""
import json
import sqlite3
import threading
import time

import pytest

from directory_service.availability import reports
from directory_service.availability.db import AvailabilityDB

BEDS = [{"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
         "available": 2, "status": "open", "reported_at": "2026-01-01T00:00:00Z"}]


def _row(available, reported_at=None):
    row = {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
           "available": available, "status": "open" if available else "full"}
    if reported_at:
        row["reported_at"] = reported_at
    return row


def _held_lock(path):
    """Another connection holding the write lock: the group's leader waits for it while
    every report queues, so all of them run in one group once it is released."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def _in_one_group(adb, calls):
    """Run calls (each `lambda: apply_report(...)`) in threads, queued in order while the
    write lock is held elsewhere; returns each call's result or exception, in order."""
    reports.apply_report(adb, "test:warm", [_row(1)], "key:t", BEDS)  # group made, schema
    group = adb._group
    groups_before = group.groups
    blocker = _held_lock(adb.path)
    outcomes = [None] * len(calls)

    def run(i):
        try:
            outcomes[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 (the outcome under test)
            outcomes[i] = exc

    threads = []
    for i in range(len(calls)):
        thread = threading.Thread(target=run, args=(i,))
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + 5
        # Each queues (the first leads and waits for the lock) before the next starts.
        while len(group._pending) < i + 1 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert len(group._pending) == i + 1
    blocker.execute("COMMIT")
    blocker.close()
    for thread in threads:
        thread.join(timeout=20)
    assert group.groups == groups_before + 1, "all the reports shared one transaction"
    assert group.largest >= len(calls)
    return outcomes


def _events(path, facility_id):
    with sqlite3.connect(path) as db:
        return [json.loads(data) for (data,) in db.execute(
            "SELECT data FROM outbox WHERE facility_id = ? AND event = 'beds.updated' "
            "ORDER BY seq", (facility_id,))]


def _history(path, facility_id):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT version, available, reported_at FROM bed_history WHERE "
                          "facility_id = ? AND event = 'report' ORDER BY seq",
                          (facility_id,)).fetchall()


@pytest.fixture
def adb(tmp_path):
    adb = AvailabilityDB(str(tmp_path / "availability.sqlite"))
    yield adb
    adb.close()


def test_one_if_match_wins_in_a_group_the_others_are_stale(adb):
    first = reports.apply_report(adb, "test:a", [_row(5)], "key:t", BEDS)
    calls = [lambda n=n: reports.apply_report(adb, "test:a", [_row(n)], "key:t", BEDS,
                                              expected={first.version})
             for n in range(6)]
    outcomes = _in_one_group(adb, calls)
    won = [o for o in outcomes if isinstance(o, reports.Applied)]
    stale = [o for o in outcomes if isinstance(o, reports.StaleVersion)]
    assert len(won) == 1 and len(stale) == 5, outcomes
    assert won[0].version == first.version + 1
    assert all(s.current == first.version + 1 for s in stale)
    # One report written, one event for it; the refused ones left nothing behind.
    assert [v for v, _, _ in _history(adb.path, "test:a")] == [first.version, won[0].version]
    assert [e["version"] for e in _events(adb.path, "test:a")] == [first.version,
                                                                  won[0].version]


def test_an_older_report_never_replaces_a_newer_one_in_the_same_group(adb):
    newer, older = "2026-12-07T05:00:00Z", "2026-12-07T04:00:00Z"
    calls = [lambda: reports.apply_report(adb, "test:b", [_row(3, newer)], "key:t", BEDS),
             lambda: reports.apply_report(adb, "test:b", [_row(9, older)], "key:t", BEDS)]
    applied, refused = _in_one_group(adb, calls)
    assert isinstance(applied, reports.Applied)
    assert isinstance(refused, reports.RowsRefused)
    assert "older than the report already stored" in str(refused.errors)
    with sqlite3.connect(adb.path) as db:
        assert db.execute("SELECT available, reported_at FROM bed_reports WHERE "
                          "facility_id = 'test:b' AND population = 'adult_men'").fetchall() \
            == [(3, newer)]
    assert [h[1:] for h in _history(adb.path, "test:b")] == [(3, newer)]
    assert len(_events(adb.path, "test:b")) == 1


def test_every_report_of_a_group_is_written_once_with_its_event(adb):
    facilities = [f"test:f{i}" for i in range(8)]
    calls = [lambda fid=fid, n=n: reports.apply_report(adb, fid, [_row(n)], "key:t", BEDS)
             for n, fid in enumerate(facilities)]
    outcomes = _in_one_group(adb, calls)
    assert all(isinstance(o, reports.Applied) for o in outcomes), outcomes
    for n, fid in enumerate(facilities):
        assert [h[1] for h in _history(adb.path, fid)] == [n]
        events = _events(adb.path, fid)
        assert len(events) == 1 and events[0]["rows"][0]["available"] == n
    with sqlite3.connect(adb.path) as db:
        seqs = [s for (s,) in db.execute("SELECT seq FROM facility_changes WHERE "
                                         "facility_id LIKE 'test:f%' ORDER BY seq")]
    assert len(set(seqs)) == len(facilities), "each change its own sequence number"


def test_a_failed_commit_answers_every_report_of_the_group_with_the_failure(adb,
                                                                            monkeypatch):
    reports.apply_report(adb, "test:warm", [_row(1)], "key:t", BEDS)
    from directory_service.availability import group_commit

    def refuse():
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(group_commit, "_native_runner", lambda: lambda fn: refuse())
    with pytest.raises(Exception, match="disk I/O error"):
        reports.apply_report(adb, "test:c", [_row(4)], "key:t", BEDS)
    monkeypatch.undo()
    assert _history(adb.path, "test:c") == [] and _events(adb.path, "test:c") == []
    # The group's lead was handed back: the next report is written.
    reports.apply_report(adb, "test:c", [_row(4)], "key:t", BEDS)
    assert [h[1] for h in _history(adb.path, "test:c")] == [4]
