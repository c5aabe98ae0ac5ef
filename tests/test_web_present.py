"""How records read on the page: hours across midnight, meeting timing, bed groups, links."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from directory_service.web import bed_figures, present

CHICAGO = ZoneInfo("America/Chicago")


def moment(day, hh, mm=0, zone=CHICAGO):
    """Nov 22 2026 is a Sunday: day 0 = Sunday ... 6 = Saturday, at hh:mm local."""
    return datetime(2026, 11, 22 + day, hh, mm, tzinfo=zone)


def place(*intervals, zone="America/Chicago"):
    return {"kind": "naloxone_site", "timezone": zone, "hours": {"open_24_7": False, "intervals": [
        {"day": d, "open": o, "close": c} for d, o, c in intervals]}}


@pytest.fixture(autouse=True)
def english(app):
    with app.test_request_context("/"):
        yield


def test_an_opening_past_midnight_is_one_stretch_even_saturday_into_sunday():
    late = place((5, "22:00", "24:00"), (6, "00:00", "02:00"), (6, "22:00", "24:00"),
                 (0, "00:00", "03:00"))
    assert present.hours_state(late, moment(5, 23, 0)) == ("open", 180)  # one stretch to 2:00
    assert present.hours_state(late, moment(6, 23, 0)) == ("open", 240)  # into Sunday 3:00
    assert present.hours_state(late, moment(6, 1, 0)) == ("open", 60)
    assert present.hours_state(late, moment(0, 2, 30)) == ("open", 30)  # Sunday 2:30, wrapped
    state, words = present.open_state(late, moment(5, 23, 0))
    assert state == "open" and words.replace("\u202f", " ") == "Open now · until tomorrow 2:00 AM"


def test_closed_says_when_it_opens_today_tomorrow_or_on_a_weekday():
    weekdays = place(*((d, "09:00", "17:00") for d in range(1, 6)))
    words = lambda now: present.open_state(weekdays, now)[1].replace("\u202f", " ")  # noqa: E731
    assert words(moment(1, 7, 15)) == "Closed now · opens 9:00 AM"
    assert words(moment(1, 18, 0)) == "Closed now · opens tomorrow 9:00 AM"
    assert words(moment(5, 18, 0)) == "Closed now · opens Monday 9:00 AM"
    assert words(moment(3, 16, 59)) == "Open now · until 5:00 PM"
    assert present.open_state(place(), moment(1, 9))[0] == "unknown"


def test_hours_are_read_in_the_places_own_zone():
    denver = place((1, "09:00", "17:00"), zone="America/Denver")
    # 9:30 in Chicago is 8:30 in Denver: not open yet.
    assert present.hours_state(denver, moment(1, 9, 30)) == ("closed", 30)


def meeting(day=1, start="19:00", end="20:00", attendance="in_person"):
    return {"kind": "meeting", "timezone": "America/Chicago", "day": day, "time": start,
            "end_time": end, "attendance": attendance}


def test_meeting_timing_counts_to_the_start_and_knows_the_ended():
    now = moment(1, 19, 30)
    assert present.meeting_timing(meeting(), now)["starts_in"] == -30
    assert present.meeting_timing(meeting(start="20:15", end="21:15"), now)["starts_in"] == 45
    ended = present.meeting_timing(meeting(start="17:00", end="18:00"), now)
    assert ended["ended_today"] and ended["starts_in"] == 7 * 1440 - 150
    assert not present.meeting_timing(meeting(day=2), now)["ended_today"]


def test_a_meeting_past_midnight_is_in_progress_after_midnight():
    late = meeting(day=1, start="23:30", end="00:30", attendance="online")
    timing = present.meeting_timing(late, moment(2, 0, 10))
    assert timing["in_progress"] and timing["ends_in"] == 20
    assert present.meeting_state(late, moment(2, 0, 10))[1].startswith("Online now")
    assert present.meeting_state(late, moment(1, 23, 0))[0] == "soon"


def test_a_meeting_without_an_end_lasts_an_hour():
    open_end = meeting(end=None)
    assert present.meeting_timing(open_end, moment(1, 19, 59))["in_progress"]
    assert not present.meeting_timing(open_end, moment(1, 20, 0))["in_progress"]


def row(population, available, age_seconds, freshness, status="open", held=0, level="3.7-WM"):
    return {"level_of_care": level, "population": population, "available": available,
            "held": held, "status": status, "reported_at": "2026-11-23T10:00:00Z",
            "age_seconds": age_seconds, "freshness": freshness}


def test_bed_groups_keep_who_may_take_them_apart_and_net_of_holds():
    record = {"beds": [row("adult_men", 4, 3600, "fresh", held=1),
                       row("adult_women", 0, 7200, "fresh", status="full"),
                       row("adult_any", 2, 100, "fresh"), row("adult_any", 1, 90000, "stale"),
                       row("adult_men", 9, 60, "fresh", level="3.5")]}
    groups = {g["group"]: g for g in bed_figures.bed_groups(record, ["3.7-WM"])}
    assert groups["men"]["open"] == 3 and groups["women"]["open"] == 0
    # A sum is as old as its oldest figure.
    assert groups["adults"]["open"] == 3 and groups["adults"]["freshness"] == "stale"
    men = bed_figures.bed_groups(record, ["3.7-WM"], gender="men")
    assert [g["group"] for g in men] == ["men", "adults"]
    assert bed_figures.bed_groups(record, ["3.7-WM"], age=15) == []


def test_usable_beds_need_a_figure_that_is_not_stale():
    stale = [{"group": "men", "open": 2, "freshness": "stale"}]
    assert not bed_figures.usable_beds(stale) and bed_figures.usable_beds(stale, include_stale=True)
    assert not bed_figures.usable_beds([{"group": "men", "open": 0, "freshness": "fresh"}])
    assert not bed_figures.usable_beds([{"group": "men", "open": None, "freshness": "unknown"}])


def test_bed_lines_read_unknown_stale_full_and_open():
    line = lambda **g: bed_figures.bed_line({"group": "men", "reported_at": "2026-11-23T10:00:00Z",  # noqa: E731
                                         "age_seconds": 3600, "freshness": "fresh", **g})
    assert line(open=4)["text"] == "4 open for men" and line(open=4)["when"] == "1 h ago"
    assert line(open=0)["text"] == "Full for men"
    assert line(open=None)["text"] == "men-only beds not reported — call"
    stale = line(open=1, age_seconds=8 * 86400, freshness="stale")
    assert stale["css"] == "stale"
    assert stale["text"] == "figure for men is 8 days old — call to check"
    assert line(open=4)["as_of"].replace("\u202f", " ") == "as of 4:00 AM, Nov 23"


@pytest.mark.parametrize("url, safe", [
    ("https://meet.example.org/j/1", True), ("http://x.example/a", True),
    ("javascript:alert(1)", False), ("data:text/html,hi", False), ("//evil.example", False),
    ("zoom.us/j/1", False), ("", False), (None, False),
])
def test_only_web_links_are_linked(url, safe):
    assert (present.safe_url(url) is not None) == safe


def test_the_page_and_the_compact_view_agree_on_open_now_all_week():
    """One rule for open now: the page's badge and the phone app's `open_now`/`changes_at`
    (api/open_hours.py) agree at every moment of a week, meetings and hours alike."""
    from datetime import timedelta

    from directory_service.api import open_hours
    records = [
        place((5, "22:00", "24:00"), (6, "00:00", "02:00"), (6, "22:00", "24:00"), (0, "00:00", "03:00")),
        place(*((d, "09:00", "17:00") for d in range(1, 6))),
        place((3, "08:00", "08:00")),
        meeting(), meeting(day=6, start="23:30", end="00:30"), meeting(end=None),
        meeting(start="19:00", end="19:00"),
    ]
    start = moment(0, 0, 0)
    for step in range(0, 7 * 1440, 37):
        now = start + timedelta(minutes=step)
        for record in records:
            is_open, changes_at = open_hours.open_state(record, now)
            if record["kind"] == "meeting":
                page_open = present.meeting_timing(record, now)["in_progress"]
            else:
                state, minutes = present.hours_state(record, now)
                page_open = state == "open"
                if changes_at is not None:
                    assert now + timedelta(minutes=minutes) == changes_at, (record, now)
            assert page_open == is_open, (record, now)
