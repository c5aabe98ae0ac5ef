"""The search ETag is made from what the answer depends on, not from its drifting numbers.

Issue 13: scores and ages decay every second, so an ETag over the body changed every
10-30 s and a coach's app almost never got a 304. These tests move the clock the search
sees (http_cache.utcnow) instead of waiting.
"""
import re
from datetime import datetime, timedelta, timezone

import pytest

from directory_service.api import http_cache
from directory_service.search.embedded.writer import SqliteIndexWriter
from tests import factories
from tests.test_live_support import NAPERVILLE, bearer, directory, make_app, row

AT = f"lat={NAPERVILLE['lat']}&lon={NAPERVILLE['lon']}&radius=20"
BEDS = f"/v1/search?{AT}&kind=treatment_facility&level_of_care=3.7-WM"
MEETINGS = f"/v1/search?{AT}&kind=meeting"
ETAG = re.compile(r'^W/"[0-9a-f]{24}\.(\d+)"$')


class Clock:
    def __init__(self):
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(http_cache, "utcnow", clock)
    return clock


def _records():
    return directory() + [
        factories.meeting("m1", km=1, day=1, time="19:00", end_time="20:00"),
        factories.meeting("m2", km=2, day=3, time="07:00", end_time="08:00"),
        factories.site("n1", km=1),
    ]


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, _records())
    yield app
    app.extensions["store"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def until_of(response):
    match = ETAG.match(response.headers["ETag"])
    assert match, response.headers["ETag"]
    return int(match.group(1))


def revalidate(client, url, response):
    return client.get(url, headers={"If-None-Match": response.headers["ETag"]})


def test_a_minute_later_with_no_change_is_304_and_runs_no_search(client, app, clock,
                                                                 monkeypatch):
    first = client.get(BEDS)
    assert first.status_code == 200 and first.get_json()["total"] > 0
    clock.advance(minutes=1)

    def no_search(query):
        raise AssertionError("a current ETag must be answered without searching")

    monkeypatch.setattr(app.extensions["store"], "search", no_search)
    again = revalidate(client, BEDS, first)
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_the_old_body_etag_would_have_changed_a_minute_later(client, app, clock):
    """What was wrong: the body itself differs a minute later (ages, decayed scores)."""
    first = client.get(BEDS).get_json()
    clock.advance(minutes=1)
    later = client.get(BEDS).get_json()
    assert first != later
    assert ([h["beds_open"]["age_seconds"] for h in later["results"] if h["beds_open"]["open"]]
            != [h["beds_open"]["age_seconds"] for h in first["results"] if h["beds_open"]["open"]])


def test_a_bed_report_changes_the_etag_and_brings_the_new_figure(client, app, clock):
    first = client.get(BEDS)
    version = client.get("/v1/facilities/test:b/beds").headers["ETag"]
    response = client.put("/v1/facilities/test:b/beds",
                          headers={**bearer(app, "facility", "test:b"), "If-Match": version},
                          json={"rows": [{"level_of_care": "3.7-WM", "population": "adult_men",
                                          "capacity": 10, "available": 7}]})
    assert response.status_code == 200
    again = revalidate(client, BEDS, first)
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
    figure = next(h["beds_open"] for h in again.get_json()["results"] if h["id"] == "test:b")
    assert figure["open"] == 7


def test_a_hold_changes_the_etag_and_its_expiry_ends_it(client, app, clock):
    coach = bearer(app, "coach")
    first = client.get(BEDS)
    hold = client.post("/v1/facilities/test:b/holds", headers=coach,
                       json={"level_of_care": "3.7-WM", "population": "adult_men",
                             "expires_in_minutes": 5}).get_json()
    held = revalidate(client, BEDS, first)
    assert held.status_code == 200 and held.headers["ETag"] != first.headers["ETag"]
    # The hold stops counting at expires_at without any write: the ETag ends there too.
    expires = datetime.fromisoformat(hold["expires_at"].replace("Z", "+00:00"))
    assert until_of(held) == int(expires.timestamp())
    clock.now = expires - timedelta(seconds=1)
    assert revalidate(client, BEDS, held).status_code == 304
    clock.now = expires
    assert revalidate(client, BEDS, held).status_code == 200


def test_an_empty_answer_ends_when_a_hold_frees_the_last_bed(tmp_path, clock):
    app = make_app(tmp_path, [factories.facility("x", km=1, beds=[row(available=1)])])
    try:
        client = app.test_client()
        url = BEDS + "&has_open_beds=true"
        hold = client.post("/v1/facilities/test:x/holds", headers=bearer(app, "coach"),
                           json={"level_of_care": "3.7-WM", "expires_in_minutes": 30}).get_json()
        empty = client.get(url)
        assert empty.get_json()["total"] == 0
        expires = datetime.fromisoformat(hold["expires_at"].replace("Z", "+00:00"))
        assert until_of(empty) == int(expires.timestamp())
        clock.now = expires
        assert revalidate(client, url, empty).status_code == 200
    finally:
        app.extensions["store"].close()


def test_a_reindex_changes_the_etag(client, app, clock):
    first = client.get(BEDS)
    path = app.config["SETTINGS"].store_path
    with SqliteIndexWriter(path) as writer:  # the same records, built again
        for record in _records():
            writer.add(record)
        writer.commit()
    again = revalidate(client, BEDS, first)
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]


