"""Telling a coach that a watch fired, the way they chose: e-mail or a webhook.

The sending is not done here: `send_mail(settings, to, subject, text)` is the mail
module's (nudges) and `deliver_to_url(db, url, secret, event_type, payload,
ordering_key)` the webhooks module's, which signs, retries and dead-letters. Both are
parameters (tests pass recorders) and imported only when a watch needs them. The message
names the facility and the bed, never anything about the person. The e-mail is in the
watch's language (the coach page's, or the API's `email_language`), its times in the
facility's own zone.
"""
import logging

from flask_babel import force_locale
from flask_babel import gettext as _

from directory_service.availability.db import parse_iso
from directory_service.nudges.due import zone_of
from directory_service.watches import store
from directory_service.web import labels

log = logging.getLogger(__name__)
EVENT = "watch.fired"


def payload(app, watch, fire, record=None):
    """What a fire says: the watch, the facility (name, intake phone) and the bed row.
    `record`: the facility's, when the caller has read it already."""
    if record is None:
        record = app.extensions["store"].get(fire["facility_id"]) or {}
    phones = record.get("phones") or {}
    return {"watch_id": watch["id"], "fire_id": fire["seq"],
            "facility_id": fire["facility_id"], "facility_name": record.get("name"),
            "phone": phones.get("intake") or phones.get("main"),
            "level_of_care": fire["level_of_care"], "population": fire["population"],
            "open": fire["open"], "fired_at": fire["fired_at"],
            "watch_expires_at": watch["expires_at"]}


def _default_deliver():
    from directory_service import webhooks  # the webhooks branch; absent before it

    return webhooks.deliver_to_url


def _default_send():
    from directory_service import mail  # the nudges branch; absent before it

    return mail.send_mail


def queue_webhook(app, db, watch, fire, deliver_to_url=None):
    """Queue the webhook delivery in the fire's own transaction (`db`), so a recorded
    fire is delivered at least once; a queue that refuses leaves the fire recorded."""
    if watch["notify"] != "webhook":
        return
    try:
        deliver = deliver_to_url or _default_deliver()
        deliver(db, watch["notify_to"], watch["secret"], EVENT, payload(app, watch, fire),
                watch["id"])
        fire["notified"] = "queued"
    except Exception as exc:  # noqa: BLE001 - never lose the fire over its webhook
        log.warning("watch %s: webhook not queued (%s)", watch["id"], type(exc).__name__)
        fire["notified"] = "failed"
    db.execute(store.watch_fires.update().where(store.F.seq == fire["seq"])
               .values(notified=fire["notified"]))


def subject(body, language="en"):
    """The e-mail's subject line: the facility, in `language`."""
    with force_locale(language):
        return _("A bed opened: %(name)s", name=body["facility_name"] or body["facility_id"])


def text(body, language="en", zone=None):
    """The e-mail: plain words a coach reads on a phone, in `language` (en or es), its
    time in `zone` (the facility's; UTC when unknown)."""
    code = body["level_of_care"]
    zone = zone or zone_of({})
    until = parse_iso(body["watch_expires_at"]).astimezone(zone)
    with force_locale(language):
        level = f"{labels.label(labels.LEVELS, code)} ({code})"
        who = labels.label(labels.POPULATIONS, body["population"] or "adult_any")
        lines = [_("A bed opened that fits your watch %(watch)s:", watch=body["watch_id"]),
                 _("%(name)s: %(level)s, %(who)s, %(open)s open.",
                   name=body["facility_name"] or body["facility_id"], level=level, who=who,
                   open=body["open"]),
                 _("Call intake: %(phone)s", phone=body["phone"]) if body["phone"] else "",
                 _("Hold it from the coach page before someone else does."),
                 _("The watch runs until %(when)s (%(zone)s time).",
                   when=until.strftime("%Y-%m-%d %H:%M"), zone=zone.key)]
    return "\n".join(line for line in lines if line) + "\n"


def send_email(app, watch, fire, send_mail=None):
    """Send the e-mail after the fire committed; the outcome is kept on the fire."""
    if watch["notify"] != "email":
        return
    adb = app.extensions["availability"]
    record = app.extensions["store"].get(fire["facility_id"]) or {}
    body = payload(app, watch, fire, record)
    try:
        send = send_mail or _default_send()
        language = watch.get("email_language") or "en"
        zone = zone_of(record)
        with app.app_context():  # the words need Flask-Babel's context (a job has none)
            words = subject(body, language), text(body, language, zone)
        send(app.config["SETTINGS"], [watch["notify_to"]], *words)
        outcome = "sent"
    except Exception as exc:  # noqa: BLE001 - MailError, or no mail module yet
        log.warning("watch %s: e-mail not sent (%s)", watch["id"], type(exc).__name__)
        outcome = "failed"
    store.mark_notified(adb, fire["seq"], outcome)
