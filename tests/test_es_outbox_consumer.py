"""Issue 24: one outbox consumer at a time, and the outbox pruned behind it.

The lease is a `sync_positions` row taken by compare-and-set (availability/outbox.py),
on SQLite and PostgreSQL. Pushes go through VersionedIndexDouble (tests/es_doubles.py),
a recording double at the client seam, NOT Elasticsearch: a process that does not hold
the lease makes no call at all. Clocks are passed in (`now`), never waited for.
"""
from datetime import timedelta

import pytest

from directory_service.availability import outbox
from directory_service.availability.db import mark_changed, utcnow
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


def test_the_holder_prunes_rows_the_serving_index_passed_after_the_retention(adb):
    double = VersionedIndexDouble([FAC])
    for _ in range(3):
        change(adb)
    consumer = sync.OutboxSync(double, "directory", adb, holder=A, retention_s=3600)
    done = consumer.catch_up()
    # Pushed, but younger than the retention: kept.
    assert done["position"] == 3 and done["pruned"] == 0
    assert len(outbox.pending(adb.read(), 0)) == 3
    change(adb)  # seq 4: not yet pushed, never pruned
    later = utcnow() + timedelta(hours=2)
    assert outbox.prune(adb, 3, 3600, now=later) == 3
    assert [r["seq"] for r in outbox.pending(adb.read(), 0)] == [4]
    assert outbox.lag(adb.read(), sync.target("dir-1"))["pending"] == 1


def test_the_background_loop_of_a_second_process_waits_its_turn(adb):
    double = VersionedIndexDouble([FAC])
    change(adb)
    assert outbox.take_lease(adb, sync.lease_name("directory"), A, 30)[0]
    loop = sync.BackgroundSync(lambda: sync.OutboxSync(double, "directory", adb, holder=B))
    assert loop.step() == sync.POLL_S and loop.failures == 0
    assert double.calls == []
