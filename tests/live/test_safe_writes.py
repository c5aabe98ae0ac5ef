"""Safe bed writes (issue 11): If-Match is required and parsed strictly, reports fall in a
window, counts are whole numbers, codes come from the published vocabulary, and an older
report never replaces a newer one, through PUT and the batch feed alike."""
from datetime import datetime, timedelta, timezone

import pytest

from directory_service import vocab
from tests.test_live_support import bearer, hours_ago, make_app, report, search_open

MEN = {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10}
BEDS = "/v1/facilities/test:a/beds"


def minutes_from_now(minutes):
    moment = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def put(client, headers, rows, **extra):
    return client.put(BEDS, json={"rows": rows, **extra}, headers=headers)


def stored(client):
    """(version, available of the men's 3.7-WM row) as GET …/beds shows them."""
    body = client.get(BEDS).get_json()
    [row] = [r for r in body["rows"] if r["population"] == "adult_men"]
    return body["version"], row["available"]


def assert_problem(response, status, field):
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in str(response.get_json().get("errors")), response.get_json()


# --- If-Match ------------------------------------------------------------------------

def test_a_report_without_if_match_is_428_and_writes_nothing(app, client):
    key = bearer(app, "facility", "test:a")
    before = stored(client)
    assert_problem(put(client, key, [{**MEN, "available": 7}]), 428, "If-Match")
    # A version in the body is a cross-check, not a replacement for the header.
    assert_problem(put(client, key, [{**MEN, "available": 7}], version=0), 428, "If-Match")
    assert_problem(put(client, {**key, "If-Match": "*"}, [{**MEN, "available": 7}]), 428,
                   "If-Match")
    assert stored(client) == before


@pytest.mark.parametrize("header", ['"1', '"1"x', '""', 'W/""', "1", '"one"', '"1",',
                                    '"1" "2"', 'W/"', '"1\\"', "W/1"])
def test_a_malformed_if_match_is_400_never_no_condition(app, client, header):
    key = bearer(app, "facility", "test:a")
    assert report(client, key, "test:a", [{**MEN, "available": 4}]).status_code == 200
    assert report(client, key, "test:a", [{**MEN, "available": 5}]).status_code == 200
    before = stored(client)
    assert before == (2, 5)
    response = put(client, {**key, "If-Match": header}, [{**MEN, "available": 9}])
    assert_problem(response, 400, "If-Match")
    assert stored(client) == before


@pytest.mark.parametrize("tag", ['"{v}"', 'W/"{v}"', '"{v}:gzip"', '"99", "{v}"'])
def test_if_match_spellings_that_name_the_current_version(app, client, tag):
    key = bearer(app, "facility", "test:a")
    version, _ = stored(client)
    response = put(client, {**key, "If-Match": tag.format(v=version)}, [{**MEN, "available": 6}])
    assert response.status_code == 200, response.get_json()
    assert stored(client) == (version + 1, 6)


def test_checks_come_in_order_key_facility_condition_body(app, client):
    assert put(client, {"If-Match": '"x'}, [{"bad": 1}]).status_code == 401
    other = bearer(app, "facility", "test:b")
    assert put(client, {**other, "If-Match": '"x'}, [{"bad": 1}]).status_code == 403
    missing = client.put("/v1/facilities/test:nope/beds", json={"rows": []},
                         headers=bearer(app, "admin"))
    assert missing.status_code == 404
    own = bearer(app, "facility", "test:a")
    assert put(client, own, [{"bad": 1}]).status_code == 428
    assert put(client, {**own, "If-Match": '"0"'}, [{"bad": 1}]).status_code == 422


# --- reported_at -------------------------------------------------------------------------

@pytest.mark.parametrize("reported_at", [
    "0001-01-01T00:00:00+23:59",      # overflows when turned into UTC
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00Z",
    "2020-05-01T12:00:00Z",
    "2026-01-01T00:00:00",            # no zone
    "yesterday",
])
def test_reported_at_outside_the_window_or_unreadable_is_422(app, client, reported_at):
    key = bearer(app, "facility", "test:a")
    before = stored(client)
    response = report(client, key, "test:a", [{**MEN, "available": 3, "reported_at": reported_at}])
    assert_problem(response, 422, "reported_at")
    feed = client.post("/v1/availability", headers=key, json=[
        {"facility_id": "test:a", **MEN, "available": 3, "reported_at": reported_at}])
    assert feed.status_code == 207
    assert "reported_at" in feed.get_json()["results"][0]["errors"]
    assert stored(client) == before


