"""`view=compact`: enough for a phone to call, go, join or hold without a second request."""
from datetime import datetime, timezone

import pytest

from directory_service.api import http_cache
from directory_service.phones import phone
from directory_service.api.open_hours import open_state
from tests import factories
from tests.test_live_support import NAPERVILLE, bearer, directory, make_app, row

AT = f"lat={NAPERVILLE['lat']}&lon={NAPERVILLE['lon']}&radius=20"
# Monday 16 November 2026, 12:00 in Chicago (CST, UTC-6).
MONDAY_NOON = datetime(2026, 11, 16, 18, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, e164, tel", [
    ("(630) 555-0100", "+16305550100", "tel:+16305550100"),
    ("630.555.0100", "+16305550100", "tel:+16305550100"),
    ("1-800-662-HELP", "+18006624357", "tel:+18006624357"),
    # SAMHSA's National Helpline as it is written everywhere: the letters, then the digits.
    ("1-800-662-HELP (4357)", "+18006624357", "tel:+18006624357"),
    ("Hotline 630-555-0100 (1234)", "+16305550100", "tel:+16305550100"),
    ("(518) 388-4596 x5147", "+15183884596", "tel:+15183884596;ext=5147"),  # NY drop boxes
    ("(312) 555-0188 ext. 204", "+13125550188", "tel:+13125550188;ext=204"),
    ("630-555-0100 / 630-555-0101", "+16305550100", "tel:+16305550100"),
    ("Intake: (630) 555-0100, 24/7", "+16305550100", "tel:+16305550100"),
    ("+44 20 7946 0958", "+442079460958", "tel:+442079460958"),
    ("604-555-0199", "+16045550199", "tel:+16045550199"),  # Canada shares +1
    # One-tap conference dial-ins keep the keyed-in meeting id and passcode ("#" escaped).
    ("+16465550100,,83153365392#,,#,,123456#", "+16465550100",
     "tel:+16465550100,,83153365392%23,,%23,,123456%23"),
    ("16465550100,,999999999#", "+16465550100", "tel:+16465550100,,999999999%23"),
    # A US number given a + but no country code, as conference feeds often write it.
    ("+3015550142,83153365392#", "+13015550142", "tel:+13015550142,83153365392%23"),
    ("+3015550142", "+13015550142", "tel:+13015550142"),
    ("(630) 555-0100,", "+16305550100", "tel:+16305550100"),
    ("+11", None, None),
    ("988", None, "tel:988"),
    ("211", None, "tel:211"),
    ("555-0100", None, None),  # no area code: cannot be dialled from anywhere
    ("call the front desk", None, None),
])
def test_phone_numbers_as_e164_and_tel_links(text, e164, tel):
    read = phone(text)
    assert read["text"] == text and read["e164"] == e164 and read["tel"] == tel


def test_no_phone_is_none_and_an_extension_is_kept_apart():
    assert phone(None) is None and phone("  ") is None
    assert phone("630 555 0100 x 12")["extension"] == "12"


def _site(**fields):
    return factories.site("s", timezone="America/Chicago", **fields)


WEEKDAYS_9_TO_5 = {"open_24_7": False, "intervals": [
    {"day": d, "open": "09:00", "close": "17:00"} for d in range(1, 6)]}


