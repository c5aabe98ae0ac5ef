"""A body the API cannot read gets an error that says what is wrong with it: not JSON
(the decoder's reason and place), not UTF-8, not an object, or sent as a form or text,
which the API would otherwise ignore and answer "missing field". Nothing sent is echoed."""
import pytest

from directory_service.availability import keys

MATCH = {"lat": 41.75, "lon": -88.15, "level_of_care": "3.7-WM"}


@pytest.mark.parametrize("body, where", [
    (b"not json", "line 1 column 1"),
    (b'{"level_of_care": "3.7-WM",', "line 1 column 2"),
    (b'{"level_of_care": "3.7-WM"}\n}', "line 2 column 1"),
    (b"{'secret': 'words'}", "line 1 column 2"),
])
def test_a_body_that_is_not_json_says_where_it_stops_being_json(client, body, where):
    response = client.post("/v1/match", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    (message,) = problem["errors"]["body"]
    assert message.startswith("not valid JSON: ") and where in message
    assert problem["detail"] == f"the body is {message}"
    assert "secret" not in problem["detail"] and "words" not in problem["detail"]


def test_a_body_that_is_not_utf8_is_named_so(client):
    response = client.post("/v1/match", data=b'{"level_of_care": "\xff"}',
                           content_type="application/json")
    assert response.status_code == 400
    (message,) = response.get_json()["errors"]["body"]
    assert "UTF-8" in message or "not valid JSON" in message


@pytest.mark.parametrize("body", [b"[1, 2]", b'"3.7-WM"', b"42", b"null"])
def test_json_that_is_not_an_object_is_named_so(client, body):
    response = client.post("/v1/match", data=body, content_type="application/json")
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["errors"] == {"body": ["not a JSON object"]}
    assert problem["detail"] == "the body must be a JSON object"


@pytest.mark.parametrize("body, content_type", [
    (b"level_of_care=3.7-WM&lat=41.75&lon=-88.15", "application/x-www-form-urlencoded"),
    (b'{"level_of_care": "3.7-WM", "lat": 41.75, "lon": -88.15}', "text/plain"),
])
def test_a_body_sent_as_a_form_or_text_is_refused_as_not_json(client, body, content_type):
    response = client.post("/v1/match", data=body, content_type=content_type)
    assert response.status_code == 415
    problem = response.get_json()
    assert problem["errors"] == {"body": [f"not JSON: {content_type}"]}
    assert "Content-Type: application/json" in problem["detail"]


def test_a_bed_report_sent_as_a_form_is_refused_before_anything_is_written(client):
    response = client.put("/v1/facilities/any/beds", data=b"available=3",
                          content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_json_with_a_charset_and_an_empty_text_body_are_still_read(client):
    charset = client.post("/v1/match", json=MATCH,
                          headers={"Content-Type": "application/json; charset=utf-8"})
    assert charset.status_code == 200
    # No body at all, whatever its type: the fields are named as missing, as before.
    empty = client.post("/v1/match", data=b"", content_type="text/plain")
    assert empty.status_code == 422
    assert "level_of_care" in empty.get_json()["errors"]


def test_the_public_pages_forms_are_not_api_bodies(client):
    # The public and staff pages post forms; only /v1/ bodies must be JSON.
    response = client.post("/staff/sign-in", data={"key": "wrong"})
    assert response.status_code != 415


def test_the_csv_feed_still_takes_csv(client, app):
    # The batch feed reads its own body (JSON or CSV): a CSV body is not refused as not
    # JSON, and its row is applied.
    key = keys.create(app.extensions["availability"], "admin")[1]
    body = b"facility_id,level_of_care,population,capacity,available\nseed:fac-001,3.7-WM,adult_any,10,2\n"
    response = client.post("/v1/availability", data=body, content_type="text/csv",
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["accepted"] == 1
