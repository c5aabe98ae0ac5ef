"""The coach's watches on the staff pages: "Tell me when a bed opens", My watches, and the
live stream that puts a fired watch on every open coach page.

The form posts the needs the page searched with (hidden fields) through the API's
WatchBody and `save_watch`; nothing about watches is implemented twice. Without
JavaScript, /staff/coach/watches refreshes itself while a watch runs; with it, staff.js
listens to /staff/coach/watches/events (Server-Sent Events) and adds each fire in place.
The stream is bounded (WATCH_EVENTS_SECONDS, 5 minutes) so a worker is never held for
long: the browser's EventSource reconnects with the last event id and misses nothing.
"""
import json
import time

from flask import (Response, current_app, flash, redirect, render_template, request,
                   stream_with_context)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from marshmallow import ValidationError

from directory_service.api.watches import clock, save_watch
from directory_service import serving
from directory_service.availability.db import parse_iso
from directory_service.errors import ApiProblem
from directory_service.schemas.watches import DEFAULT_HOURS, WatchBody
from directory_service.web import blp, labels
from directory_service.web.staff import StaffProblem, flashed_notices, signed_in
from directory_service.web.views import page_url
from directory_service.watches import store

HOURS = (1, 2, 4, 8, 12, 24)
WATCH_STATES = {"active": _l("Watching"), "expired": _l("Ended: its time ran out"),
                "cancelled": _l("Stopped")}
# The stream: how often it looks for fires, a comment to keep proxies from closing it,
# and how long one response lasts. Tests set them lower (app.config).
POLL_SECONDS, KEEPALIVE_SECONDS, STREAM_SECONDS = 2.0, 15.0, 300.0
RETRY_MS = 3000


def _setting(name, default):
    return current_app.config.get(name, default)


def _facility_names(watches):
    store_ = current_app.extensions["store"]
    names = {}
    for watch in watches:
        for fire in watch["fires"]:
            if fire["facility_id"] not in names:
                names[fire["facility_id"]] = (store_.get(fire["facility_id"]) or {}).get("name")
            fire["facility_name"] = names[fire["facility_id"]] or fire["facility_id"]
    return watches


