"""Nudge contacts (issue 23, item 2): validated and scoped, set on the profile page or by an
admin, a webhook contact signed per Standard Webhooks, the command line, and what never
reaches a log. Fixtures and helpers are test_nudges.py's (a real SMTP server on loopback,
the clock set from the seed's oldest figure).
"""
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from directory_service import nudges
from directory_service.nudges import contacts as contact_book
from tests.staff_client import make_key, sign_in
from tests.test_live_support import bearer
from tests.test_nudges import (  # noqa: F401 (fixtures)
    ADDRESS,
    CHICAGO,
    FAC,
    LINK,
    OTHER,
    links_of,
    now,
    nudge_app,
    oldest_figure,
    open_beds,
    set_contacts,
    smtp,
)
from tests.webhook_receiver import Receiver


def test_contacts_are_validated_bounded_and_scoped(nudge_app, now):
    client = nudge_app.test_client()
    key = bearer(nudge_app, "facility", FAC)
    path = f"/v1/facilities/{FAC}/contacts"
    too_many = client.put(path, json={"emails": [f"a{i}@example.org" for i in range(6)]},
                          headers=key)
    assert too_many.status_code == 422 and "emails" in too_many.get_json()["errors"]
    bad = client.put(path, json={"emails": ["not an address", "x@y.org"]}, headers=key)
    assert bad.status_code == 422
    assert bad.get_json()["errors"]["emails"] == {"0": ["not an e-mail address"]}
    header = client.put(path, json={"emails": ["a@b.org\r\nBcc: c@d.org"]}, headers=key)
    assert header.status_code == 422
    assert client.put(path, json={"webhook_url": "ftp://x.org"}, headers=key).status_code == 422
    other = client.put(f"/v1/facilities/{OTHER}/contacts", json={"emails": []}, headers=key)
    assert other.status_code == 403
    # A body that is not JSON was read as {}: its defaults wiped every contact (a 200).
    set_contacts(nudge_app)
    wiped = client.put(path, data="emails=x@y.org", headers=key,
                       content_type="application/x-www-form-urlencoded")
    assert wiped.status_code == 415 and list(wiped.get_json()["errors"]) == ["body"]
    assert client.get(path, headers=key).get_json()["emails"] == [ADDRESS]
    assert client.get(path).status_code == 401


def test_the_profile_page_sets_contacts_and_an_unsubscribe_link_removes_one(nudge_app, now, smtp):
    client = nudge_app.test_client()
    sign_in(client, make_key(nudge_app, "facility", FAC))
    html = client.get(f"/staff/facility/{FAC}/profile").get_data(as_text=True)
    token = re.search(r'id="reminders".*?name="csrf_token" value="([^"]+)"', html,
                      re.S).group(1)
    answer = client.post(f"/staff/facility/{FAC}/contacts", data={
        "csrf_token": token, "emails": f"{ADDRESS}\nother@crossroads.example.org",
        "language": "en"})
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Reminders saved." in page and "other@crossroads.example.org" in page
    nudges.run_due(nudge_app, now)
    text = next(m.get_body(("plain",)).get_content() for env, m in smtp.inbox.messages
                if env.rcpt_tos == ["other@crossroads.example.org"])
    unsubscribe = re.search(r"http://localhost(/staff/nudge/unsubscribe/\S+)", text).group(1)
    anonymous = nudge_app.test_client()
    assert "Stop reminders" in anonymous.get(unsubscribe).get_data(as_text=True)
    assert contact_book.get(nudge_app.extensions["availability"].read(), FAC)["emails"] == [
        ADDRESS, "other@crossroads.example.org"]  # the GET alone removes nothing
    assert anonymous.post(unsubscribe).status_code == 200
    assert contact_book.get(nudge_app.extensions["availability"].read(), FAC)["emails"] == [
        ADDRESS]
    refused = anonymous.post(unsubscribe, headers={"Origin": "https://elsewhere.example"})
    assert refused.status_code == 400


