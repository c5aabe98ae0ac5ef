"""A bed report's answer and this worker's live figures come from what the report's own
transaction read (issue 25, item 4), not from reading the facility again: the answer is
the one a fresh read gives, and a worker that missed a change reads the facility again."""
import json
from datetime import datetime, timedelta, timezone

from directory_service.api import beds as beds_api
from directory_service.availability import holds, reports
from directory_service.availability.db import AvailabilityDB
from directory_service.schemas import availability as availability_schema
from directory_service.search.live_overlay import LiveOverlay
from tests.availability_backends import open_adb
from tests.test_live_support import bearer, directory, etag, make_app
from tests.test_live_support import row as _row_now

NOW = datetime(2026, 1, 7, 12, 0, 30, tzinfo=timezone.utc)
# The indexed figures an hour before the pinned moment, whatever the real clock says.
INDEXED_AT = "2026-01-07T11:00:00Z"


def row(**kwargs):
    return {**_row_now(**kwargs), "reported_at": INDEXED_AT}


def pinned_directory():
    """test_live_support's directory with every indexed figure reported at INDEXED_AT."""
    records = directory()
    for record in records:
        for bed in record.get("beds") or ():
            if "reported_at" in bed:
                bed["reported_at"] = INDEXED_AT
    return records


class _Pinned(datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


def _spy(monkeypatch):
    """Counts reports.live_rows calls (the overlay's re-read, the answer's old read)."""
    calls, real = [], reports.live_rows
    monkeypatch.setattr(reports, "live_rows",
                        lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    return calls


def _report_rows(available):
    return [{"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
             "available": available, "reported_at": f"{NOW:%Y-%m-%dT%H:%M}:00Z",
             "note": f"{available} free", "status": "open" if available else "full"}]


def test_the_answer_equals_a_fresh_read_and_reads_nothing_again(tmp_path, monkeypatch,
                                                                 availability_backend):
    # Every clock of the path at the pinned moment: the report's, its rows' age check, the
    # hold's and the report's own writes.
    monkeypatch.setattr(beds_api, "datetime", _Pinned)
    monkeypatch.setattr(availability_schema, "datetime", _Pinned)
    monkeypatch.setattr(holds, "utcnow", lambda: NOW - timedelta(seconds=20))
    monkeypatch.setattr(reports, "utcnow", lambda: NOW)
    app = make_app(tmp_path, pinned_directory())
    client = app.test_client()
    own = bearer(app, "facility", "test:a")
    coach = bearer(app, "coach")
    held = client.post("/v1/facilities/test:a/holds", headers=coach,
                       json={"level_of_care": "3.7-WM", "population": "adult_men"})
    assert held.status_code == 201
    version = etag(client, "test:a")  # this worker has applied the hold
    calls = _spy(monkeypatch)
    put = client.put("/v1/facilities/test:a/beds", json={"rows": _report_rows(0)},
                     headers={**own, "If-Match": version})
    assert put.status_code == 200
    assert calls == []  # neither the answer nor the overlay read the facility again
    answer = put.get_json()
    assert answer.pop("released_holds") == [held.get_json()["id"]]
    assert answer["rows"][0]["note"] == "0 free" and answer["rows"][0]["held"] == 0
    # The same body a private GET gives: here, and from a fresh app (every read anew).
    fresh = make_app(tmp_path, store_path=app.extensions["store"].path)
    for served in (app, fresh):
        got = served.test_client().get("/v1/facilities/test:a/beds", headers=own)
        assert got.headers["ETag"] == put.headers["ETag"]
        assert json.dumps(got.get_json(), sort_keys=True) == json.dumps(answer, sort_keys=True)
    # Search in this worker shows the reported figure (the learned rows were applied).
    hit = client.get("/v1/search?lat=41.7508&lon=-88.1535&radius=20&kind=treatment_facility"
                     "&level_of_care=3.7-WM&per_page=50").get_json()
    shown = {h["id"]: h["beds_open"]["open"] for h in hit["results"]}
    assert shown["test:a"] == 0
    for served in (app, fresh):
        served.extensions["store"].close()
        served.extensions["availability"].close()


def _write(adb, available):
    return reports.apply_report(adb, "test:a", _report_rows(available)[:1], "key:t",
                                [row(available=1)]).written


def test_the_overlay_takes_learned_rows_only_when_it_missed_nothing(tmp_path, monkeypatch):
    adb = AvailabilityDB(str(tmp_path / "availability.sqlite"))
    overlay = LiveOverlay(adb)
    assert overlay.live_rows() == {}
    real = reports.live_rows
    calls = _spy(monkeypatch)

    def current():
        return real(adb.read(), "test:a")

    _write(adb, 1)  # another worker's report: never learned here
    missed = _write(adb, 2)
    overlay.learn("test:a", missed.before, missed.seq, missed.public_rows())  # too far behind
    assert overlay.live_rows()["test:a"].beds == current()
    assert calls == ["test:a"]  # read again

    learned = _write(adb, 3)
    overlay.learn("test:a", learned.before, learned.seq, learned.public_rows())
    assert overlay.live_rows()["test:a"].beds == current() == learned.public_rows()
    assert calls == ["test:a"]  # taken as written

    superseded = _write(adb, 4)
    overlay.learn("test:a", superseded.before, superseded.seq, superseded.public_rows())
    _write(adb, 5)  # a later change to the same facility, elsewhere
    assert overlay.live_rows()["test:a"].beds == current()
    assert [r["available"] for r in current()] == [5]
    assert calls == ["test:a", "test:a"]
    adb.close()


def test_the_report_path_writes_what_core_wrote(tmp_path, availability_backend):
    """The compiled statements (availability/fast.py) on both databases: rows, history,
    version and the change sequence a report leaves, and what it says it left."""
    adb = open_adb(tmp_path / "availability.sqlite")
    first = _write(adb, 2)
    second = reports.apply_report(adb, "test:a", _report_rows(1) + [
        {**_report_rows(0)[0], "population": "adult_women"}], "key:t", [row(available=1)])
    assert second.version == 2 and first.seq < second.written.seq
    assert second.written.before == first.seq
    assert second.written.rows == reports.live_rows(adb.read(), "test:a", private=True)
    assert [(r["population"], r["available"], r["reported_by"])
            for r in second.written.rows] == [("adult_men", 1, "key:t"),
                                               ("adult_women", 0, "key:t")]
    total, entries = reports.history(adb, "test:a", 1, 10)
    assert total == 4 and [e["event"] for e in entries] == ["report", "report", "report",
                                                            "baseline"]
    assert reports.facility_version(adb.read(), "test:a") == 2
    adb.close()
