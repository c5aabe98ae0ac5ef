"""The page's list: what the API found, in the order a person at night needs it.

The store ranks by distance, beds, payment and care. A person in a hurry also needs:
places open now before closed ones ("now" searches), meetings in order of their next
start with the ended ones gone ("Meetings today"), and open-bed searches that do not
count a week-old figure as an open bed. Those orders and filters depend on the clock in
each place's own zone, so the page applies them here, to the store's hits: it asks
`run_search` (the API's own search) for up to FETCH_LIMIT hits, then filters, orders and
pages them itself. Other searches page through the store directly.
"""
import math
from dataclasses import dataclass
from datetime import timezone

from flask import current_app

from directory_service import timezones
from directory_service.api.search import hit_body, run_search
from directory_service.availability import outage
from directory_service.web import bed_figures, present

# Hits the page orders itself, at most (the store's nearest and best first).
FETCH_LIMIT = 300
NOW_NEEDS = ("detox", "naloxone", "takeback")
STATE_ORDER = {"open": 0, "soon": 1, "unknown": 2, "closed": 3}


@dataclass
class Listing:
    cards: list
    total: int
    page: int
    pages: int
    origin: object
    zone: str
    query: object
    hidden_stale: int = 0
    truncated_from: int | None = None
    order: str = "rank"


def ordering(form):
    """How the page orders a search: "start" (meetings), "open" (now searches) or "rank"."""
    need = form.get("need")
    if need == "meetings":
        return "start"
    if need in NOW_NEEDS or form.get("open_now"):
        return "open"
    return "rank"


def searcher_zone(origin, fallback):
    """The searcher's time zone: the origin's own, else the site's."""
    return (getattr(origin, "timezone", None) or timezones.zone_at(origin.lat, origin.lon)
            or fallback)


def card(hit, now, zone, query, form):
    """What a card shows about one hit, worked out once for the card and the paper list."""
    record = hit["record"]
    state, words = present.open_state(record, now)
    out = {"hit": hit, "r": record, "state": state, "state_words": words,
           "timing": None, "beds": [], "usable": False}
    if record["kind"] == "meeting":
        out["timing"] = present.meeting_timing(record, now)
    if record["kind"] == "treatment_facility":
        out["beds"] = bed_figures.bed_groups(record, query.levels, form.get("gender"),
                                         form.get("age"))
        out["usable"] = bed_figures.usable_beds(out["beds"], form.get("stale"))
        out["bed_lines"] = bed_figures.bed_lines(out["beds"], zone)
        out["card_bed_lines"], out["more_bed_lines"] = bed_figures.card_bed_lines(out["bed_lines"], out["beds"])
    return out


def _meeting_key(entry):
    timing = entry["timing"]
    return math.inf if timing is None else timing["starts_in"]


def collect(args, form, now, per_page, fallback_zone):
    """Run the search for the page: a Listing of cards for the requested page."""
    settings = current_app.config["SETTINGS"]
    order = ordering(form)
    # The store ages bed figures and judges "open now" at the page's own moment, so a page
    # whose clock is fixed (PAGE_NOW) is one moment throughout, figures included.
    at = now.astimezone(timezone.utc)
    filtered = order != "rank" or form.get("beds")
    if not filtered:
        query, origin, result = run_search(args, at)
        zone = searcher_zone(origin, fallback_zone)
        cards = [card(hit_body(h, query.now, settings), now, zone, query, form)
                 for h in result.hits]
        return Listing(cards, result.total, query.page,
                       max(1, math.ceil(result.total / per_page)), origin, zone, query)

    hits, step, page, total = [], min(settings.max_per_page, FETCH_LIMIT), 1, 0
    while len(hits) < FETCH_LIMIT:
        query, origin, result = run_search({**args, "page": page, "per_page": step}, at)
        hits += [hit_body(h, query.now, settings) for h in result.hits]
        total = result.total
        if not result.hits or len(hits) >= total:
            break
        page += 1
    zone = searcher_zone(origin, fallback_zone)
    cards = [card(hit, now, zone, query, form) for hit in hits]
    hidden_stale = 0
    # Live figures unreadable (availability/outage.py): every figure is unknown, so an
    # open-bed search shows the places to call rather than none (the page says why).
    if form.get("beds") and not outage.is_down():
        kept = [c for c in cards if c["r"]["kind"] != "treatment_facility" or c["usable"]]
        hidden_stale = sum(1 for c in cards if c["r"]["kind"] == "treatment_facility"
                           and not c["usable"] and bed_figures.usable_beds(c["beds"], True))
        cards = kept
    if form.get("day") == "today":
        cards = [c for c in cards if not (c["timing"] and c["timing"]["ended_today"])]
    if order == "start":
        cards.sort(key=_meeting_key)
    elif order == "open":
        cards.sort(key=lambda c: STATE_ORDER.get(c["state"], 2))
    pages = max(1, math.ceil(len(cards) / per_page))
    current = min(args.get("page", 1), pages)
    shown = cards[(current - 1) * per_page: current * per_page]
    return Listing(shown, len(cards), current, pages, origin, zone, query,
                   hidden_stale=hidden_stale,
                   truncated_from=total if total > len(hits) else None, order=order)