def test_a_webhook_contact_gets_a_signed_nudge_retried_after_a_500_never_after_a_2xx(
        nudge_app, now):
    """The facility's webhook gets the nudge through the partner webhooks' delivery:
    signed per Standard Webhooks with the contact's own secret (shown once, when the URL
    was set), retried with the same webhook-id after a 500, never again after a 2xx."""
    from standardwebhooks import Webhook

    from directory_service import webhooks
    from directory_service.nudges import sends

    nudge_app.config["SETTINGS"] = replace(nudge_app.config["SETTINGS"],
                                           webhook_allow_private=True)
    receiver = Receiver()
    receiver.statuses = [500]
    try:
        secret = set_contacts(nudge_app, emails=[], webhook_url=receiver.url)["webhook_secret"]
        assert secret.startswith("whsec_")
        shown = nudge_app.test_client().get(f"/v1/facilities/{FAC}/contacts",
                                            headers=bearer(nudge_app, "facility", FAC))
        assert "webhook_secret" not in shown.get_json()  # shown once, in the PUT's answer
        counts = nudges.run_due(nudge_app, now)
        assert (counts["sent"], counts["webhooks_queued"]) == (1, 1)
        assert (counts["webhooks"]["sent"], counts["webhooks"]["failed"]) == (1, 1)
        webhooks.deliver_due(nudge_app, now + timedelta(seconds=10))  # backoff: not yet
        assert len(receiver.received) == 1
        assert webhooks.deliver_due(nudge_app, now + timedelta(minutes=1))["delivered"] == 1
        assert webhooks.deliver_due(nudge_app, now + timedelta(hours=3))["sent"] == 0
        assert nudges.run_due(nudge_app, now + timedelta(minutes=2))["sent"] == 0
    finally:
        receiver.close()
    first, again = receiver.received
    assert first["headers"]["webhook-id"] == again["headers"]["webhook-id"]
    events = [Webhook(secret).verify(r["body"], r["headers"]) for r in (first, again)]
    assert events[0] == events[1] and events[0]["type"] == "nudge"
    data = events[0]["data"]
    assert data["facility_id"] == FAC and set(data["links"]) == {"still_accurate", "update"}
    with pytest.raises(Exception):
        Webhook(webhooks_secret_of_someone_else()).verify(first["body"], first["headers"])
    [row] = sends.recent(nudge_app.extensions["availability"], facility_id=FAC)
    assert (row["channel"], row["status"]) == ("webhook", "sent")
    assert row["message_id"] == first["headers"]["webhook-id"]  # the delivery, for the admin
    listed = nudge_app.test_client().get(f"/v1/nudges?facility_id={FAC}", headers=bearer(
        nudge_app, "admin")).get_json()["nudges"]
    assert [r["message_id"] for r in listed] == [row["message_id"]]
    path = data["links"]["still_accurate"].removeprefix("http://localhost")
    assert nudge_app.test_client().post(path).status_code == 200


def webhooks_secret_of_someone_else():
    from directory_service.webhooks import store

    return store.new_secret()


def test_a_webhook_secret_is_made_when_the_url_is_set_and_private_targets_are_refused(
        nudge_app, now):
    client = nudge_app.test_client()
    key = bearer(nudge_app, "facility", FAC)
    path = f"/v1/facilities/{FAC}/contacts"
    # Loopback is the server's own network: refused when set, unless WEBHOOK_ALLOW_PRIVATE.
    for url in ("http://127.0.0.1:9/nudge", "http://[::1]/nudge", "http://10.0.0.8/",
                "http://169.254.169.254/latest/meta-data/"):
        refused = client.put(path, json={"webhook_url": url}, headers=key)
        assert refused.status_code == 422, url
        assert list(refused.get_json()["errors"]) == ["webhook_url"], url
    for url in ("http://user:pw@93.184.215.14/", "http://93.184.215.14/#x"):
        refused = client.put(path, json={"webhook_url": url}, headers=key)
        assert refused.status_code == 422 and "webhook_url" in refused.get_json()["errors"]
    adb = nudge_app.extensions["availability"]
    assert contact_book.get(adb.read(), FAC)["webhook_url"] is None
    nudge_app.config["SETTINGS"] = replace(nudge_app.config["SETTINGS"],
                                           webhook_allow_private=True)
    first = client.put(path, json={"webhook_url": "http://127.0.0.1:9/a"}, headers=key)
    secret = first.get_json()["webhook_secret"]
    same = client.put(path, json={"webhook_url": "http://127.0.0.1:9/a", "language": "es"},
                      headers=key).get_json()
    assert "webhook_secret" not in same
    assert contact_book.webhook_secret(adb.read(), FAC, "http://127.0.0.1:9/a") == secret
    moved = client.put(path, json={"webhook_url": "http://127.0.0.1:9/b"}, headers=key)
    assert moved.get_json()["webhook_secret"] not in (None, secret)
    client.put(path, json={"webhook_url": None}, headers=key)
    assert contact_book.webhook_secret(adb.read(), FAC, "http://127.0.0.1:9/b") is None
    # The profile page shows a new secret once, in the answer to the save.
    staff = nudge_app.test_client()
    sign_in(staff, make_key(nudge_app, "facility", FAC))
    html = staff.get(f"/staff/facility/{FAC}/profile").get_data(as_text=True)
    token = re.search(r'id="reminders".*?name="csrf_token" value="([^"]+)"', html,
                      re.S).group(1)
    saved = staff.post(f"/staff/facility/{FAC}/contacts", data={
        "csrf_token": token, "webhook_url": "http://127.0.0.1:9/c", "language": "en"})
    assert saved.status_code == 200
    shown = re.search(r'<code class="secret">(whsec_[^<]+)</code>',
                      saved.get_data(as_text=True)).group(1)
    assert contact_book.webhook_secret(adb.read(), FAC, "http://127.0.0.1:9/c") == shown
    assert "whsec_" not in staff.get(f"/staff/facility/{FAC}/profile").get_data(as_text=True)
    nudge_app.config["SETTINGS"] = replace(nudge_app.config["SETTINGS"],
                                           webhook_allow_private=False)
    again = staff.post(f"/staff/facility/{FAC}/contacts", data={
        "csrf_token": token, "webhook_url": "http://127.0.0.1:9/d", "language": "en"})
    assert "Reminders not saved. Webhook:" in staff.get(again.headers["Location"]).get_data(
        as_text=True)


