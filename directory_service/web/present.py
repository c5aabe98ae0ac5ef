"""How a record reads to a person: open or closed now, beds, meeting times, links.

The API returns facts; a frightened person needs sentences. Everything here is a pure
function of a record and a moment, so the same words appear on cards, detail and print
pages, and in both languages.
"""
import re
from datetime import time
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask_babel import format_time, get_locale, gettext as _, ngettext

DEFAULT_ZONE = "America/Chicago"


def ago(seconds):
    """"12 min ago", "2 h ago", "3 days ago"."""
    if seconds < 3600:
        return ngettext("%(num)d min ago", "%(num)d min ago", max(1, seconds // 60))
    if seconds < 48 * 3600:
        return ngettext("%(num)d h ago", "%(num)d h ago", seconds // 3600)
    return ngettext("%(num)d day ago", "%(num)d days ago", seconds // 86400)


def beds_text(figure):
    """"3 open · updated 2 h ago", "Full · updated …", or "unknown — call". Never 0 for unknown."""
    if figure is None or figure.get("open") is None:
        return _("unknown — call")
    updated = _("updated %(ago)s", ago=ago(figure["age_seconds"] or 0))
    if figure["open"] == 0:
        return _("Full") + " · " + updated
    return ngettext("%(num)d open", "%(num)d open", figure["open"]) + " · " + updated


def day_name(day):
    """Weekday name in the page's language; `day` counts from 0 = Sunday."""
    return get_locale().days["format"]["wide"][(day - 1) % 7]


def clock(hhmm):
    """"19:00" → "7:00 PM" in English, "19:00" in Spanish."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return format_time(time(hours % 24, minutes), "short")


def _local(record, now):
    return now.astimezone(ZoneInfo(record.get("timezone") or DEFAULT_ZONE))


def _week_minute(local):
    return (local.isoweekday() % 7) * 1440 + local.hour * 60 + local.minute


def _minutes(hhmm):
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def open_state(record, now):
    """(state, words): state is open, closed or unknown, for a badge and its colour."""
    if record["kind"] == "meeting":
        return _meeting_state(record, now)
    hours = record.get("hours") or {}
    if hours.get("open_24_7"):
        return "open", _("Open 24/7")
    if not hours.get("intervals"):
        return "unknown", _("Hours unknown — call")
    minute = _week_minute(_local(record, now))
    for interval in hours["intervals"]:
        start = interval["day"] * 1440 + _minutes(interval["open"])
        if start <= minute < interval["day"] * 1440 + _minutes(interval["close"]):
            return "open", _("Open now · until %(time)s", time=clock(interval["close"]))
    return "closed", _("Closed now")


def _meeting_state(record, now):
    if not record.get("time"):
        return "unknown", _("Time unknown — check the details")
    minute = _week_minute(_local(record, now))
    start = record["day"] * 1440 + _minutes(record["time"])
    length = (_minutes(record.get("end_time") or record["time"]) - _minutes(record["time"])) % 1440
    if (minute - start) % (7 * 1440) < (length or 60):
        return "open", _("Meeting now")
    return "closed", _("Next: %(day)s %(time)s", day=day_name(record["day"]),
                       time=clock(record["time"]))


def meeting_when(record):
    """"Monday · 7:00 PM – 8:00 PM"."""
    when = day_name(record["day"]) + " · " + clock(record["time"])
    if record.get("end_time"):
        when += " – " + clock(record["end_time"])
    return when


def hours_lines(record):
    """Opening hours, one line per interval, in the page's language."""
    hours = record.get("hours") or {}
    if hours.get("open_24_7"):
        return [_("Open 24 hours, 7 days a week")]
    return [f"{day_name(i['day'])}: {clock(i['open'])} – {clock(i['close'])}"
            for i in sorted(hours.get("intervals", ()), key=lambda i: (i["day"], i["open"]))]


def address_line(record):
    address = record.get("address") or {}
    place = " ".join(p for p in (address.get("state"), address.get("postal_code")) if p)
    return ", ".join(p for p in (address.get("street"), address.get("city"), place) if p)


def directions_url(record):
    """A plain link to the device's own maps app; nothing is loaded until it is tapped."""
    target = address_line(record) if (record.get("address") or {}).get("street") else (
        f"{record['location']['lat']},{record['location']['lon']}")
    return "https://maps.apple.com/?daddr=" + quote(target)


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

