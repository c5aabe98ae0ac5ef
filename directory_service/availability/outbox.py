"""Reading the transactional outbox: what changed since a sync target's last position.

Rows are added by `db.mark_changed` in the transaction of each report or hold change;
a sync step (for Elasticsearch) reads them in order, pushes the facilities' current
figures and then advances its position. The outbox is never the source of truth: a row
only says "this facility changed at seq N"; the figures are re-read when pushed. On
PostgreSQL outbox numbers are taken under the global change lock (db.mark_changed), so
they become visible in order and reading `seq > position` never skips a late commit.

One consumer at a time (issue 24): a sync takes a lease, a `sync_positions` row named
`lease:<name>` whose `seq` is the holder's token and `updated_at` its expiry, taken and
renewed by one compare-and-set upsert (SQLite and PostgreSQL alike); a holder that dies
loses it when it expires. Rows every consumer has passed are pruned after a retention.
"""
import json
from datetime import timedelta

from sqlalchemy import case, delete, func, or_, select, update

from directory_service.availability.db import iso, parse_iso, upsert, utcnow
from directory_service.availability.schema import outbox, sync_positions

O, P = outbox.c, sync_positions.c


def last_seq(db):
    """The newest outbox position (0 when nothing was ever written)."""
    return db.execute(select(func.coalesce(func.max(O.seq), 0))).scalar()


def pending(db, after_seq, limit=500):
    """Up to `limit` outbox rows after `after_seq`, oldest first, as dicts (with `event`
    and `data`, a dict or None)."""
    query = (select(O.seq, O.facility_id, O.created_at, O.event, O.data)
             .where(O.seq > after_seq).order_by(O.seq).limit(limit))
    rows = [dict(row) for row in db.execute(query).mappings()]
    for row in rows:
        row["data"] = None if row["data"] is None else json.loads(row["data"])
    return rows


def position(db, target):
    """How far `target` has been synced (0 when never)."""
    seq = db.execute(select(P.seq).where(P.target == target)).scalar()
    return seq or 0


def advance(adb, target, seq):
    """Record that `target` holds every change up to `seq` (never moves backwards)."""
    with adb.write() as db:
        advance_in(db, target, seq)


def advance_in(db, target, seq):
    """`advance` inside the caller's write transaction (with what it did because of the
    rows, so both commit or neither)."""
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


def _lease_key(name):
    return f"lease:{name}"


def take_lease(adb, name, holder, ttl_s, now=None):
    """Take or renew the lease `name` for `holder` (a positive integer token) until
    now + `ttl_s`; returns (held by `holder`, its expiry as an aware datetime).

    The lease is free when nobody has it, when `holder` has it, or when it expired."""
    now = now or utcnow()
    key, expires = _lease_key(name), iso(now + timedelta(seconds=ttl_s))
    free = or_(P.seq == holder, P.updated_at <= iso(now))
    with adb.write() as db:
        upsert(db, sync_positions, {"target": key, "seq": holder, "updated_at": expires},
               ["target"], update={"seq": case((free, holder), else_=P.seq),
                                   "updated_at": case((free, expires), else_=P.updated_at)})
        seq, until = db.execute(select(P.seq, P.updated_at).where(P.target == key)).one()
    return seq == holder, parse_iso(until)


def release_lease(adb, name, holder):
    """Give the lease up at once (only its holder can), so another takes it now."""
    with adb.write() as db:
        db.execute(update(sync_positions)
                   .where(P.target == _lease_key(name), P.seq == holder)
                   .values(updated_at=iso(utcnow() - timedelta(seconds=1))))


def prune(adb, upto_seq, retention_s, now=None):
    """Delete outbox rows at or below `upto_seq` (a position every consumer has passed)
    created more than `retention_s` ago; returns how many went."""
    cutoff = iso((now or utcnow()) - timedelta(seconds=retention_s))
    with adb.write() as db:
        result = db.execute(delete(outbox).where(O.seq <= upto_seq, O.created_at < cutoff))
    return result.rowcount
