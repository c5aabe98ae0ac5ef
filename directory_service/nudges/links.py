"""Signed, expiring, single-use one-tap links ("Still accurate", "Update") and the signed
unsubscribe link.

A link's token is itsdangerous-signed with the app's secret (SECRET_KEY, the staff
session secret) and names a row in `nudge_links`; the row, not the token, says whether it
was used: `consume` sets `used_at` with a conditional UPDATE, so two taps at once (two
nodes, a double tap) use it once. An altered token fails the signature; an expired one
fails both its own expiry and the row's. Unsubscribing is idempotent, so its link needs
no row and does not expire.
"""
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from directory_service.availability.db import iso, parse_iso
from directory_service.availability.schema import nudge_links

L = nudge_links.c
PURPOSES = ("confirm", "update")
SALT = "nudge-link"
UNSUBSCRIBE_SALT = "nudge-unsubscribe"


class LinkRefused(Exception):
    """The link cannot be used: `why` is "altered", "expired" or "used"."""

    def __init__(self, why):
        super().__init__(why)
        self.why = why


def _signer(secret, salt):
    return URLSafeSerializer(secret, salt=salt)


def make(db, secret, facility_id, purpose, send_id, now, hours):
    """A token for a new one-tap link (its row written in the open transaction `db`)."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}")
    link_id = secrets.token_urlsafe(16)
    expires = now + timedelta(hours=hours)
    db.execute(nudge_links.insert().values(id=link_id, facility_id=facility_id,
                                           send_id=send_id, purpose=purpose,
                                           expires_at=iso(expires)))
    return _signer(secret, SALT).dumps({"l": link_id, "f": facility_id, "p": purpose,
                                        "e": int(expires.timestamp())})


def read(adb, secret, token, now):
    """{"link", "facility_id", "purpose"} of a usable link; LinkRefused otherwise."""
    try:
        data = _signer(secret, SALT).loads(token)
    except BadSignature:
        raise LinkRefused("altered") from None
    if not isinstance(data, dict) or data.get("p") not in PURPOSES:
        raise LinkRefused("altered")
    row = adb.read().execute(select(L.facility_id, L.purpose, L.expires_at, L.used_at)
                             .where(L.id == data.get("l"))).first()
    if row is None or (row[0], row[1]) != (data.get("f"), data["p"]):
        raise LinkRefused("altered")
    if row[3] is not None:
        raise LinkRefused("used")
    if now.timestamp() >= data.get("e", 0) or now >= parse_iso(row[2]):
        raise LinkRefused("expired")
    return {"link": data["l"], "facility_id": row[0], "purpose": row[1],
            "expires_at": row[2]}


def consume(adb, link, now):
    """Mark a link read by `read` used; LinkRefused("used") if another tap was first."""
    with adb.write() as db:
        used = db.execute(nudge_links.update()
                          .where(L.id == link["link"], L.used_at.is_(None))
                          .values(used_at=iso(now))).rowcount
    if used != 1:
        raise LinkRefused("used")


def prune(db, now, keep_days=30):
    """Delete link rows expired more than `keep_days` ago (they can never be used)."""
    return db.execute(nudge_links.delete().where(
        L.expires_at < iso(now - timedelta(days=keep_days)))).rowcount


def address_digest(address):
    """What an unsubscribe link names instead of the address: a signed token is readable
    by anyone who sees the URL (logs, proxies), so the address itself never goes in it."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()[:24]


def unsubscribe_token(secret, facility_id, address):
    return _signer(secret, UNSUBSCRIBE_SALT).dumps({"f": facility_id,
                                                    "h": address_digest(address)})


def read_unsubscribe(secret, token):
    """(facility_id, address digest) of an unsubscribe link; LinkRefused("altered")
    otherwise."""
    try:
        data = _signer(secret, UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        raise LinkRefused("altered") from None
    if not isinstance(data, dict) or not data.get("f") or not data.get("h"):
        raise LinkRefused("altered")
    return data["f"], data["h"]


def epoch(moment):
    """An epoch-seconds clock value (the staff pages' clock) as an aware datetime."""
    return datetime.fromtimestamp(moment, timezone.utc)
