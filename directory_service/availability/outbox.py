"""Reading the transactional outbox: what changed since a sync target's last position.

Rows are added by `db.mark_changed` in the transaction of each report or hold change;
a sync step (for Elasticsearch) reads them in order, pushes the facilities' current
figures and then advances its position. The outbox is never the source of truth: a row
only says "this facility changed at seq N"; the figures are re-read when pushed. On
PostgreSQL outbox numbers are taken under the global change lock (db.mark_changed), so
they become visible in order and reading `seq > position` never skips a late commit.
"""
from sqlalchemy import case, func, select

from directory_service.availability.db import iso, parse_iso, upsert, utcnow
from directory_service.availability.schema import outbox, sync_positions

O, P = outbox.c, sync_positions.c


def last_seq(db):
    """The newest outbox position (0 when nothing was ever written)."""
    return db.execute(select(func.coalesce(func.max(O.seq), 0))).scalar()


def pending(db, after_seq, limit=500):
    """Up to `limit` outbox rows after `after_seq`, oldest first, as dicts."""
    query = (select(O.seq, O.facility_id, O.created_at).where(O.seq > after_seq)
             .order_by(O.seq).limit(limit))
    return [dict(row) for row in db.execute(query).mappings()]


def position(db, target):
    """How far `target` has been synced (0 when never)."""
    seq = db.execute(select(P.seq).where(P.target == target)).scalar()
    return seq or 0


def advance(adb, target, seq):
    """Record that `target` holds every change up to `seq` (never moves backwards)."""
    with adb.write() as db:
        stored = sync_positions.c.seq
        values = {"target": target, "seq": seq, "updated_at": iso(utcnow())}
        upsert(db, sync_positions, values, ["target"], update={
            "seq": case((stored > seq, stored), else_=seq),
            "updated_at": values["updated_at"]})


def lag(db, target, now=None):
    """{"pending": rows not yet synced, "oldest_s": age of the oldest, in seconds}."""
    after = position(db, target)
    _, oldest, count = db.execute(select(func.min(O.seq), func.min(O.created_at), func.count())
                                  .where(O.seq > after)).one()
    age = 0.0
    if oldest is not None:
        age = max(0.0, ((now or utcnow()) - parse_iso(oldest)).total_seconds())
    return {"position": after, "pending": count, "oldest_s": round(age, 1)}
