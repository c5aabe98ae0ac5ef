"""`POST /v1/match`: hard needs filter, preferences explain, stale and fallbacks on request."""
import pytest

from tests.test_live_support import NAPERVILLE, bearer, report

NEEDS = {"level_of_care": "detox", "payer": "uninsured", "gender": "men", "age": 30,
         **NAPERVILLE}


def match(client, **extra):
    response = client.post("/v1/match", json={**NEEDS, **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def test_only_fitting_open_fresh_beds_and_why(client):
    [hit] = match(client)
    # b takes only Medicaid, c only women, d is stale, e unknown, f has no detox level.
    assert hit["id"] == "test:a" and hit["fallback"] is False
    assert "payment: accepts sliding_fee (uninsured)" in hit["met"]
    assert "gender: serves men (any)" in hit["met"]
    assert any(m.startswith("open_beds: 1 open, fresh") for m in hit["met"])
    assert hit["unmet"] == []
    assert hit["beds_open"]["freshness"] == "fresh"


def test_preferences_show_as_unmet(client):
    [hit] = match(client, veteran=True, moud="methadone", language="es")
    assert "veterans: no veterans programme" in hit["unmet"]
    assert "language: does not list es" in hit["unmet"]
    assert "moud: methadone not dispensed on site" in hit["unmet"]
    assert "moud: accepts clients on methadone" in hit["met"]


def test_stale_only_when_asked(client):
    assert "test:d" not in [h["id"] for h in match(client)]
    stale = {h["id"]: h for h in match(client, include_stale=True)}
    assert stale["test:d"]["beds_open"]["freshness"] == "stale"


def test_fallbacks_are_flagged_and_have_a_phone(client):
    results = match(client, include_fallbacks=True)
    fallbacks = [h for h in results if h["fallback"]]
    assert [h["id"] for h in fallbacks] == ["test:d", "test:e"]
    assert all(h["phone"] for h in fallbacks)
    assert any(u.startswith("open_beds: none known open (unknown)") for u in fallbacks[1]["unmet"])


def test_a_hold_on_the_last_bed_removes_the_match(app, client):
    held = client.post("/v1/facilities/test:a/holds", headers=bearer(app, "coach"),
                       json={"level_of_care": "3.7-WM", "population": "adult_men"})
    assert held.status_code == 201
    assert match(client) == []


@pytest.mark.parametrize("body, field", [
    ({"level_of_care": "9.9"}, "level_of_care"),
    ({"payer": "bitcoin"}, "payer"),
    ({"lat": None, "lon": None, "near": None}, "lat"),
    ({"max_distance": 9999}, "max_distance"),
    ({"favourite_colour": "red"}, "favourite_colour"),
])
def test_bad_needs_are_422_naming_the_field(client, body, field):
    response = client.post("/v1/match", json={**NEEDS, **body})
    assert response.status_code == 422
    assert field in str(response.get_json()["errors"])


def test_open_beds_only_for_the_other_gender_do_not_match(app, client):
    beds = {"rows": [{"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
                      "available": 0},
                     {"level_of_care": "3.7-WM", "population": "adult_women", "capacity": 10,
                      "available": 4}]}
    put = report(client, bearer(app, "admin"), "test:a", beds["rows"])
    assert put.status_code == 200
    assert match(client) == []
    assert "test:a" in [h["id"] for h in match(client, gender="women")]


def test_a_misspelt_population_in_the_directory_is_offered_to_no_one(tmp_path):
    """The issue's case: an "adult_woman" row with 5 open beds matched a 30-year-old man."""
    from tests import factories
    from tests.test_live_support import make_app, row

    typo = factories.facility("typo", km=1, payment=["sliding_fee"],
                              beds=[row(population="adult_woman", available=5)])
    app = make_app(tmp_path, [typo])
    client = app.test_client()
    assert match(client) == []
    assert match(client, gender="women") == []
    held = client.post("/v1/facilities/test:typo/holds", headers=bearer(app, "coach"),
                       json={"level_of_care": "3.7-WM", "population": "adult_men"})
    assert held.status_code == 422


def test_every_published_population_belongs_to_a_group():
    from directory_service import vocab
    from directory_service.search import columns

    assert all(columns.population_group(p) for p in vocab.BED_POPULATIONS)
    assert columns.population_group("adult_woman") is None


def test_the_elasticsearch_document_counts_a_misspelt_population_for_no_one():
    """Both stores read bed figures through columns.bed_levels; the ES document too."""
    from directory_service.search.elastic.mapping import beds_by_level
    from tests.test_live_support import row

    doc = beds_by_level([row(population="adult_woman", available=5),
                         row(population="adult_men", available=1)], complete=True)
    known = {field: figure["open"] for field, figure in doc.items() if figure["open"] is not None}
    assert known == {"3_7-WM__men": 1}
