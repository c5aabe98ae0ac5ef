"""Public "Something wrong?" reports through the API (issue 22, item 3; DESIGN §12): a report
reaches the admin queue, is confirmed or dismissed, and the record, its hits and its rank
show it; a confirmed "closed" leaves search until resolved; on both availability backends.
"""
import logging

import pytest

from directory_service.availability import public_reports
from tests.test_live_support import NAPERVILLE, bearer, make_app

PROBLEM = "application/problem+json"
SEARCH = {**NAPERVILLE, "kind": "treatment_facility", "radius": 25}


@pytest.fixture
def app(tmp_path, availability_backend):
    app = make_app(tmp_path)
    yield app
    app.extensions["store"].close()


def _report(client, record_id="test:b", **body):
    return client.post(f"/v1/resources/{record_id}/reports",
                       json={"reason": "phone", **body})


def _hits(client):
    response = client.get("/v1/search", query_string=SEARCH)
    assert response.status_code == 200
    return {hit["id"]: hit for hit in response.get_json()["results"]}


def _order(client):
    response = client.get("/v1/search", query_string=SEARCH)
    return [hit["id"] for hit in response.get_json()["results"]]


def test_a_report_reaches_the_queue_is_confirmed_and_the_record_shows_it(app):
    client, admin = app.test_client(), bearer(app, "admin")
    before = _order(client)
    assert "reported_problems" not in client.get("/v1/resources/test:b").get_json()

    sent = _report(client, detail="the number rings out")
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["state"] == "open" and "detail" not in sent.get_json()
    # Open: the record says "may be out of date", its rank does not change yet.
    shown = client.get("/v1/resources/test:b").get_json()["reported_problems"]
    assert shown == {"open": 1, "confirmed": 0, "closed": False, "reasons": ["phone"],
                     "may_be_out_of_date": True}
    assert _hits(client)["test:b"]["record"]["reported_problems"]["may_be_out_of_date"]
    assert _order(client) == before

    queue = client.get("/v1/reports", query_string={"state": "open"}, headers=admin)
    assert queue.status_code == 200
    (queued,) = queue.get_json()["reports"]
    assert queued["record_id"] == "test:b" and queued["detail"] == "the number rings out"

    confirmed = client.post(f"/v1/reports/{queued['id']}/confirm", headers=admin)
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "confirmed"
    hit = _hits(client)["test:b"]
    assert hit["components"]["confirmed_problems"] == 0.5
    assert hit["record"]["reported_problems"]["confirmed"] == 1
    assert _order(client).index("test:b") > before.index("test:b")
    # Deciding twice is a conflict, named.
    again = client.post(f"/v1/reports/{queued['id']}/dismiss", headers=admin)
    assert again.status_code == 409 and again.mimetype == PROBLEM

    resolved = client.post(f"/v1/reports/{queued['id']}/resolve", headers=admin)
    assert resolved.status_code == 200
    record = client.get("/v1/resources/test:b").get_json()
    assert "reported_problems" not in record
    assert record["verified_at"] == resolved.get_json()["decided_at"]
    assert "confirmed_problems" not in _hits(client)["test:b"]["components"]
    assert _order(client) == before


def test_a_dismissed_report_leaves_no_trace_on_the_record(app):
    client, admin = app.test_client(), bearer(app, "admin")
    report = _report(client, reason="hours").get_json()
    assert client.post(f"/v1/reports/{report['id']}/dismiss", headers=admin).status_code == 200
    assert "reported_problems" not in client.get("/v1/resources/test:b").get_json()


def test_confirmed_closed_hides_the_record_from_search_until_resolved(app):
    client, admin = app.test_client(), bearer(app, "admin")
    report = _report(client, reason="closed").get_json()
    assert "test:b" in _hits(client)
    client.post(f"/v1/reports/{report['id']}/confirm", headers=admin)
    assert "test:b" not in _hits(client)
    # The record itself still answers, saying why it is gone from search.
    record = client.get("/v1/resources/test:b").get_json()
    assert record["active"] is False and record["reported_problems"]["closed"] is True
    client.post(f"/v1/reports/{report['id']}/resolve", headers=admin)
    assert "test:b" in _hits(client)
    assert client.get("/v1/resources/test:b").get_json().get("active", True) is True


def test_a_report_sets_no_cookie_and_logs_neither_address_nor_text(app, caplog):
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        sent = client.post("/v1/resources/test:b/reports",
                           json={"reason": "other", "detail": "sign says moved to Elm"},
                           environ_base={"REMOTE_ADDR": "203.0.113.77"})
    assert sent.status_code == 201
    assert "Set-Cookie" not in sent.headers
    logged = caplog.text
    assert "public report received reason=other" in logged
    assert "203.0.113.77" not in logged and "Elm" not in logged


