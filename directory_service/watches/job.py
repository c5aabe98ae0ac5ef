"""`check(app, now)`: fire every watch a newly opened bed fits (the job runner calls it
after every write and every minute).

What changed comes from the outbox (target `watches` in sync_positions) and from holds
that expired since the last check (they free a bed with nobody writing). For each active
watch the one match (availability/match.py) runs for its needs on those facilities only;
a bed row open for those needs that the watch had not seen open is an opening: it fires
once and is remembered, and forgotten when it closes, so a reopening fires again. The
facilities looked at are looked at again for RECHECK_S, because a store fed after the
commit (Elasticsearch) may answer a moment late; looking again never fires twice.
"""
import logging
import secrets
from datetime import timedelta

from directory_service import beds, geo
from directory_service.availability import changes, match, outbox
from directory_service.availability.db import iso, parse_iso
from directory_service.watches import notify, store

log = logging.getLogger(__name__)
TARGET = "watches"
BATCH = 500
RECHECK_S = 120
# A check holds the lease at most this long (it is released when done).
LEASE_S = 120
# How far back the first check ever looks for holds that expired.
FIRST_LOOK = timedelta(minutes=10)


def match_needs(saved):
    """A saved watch's needs as the match reads them: no fallbacks, and no cut at a
    `limit` (a watch's first look keeps every open bed of the store's first page,
    MAX_PER_PAGE facilities; later looks find the changed ones on any page)."""
    return {**saved, "include_fallbacks": False, "limit": 0}


def open_rows(app, saved, now, only=None):
    """{(facility, level, population): open} of beds a person with these needs may take
    now (the match's rows: open, and fresh unless the needs include stale figures)."""
    needs = match_needs(saved)
    origin = geo.Place(saved["lat"], saved["lon"], "exact", "point")
    found = {}
    with app.app_context():
        results = match.match(app.extensions["store"], needs, origin,
                              app.config["SETTINGS"], now, only=only)
    for result in results:
        for row in result["beds"]:
            if beds.usable([row], needs["include_stale"]):
                found[(result["id"], row["level_of_care"], row["population"])] = row["open"]
    return found


def check(app, now, send_mail=None, deliver_to_url=None):
    """Fire the watches that newly opened beds fit; returns counts.

    `send_mail(settings, to, subject, text)` and `deliver_to_url(db, url, secret,
    event_type, payload, ordering_key)` notify the coaches who asked (default: the
    mail and webhooks modules, imported when first needed). One check at a time across
    nodes (the outbox's lease); another one running answers {"busy": 1}."""
    adb = app.extensions["availability"]
    holder = secrets.randbelow(2 ** 62) + 1
    if not outbox.take_lease(adb, TARGET, holder, LEASE_S)[0]:
        return {"busy": 1}
    counts = {"changed": 0, "watches": 0, "fired": 0, "pruned": 0}
    try:
        while True:
            rows, fired = _one_batch(app, adb, now, counts, deliver_to_url)
            for watch, fire in fired:
                notify.send_email(app, watch, fire, send_mail)
            if len(rows) < BATCH:
                break
    finally:
        outbox.release_lease(adb, TARGET, holder)
    if counts["fired"]:
        log.info("watches fired=%d watching=%d", counts["fired"], counts["watches"])
    return counts


def _one_batch(app, adb, now, counts, deliver_to_url):
    with adb.read() as db:
        after = outbox.position(db, TARGET)
        rows = outbox.pending(db, after, BATCH)
        checked_at, recheck = store.clock(db)
        since = parse_iso(checked_at) if checked_at else now - FIRST_LOOK
        expired = changes.expired_between(db, iso(since), iso(now))
        watching = store.active(db, now)
    # Facilities to look at: changed now, freed by an expiry, or changed a moment ago.
    stamp, horizon = iso(now), iso(now - timedelta(seconds=RECHECK_S))
    for facility_id in {r["facility_id"] for r in rows} | expired:
        recheck[facility_id] = stamp
    recheck = {f: first for f, first in recheck.items() if first > horizon}
    # The matches run before the write transaction, which stays short.
    found = {w["id"]: open_rows(app, w["needs"], now, only=set(recheck))
             for w in (watching if recheck else ())}
    fired = []
    with adb.write() as db:
        still = {w["id"] for w in store.active(db, now)}  # none cancelled meanwhile
        for watch in (w for w in watching if w["id"] in still and recheck):
            now_open = found[watch["id"]]
            seen = store.seen_open(db, watch["id"], recheck)
            opened = {key: n for key, n in now_open.items() if key not in seen}
            for fire in store.record(db, watch["id"], opened, seen - set(now_open), now):
                notify.queue_webhook(app, db, watch, fire, deliver_to_url)
                fired.append((watch, fire))
        counts["pruned"] += store.prune(db, now)
        store.set_clock(db, now, recheck)
    if rows:
        outbox.advance(adb, TARGET, rows[-1]["seq"])
    counts["changed"] += len(recheck)
    counts["watches"] = len(watching)
    counts["fired"] += len(fired)
    return rows, fired
