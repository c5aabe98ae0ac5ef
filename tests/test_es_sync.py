"""Issue 12, item 3 (findings 3 and 4): live beds reach Elasticsearch through the
transactional outbox, with external versioning.

- A push carries the outbox seq of the facility's newest change as its external
  version: an older push landing late is refused (409) and counted as "already newer".
- A write is answered once committed, even while the cluster is down (never 503 after
  a commit: the client has no reason to retry, and a hold is never made twice). The API
  never pushes: it queues the job runner's consumer (directory_service/jobs/), which
  backs off while the cluster refuses and catches up in seq order. Tests run what is
  queued in-process (`run_queued`); tests/test_jobs.py runs a real runner process.
- /readyz reports the lag (pending rows, age of the oldest).
- The request bodies are golden files (tests/fixtures/queries/sync_*.json).

All through VersionedIndexDouble (tests/es_doubles.py), a recording test double at the
client seam, NOT Elasticsearch; nothing here claims what a cluster would return beyond
the versioning rule the double applies.
"""
from datetime import datetime, timedelta, timezone

import pytest

from directory_service import create_app
from directory_service.availability import outbox, reports
from directory_service.config import Settings
from directory_service.jobs.registry import CONSUMERS as ALL_CONSUMERS
from directory_service.jobs.runner import backoff_s
from directory_service.search.elastic import sync
from directory_service.search.elastic.client import helpers
from directory_service.search.elastic.writer import ElasticsearchIndexWriter
from tests import factories
from tests.es_doubles import VersionedIndexDouble
from tests.es_golden import matches_golden
from tests.test_live_support import bearer, row

# One queued run per outbox consumer (Elasticsearch, webhooks, watches) after a write.
CONSUMERS = len(ALL_CONSUMERS)

FULL = factories.facility("full", km=1, beds=[row(available=0)])
OTHER = factories.facility("other", km=2, beds=[row(available=1)])
KEY = "3_7-WM__men"


