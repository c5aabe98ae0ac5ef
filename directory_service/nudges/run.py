"""One run of the nudge job: retry what failed, then nudge every facility now due.

`run_due(app, now)` is what the job runner calls every minute (directory_service/jobs/
registry.py at merge); tests call it with their own `now`. It returns counts. Only
facilities with contacts are looked at, each through the search store's record (live
figures and its profile merged, as search shows them), so a run costs one read per
reachable facility, never one per record of the directory.
"""
import json
import logging
import urllib.request

from directory_service import mail
from directory_service.availability.db import iso, parse_iso
from directory_service.nudges import contacts as contact_book
from directory_service.nudges import due, links, message, sends
from directory_service.nudges.webhook_target import WebhookRefused, check_target

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


def _post_webhook(settings, url, payload):
    check_target(url, getattr(settings, "webhook_allow_private", False))
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"),
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "directory-service nudges"})
    with urllib.request.urlopen(request, timeout=settings.smtp_timeout_s) as answer:
        if not 200 <= answer.status < 300:
            raise WebhookRefused(f"the webhook answered {answer.status}")


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
            _post_webhook(settings, send["recipient"], {
                "type": "nudge", "facility_id": record["id"], "name": record.get("name"),
                "oldest_reported_at": iso(oldest), "language": send["language"],
                "links": {"still_accurate": urls["confirm"], "update": urls["update"]}})
            sent_id = None
    except (mail.MailError, WebhookRefused) as exc:
        error = str(exc)
    except OSError as exc:  # the webhook could not be reached (urllib's errors)
        error = f"the webhook could not be reached ({type(exc).__name__})"
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
            counts["sent" if deliver(app, send, record, oldest, now) else "failed"] += 1


def run_due(app, now):
    """Retry unsent nudges, then nudge each reachable facility that is due; returns
    {"due", "sent", "failed", "retried"}."""
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
                counts["sent" if deliver(app, send, record, oldest, now) else "failed"] += 1
        with adb.write() as db:
            links.prune(db, now)
    return counts
