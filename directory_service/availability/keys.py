"""API keys for writers: admin, coach, and facility (scoped to one facility id).

A key is `<key id>.<secret>`. Only a SHA-256 of the whole key is stored; the id finds the
row and `hmac.compare_digest` compares the hashes, so a database copy holds no usable key
and the comparison time says nothing about the secret.
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from directory_service.availability.db import iso, utcnow
from directory_service.availability.schema import api_keys

ROLES = ("admin", "coach", "facility")
K = api_keys.c


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


def create(adb, role, facility_id=None, label=None, coach_group=None):
    """Store a new key and return (key_id, key); the key is shown once and never again."""
    with adb.write() as db:
        return create_in(db, role, facility_id, label, coach_group)


def create_in(db, role, facility_id=None, label=None, coach_group=None):
    """`create` inside an open write transaction (many keys made in one commit).
    `coach_group`: a coach key's team, what outcomes are reported by (coach keys only)."""
    if role not in ROLES:
        raise InvalidKeyRequest(f"role must be one of {', '.join(ROLES)}")
    if (role == "facility") != bool(facility_id):
        raise InvalidKeyRequest(
            "a facility key needs --facility, and only a facility key takes one")
    if coach_group and role != "coach":
        raise InvalidKeyRequest("only a coach key takes a coach group")
    key_id = "k_" + secrets.token_hex(6)
    key = f"{key_id}.{secrets.token_urlsafe(32)}"
    db.execute(api_keys.insert().values(id=key_id, hash=_digest(key), role=role,
                                        facility_id=facility_id, label=label,
                                        coach_group=coach_group or None,
                                        created_at=iso(utcnow())))
    return key_id, key


def verify(adb, presented):
    """The Principal for a presented key, or None if it is unknown, wrong or revoked."""
    key_id, _, secret = (presented or "").partition(".")
    if not key_id or not secret:
        return None
    row = _key_row(adb, key_id)
    if row is None or row["revoked_at"] is not None:
        return None
    if not hmac.compare_digest(row["hash"], _digest(presented)):
        return None
    return Principal(row["id"], row["role"], row["facility_id"])


KEY_COLUMNS = ("id", "hash", "role", "facility_id", "revoked_at")
KEY_ROW = select(*(K[name] for name in KEY_COLUMNS)).where(K.id == bindparam("key_id"))


def _key_row(adb, key_id):
    # Every authenticated request reads its key: the statement compiled once, run on the
    # pooled connection without SQLAlchemy's result machinery (Reader.rows; issue 25).
    found = adb.read().rows(KEY_ROW, key_id=key_id)
    return dict(zip(KEY_COLUMNS, found[0])) if found else None


def revoke(adb, key_id):
    """Revoke a key; True if it was active."""
    with adb.write() as db:
        revoke_it = (api_keys.update().where(K.id == key_id, K.revoked_at.is_(None))
                     .values(revoked_at=iso(utcnow())))
        return db.execute(revoke_it).rowcount == 1


def list_keys(adb):
    query = (select(K.id, K.role, K.facility_id, K.label, K.coach_group, K.created_at,
                    K.revoked_at)
             .order_by(K.created_at, K.id))
    return [dict(row) for row in adb.read().execute(query).mappings()]