@pytest.mark.parametrize("body, field", [
    ({"reason": "other", "detail": "ask for Maria Lopez, DOB 4/12/1990"}, "detail"),
    ({"reason": "other", "detail": "call me at 630-555-0199"}, "detail"),
    ({"reason": "other", "detail": "write to me@example.org"}, "detail"),
    ({"reason": "broken"}, "reason"),
    ({}, "reason"),
    ({"reason": "phone", "detail": "x" * 281}, "detail"),
    ({"reason": "phone", "name": "someone"}, "name"),
])
def test_bad_bodies_are_refused_naming_the_field(app, body, field):
    response = app.test_client().post("/v1/resources/test:b/reports", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == PROBLEM
    assert list(response.get_json()["errors"]) == [field]
    total, _ = public_reports.listing(app.extensions["availability"])
    assert total == 0


def test_personal_data_error_says_what_to_write_instead(app):
    response = _report(app.test_client(), reason="other", detail="DOB 1/2/1980")
    (message,) = response.get_json()["errors"]["detail"]
    assert "personal data" in message


def test_a_report_about_an_unknown_record_is_404(app):
    response = _report(app.test_client(), record_id="test:nope")
    assert response.status_code == 404 and response.mimetype == PROBLEM


def test_a_facility_sees_only_reports_about_itself(app):
    client, adb = app.test_client(), app.extensions["availability"]
    own = public_reports.create(adb, "test:b", "phone", "rings out")
    other = public_reports.create(adb, "test:a", "hours", "closes at 5")
    facility = bearer(app, "facility", "test:b")
    listed = client.get("/v1/reports", headers=facility).get_json()
    assert [r["id"] for r in listed["reports"]] == [own["id"]]
    assert listed["reports"][0]["detail"] == "rings out"
    assert client.get("/v1/reports", query_string={"record_id": "test:a"},
                      headers=facility).status_code == 403
    assert client.get(f"/v1/reports/{other['id']}", headers=facility).status_code == 403
    assert client.get(f"/v1/reports/{own['id']}", headers=facility).status_code == 200
    # Confirming is an administrator's decision.
    assert client.post(f"/v1/reports/{own['id']}/confirm", headers=facility).status_code == 403
    admin = client.get("/v1/reports", headers=bearer(app, "admin")).get_json()
    assert {r["id"] for r in admin["reports"]} == {own["id"], other["id"]}


def test_queue_arguments_are_validated_by_name(app):
    response = app.test_client().get("/v1/reports", query_string={"state": "nope", "x": 1},
                                     headers=bearer(app, "admin"))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"state", "x"}


def test_a_records_reports_are_listed_for_its_facility_and_admins(app):
    client, adb = app.test_client(), app.extensions["availability"]
    own = public_reports.create(adb, "test:b", "phone")
    public_reports.create(adb, "test:a", "hours")
    listed = client.get("/v1/resources/test:b/reports",
                        headers=bearer(app, "facility", "test:b"))
    assert [r["id"] for r in listed.get_json()["reports"]] == [own["id"]]
    assert client.get("/v1/resources/test:a/reports",
                      headers=bearer(app, "facility", "test:b")).status_code == 403
    assert client.get("/v1/resources/test:b/reports").status_code == 401
    admin = client.get("/v1/resources/test:a/reports", headers=bearer(app, "admin"))
    assert admin.get_json()["total"] == 1


def test_a_report_changes_the_etag_of_searches_it_can_appear_in(tmp_path, availability_backend):
    from tests import factories

    meeting = factories.meeting("m1", km=1, day=1, time="19:00", end_time="20:00")
    app = make_app(tmp_path, [meeting])
    client, admin = app.test_client(), bearer(app, "admin")
    url = f"/v1/search?lat={NAPERVILLE['lat']}&lon={NAPERVILLE['lon']}&kind=meeting"
    first = client.get(url)
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    report = _report(client, record_id="test:m1", reason="closed").get_json()
    second = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.get_json()["results"][0]["record"]["reported_problems"]["open"] == 1
    client.post(f"/v1/reports/{report['id']}/confirm", headers=admin)
    third = client.get(url, headers={"If-None-Match": second.headers["ETag"]})
    assert third.status_code == 200 and third.get_json()["total"] == 0
    app.extensions["store"].close()


def test_the_compact_view_says_call_first(app):
    client = app.test_client()
    url = "/v1/search"
    args = {**SEARCH, "view": "compact"}
    hits = {h["id"]: h for h in client.get(url, query_string=args).get_json()["results"]}
    assert hits["test:b"]["may_be_out_of_date"] is False
    _report(client)
    hits = {h["id"]: h for h in client.get(url, query_string=args).get_json()["results"]}
    assert hits["test:b"]["may_be_out_of_date"] is True
    assert hits["test:a"]["may_be_out_of_date"] is False
