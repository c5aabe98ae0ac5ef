"""Issue 12, finding 5 and item 3: a report made between the writer's snapshot of live
figures and the alias swap reached only the old index. Every document of a new index
now carries an external version (the run's start position; live figures the snapshot's
position), the new index's sync position is the snapshot's, and after the swap every
outbox row after it is replayed onto the new index, by the writer and, if the cluster
refuses then, by any later sync.

`DocsClientDouble` is a recording test double at the client seam, not Elasticsearch: the
alias choreography of RecordingIndicesDouble plus VersionedIndexDouble's versioned
documents (tests/es_doubles.py); it evaluates no query.
"""
from datetime import datetime, timezone

import pytest

from directory_service.availability import outbox, reports
from directory_service.availability.db import AvailabilityDB
from directory_service.config import Settings
from directory_service.search.elastic import sync
from directory_service.search.elastic import writer as es_writer
from directory_service.search.elastic.client import ConnectionError
from directory_service.search.elastic.writer import ElasticsearchIndexWriter
from tests import factories
from tests.es_doubles import VersionedIndexDouble
from tests.test_es_writer import NEW, NOW, OLD, RecordingClientDouble, RecordingIndicesDouble
from tests.test_live_support import row

FAC = factories.facility("full", km=1, beds=[row(available=0)])
KEY = "3_7-WM__men"


class DocsClientDouble(RecordingClientDouble):
    def __init__(self, indices):
        super().__init__(indices, count=1)
        self.store = VersionedIndexDouble(index=OLD[1])
        self.refuse_bulk = False

    def _target(self, index):
        named = [i for i, a in self.indices.aliases.items() if index in a]
        return named[0] if named else index

    def mget(self, index, ids):
        return self.store.mget(self._target(index), ids)

    def bulk(self, operations):
        if self.refuse_bulk:
            raise ConnectionError("connection refused (test double)")
        return self.store.bulk(operations)

    def open_beds(self, index):
        return self.store.source("test:full", index)["beds_by_level"][KEY]["open"]


def bulk_into(client):
    """streaming_bulk through the double's versioned bulk (the helper's own expansion of
    `_version`/`_version_type` into the action line)."""
    def streaming_bulk(_client, actions, **_):
        operations = []
        for action in actions:
            operations += [{"index": {"_index": action["_index"], "_id": action["_id"],
                                      "version": action["_version"],
                                      "version_type": action["_version_type"]}},
                           action["_source"]]
        for item in client.store.bulk(operations)["items"]:
            yield item["index"]["status"] < 300, item
    return streaming_bulk


def report(adb, available, second):
    at = datetime.now(timezone.utc).replace(second=second, microsecond=0)
    reports.apply_report(adb, "test:full", [{
        "level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
        "available": available, "status": "open",
        "reported_at": at.isoformat().replace("+00:00", "Z")}], "key:t", FAC["beds"],
        partial=True)


@pytest.fixture
def run(tmp_path, monkeypatch):
    """An index run whose `during_swap` hook runs after the snapshot, before the alias
    moves (at put_settings)."""
    path = str(tmp_path / "availability.sqlite")
    adb = AvailabilityDB(path)
    hooks = []

    class Indices(RecordingIndicesDouble):
        def put_settings(self, index, settings):
            super().put_settings(index, settings)
            for hook in hooks:
                hook()

    client = DocsClientDouble(Indices(OLD, alias_on=[OLD[1]]))
    monkeypatch.setattr(es_writer.helpers, "streaming_bulk", bulk_into(client))
    monkeypatch.setattr(es_writer, "REPLAY_ATTEMPTS", 1)
    settings = Settings(elasticsearch_url="http://unused", availability_path=path)

    def index_run():
        with ElasticsearchIndexWriter(client, settings, now=NOW) as writer:
            writer.add(FAC)
            writer.commit()

    return adb, client, hooks, index_run


def test_a_report_made_during_the_swap_reaches_the_new_index(run):
    adb, client, hooks, index_run = run
    report(adb, 2, 1)
    hooks.append(lambda: report(adb, 7, 2))  # after the snapshot, before the alias moves
    index_run()
    assert client.open_beds(NEW) == 7
    # The document's version is the newest change's outbox seq; the position follows.
    newest = outbox.last_seq(adb.read())
    assert client.store.version("test:full", NEW) == newest
    assert outbox.position(adb.read(), sync.target(NEW)) == newest


def test_documents_carry_the_snapshot_position_as_their_external_version(run):
    adb, client, _, index_run = run
    report(adb, 3, 1)
    report(adb, 4, 2)
    index_run()
    snapshot = outbox.last_seq(adb.read())
    assert client.store.version("test:full", NEW) == snapshot == 2
    assert client.open_beds(NEW) == 4
    # An older change pushed late (say by a slow worker) cannot replace it.
    stale = sync.push(client, NEW, {"test:full": 1}, lambda _fid: [])
    assert stale.stale == ["test:full"] and client.open_beds(NEW) == 4


def test_a_replay_the_cluster_refuses_is_made_by_the_next_sync_from_the_snapshot(run):
    adb, client, hooks, index_run = run
    report(adb, 2, 1)

    def report_then_refuse():
        report(adb, 7, 2)
        client.refuse_bulk = True  # the cluster stops taking writes before the replay

    hooks.append(report_then_refuse)
    index_run()  # swapped and serving; the replay failed and was logged, not raised
    assert client.open_beds(NEW) == 2
    assert outbox.position(adb.read(), sync.target(NEW)) == 1
    client.refuse_bulk = False
    done = sync.OutboxSync(client, "directory", adb).catch_up(index=NEW)
    assert done["pushed"] == 1 and client.open_beds(NEW) == 7


def test_a_replay_finding_the_sync_lease_held_leaves_the_rows_to_its_holder(run):
    """Issue 24: one outbox consumer. An API worker holds the lease, so the indexer's
    replay pushes nothing; the holder's next batch replays from the snapshot."""
    adb, client, hooks, index_run = run
    report(adb, 2, 1)
    worker = 4242
    assert outbox.take_lease(adb, sync.lease_name("directory"), worker, 30)[0]
    hooks.append(lambda: report(adb, 7, 2))
    index_run()
    assert client.open_beds(NEW) == 2
    assert outbox.position(adb.read(), sync.target(NEW)) == 1
    done = sync.OutboxSync(client, "directory", adb, holder=worker).catch_up(index=NEW)
    assert done["pushed"] == 1 and client.open_beds(NEW) == 7
