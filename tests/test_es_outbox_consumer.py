"""Issue 24: one outbox consumer at a time (pruning: tests/test_jobs.py).

The lease is a `sync_positions` row taken by compare-and-set (availability/outbox.py),
on SQLite and PostgreSQL. Pushes go through VersionedIndexDouble (tests/es_doubles.py),
a recording double at the client seam, NOT Elasticsearch: a process that does not hold
the lease makes no call at all. Clocks are passed in (`now`), never waited for.
"""
from datetime import timedelta

import pytest

from directory_service import create_app
from directory_service.availability import outbox
from directory_service.availability.db import mark_changed, utcnow
from directory_service.config import Settings
from directory_service.search.elastic import sync
from tests import factories
from tests.availability_backends import open_adb
from tests.es_doubles import VersionedIndexDouble
from tests.test_live_support import row

FAC = factories.facility("full", km=1, beds=[row(available=0)])
A, B = 111, 222


@pytest.fixture
def adb(tmp_path, availability_backend):
    """On SQLite and on PostgreSQL."""
    return open_adb(tmp_path / "availability.sqlite3")


def change(adb, facility_id="test:full"):
    with adb.write() as db:
        mark_changed(db, facility_id)


def test_one_holder_at_a_time_until_it_expires_or_releases(adb):
    now = utcnow()
    assert outbox.take_lease(adb, "es", A, 30, now=now)[0]
    held, until = outbox.take_lease(adb, "es", B, 30, now=now + timedelta(seconds=10))
    assert not held and until == (now + timedelta(seconds=30)).replace(microsecond=0)
    # The holder renews; the other still waits.
    assert outbox.take_lease(adb, "es", A, 30, now=now + timedelta(seconds=20))[0]
    assert not outbox.take_lease(adb, "es", B, 30, now=now + timedelta(seconds=40))[0]
    # A holder that stopped renewing loses it once it expired.
    assert outbox.take_lease(adb, "es", B, 30, now=now + timedelta(seconds=51))[0]
    assert not outbox.take_lease(adb, "es", A, 30, now=now + timedelta(seconds=52))[0]
    outbox.release_lease(adb, "es", A)  # not A's to release: nothing changes
    assert not outbox.take_lease(adb, "es", A, 30)[0]
    outbox.release_lease(adb, "es", B)
    assert outbox.take_lease(adb, "es", A, 30)[0]
    # A lease is no sync position: positions of targets are untouched by it.
    assert outbox.position(adb.read(), "es") == 0


def test_only_the_lease_holder_pushes(adb):
    double = VersionedIndexDouble([FAC])
    change(adb)
    first = sync.OutboxSync(double, "directory", adb, holder=A)
    second = sync.OutboxSync(double, "directory", adb, holder=B)
    assert first.catch_up()["rows"] == 1
    calls = len(double.calls)
    change(adb)
    result = second.catch_up()
    assert result["busy"] and result["rows"] == 0
    assert len(double.calls) == calls  # not even the alias was resolved
    assert outbox.lag(adb.read(), sync.target("dir-1"))["pending"] == 1
    # The holder goes on; once it releases, the other takes over.
    assert first.catch_up()["rows"] == 1
    first.release_lease()
    change(adb)
    assert second.catch_up()["rows"] == 1


def test_the_runner_of_a_second_node_waits_its_turn_then_pushes(adb, tmp_path):
    """Issue 23: the runner's consumer finds the lease held by another node: no call to
    the cluster, `busy`, and a run queued a second later that pushes once it is free."""
    app = es_app(tmp_path, VersionedIndexDouble([FAC]))
    double, runner = app.extensions["store"].client, app.extensions["jobs"]
    change(adb)
    assert outbox.take_lease(adb, sync.lease_name("directory"), A, 30)[0]
    assert runner.consume("elasticsearch")["busy"]
    assert double.calls == []
    (retry,) = runner.huey.pending()
    assert retry.args == ("elasticsearch", "retry:elasticsearch") and retry.eta is not None
    outbox.release_lease(adb, sync.lease_name("directory"), A)
    assert runner.consume("elasticsearch")["rows"] == 1
    # Caught up, the run gave the lease back: another node need not wait for its expiry.
    assert outbox.take_lease(adb, sync.lease_name("directory"), B, 30)[0]


def es_app(tmp_path, double):
    """An app on the test's availability backend (AVAILABILITY_URL when PostgreSQL)."""
    settings = Settings.from_env(elasticsearch_url="http://es.invalid:9200",
                                 availability_path=str(tmp_path / "availability.sqlite3"))
    app = create_app(settings)
    app.extensions["store"].client = double
    return app
