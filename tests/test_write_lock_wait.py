"""A writer waits for another process's write lock in sleeps of its own (time.sleep, which
gevent makes cooperative), not in SQLite's busy handler, which blocks the whole worker;
it still gets the lock when it is freed, and still gives up after the busy timeout."""
import sqlite3
import threading

import pytest
from sqlalchemy import exc as sa_exc, text

from directory_service.availability import db as db_module
from directory_service.availability.db import AvailabilityDB


@pytest.fixture
def sleeps(monkeypatch):
    calls = []
    real = db_module.time.sleep

    def sleep(seconds):
        calls.append(seconds)
        real(seconds)

    monkeypatch.setattr(db_module.time, "sleep", sleep)
    return calls


def hold_lock(path, release):
    """Another connection (another process, as far as SQLite knows) holds the write lock
    until `release` is set."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    held = threading.Event()

    def run():
        held.set()
        release.wait(10)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=run)
    thread.start()
    held.wait()
    return thread


def test_a_writer_waits_in_its_own_sleeps_and_gets_the_freed_lock(tmp_path, sleeps):
    adb = AvailabilityDB(str(tmp_path / "a.sqlite"))
    adb.ping()  # the schema is made before another process takes the lock
    release = threading.Event()
    holder = hold_lock(adb.path, release)
    threading.Timer(0.05, release.set).start()
    with adb.write() as db:
        db.execute(text("CREATE TABLE IF NOT EXISTS probe (x)"))
        db.execute(text("INSERT INTO probe VALUES (1)"))
    holder.join()
    assert sleeps, "the writer never slept: it waited inside SQLite"
    assert adb.read().execute(text("SELECT count(*) FROM probe")).fetchone()[0] == 1
    # The busy timeout other statements rely on is back.
    assert adb.read().execute(text("PRAGMA busy_timeout")).fetchone()[0] == adb.busy_timeout_ms


def test_a_writer_gives_up_after_the_busy_timeout(tmp_path, sleeps):
    adb = AvailabilityDB(str(tmp_path / "a.sqlite"), busy_timeout_ms=100)
    adb.ping()
    release = threading.Event()
    holder = hold_lock(adb.path, release)
    try:
        with pytest.raises((sqlite3.OperationalError, sa_exc.OperationalError), match="locked"):
            with adb.write():
                pass
    finally:
        release.set()
        holder.join()
    assert sleeps
    assert adb.read().execute(text("PRAGMA busy_timeout")).fetchone()[0] == 100
    with adb.write() as db:  # and the lock is free again afterwards
        db.execute(text("CREATE TABLE IF NOT EXISTS probe (x)"))

