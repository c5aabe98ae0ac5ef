"""The search answer is served without a marshmallow dump (issue 15: the dump cost a third
of each request). That is only safe while dumping the body would change nothing: same
keys, same values, same JSON types (an int where the schema says Float would be 1.0).
These searches cover every kind, filters, beds and paging; each served body must be a
fixed point of SearchResponseSchema.dump, byte for byte as JSON."""
import json

import pytest

from directory_service.api.http_cache import _answer_deadlines
from directory_service.schemas.search import SearchArgs, SearchResponseSchema

SEARCHES = [
    "near=60540",
    "near=Chicago, IL&radius=40&per_page=50",
    "near=60540&kind=treatment_facility&level_of_care=detox&payment=medicaid",
    "near=60540&kind=treatment_facility&has_open_beds=true&gender=men&age=30",
    "near=Aurora, IL&kind=meeting&day=0,1,2&attendance=online,hybrid",
    "near=Joliet, IL&kind=naloxone_site&open_now=true",
    "near=Elgin, IL&kind=takeback_site&page=2&per_page=5",
    "lat=41.75&lon=-88.15&radius=50&unit=km&q=recovery",
    "near=60540&kind=meeting&starts_within=10080",
]


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize("query", SEARCHES)
def test_served_body_is_what_the_schema_dump_would_serve(client, query):
    response = client.get(f"/v1/search?{query}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["results"], "a search with no hits proves nothing here"
    assert canonical(SearchResponseSchema().dump(body)) == canonical(body)


def test_a_body_the_dump_would_change_is_caught():
    """The check above can fail: an int score is a float once dumped."""
    body = {"total": 1, "page": 1, "per_page": 10, "total_pages": 1,
            "origin": {"lat": 41.8, "lon": -88.1, "precision": "exact", "label": "point"},
            "results": [{"id": "a", "kind": "meeting", "name": "A", "distance_m": 1.0,
                         "distance_mi": 0.0, "score": 1, "components": {}, "beds_open": None,
                         "record": {}}]}
    assert canonical(SearchResponseSchema().dump(body)) != canonical(body)


def test_one_search_args_instance_loads_requests_independently(client):
    """The parser's schema is built once and reused: one request's values never leak
    into the next (defaults come back, errors are per request)."""
    first = client.get("/v1/search?near=60540&kind=meeting&day=1&radius=5")
    second = client.get("/v1/search?near=60540")
    assert first.status_code == second.status_code == 200
    assert second.get_json()["total"] >= first.get_json()["total"]
    bad = client.get("/v1/search?near=60540&page=1&page=2")
    assert bad.status_code == 422
    assert client.get("/v1/search?near=60540&page=2").status_code == 200


def test_deadlines_are_found_at_any_depth():
    settings = type("S", (), {"fresh_hours": 1, "stale_hours": 2})()
    body = {"a": [{"b": {"reported_at": "2026-01-01T00:00:00Z", "freshness": "fresh"}}],
            "c": {"changes_at": "2026-01-01T05:00:00Z", "d": [[{"changes_at": "2026-01-01T06:00:00Z"}]]},
            "e": {"reported_at": "2026-01-01T00:00:00Z"}}
    base = 1767225600.0
    assert sorted(_answer_deadlines(body, settings)) == [
        base + 3600, base + 7200, base + 5 * 3600, base + 6 * 3600]
