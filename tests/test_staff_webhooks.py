"""The administrators' webhooks page (no JavaScript): subscriptions, pause and resume, and
a dead letter sent again from a button; only admins see it."""
from datetime import datetime, timezone

import pytest

from directory_service.webhooks import store
from tests.staff_client import make_key, notices, page_token, sign_in
from tests.test_live_support import make_app

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def app(tmp_path):
    made = make_app(tmp_path)
    yield made
    made.extensions["store"].close()


def dead_letter(app):
    with app.extensions["availability"].write() as db:
        sub = store.create_subscription(db, "https://93.184.215.14/hook", ["beds.updated"],
                                        "County 211", "test", 0, NOW)
        delivery = store.add_delivery(db, "beds.updated", "{}", "lane", NOW,
                                      subscription_id=sub["id"], outbox_seq=1)
        store.record(db, delivery, NOW, "dead", 500, "HTTP 500")
    return sub, delivery


def test_an_admin_sends_a_dead_letter_again_and_pauses(app):
    sub, delivery = dead_letter(app)
    client = app.test_client()
    sign_in(client, make_key(app, "admin"))
    html, csrf = page_token(client, "/staff/webhooks")
    assert "County 211" in html and delivery in html and "HTTP 500" in html
    assert sub["secret"] not in html
    answer = client.post(f"/staff/webhooks/deliveries/{delivery}/redeliver",
                         data={"csrf_token": csrf}, follow_redirects=True)
    assert ("done", "Queued to be sent again now, with the same id.") in notices(
        answer.get_data(as_text=True))
    assert store.get_delivery(app.extensions["availability"].read(), delivery)["state"] \
        == "pending"
    again = client.post(f"/staff/webhooks/deliveries/{delivery}/redeliver",
                        data={"csrf_token": csrf}, follow_redirects=True)
    assert any(kind == "error" for kind, _ in notices(again.get_data(as_text=True)))
    paused = client.post(f"/staff/webhooks/{sub['id']}/state",
                         data={"csrf_token": csrf, "state": "paused"}, follow_redirects=True)
    assert ("done", "Deliveries paused.") in notices(paused.get_data(as_text=True))
    assert store.get_subscription(app.extensions["availability"].read(), sub["id"])[
        "state"] == "paused"


def test_a_dead_letter_to_a_coach_webhook_is_listed_and_sent_again(app):
    from directory_service import webhooks

    adb = app.extensions["availability"]
    delivery = webhooks.deliver_to_url(adb, "https://93.184.215.14/w", store.new_secret(),
                                       "watch.matched", {"watch_id": "w1"}, "w1", now=NOW)
    with adb.write() as db:
        store.record(db, delivery, NOW, "dead", None, "cannot connect")
    client = app.test_client()
    sign_in(client, make_key(app, "admin"))
    html, csrf = page_token(client, "/staff/webhooks")
    assert "Dead letters to coaches" in html and delivery in html
    client.post(f"/staff/webhooks/deliveries/{delivery}/redeliver", data={"csrf_token": csrf})
    assert store.get_delivery(adb.read(), delivery)["state"] == "pending"


def test_only_admins_see_it(app):
    client = app.test_client()
    sign_in(client, make_key(app, "coach"))
    assert client.get("/staff/webhooks").status_code == 403


def test_it_speaks_spanish(app):
    dead_letter(app)
    client = app.test_client()
    sign_in(client, make_key(app, "admin"))
    html = client.get("/staff/webhooks", headers={"Accept-Language": "es"}).get_data(
        as_text=True)
    assert "Enviar de nuevo" in html
