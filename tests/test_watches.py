"""Coach watches (issue 23, item 4): saved needs fire once when a matching bed opens.

The directory is tests/test_live_support's six facilities near Naperville. Every test
fixes its clock: NOW for the pages (PAGE_NOW), the check (`check(app, now)`) and the live
overlay's hold expiries; bed reports are written at NOW too (their age is what the match
judges). Runs on SQLite and PostgreSQL where it touches SQL.
"""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from directory_service.availability import holds, reports
from directory_service.search import live_overlay
from directory_service import watches
from tests.test_live_support import NAPERVILLE, bearer, make_app

NOW = datetime.now(timezone.utc).replace(microsecond=0)
NEEDS = {"level_of_care": "3.7-WM", "payer": "medicaid", "gender": "men", "age": 30,
         "lat": NAPERVILLE["lat"], "lon": NAPERVILLE["lon"], "max_distance": 10}


def at(minutes):
    return NOW + timedelta(minutes=minutes)


class Recorder:
    """Stands for mail.send_mail / webhooks.deliver_to_url: records each call."""

    def __init__(self, fail=False):
        self.calls, self.fail = [], fail

    def __call__(self, *args):
        self.calls.append(args)
        if self.fail:
            raise RuntimeError("refused")


@pytest.fixture
def world(tmp_path, availability_backend, monkeypatch):
    w = SimpleNamespace(now=NOW)
    w.app = app = make_app(tmp_path)
    app.config["PAGE_NOW"] = lambda: w.now
    # The live overlay's clock (hold expiries) is the test's too.
    monkeypatch.setattr(live_overlay, "utcnow", lambda: w.now)
    w.client = app.test_client()
    w.coach, w.other = bearer(app, "coach"), bearer(app, "coach")
    w.mail, w.hook = Recorder(), Recorder()
    yield w
    app.extensions["store"].close()


def report(w, facility_id, available, level="3.7-WM", population="adult_men"):
    """Facility b (or any) reports one row at the test's clock."""
    record = w.app.extensions["store"].get(facility_id)
    row = {"level_of_care": level, "population": population, "capacity": 10,
           "available": available, "status": "open" if available else "full",
           "reported_at": w.now.isoformat().replace("+00:00", "Z")}
    reports.apply_report(w.app.extensions["availability"], facility_id, [row], "test",
                         record.get("beds"), now=w.now)


def check(w, minutes=None):
    if minutes is not None:
        w.now = at(minutes)
    return watches.check(w.app, w.now, send_mail=w.mail, deliver_to_url=w.hook)


def watch(w, headers=None, **needs):
    response = w.client.post("/v1/watches", json={**NEEDS, **needs},
                             headers=headers or w.coach)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def fires(w, watch_id, headers=None):
    body = w.client.get(f"/v1/watches/{watch_id}", headers=headers or w.coach).get_json()
    return [(f["facility_id"], f["level_of_care"], f["population"]) for f in body["fires"]]


def test_a_report_that_opens_a_matching_bed_fires_once(world):
    report(world, "test:b", 0)
    mine = watch(world)
    other_payer = watch(world, payer="private")
    other_level = watch(world, level_of_care="3.5", payer="sliding_fee")
    women = watch(world, gender="women")
    assert check(world, 1)["fired"] == 0
    report(world, "test:b", 2)
    assert check(world, 2)["fired"] == 1
    assert fires(world, mine["id"]) == [("test:b", "3.7-WM", "adult_men")]
    for other in (other_payer, other_level, women):
        assert fires(world, other["id"]) == []
    # Still open (more beds, or a report saying the same): no second fire.
    report(world, "test:b", 3)
    assert check(world, 3)["fired"] == 0
    assert check(world, 4)["fired"] == 0
    # Full, then open again: a new opening fires again.
    report(world, "test:b", 0)
    check(world, 5)
    report(world, "test:b", 1)
    assert check(world, 6)["fired"] == 1
    assert len(fires(world, mine["id"])) == 2


def test_beds_open_when_the_watch_is_saved_do_not_fire(world):
    report(world, "test:b", 2)
    mine = watch(world)
    report(world, "test:b", 3)
    check(world, 1)
    assert fires(world, mine["id"]) == []


