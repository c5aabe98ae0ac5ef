"""What the Elasticsearch store sends for an export page: the exact request bodies, in
order, for a page that starts after an id and stops at a limit (no server needed)."""
from datetime import datetime, timezone

from directory_service.config import Settings
from directory_service.search.elastic.query import build_scan_body
from directory_service.search.elastic.store import SCAN_PAGE, ElasticsearchStore


class FakeClient:
    """Answers searches from a sorted list of ids, as search_after would, and records
    every request body."""

    def __init__(self, ids):
        self.ids, self.bodies, self.closed = sorted(ids), [], []

    def info(self):
        return {"version": {"number": "8.15.0"}}

    def open_point_in_time(self, index, keep_alive):
        return {"id": "pit-1"}

    def close_point_in_time(self, id):
        self.closed.append(id)

    def search(self, body):
        self.bodies.append(body)
        after = (body.get("search_after") or [""])[0]
        rows = [i for i in self.ids if i > after][:body["size"]]
        return {"pit_id": "pit-1", "hits": {"hits": [
            {"_source": {"record": {"id": i}}, "sort": [i]} for i in rows]}}


def test_scan_body_for_a_page_after_an_id():
    moment = datetime(2026, 11, 1, tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
    assert build_scan_body(("meeting",), moment, "seed:m-9", 250) == {
        "query": {"bool": {"filter": [{"terms": {"kind": ["meeting"]}},
                                      {"range": {"updated_at": {"gt": "2026-11-01T00:00:00Z"}}}]}},
        "sort": [{"id": {"order": "asc"}}], "size": 250, "_source": ["record"],
        "track_total_hits": False, "search_after": ["seed:m-9"]}


def test_a_limited_scan_asks_for_no_more_than_the_limit_and_starts_after_the_cursor():
    ids = [f"t:{i:05d}" for i in range(5000)]
    client = FakeClient(ids)
    store = ElasticsearchStore(client, Settings(elasticsearch_url="http://es.invalid"))
    got = [r["id"] for r in store.scan(after="t:00099", limit=2 * SCAN_PAGE + 1)]
    assert got == ids[100:100 + 2 * SCAN_PAGE + 1]
    assert [b["size"] for b in client.bodies] == [SCAN_PAGE, SCAN_PAGE, 1]
    assert [b["search_after"] for b in client.bodies] == [
        ["t:00099"], [ids[99 + SCAN_PAGE]], [ids[99 + 2 * SCAN_PAGE]]]
    assert all(b["pit"] == {"id": "pit-1", "keep_alive": "2m"} for b in client.bodies)
    assert client.closed == ["pit-1"]


def test_an_unlimited_scan_reads_to_the_end_in_full_pages():
    client = FakeClient([f"t:{i:04d}" for i in range(SCAN_PAGE + 3)])
    store = ElasticsearchStore(client, Settings(elasticsearch_url="http://es.invalid"))
    assert len(list(store.scan())) == SCAN_PAGE + 3
    assert [b["size"] for b in client.bodies] == [SCAN_PAGE, SCAN_PAGE]
    assert "search_after" not in client.bodies[0]
