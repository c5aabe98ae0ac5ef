"""The Elasticsearch store's build identity, read from the mapping it already fetches."""
from directory_service.config import Settings
from directory_service.search.elastic import store as es_store
from directory_service.search.elastic.store import ElasticsearchStore


class FakeIndices:
    def __init__(self):
        self.index, self.built_at = "dirsvc-20261116t180000000000", "2026-11-16T18:00"
        self.calls = []

    def get_mapping(self, index):
        self.calls.append(index)
        return {self.index: {"mappings": {"_meta": {"built_at": self.built_at, "zones": []}}}}


class FakeClient:
    def __init__(self):
        self.indices = FakeIndices()

    def info(self):
        return {"version": {"number": "8.13.4"}}


def test_build_id_is_the_index_behind_the_alias_and_follows_a_swap(monkeypatch):
    client, clock = FakeClient(), [1000.0]
    monkeypatch.setattr(es_store.time, "monotonic", lambda: clock[0])
    store = ElasticsearchStore(client, Settings(elasticsearch_index_prefix="dirsvc"))
    first = store.build_id()
    assert first == "elasticsearch:dirsvc-20261116t180000000000:2026-11-16T18:00"
    assert client.indices.calls == ["dirsvc"]
    client.indices.index = "dirsvc-20261117t090000000000"
    client.indices.built_at = "2026-11-17T09:00"
    assert store.build_id() == first  # the mapping is cached, as for the time zones
    clock[0] += es_store.META_TTL_S + 1
    assert store.build_id() == "elasticsearch:dirsvc-20261117t090000000000:2026-11-17T09:00"


def test_live_changes_settle_after_the_refresh_interval():
    # es_writer sets refresh_interval 1s: a live update is searchable within it.
    assert ElasticsearchStore.live_settle_s >= 1.0
