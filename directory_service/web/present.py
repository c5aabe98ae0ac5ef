"""How a record reads to a person: open or closed now, meeting times, links (bed figures
are web/bed_figures.py).

The API returns facts; a frightened person needs sentences. Everything here is a pure
function of a record and a moment, so the same words appear on cards, detail and print
pages, and in both languages. Times are read in each record's own zone (a record's
`hours` and meeting `time` are local to it); dates a person reads are in the zone the
caller names, never UTC.
"""
from datetime import datetime, time, timedelta
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
from flask_babel import format_decimal, get_locale, gettext as _, ngettext

from directory_service import phones
from directory_service.api import open_hours
from directory_service.web import labels

DEFAULT_ZONE = "America/Chicago"
WEEK = 7 * 1440
SOON_MINUTES = 60


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


# --- distances ------------------------------------------------------------------

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
    """"(331) 555-0140" → "tel:+13315550140"; "… ext. 12" → "…;ext=12"; 988 → "tel:988";
    None when no number can be read (the page then shows the text without a link)."""
    read = phones.phone(phone)
    return read["tel"] if read else None


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