def test_window_edges_default_30_days_back_5_minutes_ahead(app, client):
    key = bearer(app, "facility", "test:a")
    too_old = report(client, key, "test:a", [{**MEN, "available": 3,
                                              "reported_at": hours_ago(31 * 24)}])
    assert_problem(too_old, 422, "reported_at")
    too_soon = report(client, key, "test:a", [{**MEN, "available": 3,
                                               "reported_at": minutes_from_now(10)}])
    assert_problem(too_soon, 422, "reported_at")
    # A row never reported before, so no newer report stands in its way.
    youth = {**MEN, "population": "adolescents"}
    ok = report(client, key, "test:a",
                [{**youth, "available": 3, "reported_at": hours_ago(29 * 24)}])
    assert ok.status_code == 200, ok.get_json()
    ahead = report(client, key, "test:a", [{**MEN, "available": 4,
                                            "reported_at": minutes_from_now(3)}])
    assert ahead.status_code == 200, ahead.get_json()


def test_the_window_is_configurable(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORT_MAX_AGE_DAYS", "1")
    monkeypatch.setenv("REPORT_MAX_AHEAD_MINUTES", "0")
    app = make_app(tmp_path)
    client, key = app.test_client(), bearer(app, "facility", "test:a")
    two_days = report(client, key, "test:a",
                      [{**MEN, "available": 3, "reported_at": hours_ago(48)}])
    assert_problem(two_days, 422, "reported_at")
    assert "last 1 days" in str(two_days.get_json()["errors"])
    assert report(client, key, "test:a", [{**MEN, "population": "adolescents", "available": 3,
                                           "reported_at": hours_ago(20)}]).status_code == 200


# --- whole numbers and the published vocabulary -------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("available", 2.5), ("available", "2"), ("available", True), ("available", 2.000001),
    ("capacity", 10.5), ("capacity", "ten"), ("available", -1), ("available", 10 ** 20),
    ("available", 1e20),
])
def test_counts_are_whole_numbers_never_rounded(app, client, field, value):
    key = bearer(app, "facility", "test:a")
    before = stored(client)
    response = report(client, key, "test:a", [{**MEN, "available": 1, field: value}])
    assert_problem(response, 422, field)
    assert stored(client) == before


def test_a_whole_number_written_with_a_decimal_point_is_that_number(app, client):
    # JSON has one kind of number: 2.0 is 2, as a Java double or a Python float writes it.
    key = bearer(app, "facility", "test:a")
    version, _available = stored(client)
    response = report(client, key, "test:a", [{**MEN, "capacity": 10.0, "available": 2.0}])
    assert response.status_code == 200, response.get_json()
    assert stored(client) == (version + 1, 2)
    [row] = [r for r in client.get(BEDS).get_json()["rows"] if r["population"] == "adult_men"]
    assert type(row["available"]) is int and type(row["capacity"]) is int


def test_csv_counts_must_be_whole_numbers(app, client):
    csv = ("facility_id,level_of_care,population,capacity,available\n"
           "test:a,3.7-WM,adult_men,10,2.5\n"
           "test:a,3.7-WM,adult_women,10,2\n")
    response = client.post("/v1/availability", data=csv, content_type="text/csv",
                           headers=bearer(app, "facility", "test:a"))
    results = response.get_json()["results"]
    assert response.status_code == 207
    assert results[0]["status"] == "rejected" and "available" in results[0]["errors"]
    assert results[1]["status"] == "accepted"


@pytest.mark.parametrize("field, value, published", [
    ("population", "adult_woman", vocab.BED_POPULATIONS),
    ("population", "women", vocab.BED_POPULATIONS),
    ("population", "ADULT_MEN", vocab.BED_POPULATIONS),
    ("level_of_care", "3.7-wm", vocab.LEVELS_OF_CARE),
    ("status", "opened", vocab.BED_STATUSES),
])
def test_codes_outside_the_published_vocabulary_are_422_listing_the_allowed(
        app, client, field, value, published):
    key = bearer(app, "admin")
    response = report(client, key, "test:a", [{**MEN, "available": 1, field: value}])
    assert_problem(response, 422, field)
    message = str(response.get_json()["errors"])
    assert all(code in message for code in published)
    feed = client.post("/v1/availability", headers=key,
                       json=[{"facility_id": "test:a", **MEN, "available": 1, field: value}])
    assert field in feed.get_json()["results"][0]["errors"]