def test_a_declined_hold_and_an_expired_one_free_the_bed_and_fire(world):
    adb, record = world.app.extensions["availability"], world.app.extensions["store"].get("test:b")
    report(world, "test:b", 1)
    held = holds.create(adb, "test:b", "3.7-WM", "adult_men", "k_someone", None, 30,
                        record["beds"], now=world.now)
    mine = watch(world)  # the one bed is held: nothing open for these needs
    assert check(world, 1)["fired"] == 0
    holds.decide(adb, held["id"], "declined", "key:k_fac", now=world.now)
    assert check(world, 2)["fired"] == 1
    # Held again (closed for the watch), then the hold runs out with nobody writing.
    holds.create(adb, "test:b", "3.7-WM", "adult_men", "k_someone", None, 30,
                 record["beds"], now=world.now)
    assert check(world, 3)["fired"] == 0
    assert check(world, 40)["fired"] == 1
    assert fires(world, mine["id"]) == [("test:b", "3.7-WM", "adult_men")] * 2


def test_expired_and_cancelled_watches_do_not_fire_and_go(world):
    report(world, "test:b", 0)
    short = watch(world, hours=1)
    cancelled = watch(world)
    assert world.client.delete(f"/v1/watches/{cancelled['id']}",
                               headers=world.coach).get_json()["state"] == "cancelled"
    world.now = at(61)
    report(world, "test:b", 2)
    assert check(world)["fired"] == 0
    listed = {w["id"]: w for w in world.client.get("/v1/watches",
                                                   headers=world.coach).get_json()["watches"]}
    assert listed[short["id"]]["state"] == "expired" and listed[short["id"]]["fires"] == []
    assert listed[cancelled["id"]]["state"] == "cancelled"
    # A day after they ended they are pruned.
    assert check(world, 61 + 24 * 60 + 1)["pruned"] == 2
    assert world.client.get("/v1/watches", headers=world.coach).get_json()["watches"] == []


def test_another_coach_can_neither_see_nor_cancel(world):
    mine = watch(world)
    theirs = watch(world, headers=world.other)
    listed = world.client.get("/v1/watches", headers=world.coach).get_json()["watches"]
    assert [w["id"] for w in listed] == [mine["id"]]
    for method in ("get", "delete"):
        response = getattr(world.client, method)(f"/v1/watches/{theirs['id']}",
                                                 headers=world.coach)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
    assert world.client.get(f"/v1/watches/{theirs['id']}",
                            headers=world.other).get_json()["state"] == "active"
    facility = bearer(world.app, "facility", "test:b")
    assert world.client.post("/v1/watches", json=NEEDS, headers=facility).status_code == 403
    assert world.client.get("/v1/watches").status_code == 401


@pytest.mark.parametrize("change, field", [
    ({"hours": 25}, "hours"), ({"hours": 0}, "hours"), ({"level_of_care": "9.9"}, "level_of_care"),
    ({"email": "not an address"}, "email"), ({"webhook": "ftp://x.example/"}, "webhook"),
    ({"email": "c@example.org", "webhook": "https://x.example/"}, "webhook"),
    ({"limit": 5}, "limit"), ({"note": "Jane"}, "note"),
    # once accepted, then refused at every attempt (WEBHOOK_ALLOW_PRIVATE is false here)
    ({"webhook": "http://127.0.0.1:8080/hook"}, "webhook"),
    ({"webhook": "http://[::1]/hook"}, "webhook"), ({"webhook": "http://localhost/"}, "webhook"),
    ({"webhook": "http://169.254.169.254/latest/"}, "webhook"),
    # loopback and metadata in the C library's other IPv4 spellings (decimal, hex, octal,
    # short), which every HTTP client connects to as such
    ({"webhook": "https://2130706433/x"}, "webhook"), ({"webhook": "http://0x7f.1/"}, "webhook"),
    ({"webhook": "http://0177.0.0.1/"}, "webhook"), ({"webhook": "http://127.1/"}, "webhook"),
    ({"webhook": "http://0xa9fea9fe/latest/"}, "webhook"),
    ({"webhook": "https://user:pw@dispatch.example/hooks"}, "webhook")])
