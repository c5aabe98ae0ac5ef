"""The job queue on Redis (JOBS_URL=redis://…), on a throwaway redis-server on loopback.

Two nodes (apps) name one Redis queue and share one availability database: a write on
one node queues the consumer once (coalesced with a Redis hash field, as the SQLite
queue does with a row), the other node's runner runs it; periodic jobs are claimed once
per slot whichever node ticks. redis-server comes from scripts/install_redis.sh; without
it the tests skip here and fail under CI=true (tests/needs.py).
"""
import shutil
import subprocess
import time
from datetime import datetime, timezone

import pytest
from huey import RedisHuey

from directory_service import create_app, jobs
from directory_service.config import Settings
from directory_service.jobs import claims
from directory_service.jobs.registry import OutboxConsumer, PeriodicJob, target_position
from directory_service.jobs.runner import Jobs
from directory_service.jobs.schedules import Every
from tests.availability_backends import free_port
from tests.needs import missing

NOW = datetime(2026, 12, 7, 10, 0, 30, tzinfo=timezone.utc)


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        missing("no redis-server: run scripts/install_redis.sh (Debian's redis-server)")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client, end = redis.Redis(port=port), time.monotonic() + 60
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > end or process.poll() is not None:
                process.kill()
                missing("redis-server did not answer on loopback within 60 s")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=30)


def node(tmp_path, redis_url, periodic=(), consumers=()):
    app = create_app(Settings.from_env(
        availability_path=str(tmp_path / "availability.sqlite3"), jobs_url=redis_url))
    app.extensions["jobs"] = Jobs(app, periodic=periodic, consumers=consumers)
    return app.extensions["jobs"]


def test_two_nodes_share_one_redis_queue(tmp_path, redis_url):
    runs, ran = [], []
    consumer = OutboxConsumer("webhooks", lambda app, now: runs.append(now) or {},
                              target_position("webhooks"))
    job = PeriodicJob("count", Every(1), lambda app, now: ran.append(now) or {"n": 1})
    a, b = (node(tmp_path, redis_url, [job], [consumer]) for _ in range(2))
    assert isinstance(a.huey, RedisHuey)
    assert jobs.after_write(a.app) and jobs.after_write(b.app)
    assert a.huey.pending_count() == 1  # one queue, one run however many nodes wrote
    assert b.run_queued() == 1 and len(runs) == 1
    a.tick(NOW)
    b.tick(NOW)
    assert a.run_queued() + b.run_queued() == 3  # two claims tried, one consumer run
    assert ran == [NOW]
    assert [r["outcome"] for r in claims.runs(a.app.extensions["availability"].read(),
                                              "count")] == ['{"n": 1}']
    # A retry waits in Redis's schedule, coalesced with other retries only.
    assert a.enqueue_consumer("webhooks", delay=60) and not b.enqueue_consumer(
        "webhooks", delay=60)
    assert b.enqueue_consumer("webhooks")
