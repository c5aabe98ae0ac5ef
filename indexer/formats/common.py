"""Small parsers every importer shares, and the `Warned` item importers yield.

Public feeds spell the same thing many ways ("10:00 AM", "19:00:00", 60540 as a number,
"" for missing); these helpers turn them into our canonical shapes, or None, so each
importer only has to say which source field goes where.
"""
import hashlib
import html
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from indexer.problems import RowProblem

# "7:00 PM", "7.30pm", "7 p.m.", "6:30a", "7p" (schedules typed by hand drop the m), and
# "7:00:00 PM" as Google Sheets and Excel export a time cell.
TIME_12H = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2})(?::[0-5]\d)?)?\s*([AaPp])\.?\s*"
                      r"(?:[Mm]\.?)?\s*$")
# "19:00", "19:00:00.000", "19.30", Quebec's "19h30", and military "1930".
TIME_24H = re.compile(r"^\s*(\d{1,2})(?::|\.|[hH]\s?)(\d{2})(?::\d{2}(?:\.\d+)?)?\s*$|"
                      r"^\s*([01]\d|2[0-4])([0-5]\d)\s*(?:hrs?|hours)?\s*$")
NOON_OR_MIDNIGHT = re.compile(r"^\s*(?:12(?::00)?\s*)?(noon|midnight)\s*$", re.I)
# A zone after a time ("7:00 PM CT", "19:00 EST"): the record's own time zone says it.
TIME_ZONE_SUFFIX = re.compile(
    r"\s+(?:[ECMP][SD]?T|AK[SD]?T|H[SA]?T|(?:(?:eastern|central|mountain|pacific|alaska|hawaii)"
    r"(?: standard| daylight)?|local)(?: time)?)\.?\s*$", re.I)
ZIP5 = re.compile(r"^\s*(\d{3,5})(?:-?(\d{4}))?\s*$")
US_STATE = re.compile(r"^[A-Za-z]{2}$")
# Feeds written by web publishing tools (WordPress's TSML, HSDS exports of a CMS) carry
# their markup: "St. Mark&#039;s", "Women&#8217;s", "<p>Use the side door</p>".
LINE_BREAK_TAG = re.compile(r"<\s*(?:br\s*/?|/\s*(?:p|div|li|h[1-6]|tr))\s*>", re.I)
TAG = re.compile(r"</?(?:a|abbr|b|big|blockquote|br|center|code|div|em|font|h[1-6]|hr|i|img|"
                 r"li|ol|p|pre|s|small|span|strike|strong|sub|sup|table|tbody|td|th|thead|"
                 r"tr|u|ul)(?:\s[^<>]*)?/?>", re.I)
ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


@dataclass(frozen=True)
class Warned:
    """Something an importer noticed and did not silently drop: an unknown code, a skip."""

    code: str
    message: str


@dataclass(frozen=True)
class ImportOptions:
    """Choices the operator makes on the command line for formats that need them."""

    kind: str | None = None          # HSDS: which of our kinds a service becomes
    fellowship: str | None = None    # Meeting Guide: the feed's fellowship (AA unless told)
    mapping: str | None = None       # CSV: the column-mapping file
    timezone: str | None = None      # fallback IANA zone for rows that name none
    feed: str | None = None          # short name of the feed a file is, part of every id it makes
    region: str | None = None        # meetings: where online ones naming no state are pinned


def feed_name(path):
    """A feed's short name from its file name: 'aasepia.json' -> 'aasepia'.

    Ids carry it (`mg:<feed>:<slug>`), so two feeds that reuse a slug never collide.
    """
    base = os.path.basename(path.rstrip(os.sep))
    if base == "datapackage.json":
        base = os.path.basename(os.path.dirname(path.rstrip(os.sep)))
    stem = base.split(".")[0] if not base.startswith(".") else base
    return re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-") or "feed"


def text(value):
    """A stripped string as a reader should see it, or None for missing and blank values:
    HTML tags dropped (a line break or the end of a paragraph kept as a new line) and
    entities decoded, so "St. Mark&#039;s" reads "St. Mark's" and is not escaped twice on
    the page."""
    if value is None:
        return None
    value = str(value)
    if "<" in value and TAG.search(value):
        value = TAG.sub("", LINE_BREAK_TAG.sub("\n", value))
        lines = (" ".join(line.split()) for line in value.splitlines())
        value = "\n".join(line for line in lines if line)
    if "&" in value and ENTITY.search(value):
        value = html.unescape(value).replace("\xa0", " ")
    value = value.strip()
    return value or None