def test_validation_names_the_field(world, change, field):
    response = world.client.post("/v1/watches", json={**NEEDS, **change}, headers=world.coach)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_only_the_needs_are_kept_never_the_place_as_typed(world):
    made = world.client.post("/v1/watches", json={
        "level_of_care": "detox", "near": "60540", "hours": 2}, headers=world.coach)
    body = made.get_json()
    assert made.status_code == 201 and body["place"] and "near" not in body["needs"]
    assert body["expires_at"] == (NOW + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    assert round(body["needs"]["lat"], 3) == body["needs"]["lat"]
    assert "secret" not in body and body["notify"] is None


def test_email_and_webhook_are_called_once_per_fire(world):
    report(world, "test:b", 0)
    by_mail = watch(world, email="coach@example.org")
    by_hook = watch(world, webhook="https://dispatch.example/hooks")
    assert by_hook["secret"].startswith("whsec_") and "secret" not in world.client.get(
        f"/v1/watches/{by_hook['id']}", headers=world.coach).get_json()
    report(world, "test:b", 1)
    assert check(world, 1)["fired"] == 2
    [(settings, to, subject, text)] = world.mail.calls
    assert to == ["coach@example.org"] and "Facility b" in subject
    assert "3.7-WM" in text and "1 open" in text
    [(db, url, secret, event, payload, ordering)] = world.hook.calls
    assert (url, secret, event, ordering) == ("https://dispatch.example/hooks",
                                              by_hook["secret"], "watch.fired", by_hook["id"])
    assert payload["facility_id"] == "test:b" and payload["open"] == 1
    notified = {w["id"]: w["fires"][0]["notified"] for w in world.client.get(
        "/v1/watches", headers=world.coach).get_json()["watches"]}
    assert notified == {by_mail["id"]: "sent", by_hook["id"]: "queued"}
    # A mail server that refuses: the fire stays recorded, marked failed.
    world.mail = Recorder(fail=True)
    report(world, "test:b", 0)
    check(world, 2)
    report(world, "test:b", 1)
    assert check(world, 3)["fired"] == 2
    assert world.client.get(f"/v1/watches/{by_mail['id']}", headers=world.coach
                            ).get_json()["fires"][0]["notified"] == "failed"


def test_the_email_speaks_the_watch_s_language_and_the_facility_s_clock(world):
    from zoneinfo import ZoneInfo

    report(world, "test:b", 0)
    english = watch(world, email="coach@example.org", hours=3)
    spanish = watch(world, email="coach@example.org", hours=3, email_language="es")
    hooked = watch(world, webhook="https://dispatch.example/hooks")
    assert (english["email_language"], spanish["email_language"]) == ("en", "es")
    assert hooked["email_language"] is None  # nothing is written to a webhook in words
    refused = world.client.post("/v1/watches", json={**NEEDS, "email": "c@example.org",
                                                     "email_language": "fr"},
                                headers=world.coach)
    assert refused.status_code == 422 and "email_language" in refused.get_json()["errors"]
    report(world, "test:b", 1)
    assert check(world, 1)["fired"] == 3
    sent = {text.split(":\n")[0].split()[-1]: (subject, text)
            for _settings, _to, subject, text in world.mail.calls}
    # Until when, in the facility's own zone (Chicago), not UTC.
    until = (NOW + timedelta(hours=3)).astimezone(ZoneInfo("America/Chicago"))
    local = until.strftime("%Y-%m-%d %H:%M")
    subject, text = sent[english["id"]]
    assert subject == "A bed opened: Facility b"
    assert "Facility b: " in text and "1 open." in text
    assert f"The watch runs until {local} (America/Chicago time)." in text
    subject, text = sent[spanish["id"]]
    assert subject == "Se abri\u00f3 una cama: Facility b"
    assert text.startswith(f"Se abri\u00f3 una cama que cumple su aviso {spanish['id']}:")
    assert "1 disponibles." in text and "(3.7-WM)" in text
    assert f"El aviso sigue activo hasta {local} (hora de America/Chicago)." in text
    assert "A bed opened" not in text and "open." not in text


def test_a_key_has_at_most_its_cap_of_running_watches(world):
    import dataclasses

    settings = world.app.config["SETTINGS"]
    world.app.config["SETTINGS"] = dataclasses.replace(settings, watch_max_active_per_key=2)
    first = watch(world, hours=1)
    watch(world, hours=3)
    refused = world.client.post("/v1/watches", json=NEEDS, headers=world.coach)
    assert refused.status_code == 429
    problem = refused.get_json()
    assert problem["active_watches"] == 2 and problem["limit"] == 2
    assert "at most 2" in problem["detail"]
    # Until the first ends: an hour, to the second.
    assert refused.headers["Retry-After"] == "3601"
    # Another key has its own count; a cancelled or ended watch no longer counts.
    assert world.client.post("/v1/watches", json=NEEDS,
                             headers=world.other).status_code == 201
    world.client.delete(f"/v1/watches/{first['id']}", headers=world.coach)
    watch(world)
    assert world.client.post("/v1/watches", json=NEEDS,
                             headers=world.coach).status_code == 429
    world.now = at(3 * 60 + 1)
    watch(world)


def test_the_cap_is_at_least_one(monkeypatch):
    from directory_service.config import ConfigError, Settings

    monkeypatch.setenv("WATCH_MAX_ACTIVE_PER_KEY", "0")
    with pytest.raises(ConfigError, match="WATCH_MAX_ACTIVE_PER_KEY"):
        Settings.from_env()