@pytest.mark.parametrize("record, at, expected", [
    (_site(), MONDAY_NOON, (True, None)),
    (_site(hours={"open_24_7": False, "intervals": []}), MONDAY_NOON, (None, None)),
    (_site(hours=WEEKDAYS_9_TO_5), MONDAY_NOON, (True, "2026-11-16T17:00:00-06:00")),
    # Friday 18:00: closed until Monday 09:00.
    (_site(hours=WEEKDAYS_9_TO_5), datetime(2026, 11, 21, 0, 0, tzinfo=timezone.utc),
     (False, "2026-11-23T09:00:00-06:00")),
    # Saturday 22:00 to Sunday 02:00 is one night across the week's end.
    (_site(hours={"open_24_7": False, "intervals": [
        {"day": 6, "open": "22:00", "close": "24:00"},
        {"day": 0, "open": "00:00", "close": "02:00"}]}),
     datetime(2026, 11, 22, 5, 0, tzinfo=timezone.utc), (True, "2026-11-22T02:00:00-06:00")),
    # Closing at the DST change: Saturday 31 October 2026, open again Sunday 9:00 in CST.
    (_site(hours={"open_24_7": False, "intervals": [
        {"day": 6, "open": "09:00", "close": "17:00"},
        {"day": 0, "open": "09:00", "close": "17:00"}]}),
     datetime(2026, 11, 1, 0, 0, tzinfo=timezone.utc), (False, "2026-11-01T09:00:00-06:00")),
    # A meeting is "open" while in progress; with no end time, for an hour.
    (factories.meeting("m", day=1, time="11:30", end_time=None), MONDAY_NOON,
     (True, "2026-11-16T12:30:00-06:00")),
    (factories.meeting("m", day=1, time="19:00", end_time="20:00"), MONDAY_NOON,
     (False, "2026-11-16T19:00:00-06:00")),
])
def test_open_now_and_when_that_changes(record, at, expected):
    state, changes = open_state(record, at)
    assert (state, changes.isoformat() if changes else None) == expected


def test_open_now_agrees_with_the_search_filter(tmp_path, monkeypatch):
    """The compact view and the `open_now` filter must never disagree about a place."""
    monkeypatch.setattr(http_cache, "utcnow", lambda: MONDAY_NOON)
    night = {"open_24_7": False, "intervals": [{"day": 1, "open": "00:00", "close": "06:00"}]}
    until_noon = {"open_24_7": False, "intervals": [{"day": 1, "open": "08:00", "close": "12:00"}]}
    from_noon = {"open_24_7": False, "intervals": [{"day": 1, "open": "12:00", "close": "13:00"}]}
    records = [factories.site("a", km=1), factories.site("b", km=1, hours=night),
               factories.site("c", km=1, hours=until_noon),
               factories.site("d", km=1, hours=from_noon),
               factories.site("e", km=1, hours={"open_24_7": False, "intervals": []}),
               factories.meeting("m1", km=1, day=1, time="11:30", end_time="12:30"),
               factories.meeting("m2", km=1, day=1, time="12:00", end_time="12:00"),
               factories.meeting("m3", km=1, day=1, time="11:00", end_time="12:00")]
    app = make_app(tmp_path, records)
    try:
        client = app.test_client()
        kinds = "kind=naloxone_site,meeting"
        compact = client.get(f"/v1/search?{AT}&{kinds}&view=compact").get_json()["results"]
        filtered = client.get(f"/v1/search?{AT}&{kinds}&open_now=true").get_json()["results"]
        assert {h["id"] for h in compact if h["open_now"]} == {h["id"] for h in filtered}
        assert {h["id"] for h in filtered} == {"test:a", "test:d", "test:m1"}
    finally:
        app.extensions["store"].close()


@pytest.fixture
def app(tmp_path):
    records = directory() + [
        factories.meeting("zoom", km=2, attendance="online", location_precision="region",
                          conference_url="https://zoom.example/j/123",
                          conference_notes="Meeting ID 123 456, passcode 789",
                          conference_phone="+1 312 555 0199"),
        factories.site("nal", km=1, phones={"main": "(630) 555-0170 ext. 4"}),
        factories.facility("two", km=2, levels_of_care=["3.7-WM", "3.5"],
                           beds=[row(available=1), row(level="3.5", available=2)])]
    app = make_app(tmp_path, records)
    yield app
    app.extensions["store"].close()


def _compact(client, query):
    return {h["id"]: h for h in client.get(f"/v1/search?{AT}&{query}&view=compact")
            .get_json()["results"]}


