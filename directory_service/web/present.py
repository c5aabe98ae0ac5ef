"""How a record reads to a person: open or closed now, beds, meeting times, links.

The API returns facts; a frightened person needs sentences. Everything here is a pure
function of a record and a moment, so the same words appear on cards, detail and print
pages, and in both languages. Times are read in each record's own zone (a record's
`hours` and meeting `time` are local to it); dates a person reads are in the zone the
caller names, never UTC.
"""
import re
from datetime import datetime, time, timedelta
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
from flask_babel import format_decimal, get_locale, gettext as _, lazy_gettext as _l, ngettext

from directory_service import beds, vocab
from directory_service.api import open_hours
from directory_service.availability.figures import row_open
from directory_service.search.columns import population_group
from directory_service.web import labels

DEFAULT_ZONE = "America/Chicago"
WEEK = 7 * 1440
SOON_MINUTES = 60
# Who a bed row is for, as the bed figure says it ("4 open for men").
FOR_WHOM = {"men": _l("for men"), "women": _l("for women"), "adults": _l("for any adult"),
            "youth": _l("for teens"), "any": ""}
# An unknown figure names its own population: "for men only" beside "5 open for any adult"
# says the men's own beds are unreported, not that the adult beds are in doubt.
NOT_REPORTED = {"men": _l("men-only beds not reported — call"),
                "women": _l("women-only beds not reported — call"),
                "adults": _l("beds for any adult not reported — call"),
                "youth": _l("beds for teens not reported — call"),
                "any": _l("not reported — call")}
GROUP_ORDER = ("men", "women", "adults", "youth", "any")


def zone(name):
    """ZoneInfo for `name`, falling back to the default zone for a missing or bad one."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def _loc():
    return get_locale() or Locale.parse("en")


# --- ages and moments ---------------------------------------------------------------

def age_words(seconds):
    """"12 min", "2 h", "3 days": how old a figure is."""
    seconds = max(0, int(seconds or 0))
    if seconds < 3600:
        return ngettext("%(num)d min", "%(num)d min", max(1, seconds // 60))
    if seconds < 48 * 3600:
        return ngettext("%(num)d h", "%(num)d h", seconds // 3600)
    return ngettext("%(num)d day", "%(num)d days", seconds // 86400)


def ago(seconds):
    """"12 min ago", "2 h ago", "3 days ago"."""
    return _("%(age)s ago", age=age_words(seconds))


def parse_iso(text):
    """An ISO timestamp (with Z or an offset) → an aware datetime, or None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone("UTC"))


def moment_words(moment, zone_name):
    """"11:05 PM, Nov 23": an absolute local time for paper, in the page's language."""
    tz = zone(zone_name)
    return _("%(time)s, %(date)s",
             time=format_time(moment, "short", tzinfo=tz, locale=_loc()),
             date=format_skeleton("MMMd", moment, tzinfo=tz, locale=_loc()))


def as_of(moment, zone_name):
    """"as of 11:05 PM, Nov 23"."""
    return _("as of %(moment)s", moment=moment_words(moment, zone_name))


def long_date(moment, zone_name):
    """"November 23, 2026" / "23 de noviembre de 2026", on the local calendar of the zone."""
    local = moment.astimezone(zone(zone_name)) if isinstance(moment, datetime) else moment
    return format_date(local, "long", locale=_loc())


def checked_on(text, zone_name):
    """A record's `verified_at` as a local long date, or "" when it has none."""
    moment = parse_iso(text)
    return long_date(moment, zone_name) if moment else ""


# --- clocks and days ----------------------------------------------------------------

def day_name(day):
    """Weekday name in the page's language; `day` counts from 0 = Sunday."""
    return _loc().days["format"]["wide"][(day - 1) % 7]


