"""Who a facility wants nudged: e-mail addresses, an optional webhook, a language, pause.

Set by the facility (its profile page, `PUT /v1/facilities/{id}/contacts`) or an admin;
never part of any public record. Addresses are checked for shape and counted
(NUDGE_MAX_CONTACTS); an unsubscribe link removes one address. A webhook gets its own
Standard Webhooks signing secret when its URL is set or changed: `save` returns it that
once (`webhook_secret`), `get` never does. The facility's link key
(a facility key whose secret nobody was ever given) is made here once: the one-tap links
of a message act as it, so history says the change came from a nudge's link.
"""
import json
import re
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy import select

from directory_service.availability import keys
from directory_service.availability.db import iso, lock, upsert, utcnow
from directory_service.availability.schema import nudge_contacts
from directory_service.nudges.links import address_digest
from directory_service.webhooks import store as webhook_store
from directory_service.webhooks import targets

C = nudge_contacts.c
LANGUAGES = ("en", "es")
LINK_KEY_LABEL = "one-tap links of nudges (no usable secret)"
# One address: a local part and a domain with a dot, no spaces or angle brackets; a
# header can carry nothing else (no display name, no second address).
ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
                     r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


class ContactsBody(Schema):
    """The contacts a facility sets; `max_emails` comes from NUDGE_MAX_CONTACTS."""

    # 20: NUDGE_MAX_CONTACTS's own ceiling; the configured count is checked below.
    emails = fields.List(fields.String(validate=validate.Length(max=254)), load_default=list,
                         validate=validate.Length(max=20),
                         metadata={"description": "Addresses that get the nudges (at most "
                                                  "NUDGE_MAX_CONTACTS)."})
    webhook_url = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=2000), metadata={
                                    "description": "Optional: a URL that is POSTed each "
                                                   "nudge as JSON (http or https)."})
    language = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES))
    paused = fields.Boolean(load_default=False, metadata={
        "description": "True: no nudge is sent until it is false again."})

    @validates("emails")
    def _addresses(self, value, **kwargs):
        limit = self.context.get("max_emails") or _configured_limit()
        if len(value) > limit:
            raise ValidationError(f"at most {limit} addresses")
        bad = [i for i, address in enumerate(value) if not ADDRESS.match(address.strip())]
        if bad:
            raise ValidationError({i: ["not an e-mail address"] for i in bad})
        folded = [address.strip().lower() for address in value]
        if len(folded) != len(set(folded)):
            raise ValidationError("an address is listed twice")

    @validates("webhook_url")
    def _url(self, value, **kwargs):
        if value in (None, ""):
            return
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (a port that is not a number raises here)
        except ValueError:
            raise ValidationError("must be an http:// or https:// URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname \
                or any(c.isspace() for c in value):
            raise ValidationError("must be an http:// or https:// URL")
        try:
            targets.parse(value)  # no user:password@, no #fragment (the partner rule)
        except targets.TargetRefused as exc:
            raise ValidationError(str(exc)) from None


def _configured_limit():
    """NUDGE_MAX_CONTACTS of the running app (the API's schema has no settings of its own)."""
    from flask import current_app, has_app_context

    return current_app.config["SETTINGS"].nudge_max_contacts if has_app_context() else 5


def tidy(body):
    """A loaded body with addresses and the URL stripped, an empty URL as None."""
    return {**body, "emails": [address.strip() for address in body["emails"]],
            "webhook_url": (body.get("webhook_url") or "").strip() or None}


def load_body(raw, settings):
    """A validated contacts dict (ValidationError naming the field otherwise)."""
    schema = ContactsBody()
    schema.context["max_emails"] = settings.nudge_max_contacts
    body = tidy(schema.load(raw))
    check_webhook(body, settings)
    return body


def check_webhook(body, settings):
    """ValidationError naming `webhook_url` when nudges may not be delivered there: a
    private, loopback or link-local target unless WEBHOOK_ALLOW_PRIVATE (the partner
    webhooks' rule; checked again before every attempt)."""
    if body.get("webhook_url"):
        try:
            targets.check(body["webhook_url"], settings.webhook_allow_private)
        except targets.TargetRefused as exc:
            raise ValidationError({"webhook_url": [str(exc)]}) from None


def get(db, facility_id):
    """The facility's contacts ({emails, webhook_url, language, paused}) or the empty
    default (no row yet)."""
    row = db.execute(select(C.emails, C.webhook_url, C.language, C.paused, C.link_key_id,
                            C.updated_at).where(C.facility_id == facility_id)).first()
    if row is None:
        return {"emails": [], "webhook_url": None, "language": "en", "paused": False,
                "updated_at": None}
    return {"emails": json.loads(row[0]), "webhook_url": row[1], "language": row[2],
            "paused": bool(row[3]), "updated_at": row[5]}


def save(adb, facility_id, body, by, now=None):
    """Store `body` (load_body's) for the facility; returns what `get` now says, plus
    `webhook_secret` when the webhook URL was set or changed: a new signing secret, shown
    this once. The same URL saved again keeps its secret; no URL, no secret."""
    with adb.write() as db:
        lock(db, f"nudge:{facility_id}")
        before = db.execute(select(C.webhook_url, C.webhook_secret)
                            .where(C.facility_id == facility_id)).first()
        url, new_secret = body["webhook_url"], None
        if not url:
            secret = None
        elif before is not None and before[0] == url and before[1]:
            secret = before[1]
        else:
            secret = new_secret = webhook_store.new_secret()
        upsert(db, nudge_contacts, {
            "facility_id": facility_id, "emails": json.dumps(body["emails"]),
            "webhook_url": url, "webhook_secret": secret, "language": body["language"],
            "paused": int(body["paused"]), "updated_at": iso(now or utcnow()),
            "updated_by": by}, ["facility_id"])
    saved = get(adb.read(), facility_id)
    return {**saved, "webhook_secret": new_secret} if new_secret else saved


def webhook_secret(db, facility_id, url):
    """The signing secret of the facility's webhook while `url` is still its webhook,
    else None."""
    row = db.execute(select(C.webhook_url, C.webhook_secret)
                     .where(C.facility_id == facility_id)).first()
    return row[1] if row is not None and row[0] == url else None


def unsubscribe(adb, facility_id, digest):
    """Remove the address whose `links.address_digest` is `digest` (an unsubscribe
    link); True when it was listed."""
    with adb.write() as db:
        lock(db, f"nudge:{facility_id}")
        row = db.execute(select(C.emails).where(C.facility_id == facility_id)).first()
        if row is None:
            return False
        emails = json.loads(row[0])
        kept = [e for e in emails if address_digest(e) != digest]
        if len(kept) == len(emails):
            return False
        db.execute(nudge_contacts.update().where(C.facility_id == facility_id)
                   .values(emails=json.dumps(kept)))
        return True


def reachable(adb):
    """[(facility_id, contacts)] of every facility with an address or a webhook and not
    paused: the only ones a run looks at."""
    query = (select(C.facility_id, C.emails, C.webhook_url, C.language)
             .where(C.paused == 0).order_by(C.facility_id))
    found = []
    for facility_id, emails, webhook_url, language in adb.read().execute(query):
        emails = json.loads(emails)
        if emails or webhook_url:
            found.append((facility_id, {"emails": emails, "webhook_url": webhook_url,
                                        "language": language}))
    return found


def link_key(adb, facility_id):
    """The id of the facility key the facility's one-tap links act as (made once)."""
    with adb.write() as db:
        lock(db, f"nudge:{facility_id}")
        row = db.execute(select(C.link_key_id).where(C.facility_id == facility_id)).first()
        if row is not None and row[0]:
            return row[0]
        key_id, _secret = keys.create_in(db, "facility", facility_id, LINK_KEY_LABEL)
        if row is None:
            db.execute(nudge_contacts.insert().values(
                facility_id=facility_id, emails="[]", language="en", paused=0,
                link_key_id=key_id, updated_at=iso(utcnow())))
        else:
            db.execute(nudge_contacts.update().where(C.facility_id == facility_id)
                       .values(link_key_id=key_id))
        return key_id
