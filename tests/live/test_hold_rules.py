"""Hold rules (issue 11): a cap of active holds per coach key, holds released when the
facility reports fewer open beds than holds, no confirming a bed that is gone, the hold
length the schema documents is the one the server enforces, and `GET /v1/holds`."""
from datetime import datetime, timedelta, timezone

import pytest

from directory_service.availability import holds
from tests.test_live_support import bearer, make_app, report, search_open

MEN = {"level_of_care": "3.7-WM", "population": "adult_men"}


def hold(client, key, facility="test:b", **body):
    return client.post(f"/v1/facilities/{facility}/holds", json={**MEN, **body}, headers=key)


def my_holds(client, key, query=""):
    response = client.get(f"/v1/holds{query}", headers=key)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def set_beds(client, app, facility, available, status=None):
    row = {**MEN, "capacity": 10, "available": available}
    if status:
        row = {**MEN, "capacity": 10, "status": status}
    response = report(client, bearer(app, "facility", facility), facility, [row])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- the cap -----------------------------------------------------------------------

def test_one_coach_key_cannot_hold_every_bed(tmp_path, monkeypatch):
    monkeypatch.setenv("HOLD_MAX_ACTIVE_PER_KEY", "2")
    app = make_app(tmp_path)
    client, coach = app.test_client(), bearer(app, "coach")
    first = hold(client, coach).get_json()
    assert hold(client, coach).status_code == 201
    third = hold(client, coach)
    assert third.status_code == 429
    assert third.mimetype == "application/problem+json"
    problem = third.get_json()
    assert (problem["active_holds"], problem["limit"]) == (2, 2)
    assert 0 < int(third.headers["Retry-After"]) <= 120 * 60 + 1
    assert search_open(client, "test:b")["open"] == 1  # the refused hold took nothing
    # Another coach still can; cancelling frees a slot; admins are not capped.
    assert hold(client, bearer(app, "coach")).status_code == 201
    assert client.delete(f"/v1/holds/{first['id']}", headers=coach).status_code == 200
    assert hold(client, coach).status_code == 201


def test_expired_holds_do_not_count_against_the_cap(tmp_path, monkeypatch):
    monkeypatch.setenv("HOLD_MAX_ACTIVE_PER_KEY", "1")
    app = make_app(tmp_path)
    adb, record = app.extensions["availability"], app.extensions["store"].get("test:b")
    coach = bearer(app, "coach")
    key_id = coach["Authorization"].split()[1].split(".")[0]
    past = datetime.now(timezone.utc) - timedelta(hours=5)
    holds.create(adb, "test:b", "3.7-WM", "adult_men", key_id, None, 60, record["beds"],
                 now=past, max_active=1)
    assert hold(app.test_client(), coach).status_code == 201


def test_admins_are_not_capped(tmp_path, monkeypatch):
    monkeypatch.setenv("HOLD_MAX_ACTIVE_PER_KEY", "1")
    app = make_app(tmp_path)
    client, admin = app.test_client(), bearer(app, "admin")
    assert [hold(client, admin).status_code for _ in range(3)] == [201, 201, 201]


# --- fewer open beds than holds -----------------------------------------------------------

def test_a_report_below_the_holds_releases_the_newest_and_tells_the_coach(app, client):
    coach = bearer(app, "coach")
    made = [hold(client, coach).get_json()["id"] for _ in range(3)]  # test:b has 3 open
    answer = set_beds(client, app, "test:b", 1)
    assert answer["released_holds"] == [made[2], made[1]]
    assert search_open(client, "test:b")["open"] == 0
    listed = {h["id"]: h for h in my_holds(client, coach)["holds"]}
    assert listed[made[0]]["state"] == "active"
    for gone in made[1:]:
        assert listed[gone]["state"] == "released"
        assert "reported 1 open 3.7-WM bed" in listed[gone]["reason"]
        assert listed[gone]["decided_at"]
    # The bed a released hold promised is not there to confirm.
    facility = bearer(app, "facility", "test:b")
    refused = client.post(f"/v1/holds/{made[2]}/confirm", headers=facility)
    assert refused.status_code == 409 and "released" in refused.get_json()["detail"]
    assert client.post(f"/v1/holds/{made[0]}/confirm", headers=facility).status_code == 200


@pytest.mark.parametrize("status", ["full", "closed"])
def test_full_or_closed_releases_every_hold_and_none_is_confirmable(app, client, status):
    coach, facility = bearer(app, "coach"), bearer(app, "facility", "test:b")
    made = hold(client, coach).get_json()["id"]
    answer = set_beds(client, app, "test:b", 0, status=status)
    assert answer["released_holds"] == [made]
    confirm = client.post(f"/v1/holds/{made}/confirm", headers=facility)
    assert confirm.status_code == 409
    [row] = client.get("/v1/resources/test:b").get_json()["beds"]
    assert (row["available"], row["status"]) == (0, status)


def test_zero_available_through_the_batch_feed_releases_too(app, client):
    made = hold(client, bearer(app, "coach")).get_json()["id"]
    feed = client.post("/v1/availability", headers=bearer(app, "facility", "test:b"),
                       json=[{"facility_id": "test:b", **MEN, "capacity": 10, "available": 0}])
    assert feed.get_json()["results"][0]["released_holds"] == [made]
    assert holds.get(app.extensions["availability"], made)["state"] == "released"


