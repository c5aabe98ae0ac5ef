"""The coach app's HTTP: compact view, ETag + 304, Cache-Control, CORS and gzip."""
import gzip
import json

import pytest

from directory_service import create_app

SEARCH = "/v1/search?near=60540&kind=treatment_facility&level_of_care=detox&has_open_beds=true"


def test_compact_view_is_the_same_search_in_small(client):
    full = client.get(SEARCH).get_json()
    compact = client.get(SEARCH + "&view=compact").get_json()
    assert compact["total"] == full["total"] > 0
    assert [h["id"] for h in compact["results"]] == [h["id"] for h in full["results"]]
    hit, same = compact["results"][0], full["results"][0]
    assert "record" not in hit and "distance_m" not in hit
    assert {role: p["text"] for role, p in hit["phones"].items()} == {
        role: text for role, text in same["record"]["phones"].items() if text}
    # age_seconds may tick between the two requests; everything else is the same figure.
    strip = (lambda figure: {k: v for k, v in figure.items() if k != "age_seconds"})
    assert strip(hit["beds_open"]) == strip(same["beds_open"])
    assert len(client.get(SEARCH + "&view=compact").data) < len(client.get(SEARCH).data) / 2


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


@pytest.fixture
def cors_app(settings):
    from dataclasses import replace

    app = create_app(replace(settings, cors_origins=("https://coach.example",)))
    yield app
    app.extensions["store"].close()


def test_cors_only_for_configured_origins(cors_app):
    client = cors_app.test_client()
    allowed = client.get(SEARCH, headers={"Origin": "https://coach.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://coach.example"
    exposed = {h.strip() for h in allowed.headers["Access-Control-Expose-Headers"].split(",")}
    # The app reads the next export page (Link) and when to retry (Retry-After) too.
    assert {"ETag", "Location", "Link", "Retry-After"} <= exposed
    other = client.get(SEARCH, headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    page = client.get("/", headers={"Origin": "https://coach.example"})
    assert "Access-Control-Allow-Origin" not in page.headers


def _vary(response):
    return {v.strip().lower() for v in ",".join(response.headers.getlist("Vary")).split(",")}


@pytest.mark.parametrize("origin", ["https://coach.example", "https://elsewhere.example", None])
def test_api_answers_vary_by_origin_whatever_the_origin(cors_app, origin):
    """With one configured origin flask-cors adds no Vary; a shared cache (the answers are
    public) would then hand an answer without CORS headers to the coach's app, or back."""
    client = cors_app.test_client()
    headers = {"Origin": origin} if origin else {}
    first = client.get(SEARCH, headers=headers)
    assert {"origin", "accept-encoding"} <= _vary(first)
    not_modified = client.get(SEARCH, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert not_modified.status_code == 304 and "origin" in _vary(not_modified)
    assert "origin" in _vary(client.get("/v1/resources/seed:fac-001", headers=headers))


def test_preflight_allows_cancelling_a_hold_with_delete(cors_app):
    client = cors_app.test_client()
    preflight = client.options("/v1/holds/h_0123456789abcdef", headers={
        "Origin": "https://coach.example", "Access-Control-Request-Method": "DELETE",
        "Access-Control-Request-Headers": "Authorization"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://coach.example"
    methods = {m.strip() for m in preflight.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PUT", "DELETE"} <= methods
    assert preflight.headers["Access-Control-Allow-Headers"].lower() == "authorization"
    assert int(preflight.headers["Access-Control-Max-Age"]) > 0
    assert "origin" in _vary(preflight)


@pytest.mark.parametrize("method, headers", [
    ("PUT", "Authorization, Content-Type, If-Match"),
    ("GET", "If-None-Match"),
])
def test_preflight_allows_the_headers_of_conditional_requests(cors_app, method, headers):
    preflight = cors_app.test_client().options(
        "/v1/facilities/seed:fac-001/beds", headers={
            "Origin": "https://coach.example", "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers})
    allowed = {h.strip().lower() for h in
               preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {h.strip().lower() for h in headers.split(",")}


def test_preflight_from_another_origin_is_refused(cors_app):
    preflight = cors_app.test_client().options("/v1/holds/h_0123456789abcdef", headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "DELETE"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert "Access-Control-Allow-Methods" not in preflight.headers


def test_a_cross_origin_delete_cancels_the_hold(cors_app):
    from directory_service.availability import keys

    client = cors_app.test_client()
    _, key = keys.create(cors_app.extensions["availability"], "coach")
    auth = {"Authorization": f"Bearer {key}", "Origin": "https://coach.example"}
    hold = client.post("/v1/facilities/seed:fac-001/holds", headers=auth,
                       json={"level_of_care": "3.7-WM", "population": "adult_men"})
    assert hold.status_code == 201, hold.get_json()
    cancelled = client.delete(f"/v1/holds/{hold.get_json()['id']}", headers=auth)
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    assert cancelled.headers["Access-Control-Allow-Origin"] == "https://coach.example"


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
