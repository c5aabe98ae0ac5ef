"""The coach app's HTTP: compact view, ETag + 304, Cache-Control, CORS and gzip."""
import gzip
import json

import pytest

from directory_service import create_app

SEARCH = "/v1/search?near=60540&kind=treatment_facility&level_of_care=detox&has_open_beds=true"


def test_compact_view_has_only_what_a_phone_list_needs(client):
    full = client.get(SEARCH).get_json()
    compact = client.get(SEARCH + "&view=compact").get_json()
    assert compact["total"] == full["total"] > 0
    hit = compact["results"][0]
    assert set(hit) == {"id", "kind", "name", "distance_mi", "score", "beds_open", "phones",
                        "address"}
    same = full["results"][0]
    assert hit["id"] == same["id"] and hit["phones"] == same["record"]["phones"]
    # age_seconds may tick between the two requests; everything else is the same figure.
    strip = (lambda figure: {k: v for k, v in figure.items() if k != "age_seconds"})
    assert strip(hit["beds_open"]) == strip(same["beds_open"])


def test_view_is_validated(client):
    response = client.get(SEARCH + "&view=tiny")
    assert response.status_code == 422 and "view" in response.get_json()["errors"]


@pytest.mark.parametrize("url", [SEARCH, SEARCH + "&view=compact", "/v1/resources/seed:fac-001"])
def test_etag_and_304(client, url):
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert "max-age=30" in first.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    stale = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_gzip_with_its_own_etag_also_revalidates(client):
    first = client.get(SEARCH, headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(first.data))["total"] > 0
    again = client.get(SEARCH, headers={"Accept-Encoding": "gzip",
                                        "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_errors_are_not_cached(client):
    response = client.get("/v1/resources/seed:nope")
    assert response.status_code == 404 and "ETag" not in response.headers


def test_cors_only_for_configured_origins(settings):
    from dataclasses import replace

    app = create_app(replace(settings, cors_origins=("https://coach.example",)))
    try:
        client = app.test_client()
        allowed = client.get(SEARCH, headers={"Origin": "https://coach.example"})
        assert allowed.headers["Access-Control-Allow-Origin"] == "https://coach.example"
        assert "ETag" in allowed.headers["Access-Control-Expose-Headers"]
        other = client.get(SEARCH, headers={"Origin": "https://elsewhere.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
        page = client.get("/", headers={"Origin": "https://coach.example"})
        assert "Access-Control-Allow-Origin" not in page.headers
    finally:
        app.extensions["store"].close()


def test_no_cors_by_default(client):
    response = client.get(SEARCH, headers={"Origin": "https://coach.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_etag_ignores_only_the_ticking_age(app):
    from directory_service.api.http_cache import _add_semantic_etag

    def etag(body):
        with app.test_request_context():
            response = app.response_class(json.dumps(body), mimetype="application/json")
            _add_semantic_etag(response)
            return response.headers["ETag"]

    base = {"beds_open": {"open": 3, "age_seconds": 10, "freshness": "fresh"}}
    older = {"beds_open": {"open": 3, "age_seconds": 11, "freshness": "fresh"}}
    fewer = {"beds_open": {"open": 2, "age_seconds": 10, "freshness": "fresh"}}
    assert etag(base) == etag(older) != etag(fewer)
    assert etag(base).startswith('W/"')
