"""Issue 23, item 1: one background job runner (directory_service/jobs/).

- A periodic job runs once per schedule slot across runners sharing one availability
  database (a SQLite file and PostgreSQL, tests/availability_backends.py), each runner
  with its own queue, as each node has its own SQLite queue file.
- The outbox is pruned behind the SLOWEST registered consumer, after the retention.
- A real runner process (`python -m directory_service.jobs`) runs a task queued by a
  write (jobs.after_write) and pushes it to an index double served on loopback
  (tests/es_http_double.py, NOT Elasticsearch), ticks its periodic jobs at start, and
  stops cleanly on SIGTERM.
Clocks are passed in (`now`); the one process test waits for conditions, with a deadline.
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from huey import RedisHuey

from directory_service import create_app, jobs
from directory_service.availability import outbox, reports
from directory_service.availability.db import mark_changed, utcnow
from directory_service.config import ConfigError, Settings
from directory_service.jobs import claims
from directory_service.jobs.registry import (OutboxConsumer, PeriodicJob, periodic,
                                             target_position)
from directory_service.jobs.runner import Jobs
from directory_service.jobs.schedules import DailyAt, Every
from tests import factories
from tests.es_doubles import VersionedIndexDouble
from tests.es_http_double import HttpIndexDouble
from tests.test_live_support import row

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 7, 10, 0, 30, tzinfo=timezone.utc)
FAC = factories.facility("full", km=1, beds=[row(available=0)])


def node_app(tmp_path, name, **settings):
    """One node: the test's availability backend (the same database for every node when
    PostgreSQL; the same file under tmp_path when SQLite) and a queue of its own."""
    base = {"availability_path": str(tmp_path / "availability.sqlite3"),
            "jobs_path": str(tmp_path / name / "jobs.sqlite")}
    return create_app(Settings.from_env(**{**base, **settings}))


def with_jobs(app, periodic_jobs=(), consumers=()):
    app.extensions["jobs"] = Jobs(app, periodic=periodic_jobs, consumers=consumers)
    return app.extensions["jobs"]


def test_schedules_map_an_instant_to_its_slot():
    assert Every(1).slot(NOW) == NOW.replace(second=0)
    assert Every(60).slot(NOW) == NOW.replace(minute=0, second=0)
    assert Every(5).slot(NOW + timedelta(minutes=7)) == NOW.replace(minute=5, second=0)
    daily = DailyAt(("08:00", "13:00", "18:00"), "America/Chicago")  # UTC-6 in December
    assert daily.slot(datetime(2026, 12, 7, 14, 5, tzinfo=timezone.utc)) == \
        datetime(2026, 12, 7, 14, 0, tzinfo=timezone.utc)
    assert daily.slot(datetime(2026, 12, 7, 14, 16, tzinfo=timezone.utc)) is None  # missed
    # Just after local midnight the last slot is yesterday's 18:00, long passed.
    assert daily.slot(datetime(2026, 12, 8, 6, 1, tzinfo=timezone.utc)) is None
    settings = Settings(site_timezone="Europe/Madrid")
    zoned = DailyAt(lambda s: ("09:30",), lambda s: s.site_timezone)
    assert zoned.slot(datetime(2026, 12, 7, 8, 31, tzinfo=timezone.utc), settings) == \
        datetime(2026, 12, 7, 8, 30, tzinfo=timezone.utc)


def test_a_periodic_job_runs_once_per_slot_across_two_runners(tmp_path,
                                                              availability_backend):
    ran = []

    def count(app, now):
        ran.append(now)
        return {"seen": len(ran)}

    def broken(app, now):
        raise RuntimeError("a bug")

    entries = [PeriodicJob("count", Every(1), count), PeriodicJob("broken", Every(1), broken)]
    nodes = [with_jobs(node_app(tmp_path, name), entries) for name in ("a", "b")]
    for runner, offset in zip(nodes, (0, 20)):  # both nodes tick in the same minute
        assert runner.tick(NOW + timedelta(seconds=offset)) == ["count", "broken"]
    assert sum(runner.run_queued() for runner in nodes) == 4
    assert ran == [NOW]
    adb = nodes[0].app.extensions["availability"]
    (once,) = claims.runs(adb.read(), "count")
    assert once["slot"] == "2026-12-07T10:00:00Z" and once["outcome"] == '{"seen": 1}'
    (failed,) = claims.runs(adb.read(), "broken")
    assert failed["outcome"] == "error: RuntimeError" and failed["finished_at"]
    # A late tick of the same slot runs nothing; the next minute runs once again.
    nodes[1].tick(NOW + timedelta(seconds=29))
    nodes[1].run_queued()
    for runner in nodes:
        runner.tick(NOW + timedelta(seconds=45))
    for runner in reversed(nodes):
        runner.run_queued()
    assert ran == [NOW, NOW + timedelta(seconds=45)]
    assert [r["slot"] for r in claims.runs(adb.read(), "broken")] == [
        "2026-12-07T10:00:00Z", "2026-12-07T10:01:00Z"]


def test_a_slot_is_claimed_by_exactly_one_of_many_at_once(tmp_path, availability_backend):
    app = node_app(tmp_path, "a")
    adb, barrier, won = app.extensions["availability"], threading.Barrier(6), []

    def race(node):
        barrier.wait()
        won.append(claims.claim(adb, "race", NOW, node=node, now=NOW))

    threads = [threading.Thread(target=race, args=(f"n{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(won) == [False] * 5 + [True]
    # Old claims go with the runner's upkeep.
    assert claims.prune(adb, NOW + timedelta(days=8)) == 1


def test_the_outbox_is_pruned_behind_the_slowest_consumer(tmp_path, availability_backend):
    app = node_app(tmp_path, "a", outbox_retention_h=1.0)
    adb = app.extensions["availability"]
    for n in range(6):
        with adb.write() as db:
            mark_changed(db, f"fac-{n}")
    outbox.advance(adb, "webhooks", 5)
    outbox.advance(adb, "watches", 3)
    consumers = [OutboxConsumer("webhooks", None, target_position("webhooks")),
                 OutboxConsumer("watches", None, target_position("watches")),
                 OutboxConsumer("elasticsearch", None, lambda app: None)]  # not used here
    runner = with_jobs(app, [periodic("outbox.prune")], consumers)
    # Passed by both, but younger than the retention: kept.
    runner.run_periodic("outbox.prune", "2026-12-07T10:00:00Z", utcnow().isoformat())
    assert len(outbox.pending(adb.read(), 0)) == 6
    later = (utcnow() + timedelta(hours=2)).isoformat()
    done = runner.run_periodic("outbox.prune", "2026-12-07T11:00:00Z", later)
    assert done["outbox_pruned"] == 3 and done["upto"] == 3
    assert [r["seq"] for r in outbox.pending(adb.read(), 0)] == [4, 5, 6]
    outbox.advance(adb, "watches", 6)  # the slowest moves on: now the other one holds
    done = runner.run_periodic("outbox.prune", "2026-12-07T12:00:00Z", later)
    assert done["outbox_pruned"] == 2 and [r["seq"] for r in outbox.pending(adb.read(), 0)] == [6]


def test_delivered_and_cancelled_webhook_deliveries_go_after_the_retention(
        tmp_path, availability_backend):
    """Once kept for ever (a nudge's delivery holds its one-tap links); dead letters stay
    for an admin to send again, pending ones until they are sent."""
    from directory_service import webhooks
    from directory_service.webhooks import store

    app = node_app(tmp_path, "a", outbox_retention_h=1.0)
    adb = app.extensions["availability"]
    start = utcnow()
    ids = {state: webhooks.deliver_to_url(adb, "https://partner.example/h",
                                          store.new_secret(), "t.test", {}, state, now=start)
           for state in ("delivered", "cancelled", "dead", "pending")}
    with adb.write() as db:
        for state in ("delivered", "cancelled", "dead"):
            store.record(db, ids[state], start, state)
    runner = with_jobs(app, [periodic("outbox.prune")], [])
    soon = runner.run_periodic("outbox.prune", "2026-12-07T10:00:00Z",
                               (start + timedelta(minutes=30)).isoformat())
    assert soon["deliveries_pruned"] == 0
    later = runner.run_periodic("outbox.prune", "2026-12-07T11:00:00Z",
                                (start + timedelta(hours=2)).isoformat())
    assert later["deliveries_pruned"] == 2
    left = {d["id"] for d in store.list_deliveries(adb.read(), 1, 10)[1]}
    assert left == {ids["dead"], ids["pending"]}


def test_a_write_queues_consumers_once_and_never_fails_for_the_queue(tmp_path):
    runs = []
    app = node_app(tmp_path, "a")
    runner = with_jobs(app, (), [OutboxConsumer("webhooks", lambda a, n: runs.append(n),
                                                target_position("webhooks"))])
    assert jobs.after_write(app) and jobs.after_write(app)
    assert runner.huey.pending_count() == 1  # coalesced
    assert runner.run_queued() == 1 and len(runs) == 1
    assert jobs.after_write(app) and runner.huey.pending_count() == 1  # the next run
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    broken = node_app(tmp_path, "b", jobs_path=str(blocked / "jobs.sqlite"))
    assert jobs.after_write(broken) is False  # logged, never raised


def test_the_jobs_settings_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="JOBS_URL"):
        Settings.from_env(jobs_url="amqp://queue")
    with pytest.raises(ConfigError, match="JOBS_WORKERS"):
        Settings.from_env(jobs_workers=0)
    assert Settings(availability_path="/data/availability.sqlite").jobs_path == ""
    from directory_service.jobs.settings import queue_path

    assert queue_path(Settings(availability_path="/data/availability.sqlite")) == \
        "/data/jobs.sqlite"
    # JOBS_URL=redis://… makes a Redis queue (connected at first use; tests/test_jobs_redis.py).
    app = create_app(Settings.from_env(availability_path=str(tmp_path / "a.sqlite3"),
                                       jobs_url="redis://127.0.0.1:1/0"))
    assert isinstance(app.extensions["jobs"].huey, RedisHuey)
    assert not (tmp_path / "jobs.sqlite").exists()


def test_flask_jobs_once_ticks_and_runs_what_is_queued(tmp_path):
    app = node_app(tmp_path, "a")
    done = app.test_cli_runner().invoke(args=["jobs", "--once"])
    assert done.exit_code == 0, done.output
    import json

    from directory_service.jobs.registry import CONSUMERS, PERIODIC

    from directory_service.jobs.schedules import Every

    answer = json.loads(done.output)
    # Every `Every` job is due in its first slot (a daily one only near its times); each
    # due job runs, and so does each outbox consumer.
    every = [job.name for job in PERIODIC if isinstance(job.schedule, Every)]
    assert set(every) <= set(answer["due"]) <= {job.name for job in PERIODIC}
    assert answer["ran"] == len(answer["due"]) + len(CONSUMERS)


def wait_for(condition, what, deadline_s=60.0):
    """Poll `condition` until true; fail naming `what` after a generous deadline."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"within {deadline_s:.0f} s: {what}")


def test_a_runner_process_pushes_a_write_and_stops_on_sigterm(tmp_path):
    double = VersionedIndexDouble([FAC])
    with HttpIndexDouble(double) as cluster:
        env = {**os.environ, "ELASTICSEARCH_URL": cluster.url, "LOG_FORMAT": "text",
               "AVAILABILITY_PATH": str(tmp_path / "availability.sqlite3"),
               "JOBS_POLL_S": "0.2", "GRACEFUL_TIMEOUT_S": "10"}
        env.pop("AVAILABILITY_URL", None)
        app = create_app(Settings.from_env(elasticsearch_url=cluster.url,
                                           availability_path=env["AVAILABILITY_PATH"]))
        adb = app.extensions["availability"]
        log = open(tmp_path / "runner.log", "w")
        runner = subprocess.Popen([sys.executable, "-m", "directory_service.jobs"], cwd=ROOT,
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            # At start the runner ticks: its periodic prune claimed this hour's slot.
            wait_for(lambda: [r for r in claims.runs(adb.read(), "outbox.prune")
                              if r["finished_at"] and r["node"].endswith(f":{runner.pid}")],
                     "the runner claims and runs outbox.prune at start")
            reports.apply_report(adb, FAC["id"], [{
                "level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
                "available": 4, "status": "open",
                "reported_at": utcnow().isoformat().replace("+00:00", "Z")}],
                "key:t", FAC["beds"], partial=True)
            assert jobs.after_write(app)
            # Pushed, then the position advanced (a moment after the push lands).
            wait_for(lambda: double.source(FAC["id"])["beds_by_level"]["3_7-WM__men"]["open"]
                     == 4 and outbox.lag(adb.read(), "elasticsearch:dir-1")["pending"] == 0,
                     "the runner pushes the committed report and records its position")
            runner.send_signal(signal.SIGTERM)
            assert runner.wait(timeout=60) == 0
        finally:
            if runner.poll() is None:
                runner.kill()
                runner.wait(timeout=60)
            log.close()
    assert "job runner stopped" in (tmp_path / "runner.log").read_text()


def test_serve_sh_stops_both_when_one_ends_or_on_sigterm(tmp_path):
    """`make run`'s scripts/serve.sh: the runner and gunicorn live and die together."""
    script = str(ROOT / "scripts" / "serve.sh")
    ended = subprocess.run(["bash", script, "sh", "-c", "exit 3", "--", "sleep", "120"],
                           timeout=60)
    assert ended.returncode == 3  # the sleep was stopped, or this would have waited
    ready, stopped = tmp_path / "ready", tmp_path / "stopped"
    both = subprocess.Popen(["bash", script, "sleep", "120", "--", "sh", "-c",
                             f"trap 'touch {stopped}; exit 0' TERM; touch {ready}; "
                             "sleep 120 & wait"])
    wait_for(ready.exists, "the second command starts")
    both.send_signal(signal.SIGTERM)
    assert both.wait(timeout=60) == 143
    assert stopped.exists()


def test_two_runner_processes_on_postgresql_run_a_periodic_job_once(tmp_path, pg_server):
    """Two nodes' runners, each with its own SQLite queue, one PostgreSQL database: both
    tick at start, and this hour's outbox.prune runs on one of them only."""
    url = pg_server.create()
    runners, logs = [], []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            logs.append(tmp_path / name / "runner.log")
            env = {**os.environ, "AVAILABILITY_URL": url, "LOG_FORMAT": "text",
                   "LOG_LEVEL": "DEBUG", "JOBS_POLL_S": "0.2",
                   "AVAILABILITY_PATH": str(tmp_path / name / "availability.sqlite3")}
            env.pop("ELASTICSEARCH_URL", None)
            with open(logs[-1], "w") as out:
                runners.append(subprocess.Popen(
                    [sys.executable, "-m", "directory_service.jobs"], cwd=ROOT, env=env,
                    stdout=out, stderr=subprocess.STDOUT))

        def attempts():
            return [[line for line in log.read_text().splitlines()
                     if "periodic job outbox.prune, slot" in line] for log in logs]

        wait_for(lambda: all(attempts()), "both runners try this hour's outbox.prune")
        lines = [line for per_runner in attempts() for line in per_runner]
        ran = [re.search(r"slot (\S+): ran$", line).group(1) for line in lines
               if line.endswith(": ran")]
        refused = [line for line in lines if line.endswith("claimed by another runner")]
        assert len(ran) == len(set(ran)) >= 1  # once per slot (two only across an hour)
        assert len(ran) + len(refused) == 2
        for runner in runners:
            runner.send_signal(signal.SIGTERM)
        assert [runner.wait(timeout=60) for runner in runners] == [0, 0]
    finally:
        for runner in runners:
            if runner.poll() is None:
                runner.kill()
                runner.wait(timeout=60)
        pg_server.drop(url)