def test_an_unknown_report_keeps_holds_and_an_admission_invents_no_count(app, client):
    coach, facility = bearer(app, "coach"), bearer(app, "facility", "test:b")
    made = hold(client, coach).get_json()["id"]
    assert set_beds(client, app, "test:b", None, status="unknown")["released_holds"] == []
    assert client.post(f"/v1/holds/{made}/confirm", headers=facility).status_code == 200
    [row] = client.get("/v1/resources/test:b").get_json()["beds"]
    assert (row["status"], row["available"]) == ("unknown", None)
    history = client.get("/v1/facilities/test:b/beds/history", headers=facility).get_json()
    assert history["entries"][0]["event"] == "admission"


def test_a_report_at_or_above_the_holds_keeps_them(app, client):
    coach = bearer(app, "coach")
    made = [hold(client, coach).get_json()["id"] for _ in range(2)]
    assert set_beds(client, app, "test:b", 2)["released_holds"] == []
    assert [h["state"] for h in my_holds(client, coach)["holds"]] == ["active", "active"]
    assert search_open(client, "test:b")["open"] == 0
    assert {h["id"] for h in my_holds(client, coach)["holds"]} == set(made)


# --- hold length: schema and server agree ----------------------------------------------------

def test_hold_length_limit_is_the_documented_one(app, client):
    documented = client.get("/openapi.json").get_json()["components"]["schemas"]["HoldBody"]
    assert documented["properties"]["expires_in_minutes"]["maximum"] == 240
    coach = bearer(app, "coach")
    assert hold(client, coach, expires_in_minutes=240).status_code == 201
    too_long = hold(client, coach, expires_in_minutes=241)
    assert too_long.status_code == 422 and "expires_in_minutes" in too_long.get_json()["errors"]
    assert hold(client, coach, expires_in_minutes=30.5).status_code == 422


def test_a_configured_hold_length_is_documented_and_enforced(tmp_path, monkeypatch):
    monkeypatch.setenv("HOLD_MAX_MINUTES", "480")
    app = make_app(tmp_path)
    client, coach = app.test_client(), bearer(app, "coach")
    documented = client.get("/openapi.json").get_json()["components"]["schemas"]["HoldBody"]
    assert documented["properties"]["expires_in_minutes"]["maximum"] == 480
    assert hold(client, coach, expires_in_minutes=480).status_code == 201
    assert hold(client, coach, expires_in_minutes=481).status_code == 422


# --- GET /v1/holds ------------------------------------------------------------------

def test_my_holds_active_first_with_status_facility_and_decision(app, client):
    coach, facility = bearer(app, "coach"), bearer(app, "facility", "test:b")
    later = hold(client, coach, expires_in_minutes=200).get_json()["id"]
    sooner = hold(client, coach, expires_in_minutes=20).get_json()["id"]
    confirmed = hold(client, coach).get_json()["id"]
    assert client.post(f"/v1/holds/{confirmed}/confirm", headers=facility).status_code == 200
    cancelled = hold(client, coach, facility="test:a").get_json()["id"]
    assert client.delete(f"/v1/holds/{cancelled}", headers=coach).status_code == 200
    body = my_holds(client, coach)
    assert body["total"] == 4
    got = [(h["id"], h["state"]) for h in body["holds"]]
    assert got[:2] == [(sooner, "active"), (later, "active")]
    assert set(got[2:]) == {(confirmed, "confirmed"), (cancelled, "cancelled")}
    first = body["holds"][0]
    assert first["facility_id"] == "test:b" and first["facility_name"] == "Facility b"
    assert (first["level_of_care"], first["population"]) == ("3.7-WM", "adult_men")
    assert first["expires_at"] > first["created_at"]
    decided = next(h for h in body["holds"] if h["id"] == confirmed)
    assert decided["decided_at"] is not None
    only = my_holds(client, coach, "?state=confirmed")
    assert [h["id"] for h in only["holds"]] == [confirmed]
    paged = my_holds(client, coach, "?per_page=1&page=2")
    assert [h["id"] for h in paged["holds"]] == [later] and paged["total"] == 4


def test_my_holds_shows_expired_as_expired(app, client):
    adb, record = app.extensions["availability"], app.extensions["store"].get("test:b")
    coach = bearer(app, "coach")
    key_id = coach["Authorization"].split()[1].split(".")[0]
    past = datetime.now(timezone.utc) - timedelta(hours=5)
    old = holds.create(adb, "test:b", "3.7-WM", "adult_men", key_id, None, 60, record["beds"],
                       now=past)
    assert [(h["id"], h["state"]) for h in my_holds(client, coach)["holds"]] == \
        [(old["id"], "expired")]
    assert my_holds(client, coach, "?state=active")["holds"] == []
    assert [h["id"] for h in my_holds(client, coach, "?state=expired")["holds"]] == [old["id"]]


@pytest.mark.parametrize("query", ["?stat=active", "?state=gone", "?per_page=0", "?page=x"])
def test_my_holds_bad_parameters_are_422(app, client, query):
    response = client.get(f"/v1/holds{query}", headers=bearer(app, "coach"))
    assert response.status_code == 422


def test_a_facility_key_cannot_list_coach_holds(app, client):
    response = client.get("/v1/holds", headers=bearer(app, "facility", "test:b"))
    assert response.status_code == 403
