"""Subscriptions and deliveries in the availability database (schema.webhook_*).

Only this module holds the webhooks' SQL. A delivery's `lane` (subscription or ad-hoc URL,
and facility) orders it: the oldest pending delivery of a lane goes first, so a partner
never sees a facility's later change before an earlier one. Sending is claimed by moving
`next_attempt_at` past the attempt with a compare-and-set, so two nodes running
`deliver_due` at once never send the same attempt twice.
"""
import base64
import json
import secrets
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from directory_service.availability.db import iso
from directory_service.availability.schema import webhook_deliveries, webhook_subscriptions

S, D = webhook_subscriptions.c, webhook_deliveries.c
STATES = ("active", "paused")
DELIVERY_STATES = ("pending", "delivered", "dead", "cancelled")
PUBLIC_SUB = ("id", "url", "events", "description", "state", "created_at", "updated_at")
PUBLIC_DELIVERY = ("id", "subscription_id", "event", "state", "attempts", "next_attempt_at",
                   "created_at", "updated_at", "delivered_at", "last_status", "last_error")


def new_secret():
    """A Standard Webhooks signing secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _sub(row):
    sub = {k: row[k] for k in PUBLIC_SUB}
    sub["events"] = json.loads(sub["events"])
    return sub


def create_subscription(db, url, events, description, by, start_seq, now):
    """Insert an active subscription; returns it with its secret (shown this once)."""
    sub_id, secret = "sub_" + secrets.token_hex(8), new_secret()
    db.execute(webhook_subscriptions.insert().values(
        id=sub_id, url=url, events=json.dumps(sorted(set(events))), description=description,
        secret=secret, state="active", start_seq=start_seq, created_at=iso(now),
        updated_at=iso(now), created_by=by))
    return {**get_subscription(db, sub_id), "secret": secret}


def get_subscription(db, sub_id):
    row = db.execute(select(webhook_subscriptions).where(S.id == sub_id)).mappings().first()
    return _sub(row) if row else None


def list_subscriptions(db, page, per_page):
    total = db.execute(select(func.count()).select_from(webhook_subscriptions)).scalar()
    rows = db.execute(select(webhook_subscriptions).order_by(S.created_at, S.id)
                      .limit(per_page).offset((page - 1) * per_page)).mappings()
    return total, [_sub(r) for r in rows]


def update_subscription(db, sub_id, changes, now):
    """Apply {state, description, events}; returns the subscription or None."""
    values = dict(changes)
    if "events" in values:
        values["events"] = json.dumps(sorted(set(values["events"])))
    if values:
        db.execute(update(webhook_subscriptions).where(S.id == sub_id)
                   .values(**values, updated_at=iso(now)))
    return get_subscription(db, sub_id)


def delete_subscription(db, sub_id, now):
    """Delete it and cancel its undelivered deliveries; False when unknown."""
    gone = db.execute(webhook_subscriptions.delete().where(S.id == sub_id)).rowcount
    db.execute(update(webhook_deliveries).where(D.subscription_id == sub_id,
                                                D.state == "pending")
               .values(state="cancelled", updated_at=iso(now)))
    return bool(gone)


def active_subscriptions(db):
    """Every active subscription with its events (a set), secret and start position."""
    rows = db.execute(select(S.id, S.events, S.start_seq).where(S.state == "active"))
    return [{"id": i, "events": set(json.loads(e)), "start_seq": s} for i, e, s in rows]


def add_delivery(db, event, payload, lane, now, subscription_id=None, outbox_seq=None,
                 url=None, secret=None):
    """Queue one delivery, due now; a second one for the same (subscription, outbox row)
    is skipped (ON CONFLICT DO NOTHING). Returns its id (None when skipped)."""
    delivery_id = "msg_" + secrets.token_hex(12)
    insert = postgresql.insert if db.dialect.name == "postgresql" else sqlite.insert
    values = dict(id=delivery_id, subscription_id=subscription_id, outbox_seq=outbox_seq,
                  url=url, secret=secret, event=event, payload=payload, lane=lane,
                  state="pending", attempts=0, next_attempt_at=iso(now), created_at=iso(now),
                  updated_at=iso(now))
    statement = insert(webhook_deliveries).values(**values)
    if subscription_id is not None:
        statement = statement.on_conflict_do_nothing(
            index_elements=["subscription_id", "outbox_seq"])
    # RETURNING, not rowcount: with an implicit RETURNING of the key, PostgreSQL's
    # rowcount says 1 even when the conflict skipped the row.
    return db.execute(statement.returning(D.id)).scalar()


def due(db, now, limit):
    """Deliveries to attempt now: pending, due, the oldest pending of their lane, and of an
    active subscription (or ad-hoc). Oldest first."""
    earlier = aliased(webhook_deliveries)
    blocked = (select(earlier.c.seq).where(earlier.c.lane == D.lane,
                                            earlier.c.state == "pending",
                                            earlier.c.seq < D.seq).exists())
    query = (select(webhook_deliveries, S.url.label("sub_url"), S.secret.label("sub_secret"))
             .select_from(webhook_deliveries.outerjoin(
                 webhook_subscriptions, S.id == D.subscription_id))
             .where(D.state == "pending", D.next_attempt_at <= iso(now), ~blocked,
                    or_(D.subscription_id.is_(None), S.state == "active"))
             .order_by(D.seq).limit(limit))
    return [dict(r) for r in db.execute(query).mappings()]


def next_due_at(db):
    """When the earliest pending delivery is due (ISO text), or None when none is."""
    return db.execute(select(func.min(D.next_attempt_at)).where(D.state == "pending")).scalar()


def claim(db, delivery, now, hold_s):
    """Take the attempt: attempts + 1 and next_attempt_at moved `hold_s` ahead (so a
    crash mid-send retries it then), only if nobody took it first. True when taken."""
    taken = db.execute(update(webhook_deliveries).where(
        D.id == delivery["id"], D.state == "pending",
        D.next_attempt_at == delivery["next_attempt_at"]).values(
        attempts=D.attempts + 1, next_attempt_at=iso(now + timedelta(seconds=hold_s)),
        updated_at=iso(now))).rowcount
    return taken == 1


def record(db, delivery_id, now, state, status=None, error=None, next_at=None):
    """What an attempt did: delivered, dead, or pending again at `next_at`."""
    values = {"state": state, "last_status": status, "last_error": error,
              "updated_at": iso(now)}
    if state == "delivered":
        values["delivered_at"] = iso(now)
    if next_at is not None:
        values["next_attempt_at"] = iso(next_at)
    db.execute(update(webhook_deliveries).where(D.id == delivery_id).values(**values))


def get_delivery(db, delivery_id):
    row = db.execute(select(webhook_deliveries).where(D.id == delivery_id)).mappings().first()
    return dict(row) if row else None


def public_delivery(row):
    out = {k: row[k] for k in PUBLIC_DELIVERY}
    out["payload"] = json.loads(row["payload"])
    return out


ADHOC = "adhoc"


def list_deliveries(db, page, per_page, subscription_id=None, state=None):
    """(total, deliveries) newest first, of one subscription (None: of all; ADHOC: those
    to ad-hoc URLs, deliver_to_url) and state."""
    where = []
    if subscription_id == ADHOC:
        where.append(D.subscription_id.is_(None))
    elif subscription_id:
        where.append(D.subscription_id == subscription_id)
    if state:
        where.append(D.state == state)
    total = db.execute(select(func.count()).select_from(webhook_deliveries)
                       .where(*where)).scalar()
    rows = db.execute(select(webhook_deliveries).where(*where)
                      .order_by(D.seq.desc()).limit(per_page)
                      .offset((page - 1) * per_page)).mappings()
    return total, [public_delivery(r) for r in rows]


def redeliver(db, delivery_id, now):
    """A dead delivery back to pending, due now, with fresh attempts and the same id (the
    receiver's de-duplication key). False unless it was dead."""
    done = db.execute(update(webhook_deliveries).where(
        D.id == delivery_id, D.state == "dead").values(
        state="pending", attempts=0, next_attempt_at=iso(now), updated_at=iso(now),
        last_error=None)).rowcount
    return done == 1


def prune(db, before):
    """Delete delivered and cancelled deliveries last changed before `before` (an ISO
    time); dead letters and pending ones stay. Returns how many went. A delivered one is
    of no more use (its outbox row goes too), and a nudge's holds one-tap links."""
    return db.execute(webhook_deliveries.delete().where(
        D.state.in_(("delivered", "cancelled")), D.updated_at < before)).rowcount


def counts_by_state(db):
    """{state: deliveries} (for /metrics: pending and dead are worth an alert)."""
    rows = db.execute(select(D.state, func.count()).group_by(D.state))
    return {state: n for state, n in rows}
