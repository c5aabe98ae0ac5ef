"""API keys for writers: admin, coach, and facility (scoped to one facility id).

A key is `<key id>.<secret>`. Only a SHA-256 of the whole key is stored; the id finds the
row and `hmac.compare_digest` compares the hashes, so a database copy holds no usable key
and the comparison time says nothing about the secret.
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from directory_service.availability.db import iso, utcnow

ROLES = ("admin", "coach", "facility")
INSERT_KEY = ("INSERT INTO api_keys (id, hash, role, facility_id, label, created_at) "
              "VALUES (?, ?, ?, ?, ?, ?)")
SELECT_KEY = "SELECT id, hash, role, facility_id, revoked_at FROM api_keys WHERE id = ?"
REVOKE_KEY = "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
LIST_KEYS = ("SELECT id, role, facility_id, label, created_at, revoked_at FROM api_keys "
             "ORDER BY created_at, id")


class InvalidKeyRequest(ValueError):
    """A key cannot be created as asked (unknown role, facility missing or misplaced)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id (never the secret), its role and facility."""

    key_id: str
    role: str
    facility_id: str | None = None


def _digest(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create(adb, role, facility_id=None, label=None):
    """Store a new key and return (key_id, key); the key is shown once and never again."""
    if role not in ROLES:
        raise InvalidKeyRequest(f"role must be one of {', '.join(ROLES)}")
    if (role == "facility") != bool(facility_id):
        raise InvalidKeyRequest(
            "a facility key needs --facility, and only a facility key takes one")
    key_id = "k_" + secrets.token_hex(6)
    key = f"{key_id}.{secrets.token_urlsafe(32)}"
    with adb.write() as db:
        db.execute(INSERT_KEY, (key_id, _digest(key), role, facility_id, label, iso(utcnow())))
    return key_id, key


def verify(adb, presented):
    """The Principal for a presented key, or None if it is unknown, wrong or revoked."""
    key_id, _, secret = (presented or "").partition(".")
    if not key_id or not secret:
        return None
    row = adb.read().execute(SELECT_KEY, (key_id,)).fetchone()
    if row is None or row["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(row["hash"], _digest(presented)):
        return None
    return Principal(row["id"], row["role"], row["facility_id"])


def principal_for(adb, key_id):
    """The Principal of an active key by its id (a staff session, which never holds the
    key itself, re-checks with this on every request), or None once it is revoked."""
    row = adb.read().execute(SELECT_KEY, (key_id,)).fetchone()
    if row is None or row["revoked_at"] is not None:
        return None
    return Principal(row["id"], row["role"], row["facility_id"])


def revoke(adb, key_id):
    """Revoke a key; True if it was active."""
    with adb.write() as db:
        return db.execute(REVOKE_KEY, (iso(utcnow()), key_id)).rowcount == 1


def list_keys(adb):
    return [dict(row) for row in adb.read().execute(LIST_KEYS)]
