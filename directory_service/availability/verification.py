"""When a record was last confirmed true (DESIGN §12: `verified_at` moves with every
confirmation).

A facility's profile save and its "Still accurate" tap call this, and so may any other
confirmation (an admin confirming a public problem report): `mark_verified` is the one
way in. The date is merged over the record wherever it is served (profile_merge), beside
the source's own date, so the later of the two shows.
"""
from sqlalchemy import select

from directory_service.availability.db import iso, mark_changed, upsert, utcnow
from directory_service.availability.schema import record_verifications

V = record_verifications.c
HOWS = ("profile", "confirmation", "report", "admin")


def mark_verified_in(db, record_id, how, by=None, now=None, announce=True):
    """Inside an open write transaction: record that `record_id` was confirmed now.
    `announce=False` when the caller marks the record changed itself."""
    if how not in HOWS:
        raise ValueError(f"how must be one of {', '.join(HOWS)}")
    upsert(db, record_verifications, {"record_id": record_id, "verified_at": iso(now or utcnow()),
                                      "how": how, "by": by}, ["record_id"])
    if announce:
        mark_changed(db, record_id)


def mark_verified(adb, record_id, how, by=None, now=None):
    """Record that `record_id` (any kind) was confirmed true now; every store shows it.

    `how` is one of HOWS; `by` names who (a key id, never a person's details)."""
    with adb.write() as db:
        mark_verified_in(db, record_id, how, by, now)


def verification(db, record_id):
    """{"verified_at", "how"} of a record's last confirmation, or None."""
    row = db.execute(select(V.verified_at, V.how).where(V.record_id == record_id)).first()
    return {"verified_at": row[0], "how": row[1]} if row else None