def clock(hhmm):
    """"19:00" → "7:00 PM" in English, "19:00" in Spanish; "24:00" reads as 00:00."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return format_time(time(hours % 24, minutes), "short", locale=_loc())


def local_now(record, now):
    return now.astimezone(zone(record.get("timezone")))


def _week_minute(local):
    return (local.isoweekday() % 7) * 1440 + local.hour * 60 + local.minute


# --- opening hours ------------------------------------------------------------------
# Open or closed, and when that changes, come from api/open_hours.py, the rules the search
# filter and the phone app's compact view use: the page only puts them into words.

def hours_state(record, now):
    """(state, minutes): open and minutes until it closes, or closed and minutes until it
    opens; None minutes for 24/7 or a place that never opens; state unknown without hours."""
    is_open, changes_at = open_hours.open_state(record, now)
    if is_open is None:
        return "unknown", None
    state = "open" if is_open else "closed"
    if changes_at is None:
        return state, None
    local = local_now(record, now).replace(second=0, microsecond=0)
    return state, round((changes_at - local).total_seconds() / 60)


def open_state(record, now):
    """(state, words): open, soon, closed or unknown, for a badge and its colour."""
    if record["kind"] == "meeting":
        return meeting_state(record, now)
    is_open, changes_at = open_hours.open_state(record, now)
    if is_open is None:
        return "unknown", _("Hours unknown — call")
    if changes_at is None:
        return ("open", _("Open 24/7")) if is_open else ("closed", _("Closed now"))
    days = (changes_at.date() - local_now(record, now).date()).days
    weekday, at = changes_at.isoweekday() % 7, clock(f"{changes_at:%H:%M}")
    if is_open:
        if days == 0:
            return "open", _("Open now · until %(time)s", time=at)
        if days == 1:
            return "open", _("Open now · until tomorrow %(time)s", time=at)
        return "open", _("Open now · until %(day)s %(time)s", day=day_name(weekday), time=at)
    if days == 0:
        return "closed", _("Closed now · opens %(time)s", time=at)
    if days == 1:
        return "closed", _("Closed now · opens tomorrow %(time)s", time=at)
    return "closed", _("Closed now · opens %(day)s %(time)s", day=day_name(weekday), time=at)


def hours_lines(record):
    """Opening hours, one line per interval, in the page's language."""
    hours = record.get("hours") or {}
    if hours.get("open_24_7"):
        return [_("Open 24 hours, 7 days a week")]
    return [f"{day_name(i['day'])}: {clock(i['open'])} – {clock(i['close'])}"
            for i in sorted(hours.get("intervals", ()), key=lambda i: (i["day"], i["open"]))]


def today_hours(record, now):
    """Today's opening hours in one line ("Today 8:00 AM – 9:00 PM"), for cards and paper."""
    hours = record.get("hours") or {}
    if hours.get("open_24_7"):
        return _("Open 24 hours, 7 days a week")
    today = local_now(record, now).isoweekday() % 7
    spans = [f"{clock(i['open'])} – {clock(i['close'])}"
             for i in sorted(hours.get("intervals", ()), key=lambda i: i["open"])
             if i["day"] == today]
    if not hours.get("intervals"):
        return ""
    if not spans:
        return _("Closed today")
    return _("Today %(hours)s", hours=", ".join(spans))


# --- meetings -----------------------------------------------------------------------

def meeting_timing(record, now):
    """When a meeting is, seen from `now`, in the meeting's own zone.

    `starts_in`: minutes to the start of the current or next occurrence, negative while it
    is in progress (so sorting by it lists meetings in order of start). `ended_today`: it
    met earlier today and is over. None when the record has no time.
    """
    span = open_hours.meeting_span(record)
    if span is None:
        return None
    start, length = span
    local = local_now(record, now)
    minute = _week_minute(local)
    begin = start - record["day"] * 1440
    since = (minute - start) % WEEK
    in_progress = since < length
    today = local.isoweekday() % 7
    minute_of_day = local.hour * 60 + local.minute
    return {
        "starts_in": -since if in_progress else (start - minute) % WEEK,
        "in_progress": in_progress,
        "ends_in": length - since if in_progress else None,
        "ended_today": (not in_progress and record["day"] == today
                        and begin + length <= minute_of_day),
        "online": record.get("attendance") in ("online", "hybrid"),
    }


