"""JSON bodies as senders really write them (json_bodies.py): a byte-order mark in front is
skipped, a whole number written `3.0` is 3, and an object naming a key twice is refused
with the key named, never read one way here and another way by the sender."""
import json

import pytest

from directory_service import json_bodies
from directory_service.availability import keys

FACILITY = "seed:fac-001"


def _admin(app):
    return keys.create(app.extensions["availability"], "admin")[1]


def _put(client, key, raw):
    etag = client.get(f"/v1/facilities/{FACILITY}/beds").headers["ETag"]
    return client.put(f"/v1/facilities/{FACILITY}/beds", data=raw,
                      content_type="application/json",
                      headers={"Authorization": f"Bearer {key}", "If-Match": etag})


def _open(client, level="3.7-WM"):
    """The stored `available` of the facility's adult_men row at `level`."""
    rows = client.get(f"/v1/facilities/{FACILITY}/beds").get_json()["rows"]
    return next(r["available"] for r in rows
                if r["level_of_care"] == level and r["population"] == "adult_men")


def _report(available, capacity=20):
    return ('{"rows":[{"level_of_care":"3.7-WM","population":"adult_men",'
            f'"capacity":{capacity},"available":{available}}}]}}')


def test_loads_skips_a_byte_order_mark_and_refuses_a_key_named_twice():
    assert json_bodies.loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert json_bodies.loads('\ufeff[1]') == [1]
    with pytest.raises(json.JSONDecodeError) as twice:
        json_bodies.loads(b'{"rows": [{"a": 1, "b": 2, "a": 3}]}')
    assert str(twice.value) == "the key 'a' appears twice in one object"
    # The same key in two different objects is no repetition.
    assert json_bodies.loads(b'[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]
    with pytest.raises(UnicodeDecodeError):
        json_bodies.loads(b'{"a": "\xff"}')


def test_a_bed_report_with_a_byte_order_mark_is_saved(client, app):
    key = _admin(app)
    response = _put(client, key, b"\xef\xbb\xbf" + _report(5).encode())
    assert response.status_code == 200, response.get_json()
    assert _open(client) == 5


@pytest.mark.parametrize("written, saved", [("3.0", 3), ("4e0", 4), ("0.0", 0), ("-0.0", 0)])
def test_a_whole_number_written_as_a_decimal_is_that_number(client, app, written, saved):
    key = _admin(app)
    response = _put(client, key, _report(written, capacity="20.0").encode())
    assert response.status_code == 200, response.get_json()
    assert _open(client) == saved


@pytest.mark.parametrize("written", ["3.5", "1e-9", "1e400", '"3"', "true", "NaN"])
def test_a_count_that_is_not_whole_is_still_refused(client, app, written):
    key = _admin(app)
    before = _open(client)
    response = _put(client, key, _report(written).encode())
    assert response.status_code == 422
    assert "whole number" in response.get_json()["errors"]["rows"]["0"]["available"][0]
    assert _open(client) == before


def test_a_bed_report_naming_a_key_twice_is_refused_and_nothing_is_written(client, app):
    key = _admin(app)
    before = _open(client)
    raw = ('{"rows":[{"level_of_care":"3.7-WM","population":"adult_men","capacity":20,'
           '"available":3,"available":0}]}').encode()
    response = _put(client, key, raw)
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["errors"]["body"] == [
        "not valid JSON: the key 'available' appears twice in one object"]
    assert _open(client) == before


def test_the_batch_feed_reads_json_the_same_way(client, app):
    key = _admin(app)
    headers = {"Authorization": f"Bearer {key}"}
    row = ('{"facility_id":"seed:fac-001","level_of_care":"3.7-WM","population":"adult_men",'
           '"capacity":10,"available":%s}')
    with_mark = b"\xef\xbb\xbf[" + (row % "2.0").encode() + b"]"
    response = client.post("/v1/availability", data=with_mark, content_type="application/json",
                           headers=headers)
    assert response.status_code == 200, response.get_json()
    assert _open(client) == 2
    twice = ("[" + row % '1, "available": 6' + "]").encode()
    response = client.post("/v1/availability", data=twice, content_type="application/json",
                           headers=headers)
    assert response.status_code == 400
    assert "'available' appears twice" in response.get_json()["detail"]
    broken = client.post("/v1/availability", data=b"[{", content_type="application/json",
                         headers=headers)
    assert broken.status_code == 400
    assert broken.get_json()["detail"].startswith("the body is not valid JSON: ")
    assert _open(client) == 2


def test_a_key_named_twice_in_a_match_is_refused_too(client):
    raw = b'{"lat": 41.75, "lon": -88.15, "level_of_care": "3.7-WM", "lat": 0}'
    response = client.post("/v1/match", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["errors"]["body"] == [
        "not valid JSON: the key 'lat' appears twice in one object"]