@pytest.fixture
def es_app(tmp_path):
    settings = Settings.from_env(elasticsearch_url="http://es.invalid:9200",
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    app.config["TESTING"] = True
    app.extensions["store"].client = VersionedIndexDouble([FULL, OTHER])
    return app


def commit_report(adb, facility, available, second):
    """A report committed straight to the availability database (no push)."""
    at = datetime.now(timezone.utc).replace(second=second, microsecond=0)
    reports.apply_report(adb, facility["id"], [{
        "level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
        "available": available, "status": "open",
        "reported_at": at.isoformat().replace("+00:00", "Z")}], "key:t", facility["beds"],
        partial=True)


def put_beds(client, key, facility_id, available):
    etag = client.get(f"/v1/facilities/{facility_id}/beds").headers["ETag"]
    return client.put(f"/v1/facilities/{facility_id}/beds",
                      headers={**key, "If-Match": etag},
                      json={"rows": [row(available=available)]})


def open_beds(double, facility_id):
    return double.source(facility_id)["beds_by_level"][KEY]["open"]


def test_a_stale_push_landing_after_a_newer_one_is_refused_by_its_version(es_app):
    """Finding 4: two pushers race. A reads seq 1 and the 2 open beds, then, before its
    bulk lands, a newer report (7 open, seq 2) commits and B pushes it. A's late write
    carries version 1 < 2: refused, counted stale, and the index keeps 7."""
    adb, double = es_app.extensions["availability"], es_app.extensions["store"].client
    commit_report(adb, FULL, 2, 1)
    first_bulk, bulk = [], double.bulk

    def bulk_racing_a_newer_push(operations):
        if not first_bulk:
            first_bulk.append(operations)
            commit_report(adb, FULL, 7, 2)
            sync.OutboxSync(double, "directory", adb).run_once()  # B, all the way through
        return bulk(operations)

    double.bulk = bulk_racing_a_newer_push
    result = sync.OutboxSync(double, "directory", adb).run_once()
    assert first_bulk[0][0]["index"]["version"] == 1
    assert first_bulk[0][1]["beds_by_level"][KEY]["open"] == 2
    assert result["stale"] == 1 and result["pushed"] == 0
    assert open_beds(double, "test:full") == 7
    assert double.version("test:full") == 2
    # Positions only move forward: A's smaller position did not undo B's.
    assert outbox.position(adb.read(), sync.target("dir-1")) == 2


def test_a_write_is_answered_once_committed_while_the_cluster_is_down(es_app):
    """Finding 3: the PUT used to answer 503 after its commit, so the client's retry with
    the same If-Match got 412, and a retried hold held a second bed."""
    client, double = es_app.test_client(), es_app.extensions["store"].client
    adb = es_app.extensions["availability"]
    key = bearer(es_app, "facility", "test:full")
    etag = client.get("/v1/facilities/test:full/beds").headers["ETag"]
    double.failing = {"mget", "bulk"}  # reads answer, every live-bed push times out
    put = client.put("/v1/facilities/test:full/beds", headers={**key, "If-Match": etag},
                     json={"rows": [row(available=3)]})
    assert put.status_code == 200, put.get_json()
    assert put.headers["ETag"] != etag and put.get_json()["figures"]["3.7-WM"]["open"] == 3
    hold = client.post("/v1/facilities/test:full/holds", headers=bearer(es_app, "coach"),
                       json={"level_of_care": "3.7-WM", "population": "adult_men"})
    assert hold.status_code == 201, hold.get_json()
    # The runner's push fails: both changes wait in the outbox, a retry is scheduled.
    runner = es_app.extensions["jobs"]
    assert runner.run_queued() == CONSUMERS
    assert outbox.lag(adb.read(), sync.target("dir-1"))["pending"] == 2
    assert runner.huey.scheduled_count() == 1
    double.failing = set()
    # Exactly one bed is held: the coach got an answer and had no reason to ask again.
    beds = client.get("/v1/facilities/test:full/beds").get_json()
    assert beds["figures"]["3.7-WM"]["open"] == 2
    assert [r["held"] for r in beds["rows"]] == [1]
    # The next write queues the consumer at once (not behind the retry): all go along.
    assert put_beds(client, key, "test:full", 4).status_code == 200
    assert runner.run_queued() == CONSUMERS
    assert open_beds(double, "test:full") == 3  # 4 available, 1 held
    assert outbox.lag(adb.read(), sync.target("dir-1"))["pending"] == 0


def test_the_runner_backs_off_during_an_outage_then_catches_up_in_order(es_app):
    double, runner = es_app.extensions["store"].client, es_app.extensions["jobs"]
    adb = es_app.extensions["availability"]
    double.down = True
    for facility, available, second in ((FULL, 2, 1), (OTHER, 5, 2), (FULL, 6, 3)):
        commit_report(adb, facility, available, second)
    assert [backoff_s(n, rand=lambda: 1.0) for n in (1, 2, 3, 4, 7, 8, 20)] == [
        1, 2, 4, 8, 60, 60, 60]  # bounded
    for failures in range(1, 6):
        step = runner.consume("elasticsearch")
        assert step["error"] in ("ConnectionError", "StoreUnavailable")
        full = backoff_s(failures, rand=lambda: 1.0)
        assert full / 2 <= step["retry_in_s"] <= full
    # One retry waits however often it failed.
    assert [task.eta is not None for task in runner.huey.pending()] == [True]
    double.down = False
    assert runner.consume("elasticsearch")["rows"] == 3
    assert runner._failures == {}
    bulks = [c[1]["operations"] for c in double.calls if c[0] == "bulk"]
    assert len(bulks) == 1  # one bulk for the backlog
    actions = [op["index"] for op in bulks[0][::2]]
    # In seq order of each facility's newest change, each at that change's seq.
    assert [(a["_id"], a["version"]) for a in actions] == [("test:other", 2), ("test:full", 3)]
    assert open_beds(double, "test:full") == 6 and open_beds(double, "test:other") == 5
    assert outbox.lag(adb.read(), sync.target("dir-1"))["pending"] == 0


def test_retryable_item_statuses_keep_the_rows_pending(es_app):
    store, double = es_app.extensions["store"], es_app.extensions["store"].client
    adb = es_app.extensions["availability"]
    commit_report(adb, FULL, 2, 1)
    double.bulk = lambda operations: {"errors": True, "items": [
        {"index": {"_id": "test:full", "status": 429, "error": {"type": "es_rejected"}}}]}
    with pytest.raises(sync.StoreUnavailable, match="deferred live beds"):
        store.outbox_sync().run_once()
    assert outbox.lag(adb.read(), sync.target("dir-1"))["pending"] == 1


def test_readyz_reports_the_sync_lag(es_app, monkeypatch):
    client, double = es_app.test_client(), es_app.extensions["store"].client
    adb = es_app.extensions["availability"]
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["sync"] == {"index": "dir-1", "position": 0, "pending": 0,
                                        "oldest_s": 0.0, "alarming": False}
    double.bulk = lambda operations: {"errors": True, "items": [
        {"index": {"_id": op["index"]["_id"], "status": 503}} for op in operations[::2]]}
    commit_report(adb, FULL, 2, 1)
    commit_report(adb, OTHER, 3, 2)
    later = datetime.now(timezone.utc) + timedelta(seconds=120)
    monkeypatch.setattr(outbox, "utcnow", lambda: later)
    state = client.get("/readyz").get_json()
    # Lag alone never makes the worker unready (every worker shares it).
    assert state["status"] == "ready"
    assert state["sync"]["pending"] == 2 and state["sync"]["position"] == 0
    assert 119 <= state["sync"]["oldest_s"] <= 122 and state["sync"]["alarming"] is True


def test_the_embedded_store_reports_no_sync(tmp_path):
    from tests.test_live_support import make_app

    ready = make_app(tmp_path, [FULL]).test_client().get("/readyz").get_json()
    assert "sync" not in ready


FIXED_ROWS = {"test:full": [{
    "level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10, "available": 4,
    "held": 1, "status": "open", "reported_at": "2026-11-16T17:00:00Z",
    "hold_until": ["2026-11-16T19:00:00Z"]}], "test:other": []}


FIXED_BED = {**row(available=0), "reported_at": "2026-11-16T16:00:00Z"}
GOLDEN_FULL = factories.facility("full", km=1, beds=[FIXED_BED])
GOLDEN_OTHER = factories.facility("other", km=2, beds=[{**FIXED_BED, "available": 1}])


def test_golden_bodies_of_a_sync_batch():
    double = VersionedIndexDouble([GOLDEN_FULL, GOLDEN_OTHER], version=0)
    versions = sync.newest_versions([{"seq": 3, "facility_id": "test:full"},
                                     {"seq": 4, "facility_id": "test:other"},
                                     {"seq": 5, "facility_id": "test:full"}])
    assert versions == {"test:other": 4, "test:full": 5}
    result = sync.push(double, "dir-1", versions, FIXED_ROWS.get)
    assert result.pushed == ["test:other", "test:full"]
    requests = [c for c in double.calls if c[0] in ("mget", "bulk")]
    assert matches_golden("queries", "sync_mget.json", requests[0][1])
    assert matches_golden("queries", "sync_bulk.json", requests[1][1])


def test_golden_action_of_a_new_index_document():
    """Each document of a new index carries the run's start position as its version."""
    writer = ElasticsearchIndexWriter(None, Settings(elasticsearch_url="http://unused"),
                                      now=datetime(2026, 11, 16, 18, tzinfo=timezone.utc))
    writer._start_position = 41
    writer.add(GOLDEN_OTHER)
    action, _source = helpers.expand_action(writer._buffer[0])
    assert matches_golden("queries", "writer_index_action.json", action)


def test_the_sync_command_catches_up_or_exits_2_leaving_the_rows_pending(es_app):
    adb, double = es_app.extensions["availability"], es_app.extensions["store"].client
    commit_report(adb, FULL, 5, 1)
    runner = es_app.test_cli_runner()
    double.down = True
    failed = runner.invoke(args=["sync", "--attempts", "1"])
    assert failed.exit_code == 2 and "changes stay pending" in failed.output
    assert outbox.lag(adb.read(), sync.target("dir-1"))["pending"] == 1
    double.down = False
    done = runner.invoke(args=["sync"])
    assert done.exit_code == 0, done.output
    assert '"pushed": 1' in done.output and '"pending": 0' in done.output
    assert open_beds(double, "test:full") == 5


def test_api_workers_neither_push_nor_poll_they_queue_the_runner(es_app):
    """Issue 23: a write queues one run of the runner's consumer and sends the cluster
    nothing; a burst of writes queues one run, not one each."""
    client, double = es_app.test_client(), es_app.extensions["store"].client
    runner = es_app.extensions["jobs"]
    key = bearer(es_app, "facility", "test:full")
    for available in (3, 4, 5):
        assert put_beds(client, key, "test:full", available).status_code == 200
    assert not [c for c in double.calls if c[0] in ("mget", "bulk")]
    assert runner.huey.pending_count() == CONSUMERS
    assert runner.run_queued() == CONSUMERS
    assert [c[0] for c in double.calls if c[0] in ("mget", "bulk")] == ["mget", "bulk"]
    assert open_beds(double, "test:full") == 5
