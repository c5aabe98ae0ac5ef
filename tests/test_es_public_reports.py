"""Public reports with Elasticsearch (issue 22, item 3): the request body filters out records
confirmed closed and multiplies the score of records with confirmed problems by the same
factor the embedded store uses; records and hits carry the same `reported_problems`.

No server runs here. `VersionedIndexDouble` (tests/es_doubles.py) is a recording test
double at the client seam, NOT Elasticsearch: it answers a search with every document it
holds and evaluates no query, so what a real cluster selects is pinned by the golden body
(and by tests/test_es_parity.py, which runs whenever ELASTICSEARCH_URL is set).
"""
import pytest

from directory_service import create_app, ranking
from directory_service.availability import public_reports
from directory_service.config import Settings
from directory_service.search.elastic.query import build_search_body
from tests import factories
from tests.es_doubles import VersionedIndexDouble
from tests.es_golden import matches_golden
from tests.test_es_query import query
from tests.test_live_support import NAPERVILLE, bearer, row

RECORDS = [factories.facility("a", km=1, beds=[row(available=2)]),
           factories.facility("b", km=2, beds=[row(available=2)])]


def test_without_reports_the_body_is_the_one_it_always_was():
    plain = build_search_body(query(kinds=("treatment_facility",)), Settings())
    same = build_search_body(query(kinds=("treatment_facility",)), Settings(), (), {})
    assert same == plain and "script_score" in plain["query"]


def test_closed_ids_are_filtered_and_problems_multiply_the_score():
    body = build_search_body(query(kinds=("treatment_facility",)), Settings(),
                             closed=["test:z", "test:y"],
                             problems={"test:a": 1, "test:c": 2, "test:b": 1})
    assert matches_golden("queries", "search_public_reports.json", body), (
        "body with public reports changed; review, then REGENERATE_GOLDEN=1 to accept")
    scored = body["query"]["function_score"]
    assert scored["boost_mode"] == "multiply" and scored["score_mode"] == "multiply"
    assert [(f["filter"]["terms"]["id"], f["weight"]) for f in scored["functions"]] == [
        (["test:a", "test:b"], ranking.CONFIRMED_PROBLEM_FACTOR),
        (["test:c"], ranking.CONFIRMED_PROBLEM_FACTOR ** 2)]
    hard = scored["query"]["script_score"]["query"]["bool"]["filter"]
    assert {"bool": {"must_not": [{"terms": {"id": ["test:y", "test:z"]}}]}} in hard


@pytest.fixture
def es_app(tmp_path):
    settings = Settings.from_env(elasticsearch_url="http://es.invalid:9200",
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    app.config["TESTING"] = True
    app.extensions["store"].client = VersionedIndexDouble(RECORDS)
    return app


def _search(client):
    return client.get("/v1/search", query_string={**NAPERVILLE, "kind": "treatment_facility"})


def _sent_body(app):
    return [kw["body"] for op, kw in app.extensions["store"].client.calls if op == "search"][-1]


def test_confirmed_reports_reach_the_request_and_every_output(es_app):
    client, admin = es_app.test_client(), bearer(es_app, "admin")
    adb = es_app.extensions["availability"]
    phone = public_reports.create(adb, "test:a", "phone")
    closed = public_reports.create(adb, "test:b", "closed")
    # Open reports: the caution on the record, nothing in the request yet.
    hits = {h["id"]: h for h in _search(client).get_json()["results"]}
    assert hits["test:a"]["record"]["reported_problems"]["may_be_out_of_date"] is True
    assert "function_score" not in _sent_body(es_app)["query"]
    for report in (phone, closed):
        assert client.post(f"/v1/reports/{report['id']}/confirm", headers=admin).status_code == 200
    hits = {h["id"]: h for h in _search(client).get_json()["results"]}
    body = _sent_body(es_app)
    functions = body["query"]["function_score"]["functions"]
    assert functions == [{"filter": {"terms": {"id": ["test:a"]}}, "weight": 0.5}]
    hard = body["query"]["function_score"]["query"]["script_score"]["query"]["bool"]["filter"]
    assert {"bool": {"must_not": [{"terms": {"id": ["test:b"]}}]}} in hard
    # The double returns every document; the hit shows the same factor as the embedded store.
    assert hits["test:a"]["components"]["confirmed_problems"] == 0.5
    record = client.get("/v1/resources/test:b").get_json()
    assert record["active"] is False and record["reported_problems"]["closed"] is True
    exported = {r["id"]: r for r in es_app.extensions["store"].scan()}
    assert exported["test:a"]["reported_problems"]["confirmed"] == 1
