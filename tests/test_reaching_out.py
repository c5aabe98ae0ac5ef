"""Issue 23's "done when", through the job runner itself (jobs/registry.py), not by calling
each part's function: what `make run`'s runner and the compose `jobs` service execute.

- Two API nodes share one availability database (a SQLite file, or PostgreSQL) and the
  directory; each has its own queue (JOBS_PATH), as the design runs them. A bed report on
  one node reaches a partner's receiver on loopback once, signed per Standard Webhooks,
  again after the receiver answered 500, never after its 2xx, and fires a coach's watch
  once (its own signed webhook too), however many nodes run their consumers.
- A stale facility gets exactly one e-mail from the runner's periodic nudge job (a real
  SMTP server on loopback); a second node's tick in the same slot sends nothing; the
  "Still accurate" link makes the public search fresh and is refused a second time.
"""
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook

from directory_service import create_app
from directory_service.availability.db import iso
from directory_service.config import Settings
from directory_service.jobs.registry import CONSUMERS, periodic
from tests.test_live_support import bearer, build_embedded, directory
from tests.test_nudges import (  # noqa: F401 (fixtures)
    links_of, nudge_app, now, open_beds, set_contacts, smtp)
from tests.webhook_receiver import Receiver

WATCH = {"level_of_care": "3.7-WM", "payer": "medicaid", "gender": "men", "age": 30,
         "lat": 41.7508, "lon": -88.1535, "max_distance": 10, "hours": 2}


@pytest.fixture
def receivers():
    partner, coach = Receiver(), Receiver()
    yield partner, coach
    partner.close()
    coach.close()


@pytest.fixture
def nodes(tmp_path, monkeypatch, availability_backend):
    """Two API nodes over one directory and one availability database, a queue each.
    Retries wait 0.05 s (not 30 s) so the test sees one without a fake clock: the runner
    stamps deliveries with the real time, as in production."""
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("WEBHOOK_BACKOFF_BASE_S", "0.05")
    store_path = build_embedded(directory(), tmp_path).path
    apps = []
    for name in ("a", "b"):
        settings = Settings.from_env(store_path=store_path,
                                     availability_path=str(tmp_path / "availability.sqlite"),
                                     jobs_path=str(tmp_path / name / "jobs.sqlite"))
        app = create_app(settings)
        app.config["TESTING"] = True
        apps.append(app)
    yield apps
    for app in apps:
        app.extensions["store"].close()


def report(app, available):
    client, headers = app.test_client(), bearer(app, "facility", "test:b")
    headers["If-Match"] = client.get("/v1/facilities/test:b/beds").headers["ETag"]
    answer = client.put("/v1/facilities/test:b/beds", headers=headers, json={"rows": [
        {"level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
         "available": available}]})
    assert answer.status_code == 200, answer.get_json()


def run_every_node(apps, rounds=2):
    """Each node's runner ticks (queues every consumer) and runs what its queue holds."""
    ran = 0
    for _ in range(rounds):
        for app in apps:
            runner = app.extensions["jobs"]
            runner.tick()
            ran += runner.run_queued()
    return ran


def bed_deliveries(receiver):
    return [r for r in receiver.received if b'"beds.updated"' in r["body"]]


