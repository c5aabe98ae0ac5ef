"""Issue 12, finding 1: with Elasticsearch, every output reads live rows merged into the
record by the embedded store's own merge (live_overlay.merge_live): search hits, GET and
PUT /v1/facilities/{id}/beds, /v1/match, GET /v1/resources/{id} and exports.

No server runs here. `IndexDouble` is a recording test double at the client seam, NOT
Elasticsearch: it keeps documents by id, applies partial updates and answers a search
with every document it holds (it evaluates no query). It only lets the API's read path
run; what a real cluster selects is covered by the golden bodies and the behaviour suite.
"""
import copy

import pytest

from directory_service import create_app
from directory_service.config import Settings
from directory_service.search.elastic.client import NotFoundError
from directory_service.search.elastic.mapping import document
from tests import factories
from tests.test_live_support import NAPERVILLE, bearer, report, row


class _Meta:
    status = 404


class IndexDouble:
    """A recording stand-in for the Elasticsearch client (a double, see module doc)."""

    def __init__(self, records):
        self.docs = {r["id"]: document(r) for r in records}
        self.calls = []

    def info(self):
        return {"version": {"number": "8.15.0"}}

    def get_mapping(self, index):
        return {"dir-1": {"mappings": {"_meta": {"zones": ["America/Chicago"]}}}}

    @property
    def indices(self):
        return self

    def get(self, index, id, source_includes=None):
        self.calls.append(("get", id))
        if id not in self.docs:
            raise NotFoundError("not found", _Meta(), {})
        return {"_id": id, "_seq_no": 1, "_primary_term": 1,
                "_source": copy.deepcopy(self.docs[id])}

    def update(self, index, id, doc, **_):
        self.calls.append(("update", id, doc))
        self.docs[id].update(copy.deepcopy(doc))

    def search(self, index=None, body=None):
        self.calls.append(("search", body))
        hits = [{"_id": i, "_score": 1.0, "sort": [1.0, 1000.0, i],
                 "_source": {"record": copy.deepcopy(d["record"]),
                             "beds_by_level": copy.deepcopy(d["beds_by_level"])}}
                for i, d in sorted(self.docs.items())]
        if body and "pit" in body:
            return {"pit_id": "p", "hits": {"hits": [
                {**h, "sort": [h["_id"]]} for h in hits if h["_id"] > (body.get(
                    "search_after") or [""])[0]][:body["size"]]}}
        return {"hits": {"total": {"value": len(hits)}, "hits": hits}}

    def open_point_in_time(self, index, keep_alive):
        return {"id": "p"}

    def close_point_in_time(self, id):
        pass

    def close(self):
        pass


FULL = factories.facility("full", km=1, beds=[row(available=0)])


@pytest.fixture
def es_app(tmp_path):
    settings = Settings.from_env(elasticsearch_url="http://es.invalid:9200",
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    app.config["TESTING"] = True
    app.extensions["store"].client = IndexDouble([FULL])
    return app


def test_a_live_report_shows_in_every_output_of_the_elasticsearch_store(es_app):
    client = es_app.test_client()
    key = bearer(es_app, "facility", "test:full")
    put = report(client, key, "test:full", [row(available=5)])
    assert put.status_code == 200, put.get_json()
    # PUT answers with the merged figures, and so does GET.
    assert put.get_json()["figures"]["3.7-WM"]["open"] == 5
    beds = client.get("/v1/facilities/test:full/beds").get_json()
    assert beds["figures"]["3.7-WM"]["open"] == 5
    assert [r["available"] for r in beds["rows"]] == [5]
    record = client.get("/v1/resources/test:full").get_json()
    assert [b["available"] for b in record["beds"]] == [5]
    hit = client.get(f"/v1/search?lat={NAPERVILLE['lat']}&lon={NAPERVILLE['lon']}"
                     "&kind=treatment_facility&level_of_care=3.7-WM").get_json()["results"][0]
    assert hit["beds_open"]["open"] == 5
    assert [b["available"] for b in hit["record"]["beds"]] == [5]
    matched = client.post("/v1/match", json={
        "near": "60540", "level_of_care": "3.7-WM", "gender": "men", "age": 30}).get_json()
    assert [m["id"] for m in matched["results"]] == ["test:full"]
    assert matched["results"][0]["beds_open"]["open"] == 5
    exported = es_app.extensions["store"].scan()
    assert [b["available"] for b in next(exported)["beds"]] == [5]


def test_without_live_rows_the_indexed_record_is_returned_unchanged(es_app):
    store = es_app.extensions["store"]
    assert store.get("test:full")["beds"] == FULL["beds"]


def test_the_embedded_store_exports_live_rows_too(tmp_path):
    from tests.test_live_support import make_app

    app = make_app(tmp_path, [FULL])
    client = app.test_client()
    assert report(client, bearer(app, "facility", "test:full"), "test:full",
                  [row(available=4)]).status_code == 200
    exported = list(app.extensions["store"].scan())
    assert [b["available"] for b in exported[0]["beds"]] == [4]


def test_a_conflict_re_reads_the_rows_so_a_stale_body_never_replaces_a_newer_one(es_app):
    """Finding 4: the rows were read once, before the version check, and a conflict
    resent the same body. Here a newer report commits while the first push is in flight
    (its update conflicts): the retry must carry the newer figures, not the old ones."""
    from datetime import datetime, timezone

    from directory_service.search.elastic.client import ConflictError

    from directory_service.availability import reports
    from directory_service.search.elastic.store import push_live_beds, fresh_rows

    double, adb = es_app.extensions["store"].client, es_app.extensions["availability"]
    stamp = datetime.now(timezone.utc).replace(microsecond=0)

    def report_open(available, seconds):
        moment = stamp.replace(second=seconds).isoformat().replace("+00:00", "Z")
        reports.apply_report(adb, "test:full", [{
            "level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
            "available": available, "status": "open", "reported_at": moment}],
            "key:test", FULL["beds"], partial=True)

    report_open(2, 1)
    real_update, conflicts = double.update, []

    def update_racing_a_newer_report(index, id, doc, **kw):
        if not conflicts:
            conflicts.append(doc)
            report_open(7, 2)  # committed and pushed elsewhere meanwhile
            raise ConflictError("version conflict", _Meta(), {})
        return real_update(index, id, doc, **kw)

    double.update = update_racing_a_newer_report
    assert push_live_beds(double, "dir", "test:full", lambda: fresh_rows(adb.read(), "test:full"))
    assert conflicts[0]["beds_by_level"]["3_7-WM__men"]["open"] == 2
    assert double.docs["test:full"]["beds_by_level"]["3_7-WM__men"]["open"] == 7