def hhmm(value):
    """'19:00', '7:00 PM', '19:00:00', '7.30pm', '19h30', '1930', 'Noon' → 'HH:MM'
    ('Midnight' → '00:00'); anything else → None."""
    value = text(value)
    if value is None:
        return None
    value = TIME_ZONE_SUFFIX.sub("", value)
    if m := NOON_OR_MIDNIGHT.match(value):
        return "12:00" if m.group(1).lower() == "noon" else "00:00"
    if m := TIME_24H.match(value):
        hour, minute = (int(m.group(1)), int(m.group(2))) if m.group(1) else \
            (int(m.group(3)), int(m.group(4)))
    elif m := TIME_12H.match(value):
        hour, minute = int(m.group(1)) % 12, int(m.group(2) or 0)
        hour += 12 if m.group(3).lower() == "p" else 0
    else:
        return None
    if hour == 24 and minute == 0:
        return "24:00"
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}"


def postal_code(value):
    """A US ZIP as '01234' or '01234-5678'; spreadsheets lose leading zeros, so pad 3-4 digits."""
    value = text(value)
    if value is None:
        return None
    if m := ZIP5.match(value):
        zip5 = m.group(1).zfill(5)
        return f"{zip5}-{m.group(2)}" if m.group(2) else zip5
    return None


def state(value):
    value = text(value)
    return value.upper() if value and US_STATE.match(value) else None


def coordinate(value):
    """A float from a number or a numeric string; None when missing, blank or 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number != 0.0 else None


def location(lat, lon):
    lat, lon = coordinate(lat), coordinate(lon)
    if lat is None or lon is None:
        return None
    return {"lat": lat, "lon": lon}


def stable_hash(*parts, length=16):
    """A short id from row content, stable across runs, for sources without ids."""
    joined = "\x1f".join("" if p is None else str(p).strip().lower() for p in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:length]


def id_part(value):
    """A source identifier made safe for our id pattern ('source:identifier')."""
    return re.sub(r"[^A-Za-z0-9_.:/-]+", "-", str(value).strip()).strip("-") or None


def timestamp(value):
    """An ISO 8601 UTC string from the forms feeds use; naive times are taken as UTC."""
    value = text(value)
    if value is None:
        return None
    for parse in (_iso, _us_datetime):
        moment = parse(value)
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            moment = moment.astimezone(timezone.utc).replace(microsecond=0)
            return moment.isoformat().replace("+00:00", "Z")
    return None


def _iso(value):
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _us_datetime(value):
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def digits(phone):
    """Phone digits only, without a leading US country code, for comparing numbers."""
    only = re.sub(r"\D", "", phone or "")
    return only[1:] if len(only) == 11 and only.startswith("1") else only


def guarded(items):
    """The items one row maps to; a value of a shape the format never has (a number where
    a list of services goes, a string where an object does) ends that row as a rejected
    row saying so, instead of the whole run."""
    try:
        yield from items
    except (TypeError, AttributeError, ValueError, KeyError) as exc:
        yield RowProblem({"_row": [f"a value is not of the shape the format has "
                                   f"({type(exc).__name__}: {exc})"]})


# A JSONP answer ("callback([...]);"), as BMLT's jsonp interface and some web APIs give.
JSONP = re.compile(r"^\s*[A-Za-z_$][\w$.]*\s*\(\s*(?=[\[{])")
JSONP_END = re.compile(r"\)\s*;?\s*$")


def json_text(text):
    """A JSON file's text as its JSON: a leading byte-order mark (Windows tools write one)
    and a JSONP wrapper dropped."""
    text = text.removeprefix("\ufeff")
    if (start := JSONP.match(text)) and (end := JSONP_END.search(text)):
        return text[start.end():end.start()]
    return text


def json_head(head):
    """The opening bytes of a file as detection should see them (json_text's rules)."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    if m := JSONP.match(head.decode("utf-8", "ignore")):
        return head[len(m.group(0).encode("utf-8")):]
    return head


def load_json(path):
    """(data, None), or (None, (line, RowProblem)) when the file is not valid JSON.

    One wording for every JSON format, so a broken file reads the same in every report.
    A byte-order mark or a JSONP wrapper around the JSON is dropped (json_text).
    """
    with open(path, encoding="utf-8") as fh:
        try:
            return json.loads(json_text(fh.read())), None
        except json.JSONDecodeError as exc:
            message = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            return None, (exc.lineno, RowProblem({"_file": [message]}))
        except RecursionError:
            # Nested deeper than any feed is (a damaged or hostile file): refused by name.
            return None, (0, RowProblem({"_file": ["JSON nested too deep to read"]}))


def set_zone_and_place(record, row, zone, lat_key="latitude", lon_key="longitude"):
    """Give a meeting record its time zone and point when the source row has them."""
    if zone:
        record["timezone"] = zone
    place = location(row.get(lat_key), row.get(lon_key))
    if place:
        record["location"] = place
    return record
