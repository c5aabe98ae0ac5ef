"""Partner webhooks (issue 23, item 3): a real receiver on loopback gets signed
deliveries of bed reports, retried on failure with the same id, never again after a 2xx,
dead-lettered after the bound and redelivered; each facility's deliveries in order."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook

from directory_service import webhooks
from directory_service.availability import reports
from directory_service.webhooks import store
from tests.test_live_support import bearer, make_app, row
from tests.webhook_receiver import Receiver

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def world(tmp_path, monkeypatch, availability_backend):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("WEBHOOK_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("WEBHOOK_BACKOFF_BASE_S", "60")
    app = make_app(tmp_path)
    yield app
    app.extensions["store"].close()


def subscribe(app, url, events=("beds.updated",)):
    client = app.test_client()
    answer = client.post("/v1/subscriptions", json={"url": url, "events": list(events)},
                         headers=bearer(app, "admin"))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def report(app, facility="test:b", available=2):
    """A bed report through the API, as a facility sends it."""
    client, headers = app.test_client(), bearer(app, "facility", facility)
    headers["If-Match"] = client.get(f"/v1/facilities/{facility}/beds").headers["ETag"]
    answer = client.put(f"/v1/facilities/{facility}/beds", headers=headers, json={"rows": [
        {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
         "available": available}]})
    assert answer.status_code == 200, answer.get_json()


def run(app, now):
    webhooks.dispatch(app, now)
    return webhooks.deliver_due(app, now)


def test_a_bed_report_reaches_the_receiver_signed_and_verifiable(world, receiver):
    sub = subscribe(world, receiver.url)
    assert sub["secret"].startswith("whsec_")
    report(world, available=2)
    assert run(world, NOW)["delivered"] == 1
    (got,) = receiver.received
    assert got["path"] == "/hook"
    message = Webhook(sub["secret"]).verify(got["body"], got["headers"])
    assert message["type"] == "beds.updated"
    assert message["data"]["facility_id"] == "test:b"
    assert message["data"]["rows"][0]["available"] == 2
    assert "reported_by" not in message["data"]["rows"][0]
    assert got["headers"]["webhook-id"].startswith("msg_")
    # Another secret does not verify it.
    with pytest.raises(Exception):
        Webhook(webhooks.store.new_secret()).verify(got["body"], got["headers"])
    # The secret is shown once: never in the list or the subscription.
    listed = world.test_client().get("/v1/subscriptions", headers=bearer(world, "admin"))
    assert sub["secret"] not in listed.get_data(as_text=True)


def test_a_500_is_retried_with_the_same_id_and_a_2xx_is_never_sent_again(world, receiver):
    sub = subscribe(world, receiver.url)
    receiver.statuses = [500]
    report(world)
    first = run(world, NOW)
    assert (first["sent"], first["delivered"], first["failed"]) == (1, 0, 1)
    assert run(world, NOW + timedelta(seconds=30))["sent"] == 0  # backoff: 60 s
    assert run(world, NOW + timedelta(seconds=61))["delivered"] == 1
    failed, retried = receiver.received
    assert failed["headers"]["webhook-id"] == retried["headers"]["webhook-id"]
    assert failed["body"] == retried["body"]
    Webhook(sub["secret"]).verify(retried["body"], retried["headers"])
    for later in (timedelta(hours=1), timedelta(days=2)):
        assert run(world, NOW + later)["sent"] == 0
    assert len(receiver.received) == 2


def test_dead_after_the_bound_then_redelivered_from_the_api(world, receiver):
    sub = subscribe(world, receiver.url)
    receiver.statuses = [500, 503, 502]
    report(world)
    moments = [NOW, NOW + timedelta(seconds=60), NOW + timedelta(seconds=180)]
    results = [run(world, moment) for moment in moments]
    assert [r["failed"] for r in results] == [1, 1, 1] and results[-1]["dead"] == 1
    assert run(world, NOW + timedelta(days=1))["sent"] == 0
    client, admin = world.test_client(), bearer(world, "admin")
    dead = client.get(f"/v1/subscriptions/{sub['id']}/deliveries?state=dead", headers=admin)
    assert dead.status_code == 200
    (letter,) = dead.get_json()["deliveries"]
    assert (letter["state"], letter["attempts"], letter["last_status"]) == ("dead", 3, 502)
    again = client.post(f"/v1/subscriptions/{sub['id']}/deliveries/{letter['id']}/redeliver",
                        headers=admin)
    assert again.status_code == 200 and again.get_json()["state"] == "pending"
    twice = client.post(f"/v1/subscriptions/{sub['id']}/deliveries/{letter['id']}/redeliver",
                        headers=admin)
    assert twice.status_code == 409
    assert twice.mimetype == "application/problem+json"
    # The redelivery is due at once (the wall clock's now) and keeps its webhook-id.
    assert webhooks.deliver_due(world, datetime.now(timezone.utc) + timedelta(seconds=1))[
        "delivered"] == 1
    assert receiver.received[-1]["headers"]["webhook-id"] == letter["id"]
    assert len(receiver.received) == 4


def test_a_facilitys_later_delivery_waits_for_its_earlier_one(world, receiver):
    subscribe(world, receiver.url)
    receiver.statuses = [500]
    report(world, "test:b", available=2)
    report(world, "test:b", available=1)
    report(world, "test:a", available=0)
    run(world, NOW)
    seen = [(json.loads(r["body"])["data"]["facility_id"],
             json.loads(r["body"])["data"]["rows"][0]["available"]) for r in receiver.received]
    # b's first failed, so b's second waited; a's went on its own lane.
    assert seen == [("test:b", 2), ("test:a", 0)]
    run(world, NOW + timedelta(seconds=61))
    seen = [(json.loads(r["body"])["data"]["facility_id"],
             json.loads(r["body"])["data"]["rows"][0]["available"]) for r in receiver.received]
    assert seen == [("test:b", 2), ("test:a", 0), ("test:b", 2), ("test:b", 1)]


def test_dispatch_is_idempotent_across_a_crash_before_the_position_moved(world, receiver):
    sub = subscribe(world, receiver.url)
    report(world)
    assert webhooks.dispatch(world, NOW)["queued"] == 1
    adb = world.extensions["availability"]
    # As if the node died after queueing, before its position was saved.
    from directory_service.availability import outbox
    from directory_service.availability.schema import sync_positions
    with adb.write() as db:
        db.execute(sync_positions.delete().where(sync_positions.c.target == "webhooks"))
    again = webhooks.dispatch(world, NOW)
    assert again["queued"] == 0
    assert outbox.position(adb.read(), "webhooks") > 0
    total, _ = store.list_deliveries(adb.read(), 1, 10, sub["id"])
    assert total == 1


def test_a_new_subscription_gets_no_history_and_only_its_events(world, receiver):
    report(world, available=3)
    subscribe(world, receiver.url, events=("hold.created",))
    report(world, available=2)
    assert run(world, NOW)["sent"] == 0


def test_paused_sends_nothing_and_resumed_sends_what_was_pending(world, receiver):
    sub = subscribe(world, receiver.url)
    report(world)
    webhooks.dispatch(world, NOW)
    client, admin = world.test_client(), bearer(world, "admin")
    paused = client.patch(f"/v1/subscriptions/{sub['id']}", json={"state": "paused"},
                          headers=admin)
    assert paused.get_json()["state"] == "paused"
    assert run(world, NOW)["sent"] == 0
    # A body that is not JSON is refused, not read as {} (a 200 that changed nothing).
    form = client.patch(f"/v1/subscriptions/{sub['id']}", data="state=active",
                        content_type="application/x-www-form-urlencoded", headers=admin)
    assert form.status_code == 415 and list(form.get_json()["errors"]) == ["body"]
    client.patch(f"/v1/subscriptions/{sub['id']}", json={"state": "active"}, headers=admin)
    assert run(world, NOW)["delivered"] == 1
    assert client.delete(f"/v1/subscriptions/{sub['id']}", headers=admin).status_code == 204
    assert client.get(f"/v1/subscriptions/{sub['id']}", headers=admin).status_code == 404
    report(world, available=1)
    assert run(world, NOW)["sent"] == 0


def test_deliver_to_url_goes_through_the_same_machinery(world, receiver):
    secret = store.new_secret()
    adb = world.extensions["availability"]
    receiver.statuses = [500]
    first = webhooks.deliver_to_url(adb, receiver.url, secret, "watch.matched",
                                    {"watch_id": "w1"}, "w1", now=NOW)
    second = webhooks.deliver_to_url(adb, receiver.url, secret, "watch.matched",
                                     {"watch_id": "w1", "n": 2}, "w1", now=NOW)
    assert webhooks.deliver_due(world, NOW)["sent"] == 1  # the second waits its turn
    assert webhooks.deliver_due(world, NOW + timedelta(seconds=61))["delivered"] == 2
    ids = [r["headers"]["webhook-id"] for r in receiver.received]
    assert ids == [first, first, second]
    message = Webhook(secret).verify(receiver.received[-1]["body"],
                                     receiver.received[-1]["headers"])
    assert message == {"type": "watch.matched", "timestamp": "2026-12-07T12:00:00Z",
                       "data": {"watch_id": "w1", "n": 2}}


def test_reports_made_directly_are_dispatched_too(world, receiver):
    subscribe(world, receiver.url)
    adb = world.extensions["availability"]
    record = world.extensions["store"].get("test:b")
    reports.apply_report(adb, "test:b", [row(available=1)], "key:x", record["beds"], now=NOW)
    assert run(world, NOW)["delivered"] == 1


def test_two_nodes_dispatching_and_delivering_at_once_send_each_once(world, receiver):
    """Four threads (as workers on two API nodes) run dispatch and deliver_due together:
    every change reaches the receiver exactly once."""
    import threading

    subscribe(world, receiver.url)
    for available in (3, 2, 1):
        report(world, available=available)
    report(world, "test:a", available=0)
    errors = []

    def node():
        try:
            for _ in range(3):
                run(world, NOW)
        except Exception as exc:  # noqa: BLE001 — collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=node) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [r["headers"]["webhook-id"] for r in receiver.received]
    assert len(ids) == 4 and len(set(ids)) == 4
    b_order = [json.loads(r["body"])["data"]["rows"][0]["available"] for r in receiver.received
               if json.loads(r["body"])["data"]["facility_id"] == "test:b"]
    assert b_order == [3, 2, 1]


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(world, monkeypatch):
    """WEBHOOK_TIMEOUT_S bounds an attempt: a receiver that sleeps past it is retried."""
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            time.sleep(10)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = world.config["SETTINGS"]
        from dataclasses import replace
        world.config["SETTINGS"] = replace(settings, webhook_timeout_s=0.5)
        subscribe(world, f"http://127.0.0.1:{server.server_address[1]}/slow")
        report(world)
        started = time.monotonic()
        done = run(world, NOW)
        assert time.monotonic() - started < 8  # not the 10 s the receiver takes
        assert (done["sent"], done["failed"]) == (1, 1)
        (letter,) = store.list_deliveries(world.extensions["availability"].read(), 1, 5)[1]
        assert letter["last_error"] == "timeout" and letter["state"] == "pending"
    finally:
        server.shutdown()
        server.server_close()


def test_flask_webhooks_run_dispatches_and_sends(world, receiver):
    subscribe(world, receiver.url)
    report(world)
    result = world.test_cli_runner().invoke(args=["webhooks", "run"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts["dispatch"]["queued"] == 1 and counts["deliver"]["delivered"] == 1
    assert len(receiver.received) == 1


def test_a_target_that_is_down_costs_one_attempt_a_run(world):
    """Nothing listens: the first facility's delivery fails to connect, and the others'
    are not tried in the same run (nor charged an attempt); the next run tries again."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    subscribe(world, f"http://127.0.0.1:{port}/down")
    for facility in ("test:a", "test:b", "test:c"):
        report(world, facility, available=0 if facility == "test:a" else 1)
    first = run(world, NOW)
    assert (first["sent"], first["failed"]) == (1, 1)
    listed = store.list_deliveries(world.extensions["availability"].read(), 1, 10)[1]
    assert sorted(d["attempts"] for d in listed) == [0, 0, 1]
    assert listed[-1]["last_error"] == "cannot connect"
    assert run(world, NOW + timedelta(seconds=1))["sent"] == 1


