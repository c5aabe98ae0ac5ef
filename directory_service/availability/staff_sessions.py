"""Staff sign-in sessions kept server-side, so ending one ends it for every copy of its cookie.

The cookie carries only a random token; the row (key id, created, last seen) lives here
under the token's SHA-256, so a copy of the database holds no token a browser could send.
Sign-out deletes the row: a copied cookie is refused at once. Each look-up joins the key,
so a revoked key's sessions stop at once too. The idle and absolute limits are checked
on the row's times, not the cookie's; expired rows (and those of revoked keys) are pruned
on every sign-in, one indexed DELETE.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select

from directory_service.availability.db import iso, parse_iso
from directory_service.availability.keys import Principal
from directory_service.availability.schema import api_keys, staff_sessions

S = staff_sessions.c
K = api_keys.c
# `last_seen_at` is written at most this often per session (a staff page is read far
# more often than this); the idle limit may then end a session this much early at most.
TOUCH_EVERY_S = 60


@dataclass(frozen=True)
class Limits:
    """A session's idle and absolute limits, in seconds."""

    idle_s: float
    max_s: float


def _id(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _when(moment):
    return iso(datetime.fromtimestamp(moment, timezone.utc))


def _seconds(text_value):
    return parse_iso(text_value).timestamp()


def start(adb, key_id, moment, limits, ends_at=None):
    """A new session for `key_id` at `moment` (epoch seconds): returns its token, which
    only the cookie keeps. Expired sessions and revoked keys' sessions are pruned first.
    `ends_at` (epoch seconds) ends it sooner than the limits (a nudge's "Update" link)."""
    token = secrets.token_urlsafe(32)
    with adb.write() as db:
        prune_in(db, moment, limits)
        db.execute(staff_sessions.insert().values(
            id=_id(token), key_id=key_id, created_at=_when(moment),
            last_seen_at=_when(moment),
            ends_at=None if ends_at is None else _when(ends_at)))
    return token


def prune_in(db, moment, limits):
    """Delete sessions past either limit or whose key was revoked; returns how many."""
    revoked = select(K.id).where(K.revoked_at.is_not(None))
    gone = staff_sessions.delete().where(
        (S.last_seen_at < _when(moment - limits.idle_s))
        | (S.created_at < _when(moment - limits.max_s))
        | (S.ends_at < _when(moment))
        | S.key_id.in_(revoked))
    return db.execute(gone).rowcount


def resume(adb, token, moment, limits):
    """(Principal, None) for a live session, else (None, why): "none" (no such session:
    never made, signed out or pruned), "expired" (idle or too old) or "revoked" (its key
    was). An ended session's row is deleted; a live one's last-seen time moves on."""
    if not isinstance(token, str) or not token:
        return None, "none"
    session_id = _id(token)
    query = (select(S.key_id, S.created_at, S.last_seen_at, S.ends_at, K.role,
                    K.facility_id, K.revoked_at)
             .select_from(staff_sessions.outerjoin(api_keys, K.id == S.key_id))
             .where(S.id == session_id))
    row = adb.read().execute(query).mappings().first()
    if row is None:
        return None, "none"
    why = None
    if (moment - _seconds(row["last_seen_at"]) > limits.idle_s
            or moment - _seconds(row["created_at"]) > limits.max_s
            or (row["ends_at"] is not None and moment > _seconds(row["ends_at"]))):
        why = "expired"
    elif row["role"] is None or row["revoked_at"] is not None:
        why = "revoked"
    if why:
        end(adb, token)
        return None, why
    if moment - _seconds(row["last_seen_at"]) >= min(TOUCH_EVERY_S, limits.idle_s / 10):
        with adb.write() as db:
            db.execute(staff_sessions.update().where(S.id == session_id)
                       .values(last_seen_at=_when(moment)))
    return Principal(row["key_id"], row["role"], row["facility_id"]), None


def end(adb, token):
    """Delete the session this token names (sign-out); True if there was one."""
    if not isinstance(token, str) or not token:
        return False
    with adb.write() as db:
        return db.execute(staff_sessions.delete().where(S.id == _id(token))).rowcount == 1


def count_for_key(adb, key_id):
    """How many sessions a key has (tests and the admin's view of a key)."""
    query = select(func.count()).select_from(staff_sessions).where(S.key_id == key_id)
    return adb.read().execute(query).scalar()
