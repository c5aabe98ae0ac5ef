"""Holds through the API and the module: open = available - active holds, confirm, decline,
cancel, expiry without a worker, and the last bed held once."""
from datetime import datetime, timedelta, timezone

import pytest

from directory_service.availability import figures, holds
from tests.test_live_support import bearer, search_open

MEN = {"level_of_care": "3.7-WM", "population": "adult_men"}


def hold(client, key, facility="test:b", **body):
    return client.post(f"/v1/facilities/{facility}/holds", json={**MEN, **body}, headers=key)


def test_hold_lowers_open_beds_in_search_and_record(app, client):
    assert search_open(client, "test:b")["open"] == 3
    response = hold(client, bearer(app, "coach"), note="arriving about 22:00")
    assert response.status_code == 201
    assert response.get_json()["state"] == "active"
    assert search_open(client, "test:b")["open"] == 2
    record = client.get("/v1/resources/test:b").get_json()
    [row] = record["beds"]
    assert (row["available"], row["held"], row["open"]) == (3, 1, 2)
    assert row["freshness"] in ("fresh", "aging")


def test_last_bed_is_held_once_then_409(app, client):
    coach = bearer(app, "coach")
    assert hold(client, coach, facility="test:a").status_code == 201
    second = hold(client, coach, facility="test:a")
    assert second.status_code == 409
    assert second.mimetype == "application/problem+json"
    assert "no open 3.7-WM bed" in second.get_json()["detail"]
    assert search_open(client, "test:a")["open"] == 0


def test_confirm_turns_hold_into_admission(app, client):
    facility, coach = bearer(app, "facility", "test:b"), bearer(app, "coach")
    hold_id = hold(client, coach).get_json()["id"]
    confirmed = client.post(f"/v1/holds/{hold_id}/confirm", headers=facility)
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "confirmed"
    [row] = client.get("/v1/resources/test:b").get_json()["beds"]
    assert (row["available"], row["held"], row["open"]) == (2, 0, 2)
    history = client.get("/v1/facilities/test:b/beds/history", headers=facility).get_json()
    assert history["entries"][0]["event"] == "admission"
    assert history["entries"][0]["available"] == 2
    again = client.post(f"/v1/holds/{hold_id}/confirm", headers=facility)
    assert again.status_code == 409 and "already confirmed" in again.get_json()["detail"]


def test_decline_and_cancel_free_the_bed(app, client):
    facility, coach, other = (bearer(app, "facility", "test:b"), bearer(app, "coach"),
                              bearer(app, "coach"))
    first = hold(client, coach).get_json()["id"]
    second = hold(client, coach).get_json()["id"]
    assert search_open(client, "test:b")["open"] == 1
    assert client.post(f"/v1/holds/{first}/decline", headers=facility).status_code == 200
    assert client.delete(f"/v1/holds/{second}", headers=other).status_code == 403
    assert client.delete(f"/v1/holds/{second}", headers=coach).get_json()["state"] == "cancelled"
    assert search_open(client, "test:b")["open"] == 3


def test_expired_hold_releases_itself(app, client):
    adb = app.extensions["availability"]
    record = app.extensions["store"].get("test:a")
    past = datetime.now(timezone.utc) - timedelta(hours=3)
    made = holds.create(adb, "test:a", "3.7-WM", "adult_men", "k_test", None, 60,
                        record["beds"], now=past)
    assert figures.facility_figures(adb, "test:a", now=past)["3.7-WM"]["open"] == 0
    assert figures.facility_figures(adb, "test:a")["3.7-WM"]["open"] == 1
    assert search_open(client, "test:a")["open"] == 1
    assert holds.get(adb, made["id"])["state"] == "expired"
    with pytest.raises(holds.HoldConflict, match="expired"):
        holds.decide(adb, made["id"], "confirmed", "key:test")
    assert hold(client, bearer(app, "coach"), facility="test:a").status_code == 201


@pytest.mark.parametrize("body, field", [
    ({"note": "call her at 630 555 0199"}, "note"),
    ({"note": "dob 04/12/1990"}, "note"),
    ({"note": "x" * 201}, "note"),
    ({"expires_in_minutes": 241}, "expires_in_minutes"),
    ({"level_of_care": "3.5"}, "level_of_care"),
    ({"population": "adult_women"}, "population"),
])
def test_bad_hold_requests_are_422(app, client, body, field):
    response = hold(client, bearer(app, "coach"), **body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_population_is_needed_when_a_level_has_several(app, client):
    response = client.post("/v1/facilities/test:a/holds", json={"level_of_care": "3.7-WM"},
                           headers=bearer(app, "coach"))
    assert response.status_code == 422
    assert "adult_men, adult_women" in response.get_json()["errors"]["population"][0]


def test_unknown_bed_figures_cannot_be_held(app, client):
    response = hold(client, bearer(app, "coach"), facility="test:e")
    assert response.status_code == 409
    assert "not reported" in response.get_json()["detail"]
