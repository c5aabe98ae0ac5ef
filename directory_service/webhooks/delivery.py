"""From the outbox to partners: `dispatch` queues, `deliver_due` sends (issue 23, item 3).

`dispatch(app, now)` reads the outbox after the `webhooks` position and queues one
delivery per matching active subscription, in the same transaction as it advances the
position; a unique (subscription, outbox seq) means a crash or a second node between the
two never queues one twice. It first marks holds past their time expired, which writes
their `hold.expired` events (holds.expire_due).

`deliver_due(app, now)` sends what is due, oldest first, one lane at a time in order,
each signed per Standard Webhooks (`standardwebhooks` library): `webhook-id` is the
delivery id, the same on every retry, so a receiver drops a repeat; `webhook-timestamp` is
the time of the attempt. A 2xx delivers it; anything else, a timeout or a refused target
retries after WEBHOOK_BACKOFF_BASE_S doubled per attempt (capped), and after
WEBHOOK_MAX_ATTEMPTS attempts it is dead until an admin redelivers it. At least once: a
crash mid-send retries after the claim lapses.
"""
import json
import logging
import time
from datetime import timedelta

from standardwebhooks import Webhook

from directory_service.availability import events, holds, outbox
from directory_service.availability.db import iso, lock, utcnow
from directory_service.webhooks import store, targets

log = logging.getLogger(__name__)
TARGET = "webhooks"
DISPATCH_LOCK = "webhooks:dispatch"
BATCH = 500
MAX_SENDS = 200
MAX_RUN_S = 50  # a run ends in time for the next minute's


def _adb(app):
    return app.extensions["availability"]


def _settings(app):
    return app.config["SETTINGS"]


def body_of(event, created_at, data):
    """The body: Standard Webhooks' {"type", "timestamp", "data"}, as the exact bytes
    that are signed and sent."""
    return json.dumps({"type": event, "timestamp": created_at, "data": data},
                      sort_keys=True, separators=(",", ":"))


def lane(owner, facility_id):
    return f"{owner}|{facility_id or ''}"


def dispatch(app, now=None):
    """Queue deliveries for the outbox rows after the `webhooks` position; returns
    {"expired", "rows", "queued", "position"}."""
    now = now or utcnow()
    adb = _adb(app)
    expired = holds.expire_due(adb, now)
    rows_seen = queued = 0
    while True:
        with adb.write() as db:
            lock(db, DISPATCH_LOCK)
            after = outbox.position(db, TARGET)
            rows = outbox.pending(db, after, BATCH)
            if not rows:
                position = after
                break
            subs = store.active_subscriptions(db)
            for row in rows:
                if row["event"] not in events.EVENTS:
                    continue
                body = body_of(row["event"], row["created_at"], row["data"])
                for sub in subs:
                    if row["event"] in sub["events"] and row["seq"] > sub["start_seq"]:
                        if store.add_delivery(db, row["event"], body,
                                              lane(sub["id"], row["facility_id"]), now,
                                              subscription_id=sub["id"],
                                              outbox_seq=row["seq"]):
                            queued += 1
            outbox.advance_in(db, TARGET, rows[-1]["seq"])
            rows_seen += len(rows)
            position = rows[-1]["seq"]
        if len(rows) < BATCH:
            break
    return {"expired": expired, "rows": rows_seen, "queued": queued, "position": position}


def start_position(db):
    """The outbox position a new subscription starts after (it gets no history)."""
    return outbox.last_seq(db)


