"""The search API through Flask's test client, over the seed directory."""
import logging

import pytest

NAPERVILLE_DETOX = "/v1/search?near=60540&kind=treatment_facility&level_of_care=3.7-WM&payment=medicaid"


def test_the_readme_query_returns_ranked_facilities_near_naperville(client):
    response = client.get(NAPERVILLE_DETOX)
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] >= 4 and body["origin"]["precision"] == "zip"
    hits = body["results"]
    assert all(h["kind"] == "treatment_facility" for h in hits)
    assert all("3.7-WM" in h["record"]["levels_of_care"] for h in hits)
    assert all("medicaid" in h["record"]["payment"] for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    first = hits[0]
    assert set(first["components"]) == {"distance", "capacity", "payment", "level_of_care"}
    assert first["distance_mi"] == pytest.approx(first["distance_m"] / 1609.344, abs=0.01)
    assert first["distance_mi"] < 25
    assert first["beds_open"]["freshness"] in ("fresh", "aging", "stale", "unknown")


def test_origin_is_coarsened_in_the_response(client):
    body = client.get("/v1/search?lat=41.771234&lon=-88.153456").get_json()
    assert body["origin"] == {"lat": 41.77, "lon": -88.15, "precision": "exact",
                              "label": "point"}


def test_city_state_origin_resolves_offline(client):
    body = client.get("/v1/search?near=Joliet,%20IL&kind=takeback_site").get_json()
    assert body["origin"]["precision"] == "city" and body["total"] > 0


@pytest.mark.parametrize("url, field", [
    ("/v1/search?lat=95&lon=-88", "lat"),
    ("/v1/search?near=60540&ditance=5", "ditance"),
    ("/v1/search?lat=41.7", "lon"),
    ("/v1/search", "near"),
    ("/v1/search?near=60540&payment=bitcoin", "payment"),
    ("/v1/search?near=60540&level_of_care=9.9", "level_of_care"),
    ("/v1/search?near=60540&radius=9000&unit=km", "radius"),
    ("/v1/search?near=60540&per_page=1000", "per_page"),
    ("/v1/search?near=00000", "near"),
    # A street address naming no city (no geocoder here): docs/places.md.
    ("/v1/search?near=123%20Main%20St", "near"),
    ("/v1/search?near=123%20Main%20St%2C%20Nowhereville", "near"),
    ("/v1/search?near=60540&day=9", "day"),
])
def test_bad_requests_name_the_field_in_problem_json(client, url, field):
    response = client.get(url)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 422 and field in body["errors"]


def test_unknown_resource_is_404_problem(client):
    response = client.get("/v1/resources/seed:nope")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_resource_by_id_carries_bed_freshness(client):
    hit = client.get(NAPERVILLE_DETOX).get_json()["results"][0]
    record = client.get(f"/v1/resources/{hit['id']}").get_json()
    assert record["id"] == hit["id"]
    assert all("freshness" in bed and "age_seconds" in bed for bed in record["beds"])


def test_uninsured_query_only_returns_facilities_serving_uninsured_people(client):
    body = client.get("/v1/search?near=60540&kind=treatment_facility&payment=uninsured"
                      "&per_page=50&radius=100").get_json()
    assert body["total"] > 0
    serving = {"free", "sliding_fee", "payment_assistance", "state_funded", "self_pay"}
    assert all(serving & set(h["record"]["payment"]) for h in body["results"])


def test_meeting_filters_and_pagination(client):
    first = client.get("/v1/search?near=60540&kind=meeting&radius=60&per_page=5").get_json()
    second = client.get("/v1/search?near=60540&kind=meeting&radius=60&per_page=5&page=2").get_json()
    assert first["total"] == second["total"] > 10
    assert not {h["id"] for h in first["results"]} & {h["id"] for h in second["results"]}
    sunday_online = client.get("/v1/search?near=60540&kind=meeting&radius=60&day=0"
                               "&attendance=online,hybrid&per_page=50").get_json()
    assert all(h["record"]["day"] == 0 and h["record"]["attendance"] != "in_person"
               for h in sunday_online["results"])


def test_vocabularies_and_openapi(client):
    vocab = client.get("/v1/vocabularies").get_json()
    assert "3.7-WM" in [c["code"] for c in vocab["levels_of_care"]]
    assert vocab["ranking"]["weights"]["distance"] > 0
    spec = client.get("/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]}
    assert {"lat", "lon", "near", "radius", "payment", "level_of_care", "day"} <= params
    assert client.get("/docs").status_code == 200


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["records"] > 200


def test_missing_store_gives_503_problem_not_a_stack_trace(tmp_path):
    from directory_service import create_app
    from directory_service.config import Settings

    app = create_app(Settings(store_path=str(tmp_path / "absent.sqlite")))
    client = app.test_client()
    assert client.get("/readyz").status_code == 503
    response = client.get("/v1/search?near=60540")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "Traceback" not in response.get_data(as_text=True)


def test_search_logs_only_coarse_location(client, caplog):
    with caplog.at_level(logging.DEBUG):
        client.get("/v1/search?lat=41.771234&lon=-88.153456&q=detox")
    text = caplog.text
    assert "41.771234" not in text and "88.153456" not in text and "detox" not in text
    assert "41.77" in text


def test_a_store_built_by_another_version_is_refused_until_rebuilt(tmp_path, seed_store_path):
    import shutil
    import sqlite3

    from directory_service import create_app
    from directory_service.config import Settings

    old = str(tmp_path / "old.sqlite")
    shutil.copy(seed_store_path, old)
    with sqlite3.connect(old) as db:
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    client = create_app(Settings(store_path=old)).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "re-run the indexer" in json_text(ready)
    response = client.get("/v1/search?near=60540&open_now=true")
    assert response.status_code == 503 and response.mimetype == "application/problem+json"


def json_text(response):
    return response.get_data(as_text=True)
