"""The outbox row commits with its change, or not at all, and positions only advance."""
from datetime import timedelta

import pytest

from directory_service.availability import outbox
from directory_service.availability.db import mark_changed, utcnow
from tests.availability_backends import open_adb


@pytest.fixture
def adb(tmp_path, availability_backend):
    """On SQLite and on PostgreSQL."""
    return open_adb(tmp_path / "availability.sqlite3")


def test_a_change_adds_one_outbox_row_in_its_transaction(adb):
    with adb.write() as db:
        mark_changed(db, "fac-1")
    with adb.write() as db:
        mark_changed(db, "fac-2")
        mark_changed(db, "fac-1")
    rows = outbox.pending(adb.read(), 0)
    assert [r["facility_id"] for r in rows] == ["fac-1", "fac-2", "fac-1"]
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    assert outbox.last_seq(adb.read()) == rows[-1]["seq"]


def test_a_rolled_back_change_leaves_no_outbox_row(adb):
    with pytest.raises(RuntimeError):
        with adb.write() as db:
            mark_changed(db, "fac-1")
            raise RuntimeError("the report failed after marking")
    assert outbox.pending(adb.read(), 0) == []


def test_lag_counts_rows_after_the_position_and_positions_never_go_back(adb):
    for facility in ("a", "b", "c"):
        with adb.write() as db:
            mark_changed(db, facility)
    db = adb.read()
    assert outbox.lag(db, "es")["pending"] == 3
    outbox.advance(adb, "es", 2)
    outbox.advance(adb, "es", 1)
    assert outbox.position(adb.read(), "es") == 2
    later = utcnow() + timedelta(seconds=30)
    state = outbox.lag(adb.read(), "es", now=later)
    assert state["pending"] == 1 and state["position"] == 2
    assert 29 <= state["oldest_s"] <= 31
    outbox.advance(adb, "es", 3)
    assert outbox.lag(adb.read(), "es") == {"position": 3, "pending": 0, "oldest_s": 0.0}