def test_a_meeting_search_does_not_depend_on_beds_or_on_the_clock(client, app, clock):
    first = client.get(MEETINGS)
    assert first.get_json()["total"] == 2
    assert until_of(first) == 0  # nothing in it changes with time
    client.put("/v1/facilities/test:b/beds", headers=bearer(app, "facility", "test:b"),
               json={"rows": [{"level_of_care": "3.7-WM", "population": "adult_men",
                               "capacity": 10, "available": 9}]})
    clock.advance(days=3)
    assert revalidate(client, MEETINGS, first).status_code == 304


def test_facility_rankings_are_reused_for_the_decay_window_only(client, clock):
    first = client.get(BEDS)
    assert until_of(first) == int(clock.now.timestamp()) + http_cache.DECAY_WINDOW_S
    clock.advance(seconds=http_cache.DECAY_WINDOW_S - 1)
    assert revalidate(client, BEDS, first).status_code == 304
    clock.advance(seconds=1)
    assert revalidate(client, BEDS, first).status_code == 200


def test_open_now_is_exact_to_the_minute(client, clock):
    clock.now = clock.now.replace(second=10)
    url = f"/v1/search?{AT}&kind=naloxone_site&open_now=true"
    first = client.get(url)
    assert until_of(first) == int(clock.now.timestamp()) + 50
    assert first.headers["Cache-Control"] == "public, max-age=30"
    clock.advance(seconds=40)
    assert revalidate(client, url, first).status_code == 304
    clock.advance(seconds=10)
    assert revalidate(client, url, first).status_code == 200


def test_a_freshness_label_deadline_ends_the_etag_and_caps_max_age(tmp_path, clock):
    reported = clock.now - timedelta(hours=4) + timedelta(seconds=20)
    beds = [{**row(available=2), "reported_at": reported.isoformat().replace("+00:00", "Z")}]
    app = make_app(tmp_path, [factories.facility("x", km=1, beds=beds)])
    try:
        client = app.test_client()
        first = client.get(BEDS)
        assert first.get_json()["results"][0]["beds_open"]["freshness"] == "fresh"
        assert until_of(first) == int(clock.now.timestamp()) + 20
        assert first.headers["Cache-Control"] == "public, max-age=20"
        clock.advance(seconds=20)
        later = revalidate(client, BEDS, first)
        assert later.status_code == 200
        assert later.get_json()["results"][0]["beds_open"]["freshness"] == "aging"
    finally:
        app.extensions["store"].close()


