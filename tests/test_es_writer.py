"""The alias-swap choreography of the Elasticsearch index writer, with a recording test double.

`RecordingIndicesDouble` is not Elasticsearch: it only remembers which indices exist, which
aliases point where and which calls were made, as warehouse's reindex tests do, so the
order of steps (create with refresh off, load, refresh, count, one alias update, delete
old versions) and the "failed run leaves the alias untouched" rule can be checked here.
"""
from datetime import datetime, timezone

import pytest

from directory_service.config import Settings
from directory_service.search.elastic.writer import (
    ElasticsearchIndexWriter, bulk_failures, swap_alias)
from directory_service.search.store import IndexRejected
from tests.es_golden import load

NOW = datetime(2026, 11, 16, 18, 0, tzinfo=timezone.utc)
OLD = ["directory-20261001t000000000000", "directory-20261101t000000000000"]
NEW = "directory-20261116t180000000000"


class RecordingIndicesDouble:
    def __init__(self, names, alias_on):
        self.aliases = {name: set() for name in names}
        for name in alias_on:
            self.aliases[name].add("directory")
        self.calls = []

    def _record(self, call, **kwargs):
        self.calls.append((call, kwargs))

    def exists_alias(self, name):
        return any(name in a for a in self.aliases.values())

    def get_alias(self, name, ignore_unavailable=False):
        return {i: {"aliases": {name: {}}} for i, a in self.aliases.items() if name in a}

    def get(self, index):
        prefix = index.rstrip("*")
        return {i: {} for i in self.aliases if i.startswith(prefix)}

    def update_aliases(self, actions):
        self._record("update_aliases", actions=actions)
        for action in actions:
            (verb, spec), = action.items()
            target = self.aliases[spec["index"]]
            target.add(spec["alias"]) if verb == "add" else target.discard(spec["alias"])

    def create(self, index, settings):
        self._record("create", index=index, settings=settings)
        self.aliases[index] = set()

    def delete(self, index, ignore_unavailable=False):
        self._record("delete", index=index)
        for name in index.split(","):
            self.aliases.pop(name, None)

    def put_index_template(self, name, **template):
        self._record("put_index_template", name=name, patterns=template["index_patterns"])

    def put_settings(self, index, settings):
        self._record("put_settings", index=index, settings=settings)

    def refresh(self, index):
        self._record("refresh", index=index)

    def put_mapping(self, index, meta):
        self._record("put_mapping", index=index, meta=meta)


class RecordingClusterDouble:
    """Answers cluster health as a cluster whose shards are all active (or, with
    `timed_out`, as one whose wait ran out: Elasticsearch's 408 body)."""

    def __init__(self, timed_out=False):
        self.calls, self.timed_out = [], timed_out

    def health(self, **kwargs):
        self.calls.append(("health", kwargs))
        if self.timed_out:
            return {"timed_out": True, "status": "red", "unassigned_shards": 1,
                    "initializing_shards": 0}
        return {"timed_out": False, "status": kwargs.get("wait_for_status", "green")}


class RecordingClientDouble:
    """Answers `info` and `count` from fixtures and hands out the indices double."""

    def __init__(self, indices, count=0, cluster=None):
        self.indices, self._count = indices, count
        self.cluster = cluster or RecordingClusterDouble()
        self.option_calls = []

    def options(self, **kwargs):
        self.option_calls.append(kwargs)
        return self

    def info(self):
        return load("es_responses", "info_8.json")

    def count(self, index):
        return {"count": self._count}


def serving(indices):
    return sorted(i for i, a in indices.aliases.items() if "directory" in a)


def test_swap_is_one_alias_update_then_old_versions_are_deleted():
    indices = RecordingIndicesDouble(OLD + [NEW, "directory-other-20260101t000000000000"],
                                     alias_on=[OLD[1]])
    deleted = swap_alias(indices, "directory", NEW, keep_versions=1)
    assert indices.calls[0] == ("update_aliases", {"actions": [
        {"remove": {"index": OLD[1], "alias": "directory"}},
        {"add": {"index": NEW, "alias": "directory"}}]})
    assert deleted == [OLD[0]]
    assert serving(indices) == [NEW]
    # Another prefix's indices are never touched by this alias's clean-up.
    assert "directory-other-20260101t000000000000" in indices.aliases


def test_commit_loads_with_refresh_off_and_swaps_after_refresh_and_count(tmp_path):
    indices = RecordingIndicesDouble(OLD, alias_on=[OLD[1]])
    settings = Settings(elasticsearch_url="http://unused", availability_path=str(tmp_path / "a.db"),
                        elasticsearch_keep_versions=1)
    with ElasticsearchIndexWriter(RecordingClientDouble(indices), settings, now=NOW) as writer:
        assert writer.commit({"sources": "[]"}) == 0
    steps = [name for name, _ in indices.calls]
    assert steps == ["put_index_template", "create", "put_settings", "refresh", "put_mapping",
                     "update_aliases", "delete"]
    assert indices.calls[1][1]["settings"] == {"refresh_interval": "-1"}
    assert serving(indices) == [NEW]
    assert ("delete", {"index": OLD[0]}) in indices.calls and OLD[1] in indices.aliases


def test_refused_items_fail_the_run_delete_the_new_index_and_leave_the_alias():
    indices = RecordingIndicesDouble(OLD, alias_on=[OLD[1]])
    settings = Settings(elasticsearch_url="http://unused")
    response = load("es_responses", "bulk_with_item_errors.json")
    pairs = [(200 <= next(iter(i.values()))["status"] < 300, i) for i in response["items"]]
    with pytest.raises(IndexRejected, match="refused 2 records, first seed:fac-002"):
        with ElasticsearchIndexWriter(RecordingClientDouble(indices), settings, now=NOW) as writer:
            writer.item_errors += bulk_failures(pairs)
            writer.commit()
    assert writer.item_errors[1][0] == "seed:mtg-007"
    assert ("delete", {"index": NEW}) in indices.calls
    assert "update_aliases" not in [name for name, _ in indices.calls]
    assert serving(indices) == [OLD[1]] and NEW not in indices.aliases


def test_count_mismatch_fails_the_run_and_leaves_the_alias(tmp_path):
    indices = RecordingIndicesDouble(OLD, alias_on=[OLD[1]])
    settings = Settings(elasticsearch_url="http://unused", availability_path=str(tmp_path / "a.db"))
    writer = ElasticsearchIndexWriter(RecordingClientDouble(indices, count=5), settings, now=NOW)
    with pytest.raises(IndexRejected, match="5 documents"):
        with writer:
            writer.commit()
    assert serving(indices) == [OLD[1]] and NEW not in indices.aliases