def test_a_report_reaches_partners_and_watches_once_across_two_nodes(nodes, receivers):
    a, b = nodes
    partner, coach_hook = receivers
    report(a, 0)
    admin = bearer(a, "admin")
    sub = a.test_client().post("/v1/subscriptions", headers=admin, json={
        "url": partner.url, "events": ["beds.updated"]}).get_json()
    watch = b.test_client().post("/v1/watches", headers=(coach := bearer(b, "coach")),
                                 json={**WATCH, "webhook": coach_hook.url})
    assert watch.status_code == 201, watch.get_json()
    watch = watch.get_json()
    run_every_node(nodes)  # the closed bed's report is behind everyone now
    partner.received.clear()

    partner.statuses = [500]  # the partner fails the first attempt
    report(a, 2)
    # The write queued node a's consumers (jobs.after_write): one run of each.
    assert a.extensions["jobs"].huey.pending_count() == len(CONSUMERS)
    a.extensions["jobs"].run_queued()
    # Tried at once, answered 500 (the retry, due 0.05 s later, may already have gone
    # with the watches consumer's sending of its fire's webhook).
    assert 1 <= len(bed_deliveries(partner)) <= 2
    deadline = time.monotonic() + 30
    while len(bed_deliveries(partner)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)  # the retry is due 0.05 s later; any node's tick may send it
        run_every_node(nodes, rounds=1)
    failed, retried = bed_deliveries(partner)
    assert failed["headers"]["webhook-id"] == retried["headers"]["webhook-id"]
    message = Webhook(sub["secret"]).verify(retried["body"], retried["headers"])
    assert message["data"]["facility_id"] == "test:b"
    assert message["data"]["rows"][0]["available"] == 2
    # Answered 2xx: never again, whichever node runs, however often.
    run_every_node(nodes, rounds=3)
    assert len(bed_deliveries(partner)) == 2

    # The coach's watch fired once, and its webhook arrived once, signed with its secret.
    fires = b.test_client().get(f"/v1/watches/{watch['id']}", headers=coach).get_json()["fires"]
    assert [(f["facility_id"], f["level_of_care"]) for f in fires] == [("test:b", "3.7-WM")]
    (fired,) = coach_hook.received
    assert Webhook(watch["secret"]).verify(fired["body"], fired["headers"])["type"] == \
        "watch.fired"


def test_a_retry_due_before_the_next_tick_is_queued_for_its_time(nodes, receivers):
    a, _ = nodes
    partner, _ = receivers
    a.test_client().post("/v1/subscriptions", headers=bearer(a, "admin"), json={
        "url": partner.url, "events": ["beds.updated"]})
    partner.statuses = [500] * 50  # the partner keeps failing
    report(a, 2)
    runner = a.extensions["jobs"]
    runner.run_queued()
    assert bed_deliveries(partner)
    # The webhooks consumer asked to run again when the retry is due (0.05 s backoff,
    # so at the runner's 0.5 s floor), not at the next minute's tick.
    etas = [task.eta for task in runner.huey.scheduled() if task.args[0] == "webhooks"]
    assert len(etas) == 1
    # huey's etas are naive UTC (utc=True, its default).
    wait = (etas[0] - datetime.now(timezone.utc).replace(tzinfo=None)).total_seconds()
    assert 0 < wait < 5


def test_the_runner_nudges_a_stale_facility_once_and_the_tap_makes_it_fresh(
        nudge_app, now, smtp, tmp_path):  # noqa: F811 (fixtures)
    set_contacts(nudge_app)
    runner = nudge_app.extensions["jobs"]
    assert "nudges.run_due" in runner.tick(now)
    runner.run_queued()
    assert len(smtp.inbox.messages) == 1
    # A second node in the same minute: the slot is claimed, nothing is sent.
    other = create_app(replace(nudge_app.config["SETTINGS"],
                               jobs_path=str(tmp_path / "other" / "jobs.sqlite")))
    job = periodic("nudges.run_due")
    assert other.extensions["jobs"].run_periodic(
        job.name, iso(job.schedule.slot(now)), iso(now)) == {"claimed": False}
    # Later minutes of the same staleness episode: claimed and run, nothing sent.
    for minutes in (1, 30, 90):
        runner.tick(now + timedelta(minutes=minutes))
        runner.run_queued()
    assert len(smtp.inbox.messages) == 1
    other.extensions["store"].close()

    paths = links_of(smtp.inbox.text())
    client = nudge_app.test_client()
    assert open_beds(client)["freshness"] != "fresh"
    assert client.post(paths["confirm"]).status_code == 200
    assert open_beds(client)["freshness"] == "fresh"
    assert client.post(paths["confirm"]).status_code == 410
