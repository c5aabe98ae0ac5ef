"""Bed-report notes: no personal data gets in, and what does get in (with the key that
reported it) is shown only to the facility's own key and admins, never in a public view."""
import pytest

from tests.test_live_support import NAPERVILLE, bearer, report

MEN = {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10}
NOTE = "unit B only; arriving after 22:00 is fine"


@pytest.mark.parametrize("note", [
    "John Smith DOB 04/12/1990 ph 630-555-0199",     # the note
    "call 630 555 0199",
    "(630) 555-0199",
    "jsmith@example.org",
    "born on 1990-04-12",
    "dob: April 12, 1990",
    "12 April 1990",
    "Name: Maria Lopez",
    "SSN 123-45-6789",
    "MRN 00451234",
    "patient name is Lopez",
])
def test_personal_data_in_a_bed_report_note_is_refused(app, client, note):
    key = bearer(app, "facility", "test:a")
    response = report(client, key, "test:a", [{**MEN, "available": 2, "note": note}])
    assert response.status_code == 422
    assert "note" in str(response.get_json()["errors"]["rows"])
    feed = client.post("/v1/availability", headers=key,
                       json=[{"facility_id": "test:a", **MEN, "available": 2, "note": note}])
    assert "note" in feed.get_json()["results"][0]["errors"]
    hold = client.post("/v1/facilities/test:b/holds", headers=bearer(app, "coach"),
                       json={**MEN, "note": note[:200]})
    assert hold.status_code == 422 and "note" in hold.get_json()["errors"]


@pytest.mark.parametrize("note", [NOTE, "Waitlist open; call intake each morning.",
                                  "2 beds held for court referrals", "arriving about 22:30"])
def test_ordinary_notes_are_accepted(app, client, note):
    key = bearer(app, "facility", "test:a")
    assert report(client, key, "test:a", [{**MEN, "available": 2, "note": note}]).status_code == 200


@pytest.fixture
def reported(app, client):
    """test:a reported with a note by its facility key; returns (facility key, key id)."""
    key = bearer(app, "facility", "test:a")
    response = report(client, key, "test:a", [{**MEN, "available": 2, "note": NOTE}])
    assert response.status_code == 200
    key_id = key["Authorization"].split()[1].split(".")[0]
    # The reporter sees its own note and key in the answer, privately.
    [row] = [r for r in response.get_json()["rows"] if r["population"] == "adult_men"]
    assert (row["note"], row["reported_by"]) == (NOTE, f"key:{key_id}")
    assert "private" in response.headers["Cache-Control"]
    return key, key_id


def public_answers(app, client):
    near = f"lat={NAPERVILLE['lat']}&lon={NAPERVILLE['lon']}"
    coach, other = bearer(app, "coach"), bearer(app, "facility", "test:b")
    yield "search", client.get(f"/v1/search?{near}&kind=treatment_facility")
    yield "resource", client.get("/v1/resources/test:a")
    for fmt in ("ndjson", "geojson", "hsds"):
        yield f"export {fmt}", client.get(f"/v1/export?format={fmt}")
    yield "match", client.post("/v1/match", json={"level_of_care": "detox", **NAPERVILLE})
    yield "page", client.get("/r/test:a")
    yield "print page", client.get("/r/test:a/print")
    yield "search page", client.get("/?near=60540")
    yield "beds, no key", client.get("/v1/facilities/test:a/beds")
    yield "beds, coach key", client.get("/v1/facilities/test:a/beds", headers=coach)
    yield "beds, other facility", client.get("/v1/facilities/test:a/beds", headers=other)


def test_notes_and_key_ids_never_reach_a_public_view(app, client, reported):
    _, key_id = reported
    for name, response in public_answers(app, client):
        assert response.status_code == 200, name
        text = response.get_data(as_text=True)
        assert NOTE not in text, name
        assert key_id not in text and "key:" not in text, name
    hit = client.get("/v1/resources/test:a").get_json()
    [row] = [r for r in hit["beds"] if r["population"] == "adult_men"]
    assert row["available"] == 2 and "note" not in row and "reported_by" not in row


@pytest.mark.parametrize("who", ["facility", "admin"])
def test_the_facility_and_admins_see_notes_and_reporters(app, client, reported, who):
    key = reported[0] if who == "facility" else bearer(app, "admin")
    response = client.get("/v1/facilities/test:a/beds", headers=key)
    [row] = [r for r in response.get_json()["rows"] if r["population"] == "adult_men"]
    assert row["note"] == NOTE and row["reported_by"] == f"key:{reported[1]}"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Authorization" in response.headers["Vary"]
    history = client.get("/v1/facilities/test:a/beds/history", headers=key).get_json()
    assert history["entries"][0]["note"] == NOTE


def test_a_wrong_key_on_the_public_beds_view_is_401(app, client):
    response = client.get("/v1/facilities/test:a/beds",
                          headers={"Authorization": "Bearer k_nobody.secret"})
    assert response.status_code == 401
