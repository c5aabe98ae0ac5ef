"""Coach watches on the staff pages: the no-JavaScript form and list, and the live
stream (Server-Sent Events) that carries a fire to the open pages."""
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from directory_service import watches
from directory_service.availability import reports
from tests.staff_client import make_key, page_token, sign_in

NOW = datetime.now(timezone.utc).replace(microsecond=0)
NEEDS = {"near": "60540", "level_of_care": "3.7-WM", "gender": "men", "age": "30",
         "max_distance": "25"}
FACILITY = "seed:fac-001"


@pytest.fixture
def coach(app):
    app.config["PAGE_NOW"] = NOW
    client = app.test_client()
    sign_in(client, make_key(app, "coach"))
    return client


def set_open(app, available, at=NOW):
    """seed:fac-001's men's detox row, reported at `at`."""
    record = app.extensions["store"].get(FACILITY)
    row = {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 12,
           "available": available, "status": "open" if available else "full",
           "reported_at": at.isoformat().replace("+00:00", "Z")}
    reports.apply_report(app.extensions["availability"], FACILITY, [row], "test",
                         record.get("beds"), now=at)


def start_watch(coach, hours="2", **extra):
    _html, csrf = page_token(coach, "/staff/coach")
    page = coach.post("/staff/coach", data={"csrf_token": csrf, **NEEDS}).get_data(as_text=True)
    form = re.search(r'<form class="staff-form watch-form".*?</form>', page, re.S).group(0)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert {k: fields[k] for k in NEEDS} == NEEDS  # the needs searched, as posted
    response = coach.post("/staff/coach/watches", data={**fields, "hours": hours, **extra})
    assert response.status_code == 303
    return response.headers["Location"]


def test_tell_me_when_a_bed_opens_without_javascript(app, coach):
    set_open(app, 0)
    landing = start_watch(coach)
    assert re.search(r"/staff/coach/watches#watch-w_[0-9a-f]+$", landing)
    page = coach.get(landing).get_data(as_text=True)
    assert "Watching. A bed that opens" in page and "120 min left" in page
    assert re.search(r'<noscript><meta http-equiv="refresh" '
                     r'content="60; url=/staff/coach/watches">', page)
    assert "No bed has opened for these needs yet." in page
    set_open(app, 3, NOW + timedelta(minutes=1))
    assert watches.check(app, NOW + timedelta(minutes=1))["fired"] == 1
    page = coach.get("/staff/coach/watches").get_data(as_text=True)
    assert "A bed opened: Crossroads Recovery Center · " in page and ": 3 open" in page
    # The coach page lists it too, under My watches.
    coach_page = coach.get("/staff/coach").get_data(as_text=True)
    assert "A bed opened: Crossroads Recovery Center" in coach_page
    watch_id = re.search(r'id="watch-(w_[0-9a-f]+)"', page).group(1)
    _html, csrf = page_token(coach, "/staff/coach/watches")
    done = coach.post(f"/staff/coach/watches/{watch_id}/cancel", data={"csrf_token": csrf})
    page = coach.get(done.headers["Location"]).get_data(as_text=True)
    assert "Watch cancelled." in page and "Stopped" in page and "<noscript><meta" not in page


def test_a_bad_choice_is_a_message_and_another_coach_gets_404(app, coach):
    landing = start_watch(coach, hours="48")
    page = coach.get(landing).get_data(as_text=True)
    assert "Not watching: hours: a watch lasts 1 to 24 hours" in page
    landing = start_watch(coach, email="not an address")
    assert "Not watching: email:" in coach.get(landing).get_data(as_text=True)
    landing = start_watch(coach)
    watch_id = landing.rpartition("#watch-")[2]
    other = app.test_client()
    sign_in(other, make_key(app, "coach"))
    _html, csrf = page_token(other, "/staff/coach")
    assert other.post(f"/staff/coach/watches/{watch_id}/cancel",
                      data={"csrf_token": csrf}).status_code == 404
    assert watch_id not in other.get("/staff/coach/watches").get_data(as_text=True)