def test_an_admin_sets_a_facilitys_contacts_and_a_bad_address_is_named(nudge_app, now):
    client = nudge_app.test_client()
    sign_in(client, make_key(nudge_app, "admin"))
    page = f"/staff/facility/{OTHER}/profile"
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'id="reminders".*?name="csrf_token" value="([^"]+)"', html,
                      re.S).group(1)
    refused = client.post(f"/staff/facility/{OTHER}/contacts", data={
        "csrf_token": token, "emails": "intake at hope springs", "language": "es"})
    shown = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Reminders not saved. E-mail addresses:" in shown
    adb = nudge_app.extensions["availability"]
    assert contact_book.get(adb.read(), OTHER)["emails"] == []
    client.post(f"/staff/facility/{OTHER}/contacts", data={
        "csrf_token": token, "emails": "intake@hopesprings.example.org", "language": "es",
        "paused": "on"})
    assert contact_book.get(adb.read(), OTHER) == {
        "emails": ["intake@hopesprings.example.org"], "webhook_url": None, "language": "es",
        "paused": True, "updated_at": contact_book.get(adb.read(), OTHER)["updated_at"]}
    # Without the form's token the save is refused (the staff pages' CSRF rule).
    assert client.post(f"/staff/facility/{OTHER}/contacts",
                       data={"emails": "x@example.org"}).status_code == 400


def test_the_command_line_runs_once_and_sends_a_test_message(nudge_app, smtp):
    runner = nudge_app.test_cli_runner()
    done = runner.invoke(args=["nudges", "test-mail", "--to", ADDRESS])
    assert done.exit_code == 0, done.output
    assert smtp.inbox.messages[0][0].rcpt_tos == [ADDRESS]
    assert runner.invoke(args=["nudges", "test-mail", "--to", "a, b@c.org"]).exit_code == 2
    ran = runner.invoke(args=["nudges", "run"])
    assert ran.exit_code == 0 and '"sent": 0' in ran.output  # no contacts yet


def test_a_links_token_reaches_no_log_and_the_unsubscribe_link_names_no_address(monkeypatch):
    import base64
    import json
    from datetime import timedelta as span

    from directory_service.nudges import links
    from directory_service.request_log import ENVIRON_ROUTE
    from tests.test_serving import _logger, _Response

    token = links.unsubscribe_token("secret", FAC, ADDRESS)
    payload = token.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert "@" not in decoded and "crossroads" not in decoded
    monkeypatch.setenv("LOG_FORMAT", "json")
    logger, lines = _logger(), []
    monkeypatch.setattr(logger.access_log, "info", lines.append)
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": f"/staff/nudge/{token}",
               "PATH_INFO": f"/staff/nudge/{token}", "SERVER_PROTOCOL": "HTTP/1.1",
               "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1",
               ENVIRON_ROUTE: "/staff/nudge/<token>"}
    logger.access(_Response(), [], environ, span(milliseconds=2))
    assert json.loads(lines[0])["path"] == "/staff/nudge/<token>" and token not in lines[0]