def meeting_state(record, now):
    """(state, words): "Online now · until 8:00 PM", "Starting soon · in 20 min", "Today …"."""
    timing = meeting_timing(record, now)
    if timing is None:
        return "unknown", _("Time unknown — check the details")
    local = local_now(record, now)
    until = ""
    if timing["in_progress"]:
        if record.get("end_time"):
            until = " · " + _("until %(time)s", time=clock(record["end_time"]))
        if record.get("attendance") == "online":
            return "open", _("Online now") + until
        if record.get("attendance") == "hybrid":
            return "open", _("Now · in person and online") + until
        return "open", _("Meeting now") + until
    minutes = timing["starts_in"]
    if minutes <= SOON_MINUTES:
        return "soon", _("Starting soon · in %(num)d min", num=max(1, minutes))
    days = ((local + timedelta(minutes=minutes)).date() - local.date()).days
    if days == 0:
        return "closed", _("Today %(time)s", time=clock(record["time"]))
    if days == 1:
        return "closed", _("Tomorrow %(time)s", time=clock(record["time"]))
    return "closed", _("Next: %(day)s %(time)s", day=day_name(record["day"]),
                       time=clock(record["time"]))


def meeting_when(record):
    """"Monday · 7:00 PM – 8:00 PM"."""
    when = day_name(record["day"]) + " · " + clock(record["time"])
    if record.get("end_time"):
        when += " – " + clock(record["end_time"])
    return when


def join(record):
    """How to join an online or hybrid meeting: {"url", "phone", "notes"} or None.

    Only http(s) links become buttons: a feed's `javascript:` or other scheme never does.
    `notes` carry the meeting id and passcode as the feed publishes them.
    """
    if record.get("kind") != "meeting" or record.get("attendance") not in ("online", "hybrid"):
        return None
    url, phone = safe_url(record.get("conference_url")), record.get("conference_phone")
    if not (url or phone):
        return None
    return {"url": url, "phone": phone, "notes": record.get("conference_notes")}


# --- beds ---------------------------------------------------------------------------

def level_name(code):
    """"Detox, medically monitored (3.7-WM)": a level of care in words, with its code."""
    return _("%(level)s (%(code)s)", level=labels.label(labels.LEVELS, code), code=code)


def _level_order(record):
    """Levels in the order the record lists them, then any other in vocabulary order."""
    listed = list(record.get("levels_of_care") or ())
    return {code: i for i, code in enumerate(dict.fromkeys(listed + list(vocab.LEVELS_OF_CARE)))}


def bed_groups(record, levels=(), gender=None, age=None):
    """Bed figures for `levels` (all when empty), one per level of care and population.

    Levels are never added together: a person reads "1 open" for medically monitored
    detox and "4 open" for residential detox, never "5 open". One entry per (level,
    population group the person may take): {"level", "group", "open" (None = unknown),
    "age_seconds", "freshness", "reported_at"}. Rows carry `age_seconds`/`freshness`
    (beds.annotate_record). Within a level, known figures come before unknown ones.
    """
    out = {}
    for row in beds.answering_rows(record, levels, gender, age):
        key = (row["level_of_care"], population_group(row.get("population")))
        entry = out.setdefault(key, {"level": key[0], "group": key[1], "open": None,
                                     "age_seconds": None, "freshness": "unknown",
                                     "reported_at": None})
        figure = row_open(row)
        if figure is None:
            continue
        # Two rows of one level and group (a live row beside an alias) are one pool;
        # the pair is as fresh as its older report.
        entry["open"] = (entry["open"] or 0) + figure
        if entry["age_seconds"] is None or (row.get("age_seconds") or 0) > entry["age_seconds"]:
            entry.update(age_seconds=row.get("age_seconds") or 0, reported_at=row["reported_at"],
                         freshness=row.get("freshness") or "unknown")
    order = _level_order(record)
    return sorted(out.values(), key=lambda e: (order.get(e["level"], len(order)),
                                               e["open"] is None, GROUP_ORDER.index(e["group"])))


def usable_beds(groups, include_stale=False):
    """Whether any group has open beds a person can count on now (stale ones only if asked)."""
    return beds.usable(groups, include_stale)


