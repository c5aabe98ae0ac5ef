"""Issue 12, finding 1: with Elasticsearch, every output reads live rows merged into the
record by the embedded store's own merge (live_overlay.merge_live): search hits, GET and
PUT /v1/facilities/{id}/beds, /v1/match, GET /v1/resources/{id} and exports.

No server runs here. `IndexDouble` (tests/es_doubles.py) is a recording test double at
the client seam, NOT Elasticsearch: it keeps versioned documents, applies bulk writes and
answers a search with every document it holds (it evaluates no query). It only lets the
API's read path run; what a real cluster selects is covered by the golden bodies and the
behaviour suite.
"""
import pytest

from directory_service import create_app
from directory_service.config import Settings
from tests import factories
from tests.es_doubles import VersionedIndexDouble
from tests.test_live_support import NAPERVILLE, bearer, report, row


# The recording double at the client seam (tests/es_doubles.py), not Elasticsearch.
IndexDouble = VersionedIndexDouble


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