def test_metrics_count_deliveries_by_state(world, receiver):
    subscribe(world, receiver.url)
    receiver.statuses = [500]
    report(world)
    run(world, NOW)
    text = world.test_client().get("/metrics").get_data(as_text=True)
    assert 'directory_webhook_deliveries{state="pending"} 1.0' in text
    assert 'directory_webhook_deliveries{state="dead"} 0.0' in text


def test_an_ad_hoc_dead_letter_is_listed_and_redelivered_through_the_api(world, receiver):
    secret = store.new_secret()
    adb = world.extensions["availability"]
    receiver.statuses = [500, 500, 500]
    sent = webhooks.deliver_to_url(adb, receiver.url, secret, "watch.matched", {"w": 1}, "w",
                                   now=NOW)
    for seconds in (0, 60, 180):
        webhooks.deliver_due(world, NOW + timedelta(seconds=seconds))
    client, admin = world.test_client(), bearer(world, "admin")
    dead = client.get("/v1/deliveries?state=dead", headers=admin).get_json()["deliveries"]
    assert [(d["id"], d["subscription_id"]) for d in dead] == [(sent, None)]
    assert "secret" not in dead[0] and secret not in json.dumps(dead)
    again = client.post(f"/v1/deliveries/{sent}/redeliver", headers=admin)
    assert again.status_code == 200 and again.get_json()["state"] == "pending"
    assert client.post("/v1/deliveries/msg_nope/redeliver", headers=admin).status_code == 404
    webhooks.deliver_due(world, datetime.now(timezone.utc) + timedelta(seconds=1))
    Webhook(secret).verify(receiver.received[-1]["body"], receiver.received[-1]["headers"])
    assert receiver.received[-1]["headers"]["webhook-id"] == sent