def test_vocabularies_publish_the_bed_populations(client):
    published = client.get("/v1/vocabularies").get_json()["bed_populations"]
    assert [p["code"] for p in published] == list(vocab.BED_POPULATIONS)


def test_a_misspelt_population_never_reaches_a_man(app, client):
    """The issue's case: 5 beds for "adult_woman" were offered to a 30-year-old man."""
    key = bearer(app, "facility", "test:a")
    response = report(client, key, "test:a", [
        {"level_of_care": "3.7-WM", "population": "adult_woman", "capacity": 5, "available": 5}])
    assert_problem(response, 422, "population")
    hold = client.post("/v1/facilities/test:a/holds", headers=bearer(app, "coach"),
                       json={"level_of_care": "3.7-WM", "population": "adult_woman"})
    assert_problem(hold, 422, "population")


# --- an older report never replaces a newer one -----------------------------------------------

def test_an_older_put_is_409_and_the_newer_report_stays(app, client):
    key = bearer(app, "facility", "test:a")
    assert report(client, key, "test:a", [{**MEN, "available": 2}]).status_code == 200
    before = stored(client)
    older = report(client, key, "test:a", [{**MEN, "available": 8, "reported_at": hours_ago(3)}])
    assert older.status_code == 409
    assert "reported_at" in str(older.get_json()["errors"]["rows"])
    assert stored(client) == before
    assert search_open(client, "test:a")["open"] == 2


def test_feed_rows_older_than_the_stored_report_are_rejected(app, client):
    key = bearer(app, "facility", "test:a")
    assert report(client, key, "test:a", [{**MEN, "available": 2}]).status_code == 200
    rows = [{"facility_id": "test:a", **MEN, "available": 8, "reported_at": hours_ago(2)},
            {"facility_id": "test:a", "level_of_care": "3.7-WM", "population": "adult_women",
             "capacity": 10, "available": 1}]
    response = client.post("/v1/availability", json=rows, headers=key)
    assert response.status_code == 207
    first, second = response.get_json()["results"]
    assert first["status"] == "rejected" and "older" in first["errors"]["reported_at"][0]
    assert second["status"] == "accepted"
    assert stored(client)[1] == 2


def test_feed_row_versions_are_checked_and_one_feed_is_one_version(app, client):
    key = bearer(app, "facility", "test:a")
    version, _ = stored(client)
    rows = [{"facility_id": "test:a", **MEN, "available": 3, "version": version},
            {"facility_id": "test:a", "level_of_care": "3.7-WM", "population": "adult_women",
             "capacity": 10, "available": 1, "version": version}]
    first = client.post("/v1/availability", json=rows, headers=key)
    assert first.status_code == 200, first.get_json()
    assert {r["version"] for r in first.get_json()["results"]} == {version + 1}
    stale = client.post("/v1/availability", headers=key,
                        json=[{**rows[0], "available": 9}])
    assert stale.status_code == 207
    assert "version" in stale.get_json()["results"][0]["errors"]
    assert stored(client) == (version + 1, 3)


def test_feed_repeating_a_row_in_one_request_rejects_the_repeat(app, client):
    key = bearer(app, "admin")
    rows = [{"facility_id": "test:a", **MEN, "available": 3},
            {"facility_id": "test:a", **MEN, "available": 4}]
    results = client.post("/v1/availability", json=rows, headers=key).get_json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert stored(client)[1] == 3


def test_unreadable_csv_is_422_naming_the_body(app, client):
    huge_cell = "facility_id,level_of_care,available\n" + "x" * 200_000 + ",3.7-WM,1\n"
    response = client.post("/v1/availability", data=huge_cell, content_type="text/csv",
                           headers=bearer(app, "admin"))
    assert_problem(response, 422, "body")
    nul = client.post("/v1/availability", content_type="text/csv", headers=bearer(app, "admin"),
                      data="facility_id,level_of_care,available\ntest:a,3.7-WM,\x001\n")
    assert nul.status_code == 207
    assert "available" in nul.get_json()["results"][0]["errors"]
