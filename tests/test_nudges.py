"""Nudges to facilities (issue 23, item 2): a facility whose figures went stale gets one
e-mail per staleness episode, seen by a real SMTP server on loopback, with one-tap links.

Each runs on SQLite and PostgreSQL. Every test sets the clock: `run_due(app, now)` takes it, and the link pages read the
staff pages' clock (STAFF_CLOCK). The seed's report times are shifted to the loading
time, so the clock is set from them: `now` is 13:10 in Chicago (the 13:00 nudge round)
on the first day seed facility fac-001 (Crossroads, intake 24/7) is past FRESH_HOURS.
"""
import re
from dataclasses import replace
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from directory_service import nudges
from directory_service.availability.db import parse_iso
from tests.smtp_server import SmtpServer
from tests.staff_client import make_key, sign_in
from tests.test_live_support import bearer

FAC, OTHER = "seed:fac-001", "seed:fac-002"
CHICAGO = ZoneInfo("America/Chicago")
ADDRESS = "intake@crossroads.example.org"
LINK = re.compile(r"(?:Still accurate|Sigue vigente|Update|Actualizar): "
                  r"http://localhost(/staff/nudge/\S+)")


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def oldest_figure(app):
    with app.app_context():
        rows = app.extensions["store"].get(FAC)["beds"]
    return min(parse_iso(row["reported_at"]) for row in rows if row["reported_at"])


@pytest.fixture
def nudge_app(seed_app_factory, smtp, availability_backend):
    """The seed directory, mail to the loopback server, on SQLite and PostgreSQL."""
    app = seed_app_factory(smtp_url=smtp.url, mail_from="nudges@directory.example.org",
                           public_url="http://localhost")
    stale = (oldest_figure(app) + timedelta(hours=4, minutes=1)).astimezone(CHICAGO)
    moment = stale.replace(hour=13, minute=10, second=0, microsecond=0)
    if moment < stale:
        moment += timedelta(days=1)
    app.now = moment.astimezone(timezone.utc)
    app.config["STAFF_CLOCK"] = lambda: app.now.timestamp()
    yield app
    app.extensions["store"].close()


@pytest.fixture
def now(nudge_app):
    return nudge_app.now


def set_contacts(app, facility_id=FAC, **fields):
    client = app.test_client()
    body = {"emails": [ADDRESS], "language": "en", **fields}
    answer = client.put(f"/v1/facilities/{facility_id}/contacts", json=body,
                        headers=bearer(app, "facility", facility_id))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def links_of(text):
    """{"confirm": path, "update": path} from a message's text, in its order."""
    found = LINK.findall(text)
    assert len(found) == 2, text
    return {"confirm": found[0], "update": found[1]}


def open_beds(client):
    """Public search's figure for Crossroads' oldest row (3.5, men), as anyone sees it."""
    hits = client.get("/v1/search?near=60540&kind=treatment_facility&level_of_care=3.5"
                      "&gender=men").get_json()["results"]
    return next(h["beds_open"] for h in hits if h["id"] == FAC)


def test_a_stale_facility_gets_exactly_one_email_across_runs(nudge_app, now, smtp):
    set_contacts(nudge_app, emails=[ADDRESS, "director@crossroads.example.org"])
    counts = nudges.run_due(nudge_app, now)
    assert counts == {"due": 1, "sent": 2, "failed": 0, "retried": 0}
    for later in (timedelta(minutes=1), timedelta(minutes=30), timedelta(hours=5)):
        assert nudges.run_due(nudge_app, now + later)["sent"] == 0  # same episode
    # One message to each contact, each to that contact alone, from MAIL_FROM.
    assert sorted(env.rcpt_tos[0] for env, _ in smtp.inbox.messages) == sorted(
        [ADDRESS, "director@crossroads.example.org"])
    assert all(len(env.rcpt_tos) == 1 for env, _ in smtp.inbox.messages)
    envelope, message = smtp.inbox.messages[0]
    assert envelope.mail_from == "nudges@directory.example.org"
    assert message["Subject"] == "Crossroads Recovery Center: are your bed figures still right?"
    text = smtp.inbox.text(0)
    oldest = oldest_figure(nudge_app).astimezone(CHICAGO).strftime("%Y-%m-%d %H:%M")
    assert oldest in text  # the oldest figure, in the facility's own local time
    assert "/staff/nudge/unsubscribe/" in text
    # The contacts are private: no public answer carries them.
    public = nudge_app.test_client().get(f"/v1/resources/{FAC}").get_data(as_text=True)
    assert ADDRESS not in public and "crossroads.example.org" not in public