def test_the_page_in_spanish(app, coach):
    start_watch(coach)
    page = coach.get("/staff/coach/watches?lang=es").get_data(as_text=True)
    assert "Mis avisos" in page and "Dejar de avisar" in page
    _html, csrf = page_token(coach, "/staff/coach?lang=es")
    found = coach.post("/staff/coach?lang=es", data={"csrf_token": csrf, **NEEDS})
    assert "Avísame cuando se abra una cama" in found.get_data(as_text=True)


def read_events(response, want, limit=200):
    """Events from a streamed response until `want` of them came (or it ended)."""
    events, buffer = [], ""
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.splitlines()
                          if ": " in line and not line.startswith(":"))
            if "event" in fields:
                events.append(fields)
        if len(events) >= want:
            break
        limit -= 1
        if limit == 0:
            break
    return events


def test_the_stream_delivers_a_fire_and_resumes_after_the_last_event(app, coach):
    app.config.update(WATCH_EVENTS_POLL_SECONDS=0.01, WATCH_EVENTS_SECONDS=0.5,
                      WATCH_EVENTS_KEEPALIVE_SECONDS=0.05)
    set_open(app, 0)
    start_watch(coach)
    coach_page = coach.get("/staff/coach").get_data(as_text=True)
    after = re.search(r'data-after="(\d+)"', coach_page).group(1)
    response = coach.get(f"/staff/coach/watches/events?after={after}", buffered=False)
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-store"
    stream = iter(response.response)
    first = next(stream).decode()
    assert first.startswith("retry: 3000\n")
    set_open(app, 2, NOW + timedelta(minutes=1))
    watches.check(app, NOW + timedelta(minutes=1))
    events = read_events(response, 1)
    response.close()
    assert [e["event"] for e in events] == ["fire"]
    data = json.loads(events[0]["data"])
    assert data["facility_id"] == FACILITY
    assert "A bed opened: Crossroads Recovery Center" in data["text"]
    # A reconnection names the last event it had: nothing is sent twice.
    again = coach.get("/staff/coach/watches/events", headers={"Last-Event-ID": events[0]["id"]},
                      buffered=False)
    assert read_events(again, 1) == []  # the stream ends (its lifetime) with no event
    again.close()
    # A Last-Event-ID no fire can have starts the stream from now, never a server error
    # (a number past SQLite's integers overflowed mid-stream; "²" failed int()).
    for odd in ("9" * 30, "²", "-1", "abc"):
        text = coach.get("/staff/coach/watches/events", headers={"Last-Event-ID": odd},
                         query_string={"after": odd}).get_data(as_text=True)
        assert text.startswith("retry: 3000\n") and "event: fire" not in text, odd
    # Keepalive comments while nothing happens.
    text = coach.get("/staff/coach/watches/events").get_data(as_text=True)
    assert ": keepalive" in text


def test_a_coach_at_the_watch_cap_is_told_why_and_nothing_is_saved(app, coach):
    import dataclasses

    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"],
                                                 watch_max_active_per_key=1)
    set_open(app, 0)
    start_watch(coach)
    landing = start_watch(coach, hours="3")
    assert landing.endswith("/staff/coach/watches")
    page = coach.get(landing).get_data(as_text=True)
    assert "Not watching: you already have 1 running watch, the most one key may have" in page
    assert len(re.findall(r'id="watch-w_[0-9a-f]+"', page)) == 1


@pytest.mark.parametrize("language, opening", [("es", "Se abri\u00f3 una cama: "),
                                               ("en", "A bed opened: ")])
def test_the_e_mail_is_in_the_language_the_coach_page_was_read_in(app, coach, language,
                                                                   opening):
    set_open(app, 0)
    coach.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    start_watch(coach, email="coach@example.org")
    sent = []
    set_open(app, 3, NOW + timedelta(minutes=1))
    watches.check(app, NOW + timedelta(minutes=1), send_mail=lambda *args: sent.append(args))
    [(_settings, to, subject, text)] = sent
    assert to == ["coach@example.org"]
    assert subject == opening + "Crossroads Recovery Center"
    assert ("hora de America/Chicago" in text) == (language == "es")
