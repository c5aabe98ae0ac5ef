"""Issue 24: overlapping index runs are serialised by a lease in the availability
database (a clear error for the second run), and the alias moves only once the new
index's shards are active (cluster health), with recording test doubles at the client
seam (tests/test_es_writer.py), NOT Elasticsearch.
"""
from datetime import timedelta

import pytest

from directory_service.availability import outbox
from directory_service.availability.db import AvailabilityDB, utcnow
from directory_service.config import Settings
from directory_service.search.elastic.writer import (
    RUN_LEASE_TTL_S, ElasticsearchIndexWriter, IndexRunBusy)
from directory_service.search.store import IndexRejected, StoreError
from tests.test_es_writer import (
    NEW, NOW, OLD, RecordingClientDouble, RecordingClusterDouble, RecordingIndicesDouble,
    serving)


def settings_for(tmp_path, **more):
    return Settings(elasticsearch_url="http://unused",
                    availability_path=str(tmp_path / "a.db"), **more)


def test_a_second_run_stops_before_creating_anything_while_the_first_runs(tmp_path):
    settings = settings_for(tmp_path)
    first_indices = RecordingIndicesDouble(OLD, alias_on=[OLD[1]])
    second_indices = RecordingIndicesDouble(OLD, alias_on=[OLD[1]])
    with ElasticsearchIndexWriter(RecordingClientDouble(first_indices), settings,
                                  now=NOW) as first:
        second = ElasticsearchIndexWriter(RecordingClientDouble(second_indices), settings,
                                          now=NOW + timedelta(seconds=1))
        with pytest.raises(IndexRunBusy, match="another index run for alias 'directory' "
                                               "is in progress") as refused:
            second.__enter__()
        assert isinstance(refused.value, StoreError)  # the indexer: one line, exit 2
        assert "create" not in [name for name, _ in second_indices.calls]
        first.commit()
    assert serving(first_indices) == [NEW]
    # Done (and released): the next run goes ahead.
    with ElasticsearchIndexWriter(RecordingClientDouble(second_indices), settings,
                                  now=NOW + timedelta(seconds=2)) as third:
        third.commit()


def test_a_failed_run_releases_its_lease(tmp_path):
    settings = settings_for(tmp_path)
    indices = RecordingIndicesDouble(OLD, alias_on=[OLD[1]])
    with pytest.raises(IndexRejected):
        with ElasticsearchIndexWriter(RecordingClientDouble(indices, count=5), settings,
                                      now=NOW) as writer:
            writer.commit()
    with ElasticsearchIndexWriter(RecordingClientDouble(indices), settings, now=NOW):
        pass


def test_a_dead_runs_lease_expires(tmp_path):
    settings = settings_for(tmp_path)
    adb = AvailabilityDB.from_settings(settings)
    dead = utcnow() - timedelta(seconds=RUN_LEASE_TTL_S + 1)
    assert outbox.take_lease(adb, "elasticsearch-index-run:directory", 5, RUN_LEASE_TTL_S,
                             now=dead)[0]
    adb.close()
    indices = RecordingIndicesDouble(OLD, alias_on=[OLD[1]])
    with ElasticsearchIndexWriter(RecordingClientDouble(indices), settings, now=NOW) as w:
        w.commit()
    assert serving(indices) == [NEW]


def test_the_alias_moves_only_after_the_shards_are_active(tmp_path):
    indices, cluster = RecordingIndicesDouble(OLD, alias_on=[OLD[1]]), RecordingClusterDouble()
    client = RecordingClientDouble(indices, cluster=cluster)
    settings = settings_for(tmp_path, elasticsearch_indexer_timeout_s=45.0)
    with ElasticsearchIndexWriter(client, settings, now=NOW) as writer:
        writer.commit()
    assert cluster.calls == [("health", {"index": NEW, "wait_for_status": "green",
                                         "timeout": "45s"})]
    # The 408 a timed-out wait answers is a body to read, not an exception.
    assert {"ignore_status": 408} in client.option_calls


def test_shards_that_never_become_active_fail_the_run_and_leave_the_alias(tmp_path):
    indices = RecordingIndicesDouble(OLD, alias_on=[OLD[1]])
    client = RecordingClientDouble(indices, cluster=RecordingClusterDouble(timed_out=True))
    settings = settings_for(tmp_path, elasticsearch_swap_health="yellow")
    with pytest.raises(IndexRejected, match=f"{NEW} did not reach yellow within 30s "
                                            r"\(status red, 1 unassigned shards"):
        with ElasticsearchIndexWriter(client, settings, now=NOW) as writer:
            writer.commit()
    assert client.cluster.calls[0][1]["wait_for_status"] == "yellow"
    assert "update_aliases" not in [name for name, _ in indices.calls]
    assert serving(indices) == [OLD[1]] and NEW not in indices.aliases