def test_still_accurate_confirms_every_row_once_and_search_shows_it_fresh(nudge_app, now, smtp):
    set_contacts(nudge_app)
    nudges.run_due(nudge_app, now)
    paths = links_of(smtp.inbox.text())
    client = nudge_app.test_client()
    assert open_beds(client)["freshness"] != "fresh"
    page = client.get(paths["confirm"])
    html = page.get_data(as_text=True)
    # The GET only shows the button: a mail scanner opening the link changes nothing.
    assert page.status_code == 200 and "Yes, still accurate" in html and "method=\"post\"" in html
    assert open_beds(client)["freshness"] != "fresh"
    # A page elsewhere cannot make the visitor's browser tap it (the sign-in form's rule).
    forged = client.post(paths["confirm"], headers={"Origin": "https://elsewhere.example"})
    assert forged.status_code == 400 and open_beds(client)["freshness"] != "fresh"
    done = client.post(paths["confirm"])
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "3 bed figures of Crossroads Recovery Center are marked still accurate" in \
        done.get_data(as_text=True)
    assert "Set-Cookie" not in done.headers  # no sign-in, no session
    assert open_beds(client)["freshness"] == "fresh"
    history = client.get(f"/v1/facilities/{FAC}/beds/history",
                         headers=bearer(nudge_app, "admin")).get_json()["entries"]
    assert [e["event"] for e in history[:3]] == ["confirmation"] * 3
    # The same link a second time: refused with a clear page, nothing done.
    again = client.post(paths["confirm"])
    assert again.status_code == 410 and "already used" in again.get_data(as_text=True)
    assert client.get(paths["confirm"]).status_code == 410


def test_altered_and_expired_links_are_refused_with_a_page(nudge_app, now, smtp):
    set_contacts(nudge_app)
    nudges.run_due(nudge_app, now)
    paths = links_of(smtp.inbox.text())
    client = nudge_app.test_client()
    token = paths["confirm"].rsplit("/", 1)[1]
    altered = paths["confirm"][:-len(token)] + token[:-3] + ("AAA" if token[-3:] != "AAA"
                                                              else "BBB")
    for method in (client.get, client.post):
        answer = method(altered)
        assert answer.status_code == 400 and "not valid" in answer.get_data(as_text=True)
    assert client.get("/staff/nudge/not-a-token").status_code == 400
    nudge_app.now = now + timedelta(hours=12, seconds=1)
    for method in (client.get, client.post):
        answer = method(paths["confirm"])
        assert answer.status_code == 410 and "expired" in answer.get_data(as_text=True)
    assert open_beds(client)["freshness"] != "fresh"


def test_update_signs_in_for_that_facility_only_and_briefly(nudge_app, now, smtp):
    set_contacts(nudge_app)
    nudges.run_due(nudge_app, now)
    paths = links_of(smtp.inbox.text())
    client = nudge_app.test_client()
    assert client.get(paths["update"]).status_code == 200
    answer = client.post(paths["update"])
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/staff/facilities/{FAC}")
    assert client.get(f"/staff/facilities/{FAC}").status_code == 200
    assert client.get(f"/staff/facilities/{OTHER}").status_code == 403
    assert client.get("/staff/admin").status_code == 403
    assert client.post(paths["update"]).status_code == 410  # once
    nudge_app.now = now + timedelta(minutes=16)
    assert client.get(f"/staff/facilities/{FAC}").status_code == 401


def test_paused_contacts_and_a_facility_without_figures_get_nothing(nudge_app, now, smtp):
    set_contacts(nudge_app, "seed:fac-010")  # one unknown row: nothing to confirm
    set_contacts(nudge_app, paused=True)
    assert nudges.run_due(nudge_app, now)["sent"] == 0
    set_contacts(nudge_app, paused=False)
    assert nudges.run_due(nudge_app, now)["sent"] == 1
    assert len(smtp.inbox.messages) == 1