def my_watches(principal):
    """The key's watches (running first), each fire with its facility's name, and the
    minutes a running watch has left."""
    now = clock()
    found = _facility_names(store.for_coach(current_app.extensions["availability"],
                                            principal.key_id, now))
    for watch in found:
        left = (parse_iso(watch["expires_at"]) - now).total_seconds()
        watch["minutes_left"] = max(0, int(left // 60))
        for fire in watch["fires"]:
            fire["age_seconds"] = max(0, (now - parse_iso(fire["fired_at"])).total_seconds())
    return found


def watches_context(principal, watches):
    """What the My watches list needs besides the watches: where its stream starts."""
    return {"watches": watches, "watch_hours": HOURS, "default_watch_hours": DEFAULT_HOURS,
            "watch_states": WATCH_STATES, "fire_words": fire_words,
            "watching": any(w["state"] == "active" for w in watches),
            "last_fire": store.last_fire(current_app.extensions["availability"],
                                         principal.key_id)}


def fire_words(fire):
    """One fire in the page's language: where, which bed, how many open."""
    return _("A bed opened: %(name)s · %(level)s · %(population)s: %(open)s open",
             name=fire.get("facility_name") or fire["facility_id"],
             level=labels.label(labels.LEVELS, fire["level_of_care"]),
             population=labels.label(labels.POPULATIONS, fire["population"]),
             open=fire["open"])


def _needs_from(form):
    from directory_service.web.staff.coach import _needs_from as coach_needs

    raw = coach_needs(form)
    raw.pop("include_fallbacks", None)
    hours = (form.get("hours") or "").strip()
    raw["hours"] = int(hours) if hours.isdigit() else (hours or DEFAULT_HOURS)
    if (form.get("email") or "").strip():
        raw["email"] = form["email"].strip()
        # The e-mail speaks the language the coach is reading this page in.
        raw["email_language"] = "es" if str(get_locale() or "en").startswith("es") else "en"
    return raw


@blp.post("/staff/coach/watches")
def staff_coach_watch():
    """Save a watch from the needs the coach page searched with; on to My watches."""
    principal = signed_in("coach", "admin")
    try:
        watch = save_watch(principal, WatchBody().load(_needs_from(request.form)), clock())
    except ValidationError as exc:
        flash(_("Not watching: %(why)s", why=" · ".join(
            f"{k}: {'; '.join(v) if isinstance(v, list) else v}"
            for k, v in exc.messages.items())), "error")
    except ApiProblem as exc:
        flash(_("Not watching: %(why)s", why=exc.detail), "error")
    except store.WatchLimit as exc:
        flash(ngettext("Not watching: you already have %(num)d running watch, the most "
                       "one key may have. Cancel it if it is no longer needed.",
                       "Not watching: you already have %(num)d running watches, the most "
                       "one key may have. Cancel one that is no longer needed first.",
                       exc.active), "error")
    else:
        flash(_("Watching. A bed that opens for these needs shows here, on every coach "
                "page you have open."), "done|" + watch["id"])
        return redirect(page_url("web.staff_coach_watches") + "#watch-" + watch["id"], 303)
    return redirect(page_url("web.staff_coach_watches"), 303)


@blp.get("/staff/coach/watches")
def staff_coach_watches():
    principal = signed_in("coach", "admin")
    mine = my_watches(principal)
    return render_template("staff/coach_watches.html", principal=principal,
                           notices=flashed_notices(),
                           refresh_seconds=_setting("STAFF_WATCH_REFRESH_SECONDS", 60),
                           **watches_context(principal, mine))


@blp.post("/staff/coach/watches/<watch_id>/cancel")
def staff_coach_watch_cancel(watch_id):
    principal = signed_in("coach", "admin")
    adb = current_app.extensions["availability"]
    if store.get(adb, watch_id, principal.key_id, clock()) is None:
        raise StaffProblem(404)
    store.cancel(adb, watch_id, principal.key_id, clock())
    flash(_("Watch cancelled."), "done|" + watch_id)
    return redirect(page_url("web.staff_coach_watches") + "#my-watches", 303)


def _start(principal):
    """Where the stream starts: the browser's Last-Event-ID on a reconnection, else the
    page's `after` (the newest fire it showed), else now."""
    for value in (request.headers.get("Last-Event-ID"), request.args.get("after")):
        # ASCII digits only ("²" is a digit int() refuses), and a number a database
        # integer holds (a longer one overflowed SQLite's, breaking the stream).
        if value and value.isascii() and value.isdigit() and len(value) <= 18:
            return int(value)
    return store.last_fire(current_app.extensions["availability"], principal.key_id)


@blp.get("/staff/coach/watches/events")
def staff_coach_watch_events():
    """Server-Sent Events: `event: fire` for each fire of the key's watches (id = the fire's
    number), a comment every KEEPALIVE_SECONDS, closed after STREAM_SECONDS."""
    principal = signed_in("coach", "admin")
    adb, after = current_app.extensions["availability"], _start(principal)
    poll = _setting("WATCH_EVENTS_POLL_SECONDS", POLL_SECONDS)
    keepalive = _setting("WATCH_EVENTS_KEEPALIVE_SECONDS", KEEPALIVE_SECONDS)
    lifetime = _setting("WATCH_EVENTS_SECONDS", STREAM_SECONDS)
    names = {}

    def events():
        position, started = after, time.monotonic()
        beat = started
        yield f"retry: {RETRY_MS}\n: watching\n\n"
        while True:
            for fire in store.fires_after(adb, principal.key_id, position):
                position = fire["seq"]
                if fire["facility_id"] not in names:
                    record = current_app.extensions["store"].get(fire["facility_id"]) or {}
                    names[fire["facility_id"]] = record.get("name")
                fire["facility_name"] = names[fire["facility_id"]]
                data = {"id": fire["seq"], "watch_id": fire["watch_id"],
                        "facility_id": fire["facility_id"], "text": fire_words(fire),
                        "url": page_url("web.resource_page", record_id=fire["facility_id"])}
                yield f"id: {fire['seq']}\nevent: fire\ndata: {json.dumps(data)}\n\n"
                beat = time.monotonic()
            if time.monotonic() - started >= lifetime or serving.stopping():
                return  # a stopping worker: the browser reconnects to another one
            if time.monotonic() - beat >= keepalive:
                yield ": keepalive\n\n"
                beat = time.monotonic()
            time.sleep(poll)  # gevent's sleep under gunicorn: the worker serves meanwhile

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"  # a proxy must pass each event on at once
    return response