def deliver_to_url(db, url, secret, event_type, payload, ordering_key, now=None):
    """Queue `payload` (a dict, sent as `data`) as `event_type` to an ad-hoc `url` signed
    with `secret` (whsec_…), in order with the others of `ordering_key` to that URL;
    sent, retried and dead-lettered by `deliver_due` like a subscription's. `db` is the
    AvailabilityDB or a connection in a write transaction. Returns the delivery id.
    Raises targets.TargetRefused for a URL that is not http(s), and the library's error
    for an empty secret; the address is checked when sent (WEBHOOK_ALLOW_PRIVATE)."""
    targets.parse(url)
    Webhook(secret)  # an unusable secret fails here, not at every attempt
    now = now or utcnow()
    body = body_of(event_type, iso(now), payload)
    if hasattr(db, "write"):
        with db.write() as conn:
            return store.add_delivery(conn, event_type, body, lane(url, ordering_key), now,
                                      url=url, secret=secret)
    return store.add_delivery(db, event_type, body, lane(url, ordering_key), now, url=url,
                              secret=secret)


def backoff(settings, attempts):
    """Seconds before the next attempt after `attempts` failed ones."""
    return min(settings.webhook_backoff_cap_s,
               settings.webhook_backoff_base_s * 2 ** max(0, attempts - 1))


def deliver_due(app, now=None, clock=utcnow, getaddrinfo=None):
    """Send every due delivery (at most MAX_SENDS, for at most MAX_RUN_S, a run); returns
    {"sent", "delivered", "failed", "dead"}. `now` schedules (due, retry times); `clock`
    stamps the signature (a receiver checks it against its own clock).

    A target that cannot be reached (timeout, refused, not resolvable) is not tried
    again in the same run, so a partner that is down costs one timeout a run, not one
    per facility; an HTTP error answer does not stop its other lanes."""
    now = now or utcnow()
    adb, settings = _adb(app), _settings(app)
    counts = {"sent": 0, "delivered": 0, "failed": 0, "dead": 0}
    hold_s = settings.webhook_timeout_s * 3 + 30
    deadline, unreachable = time.monotonic() + MAX_RUN_S, set()
    while counts["sent"] < MAX_SENDS and time.monotonic() < deadline:
        batch = store.due(adb.read(), now, MAX_SENDS - counts["sent"])
        progressed = False
        for delivery in batch:
            owner = delivery["subscription_id"] or delivery["url"]
            if owner in unreachable or time.monotonic() >= deadline:
                continue
            with adb.write() as db:
                if not store.claim(db, delivery, now, hold_s):
                    continue
            progressed = True
            counts["sent"] += 1
            outcome = _attempt(settings, delivery, clock(), getaddrinfo)
            if outcome[0] is None:
                unreachable.add(owner)
            _record(adb, settings, delivery, now, outcome, counts)
        if not progressed:
            break
    return counts


def _attempt(settings, delivery, stamp, getaddrinfo):
    """(status, error) of one signed POST."""
    url = delivery["url"] or delivery["sub_url"]
    secret = delivery["secret"] or delivery["sub_secret"]
    try:
        kwargs = {"getaddrinfo": getaddrinfo} if getaddrinfo else {}
        target = targets.resolve(url, settings.webhook_allow_private, **kwargs)
    except targets.TargetRefused as exc:
        return None, f"refused: {exc}"[:300]
    body = delivery["payload"].encode()
    signature = Webhook(secret).sign(delivery["id"], stamp, body)
    headers = {"webhook-id": delivery["id"],
               "webhook-timestamp": str(int(stamp.timestamp())),
               "webhook-signature": signature}
    return targets.post(target, body, headers, settings.webhook_timeout_s)


def _record(adb, settings, delivery, now, outcome, counts):
    status, error = outcome
    attempts = delivery["attempts"] + 1
    with adb.write() as db:
        if status is not None and 200 <= status < 300:
            store.record(db, delivery["id"], now, "delivered", status)
            counts["delivered"] += 1
            return
        error = error or f"HTTP {status}"
        counts["failed"] += 1
        if attempts >= settings.webhook_max_attempts:
            store.record(db, delivery["id"], now, "dead", status, error)
            counts["dead"] += 1
            log.warning("webhook delivery %s dead after %d attempts: %s", delivery["id"],
                        attempts, error)
            return
        store.record(db, delivery["id"], now, "pending", status, error,
                     next_at=now + timedelta(seconds=backoff(settings, attempts)))