def test_outside_intake_hours_and_rounds_nothing_is_sent(nudge_app, now, smtp):
    set_contacts(nudge_app)
    client = nudge_app.test_client()
    path = f"/v1/facilities/{FAC}/profile"
    key = bearer(nudge_app, "facility", FAC)
    saved = client.put(path, json={"fields": {"intake_24_7": False, "hours": {
        "open_24_7": False, "intervals": [{"day": now.astimezone(CHICAGO).isoweekday() % 7,
                                           "open": "13:30", "close": "17:00"}]}}},
        headers={**key, "If-Match": client.get(path, headers=key).headers["ETag"]})
    assert saved.status_code == 200, saved.get_json()
    assert nudges.run_due(nudge_app, now)["sent"] == 0  # 13:10: intake opens 13:30
    assert nudges.run_due(nudge_app, now + timedelta(hours=2))["sent"] == 0  # no round
    assert smtp.inbox.messages == []
    assert nudges.run_due(nudge_app, now + timedelta(minutes=35))["sent"] == 1  # 13:45


def test_a_spanish_contact_gets_spanish_words_and_pages(nudge_app, now, smtp):
    set_contacts(nudge_app, language="es")
    nudges.run_due(nudge_app, now)
    message = smtp.inbox.messages[0][1]
    assert message["Subject"] == ("Crossroads Recovery Center: ¿siguen siendo correctas sus "
                                  "cifras de camas?")
    text = smtp.inbox.text()
    assert "Sigue vigente" in text and "?lang=es" in text
    paths = links_of(text)
    client = nudge_app.test_client()
    page = client.get(paths["confirm"]).get_data(as_text=True)
    assert '<html lang="es">' in page and "Sí, sigue vigente" in page
    client.post(paths["confirm"])
    again = client.post(paths["confirm"]).get_data(as_text=True)
    assert "Este enlace ya se usó" in again


def test_a_failed_send_is_recorded_retried_next_run_and_bounded(nudge_app, now, smtp):
    set_contacts(nudge_app)
    settings = nudge_app.config["SETTINGS"]
    nudge_app.config["SETTINGS"] = replace(settings, smtp_url="smtp://127.0.0.1:1",
                                           nudge_max_attempts=3)
    assert nudges.run_due(nudge_app, now)["failed"] == 1
    admin = nudge_app.test_client()
    sign_in(admin, make_key(nudge_app, "admin"))
    html = admin.get("/staff/admin/nudges").get_data(as_text=True)
    assert "failed, will retry" in html and "could not be reached" in html
    assert ADDRESS not in html and "in…@crossroads.example.org" in html
    listed = admin.get("/v1/nudges", headers=bearer(nudge_app, "admin")).get_json()
    assert listed["counts"]["failed"] == 1 and listed["nudges"][0]["to"].startswith("in…@")
    # The server is back: the next run sends the same nudge, once.
    nudge_app.config["SETTINGS"] = replace(settings, nudge_max_attempts=3)
    assert nudges.run_due(nudge_app, now + timedelta(minutes=1)) == {
        "due": 0, "sent": 1, "failed": 0, "retried": 1}
    assert nudges.run_due(nudge_app, now + timedelta(minutes=2))["sent"] == 0
    assert len(smtp.inbox.messages) == 1


def test_a_send_that_keeps_failing_is_given_up_after_the_bound(nudge_app, now, smtp):
    set_contacts(nudge_app)
    settings = nudge_app.config["SETTINGS"]
    nudge_app.config["SETTINGS"] = replace(settings, smtp_url="smtp://127.0.0.1:1",
                                           nudge_max_attempts=3)
    tried = [nudges.run_due(nudge_app, now + timedelta(minutes=m)) for m in range(6)]
    assert [c["failed"] for c in tried] == [1, 1, 1, 0, 0, 0]
    nudge_app.config["SETTINGS"] = settings  # the server is back: the episode had its tries
    assert nudges.run_due(nudge_app, now + timedelta(minutes=7))["sent"] == 0
    row = nudge_app.test_client().get(f"/v1/nudges?facility_id={FAC}", headers=bearer(
        nudge_app, "admin")).get_json()["nudges"]
    assert [(r["status"], r["attempts"]) for r in row] == [("given_up", 3)]
    assert smtp.inbox.messages == []
