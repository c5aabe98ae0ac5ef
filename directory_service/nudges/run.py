"""One run of the nudge job: retry what failed, then nudge every facility now due.

`run_due(app, now)` is what the job runner calls every minute (directory_service/jobs/
registry.py at merge); tests call it with their own `now`. It returns counts. Only
facilities with contacts are looked at, each through the search store's record (live
figures and its profile merged, as search shows them), so a run costs one read per
reachable facility, never one per record of the directory.

A facility's webhook is not POSTed here: the nudge is queued as a `nudge` event to its URL
through `webhooks.deliver_to_url` (Standard Webhooks signature with the contact's own
secret, the same `webhook-id` on every retry, backoff, dead letters on /staff/webhooks),
and the run sends what it queued at once (`webhooks.deliver_due`); retries go with the
webhooks consumer's runs. The nudge's row is `sent` once queued, with the delivery's id
as its message id.
"""
import logging

from directory_service import mail, webhooks
from directory_service.availability.db import iso, parse_iso
from directory_service.nudges import contacts as contact_book
from directory_service.nudges import due, links, message, sends
from directory_service.webhooks import targets

EVENT = "nudge"


class WebhookRefused(Exception):
    """The nudge cannot be queued for the facility's webhook (the text says why)."""

log = logging.getLogger(__name__)


def link_url(settings, path, language):
    return f"{settings.public_url}{path}" + ("?lang=es" if language == "es" else "")


def _urls(app, adb, send, now):
    """The message's links: two fresh one-tap links (rows written now) and, for e-mail,
    the recipient's unsubscribe link."""
    settings, secret = app.config["SETTINGS"], app.config["SECRET_KEY"]
    with adb.write() as db:
        tokens = {purpose: links.make(db, secret, send["facility_id"], purpose, send["id"],
                                      now, settings.nudge_link_hours)
                  for purpose in links.PURPOSES}
    urls = {p: link_url(settings, f"/staff/nudge/{t}", send["language"])
            for p, t in tokens.items()}
    if send["channel"] == "email":
        token = links.unsubscribe_token(secret, send["facility_id"], send["recipient"])
        urls["unsubscribe"] = link_url(settings, f"/staff/nudge/unsubscribe/{token}",
                                       send["language"])
    return urls


def _queue_webhook(adb, send, payload, now):
    """Queue the signed delivery of `payload` to the facility's webhook; its id."""
    secret = contact_book.webhook_secret(adb.read(), send["facility_id"], send["recipient"])
    if not secret:
        raise WebhookRefused("the webhook has no signing secret: save its URL again")
    try:
        return webhooks.deliver_to_url(adb, send["recipient"], secret, EVENT, payload,
                                       ordering_key=send["facility_id"], now=now)
    except targets.TargetRefused as exc:
        raise WebhookRefused(f"the webhook URL {exc}") from None


def deliver(app, send, record, oldest, now):
    """One try of one row; True when it went out."""
    settings, adb = app.config["SETTINGS"], app.extensions["availability"]
    urls = _urls(app, adb, send, now)
    try:
        if send["channel"] == "email":
            subject, text, html = message.compose(record, send["language"], oldest, urls,
                                                  settings)
            sent_id = mail.send_mail(settings, [send["recipient"]], subject, text, html)
        else:
            sent_id = _queue_webhook(adb, send, {
                "facility_id": record["id"], "name": record.get("name"),
                "oldest_reported_at": iso(oldest), "language": send["language"],
                "links": {"still_accurate": urls["confirm"], "update": urls["update"]}},
                now)
    except (mail.MailError, WebhookRefused) as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 (one bad record must not stop the run)
        # Counted as a try, so a message that can never be built is given up in time.
        error = f"the message could not be made ({type(exc).__name__})"
    else:
        sends.finish(adb, send["id"], now, message_id=sent_id)
        return True
    # The reason only: it never holds an address (mail.py) or the URL.
    log.warning("nudge %s of %s not sent: %s", send["id"], send["facility_id"], error)
    sends.finish(adb, send["id"], now, error=error,
                 max_attempts=settings.nudge_max_attempts)
    return False


def _count(counts, send, went):
    counts["sent" if went else "failed"] += 1
    if went and send["channel"] == "webhook":
        counts["webhooks_queued"] = counts.get("webhooks_queued", 0) + 1


def _retry(app, now, counts):
    settings, adb = app.config["SETTINGS"], app.extensions["availability"]
    store = app.extensions["store"]
    for send in sends.retryable(adb):
        record = store.get(send["facility_id"])
        book = contact_book.get(adb.read(), send["facility_id"])
        freshness, oldest = due.staleness(record or {}, now, settings)
        listed = (send["recipient"] in book["emails"] if send["channel"] == "email"
                  else send["recipient"] == book["webhook_url"])
        if record is None or book["paused"] or not listed:
            sends.end(adb, send["id"], "contacts changed")
        elif freshness not in due.DUE or oldest > parse_iso(send["created_at"]):
            sends.end(adb, send["id"], "the facility reported meanwhile")
        else:
            counts["retried"] += 1
            _count(counts, send, deliver(app, send, record, oldest, now))


def run_due(app, now):
    """Retry unsent nudges, then nudge each reachable facility that is due; returns
    {"due", "sent", "failed", "retried"}, and with webhooks queued "webhooks_queued" and
    "webhooks" (what deliver_due then sent)."""
    counts = {"due": 0, "sent": 0, "failed": 0, "retried": 0}
    with app.app_context():
        settings, adb = app.config["SETTINGS"], app.extensions["availability"]
        _retry(app, now, counts)
        for facility_id, book in contact_book.reachable(adb):
            if not settings.smtp_url and not book["webhook_url"]:
                continue  # no way to reach it: nothing is recorded as sent
            record = app.extensions["store"].get(facility_id)
            oldest = due.due(record, now, settings, sends.last_nudge_at(adb.read(),
                                                                       facility_id))
            if oldest is None:
                continue
            if not settings.smtp_url:
                book = {**book, "emails": []}
            rows = sends.start_episode(adb, facility_id, book, oldest, now, due.same_episode)
            counts["due"] += bool(rows)
            for send in rows:
                _count(counts, send, deliver(app, send, record, oldest, now))
        with adb.write() as db:
            links.prune(db, now)
        if counts.get("webhooks_queued"):
            # The queued nudge webhooks go now, not at the webhooks consumer's next run.
            counts["webhooks"] = webhooks.deliver_due(app, now)
    return counts