def bed_line(group, zone_name=None):
    """{"css", "level", "text", "when", "as_of"}: one bed figure as a person reads it.

    `level` names the level of care with its code ("Detox, residential (3.2-WM)"); the
    text says how many and for whom ("4 open for men"), and `when` how old. A stale figure
    says it is too old to trust ("figure for men is 8 days old — call to check"); unknown
    is never 0, and names its population alone ("men-only beds not reported — call") so
    it never reads as contradicting an any-adult figure beside it.
    """
    whom = FOR_WHOM[group["group"]]
    level = level_name(group["level"]) if group.get("level") else ""
    if group["open"] is None:
        return {"css": "unknown", "level": level, "text": str(NOT_REPORTED[group["group"]]),
                "when": "", "as_of": ""}
    moment = parse_iso(group["reported_at"])
    stamp = as_of(moment, zone_name) if moment else ""
    if group["freshness"] == "stale":
        age_text = age_words(group["age_seconds"])
        text = (_("figure %(whom)s is %(age)s old — call to check", whom=whom, age=age_text)
                if whom else _("figure is %(age)s old — call to check", age=age_text))
        return {"css": "stale", "level": level, "when": "", "as_of": stamp, "text": text}
    if group["open"] == 0:
        text = _("Full %(whom)s", whom=whom).strip()
    else:
        text = ngettext("%(num)d open %(whom)s", "%(num)d open %(whom)s", group["open"],
                        whom=whom).strip()
    return {"css": group["freshness"], "level": level, "text": text,
            "when": ago(group["age_seconds"]), "as_of": stamp}


def bed_lines(groups, zone_name=None):
    return [bed_line(group, zone_name) for group in groups]


# A card shows every bed figure when there are at most CARD_BED_LINES, else the most
# telling one and a link to the rest on the place's page. Without it a facility with six
# levels × populations pushed the first Call below a phone's first screen once figures
# stopped being added up (issue 21).
CARD_BED_LINES = 2
def _card_rank(group):
    """Open beds first, then full, then stale figures, then unreported ones."""
    if group["open"] is None:
        return 3
    if group["freshness"] == "stale":
        return 2
    return 0 if group["open"] > 0 else 1


def card_bed_lines(lines, groups, most=CARD_BED_LINES):
    """(the lines a card shows, how many it leaves to the place's page): all of them when
    they fit, else the most telling one (`_card_rank`; `groups` are the lines' bed_groups)."""
    if len(lines) <= most:
        return list(lines), 0
    most = 1  # one line and the link to the rest take the room of two lines
    ranked = sorted(range(len(lines)), key=lambda i: (_card_rank(groups[i]), i))
    keep = sorted(ranked[:most])
    return [lines[i] for i in keep], len(lines) - len(keep)


def miles(value):
    """"1.6": a distance in miles as every part of a card prints it, from one number."""
    return format_decimal(round(value, 1), "0.0")


# --- places, links, languages ---------------------------------------------------------

def address_line(record):
    address = record.get("address") or {}
    place = " ".join(p for p in (address.get("state"), address.get("postal_code")) if p)
    return ", ".join(p for p in (address.get("street"), address.get("city"), place) if p)


def directions_url(record):
    """A plain link to the device's own maps app; nothing is loaded until it is tapped."""
    target = address_line(record) if (record.get("address") or {}).get("street") else (
        f"{record['location']['lat']},{record['location']['lon']}")
    return "https://maps.apple.com/?daddr=" + quote(target)


def safe_url(url):
    """`url` when it is an http(s) link, else None: feeds are not trusted with schemes."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def tel_url(phone):
    """"(331) 555-0140" → "tel:+13315550140"."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 10:
        digits = "1" + digits
    return "tel:+" + digits if digits else None


def call_phone(record):
    """The number a person should call first: intake, then hotline, then main."""
    phones = record.get("phones") or {}
    return phones.get("intake") or phones.get("hotline") or phones.get("main")


def language_name(code, capital=False):
    """"es" → "Spanish" / "español", in the page's language; the code when unknown.

    `capital` for a name standing alone (a list option): "Español".
    """
    try:
        name = Locale.parse(code).get_display_name(_loc()) or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code
    return name[:1].upper() + name[1:] if capital else name


def language_badges(record):
    """Badges for the languages other than English a place or meeting uses: ["In Spanish"]."""
    return [_("In %(language)s", language=language_name(code))
            for code in record.get("languages") or () if code != "en"]


def naloxone_facts(record):
    """What a person needs to know before going for naloxone, in a few words."""
    facts = []
    if record.get("cost"):
        facts.append(labels.label(labels.COST, record["cost"]))
    if record.get("no_prescription_needed"):
        facts.append(_("No prescription needed"))
    if record.get("site_type") == "vending_machine":
        facts.append(_("Vending machine"))
    if record.get("fentanyl_test_strips"):
        facts.append(_("Fentanyl test strips"))
    return facts