def test_compact_view_etag_ends_when_a_place_opens_or_closes(tmp_path, clock):
    # A Monday in Chicago, 08:59:30: the pharmacy opens at 09:00.
    clock.now = datetime(2026, 11, 16, 14, 59, 30, tzinfo=timezone.utc)
    hours = {"open_24_7": False, "intervals": [{"day": 1, "open": "09:00", "close": "17:00"}]}
    app = make_app(tmp_path, [factories.site("p", km=1, hours=hours)])
    try:
        client = app.test_client()
        url = f"/v1/search?{AT}&kind=naloxone_site&view=compact"
        first = client.get(url)
        hit = first.get_json()["results"][0]
        assert hit["open_now"] is False and hit["changes_at"] == "2026-11-16T09:00:00-06:00"
        assert until_of(first) == int(clock.now.timestamp()) + 30
        clock.advance(seconds=30)
        opened = revalidate(client, url, first)
        assert opened.status_code == 200 and opened.get_json()["results"][0]["open_now"] is True
        # The full view shows no open-now state: its ETag does not end at 09:00.
        full = client.get(f"/v1/search?{AT}&kind=naloxone_site")
        assert until_of(full) == 0
    finally:
        app.extensions["store"].close()


def test_equivalent_queries_share_an_etag_and_others_do_not(client, clock):
    one = client.get(f"/v1/search?{AT}&kind=meeting,naloxone_site").headers["ETag"]
    same = client.get(f"/v1/search?{AT}&kind=naloxone_site&kind=meeting").headers["ETag"]
    other = client.get(f"/v1/search?{AT}&kind=meeting").headers["ETag"]
    compact = client.get(f"/v1/search?{AT}&kind=meeting,naloxone_site&view=compact")
    assert one == same != other
    assert compact.headers["ETag"] != one


def test_an_edited_deadline_is_not_honoured(client, clock):
    first = client.get(BEDS)
    digest = first.headers["ETag"][3:].split(".")[0]
    forged = f'W/"{digest}.{until_of(first) + 86400}"'
    clock.advance(seconds=http_cache.DECAY_WINDOW_S + 1)
    assert client.get(BEDS, headers={"If-None-Match": forged}).status_code == 200


def test_an_etag_never_outlives_a_store_that_shows_live_changes_late(client, app, clock):
    """Elasticsearch shows a live update after its refresh: until then, an ETag naming
    the new sequence may stand for the old figures, so it ends within that delay."""
    app.extensions["store"].live_settle_s = 2.0
    client.put("/v1/facilities/test:b/beds", headers=bearer(app, "facility", "test:b"),
               json={"rows": [{"level_of_care": "3.7-WM", "population": "adult_men",
                               "capacity": 10, "available": 5}]})
    first = client.get(BEDS)
    assert until_of(first) <= int(clock.now.timestamp()) + 2
    app.extensions["store"].live_settle_s = 0.0
    assert until_of(client.get(BEDS)) == int(clock.now.timestamp()) + http_cache.DECAY_WINDOW_S


def test_gzip_clients_revalidate_too(client, clock):
    first = client.get(BEDS, headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    clock.advance(minutes=1)
    again = client.get(BEDS, headers={"Accept-Encoding": "gzip",
                                      "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and "Accept-Encoding" in again.headers["Vary"]


def test_an_unknown_etag_and_a_list_of_etags(client, clock):
    first = client.get(MEETINGS)
    assert client.get(MEETINGS, headers={"If-None-Match": '"nope"'}).status_code == 200
    listed = f'"nope", {first.headers["ETag"]}'
    assert client.get(MEETINGS, headers={"If-None-Match": listed}).status_code == 304


def test_errors_carry_no_search_etag(client, clock):
    response = client.get(f"/v1/search?{AT}&kind=meeting&per_page=1000")
    assert response.status_code == 422 and "ETag" not in response.headers

