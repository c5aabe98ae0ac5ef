"""Reading the transactional outbox: what changed since a sync target's last position.

Rows are added by `db.mark_changed` in the transaction of each report or hold change;
a sync step (for Elasticsearch) reads them in order, pushes the facilities' current
figures and then advances its position. The outbox is never the source of truth: a row
only says "this facility changed at seq N"; the figures are re-read when pushed.
"""
from directory_service.availability.db import iso, parse_iso, utcnow

PENDING = ("SELECT seq, facility_id, created_at FROM outbox WHERE seq > ? "
           "ORDER BY seq LIMIT ?")
POSITION = "SELECT seq FROM sync_positions WHERE target = ?"
ADVANCE = """
INSERT INTO sync_positions (target, seq, updated_at) VALUES (?, ?, ?)
ON CONFLICT (target) DO UPDATE SET seq = MAX(seq, excluded.seq), updated_at = excluded.updated_at
"""
LAST = "SELECT COALESCE(MAX(seq), 0) FROM outbox"
OLDEST_AFTER = "SELECT MIN(seq), MIN(created_at), COUNT(*) FROM outbox WHERE seq > ?"


def last_seq(db):
    """The newest outbox position (0 when nothing was ever written)."""
    return db.execute(LAST).fetchone()[0]


def pending(db, after_seq, limit=500):
    """Up to `limit` outbox rows after `after_seq`, oldest first, as dicts."""
    return [dict(row) for row in db.execute(PENDING, (after_seq, limit))]


def position(db, target):
    """How far `target` has been synced (0 when never)."""
    row = db.execute(POSITION, (target,)).fetchone()
    return row[0] if row else 0


def advance(adb, target, seq):
    """Record that `target` holds every change up to `seq` (never moves backwards)."""
    with adb.write() as db:
        db.execute(ADVANCE, (target, seq, iso(utcnow())))


def lag(db, target, now=None):
    """{"pending": rows not yet synced, "oldest_s": age of the oldest, in seconds}."""
    after = position(db, target)
    _, oldest, count = db.execute(OLDEST_AFTER, (after,)).fetchone()
    age = 0.0
    if oldest is not None:
        age = max(0.0, ((now or utcnow()) - parse_iso(oldest)).total_seconds())
    return {"position": after, "pending": count, "oldest_s": round(age, 1)}