def test_a_compact_facility_hit_has_what_a_coach_acts_on(app, monkeypatch):
    now = datetime.now(timezone.utc)
    monkeypatch.setattr(http_cache, "utcnow", lambda: now)  # the same scores in both views
    client = app.test_client()
    query = "kind=treatment_facility&level_of_care=3.7-WM&gender=men&payment=uninsured"
    hits = _compact(client, query)
    hit = hits["test:a"]
    full = next(h for h in client.get(f"/v1/search?{AT}&{query}").get_json()["results"]
                if h["id"] == "test:a")
    assert hit["phones"]["intake"] == {"text": "(630) 555-0101", "e164": "+16305550101",
                                       "extension": None, "tel": "tel:+16305550101"}
    record = client.get("/v1/resources/test:a").get_json()
    assert hit["location"] == {**record["location"], "precision": "exact"}
    assert hit["timezone"] == record["timezone"] and hit["hours"] == record["hours"]
    assert hit["components"] == full["components"] and hit["score"] == full["score"]
    assert set(hit["components"]) == {"distance", "capacity", "payment", "level_of_care"}
    assert hit["beds_open"]["open"] == 1  # the men's bed only; the women's row is full
    assert sorted((b["population"], b["open"], b["freshness"]) for b in hit["beds"]) == [
        ("adult_men", 1, "fresh"), ("adult_women", 0, "fresh")]
    assert "meeting" not in hit
    unknown = hits["test:e"]["beds"]
    assert unknown == [{"level_of_care": "3.7-WM", "population": "adult_men", "open": None,
                        "reported_at": None, "freshness": "unknown"}]


def test_compact_beds_are_those_of_the_searched_levels(app):
    client = app.test_client()
    levels = (lambda hit: sorted(b["level_of_care"] for b in hit["beds"]))
    assert levels(_compact(client, "kind=treatment_facility")["test:two"]) == ["3.5", "3.7-WM"]
    detox = _compact(client, "kind=treatment_facility&level_of_care=detox")["test:two"]
    assert levels(detox) == ["3.7-WM"] and detox["beds_open"]["open"] == 1


def test_a_bed_can_be_held_from_the_compact_hit_alone(app):
    client = app.test_client()
    hit = _compact(client, "kind=treatment_facility")["test:b"]
    bed = next(b for b in hit["beds"] if b["open"])
    held = client.post(f"/v1/facilities/{hit['id']}/holds", headers=bearer(app, "coach"),
                       json={"level_of_care": bed["level_of_care"],
                             "population": bed["population"]})
    assert held.status_code == 201
    after = _compact(client, "kind=treatment_facility")["test:b"]
    row = next(b for b in after["beds"] if (b["level_of_care"], b["population"])
               == (bed["level_of_care"], bed["population"]))
    assert row["open"] == bed["open"] - 1


def test_a_compact_meeting_can_be_joined(app):
    hit = _compact(app.test_client(), "kind=meeting&attendance=online")["test:zoom"]
    assert hit["meeting"] == {
        "fellowship": "AA", "day": 1, "time": "19:00", "end_time": "20:00",
        "attendance": "online", "join_url": "https://zoom.example/j/123",
        "join_phone": {"text": "+1 312 555 0199", "e164": "+13125550199", "extension": None,
                       "tel": "tel:+13125550199"},
        "join_notes": "Meeting ID 123 456, passcode 789"}
    assert hit["timezone"] == "America/Chicago"
    assert hit["location"]["precision"] == "region"  # a pin for the region, not a door


def test_a_compact_site_has_hours_and_its_phone_extension(app):
    hit = _compact(app.test_client(), "kind=naloxone_site")["test:nal"]
    assert hit["open_now"] is True and hit["changes_at"] is None  # 24/7
    assert hit["phones"]["main"]["tel"] == "tel:+16305550170;ext=4"
    assert set(hit["phones"]) == {"main"}  # only the roles it has a number for
    assert "beds" not in hit and "meeting" not in hit


def test_compact_is_documented_in_openapi(app):
    spec = app.test_client().get("/openapi.json").get_json()
    ok = spec["paths"]["/v1/search"]["get"]["responses"]["200"]
    refs = {s["$ref"] for s in ok["content"]["application/json"]["schema"]["anyOf"]}
    assert refs == {"#/components/schemas/SearchResponse",
                    "#/components/schemas/CompactSearchResponse"}
    assert "304" in spec["paths"]["/v1/search"]["get"]["responses"]
    hit = app.test_client().get(f"/v1/search?{AT}&view=compact").get_json()["results"]
    documented = set(spec["components"]["schemas"]["CompactHit"]["properties"])
    for one in hit:
        assert set(one) <= documented
    assert set(spec["components"]["schemas"]["Phone"]["properties"]) == {
        "text", "e164", "extension", "tel"}
