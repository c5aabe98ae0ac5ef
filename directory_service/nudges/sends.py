"""The record of every nudge: one row per recipient (an address or the webhook) and try.

A row is `pending` until its first try, then `sent`, `failed` (tried again by the next run, up to NUDGE_MAX_ATTEMPTS, then
`given_up`), or `ended` (the facility reported, or its contacts changed, before a retry
got through). The newest row's time is what "already nudged this episode" compares with
(due.same_episode). The admin page lists these rows, addresses masked.
"""
import secrets

from sqlalchemy import func, select

from directory_service.availability.db import iso, lock, parse_iso
from directory_service.availability.schema import nudge_sends

S = nudge_sends.c
STATUSES = ("pending", "sent", "failed", "given_up", "ended")


def last_nudge_at(db, facility_id):
    """When the facility was last nudged (any channel, any outcome), or None."""
    found = db.execute(select(func.max(S.created_at))
                       .where(S.facility_id == facility_id)).scalar()
    return parse_iso(found)


def start_episode(adb, facility_id, contacts, oldest, now, same_episode):
    """Rows for a new nudge to every recipient, written once: inside the facility's lock
    the last nudge is read again, so two runs at once (two nodes) make one nudge.
    Returns the new rows (an empty list when another run was first)."""
    recipients = [("email", address) for address in contacts["emails"]]
    if contacts.get("webhook_url"):
        recipients.append(("webhook", contacts["webhook_url"]))
    rows = []
    with adb.write() as db:
        lock(db, f"nudge:{facility_id}")
        if same_episode(oldest, last_nudge_at(db, facility_id)):
            return []
        for channel, recipient in recipients:
            row = {"id": "n_" + secrets.token_hex(8), "facility_id": facility_id,
                   "channel": channel, "recipient": recipient,
                   "language": contacts["language"], "status": "pending", "attempts": 0,
                   "stale_since": iso(oldest), "created_at": iso(now)}
            db.execute(nudge_sends.insert().values(**row))
            rows.append(row)
    return rows


def finish(adb, send_id, now, message_id=None, error=None, max_attempts=5):
    """Record one try: sent (with the message id), or failed with why (given up once
    `max_attempts` tries failed)."""
    with adb.write() as db:
        attempts = db.execute(select(S.attempts).where(S.id == send_id)).scalar() + 1
        if error is None:
            values = {"status": "sent", "message_id": message_id, "last_error": None}
        else:
            values = {"status": "failed" if attempts < max_attempts else "given_up",
                      "last_error": error[:300]}
        db.execute(nudge_sends.update().where(S.id == send_id)
                   .values(attempts=attempts, last_attempt_at=iso(now), **values))


def end(adb, send_id, why):
    with adb.write() as db:
        db.execute(nudge_sends.update().where(S.id == send_id)
                   .values(status="ended", last_error=why))


def retryable(adb):
    """Rows not yet sent that have tries left (a failed try, or a run that stopped
    between writing the row and sending), oldest first."""
    query = (select(*nudge_sends.c).where(S.status.in_(("pending", "failed")))
             .order_by(S.created_at, S.id))
    return [dict(row) for row in adb.read().execute(query).mappings()]


def recent(adb, limit=100, facility_id=None):
    """The newest rows first (the admin page and `GET /v1/nudges`)."""
    query = select(*nudge_sends.c).order_by(S.created_at.desc(), S.id).limit(limit)
    if facility_id:
        query = query.where(S.facility_id == facility_id)
    return [dict(row) for row in adb.read().execute(query).mappings()]


def counts(adb):
    """{status: rows} over every row kept."""
    query = select(S.status, func.count()).group_by(S.status)
    found = {status: 0 for status in STATUSES}
    found.update({status: n for status, n in adb.read().execute(query)})
    return found


def masked(recipient):
    """An address as the admin page shows it ("in…@example.org"); a URL by its host."""
    if "@" in recipient and "://" not in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:2]}…@{domain}"
    from urllib.parse import urlsplit

    return urlsplit(recipient).hostname or "?"
