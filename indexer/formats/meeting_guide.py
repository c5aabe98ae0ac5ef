"""Meeting Guide JSON feeds (code4recovery/spec): a JSON array of weekly meetings.

Feeds in the wild bend the spec: `day` is an integer 0-6 or a list of them, times are
"19:00" or "7:00 PM", `types` may arrive as a string such as "[open]", coordinates as
strings. A meeting on several days becomes one record per day (`mg:<slug>:<day>`).
Online attendance is derived from `conference_url` / `conference_phone` (the spec dropped
the `ONL` type); `TC` (location temporarily closed) makes an in-person meeting inactive,
while a TC meeting that has a conference link carries on online.
"""
import os
import re

from directory_service import vocab
from indexer.formats import common
from indexer.problems import RowProblem

LABELS = {label.lower(): code for code, label in vocab.MEETING_TYPES.items()}
# Codes feeds still send that the current spec dropped or never had; attendance covers them.
DERIVED = {"ONL": "online attendance is derived from conference_url/conference_phone",
           "HYB": "hybrid attendance is derived from conference details plus an address"}
FELLOWSHIP_HINTS = (("al-anon", "Al-Anon"), ("alanon", "Al-Anon"), ("nar-anon", "Nar-Anon"),
                    ("afg", "Al-Anon"))
CA_POSTAL = re.compile(r"^[A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d$")
STATE_ZIP = re.compile(r"^([A-Z]{2})\s+(\d{5}(?:-\d{4})?)$")


def detect(path, head):
    return path.endswith(".json") and head.lstrip().startswith(b"[") and b'"slug"' in head


def read(path, transform=None, options=None):
    options = options or common.ImportOptions()
    rows, problem = common.load_json(path)
    if problem:
        yield problem
        return
    if not isinstance(rows, list):
        yield 0, RowProblem({"_file": ["a Meeting Guide feed must be a JSON array"]})
        return
    fellowship = options.fellowship or _guess_fellowship(path, rows)
    first_row = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            yield number, RowProblem({"_row": ["a meeting must be a JSON object"]})
            continue
        slug = common.id_part(row.get("slug")) if row.get("slug") is not None else None
        if slug in first_row:
            yield number, RowProblem({"slug": [f"duplicate slug {slug!r} (first at row "
                                               f"{first_row[slug]})"]})
            continue
        first_row[slug] = number
        for item in map_meeting(row, fellowship, options):
            yield number, item


def _guess_fellowship(path, rows):
    """Al-Anon and Nar-Anon feeds say so in their URLs and group names (… AFG)."""
    sample = " ".join([os.path.basename(path)] + [
        f"{r.get('url', '')} {r.get('name', '')}" for r in rows[:20] if isinstance(r, dict)])
    low = sample.lower()
    for hint, fellowship in FELLOWSHIP_HINTS[:3]:
        if hint in low:
            return fellowship
    return "AA"


def map_meeting(row, fellowship, options):
    """One feed row → warnings and one record per meeting day (or a RowProblem)."""
    slug = common.id_part(row.get("slug")) if row.get("slug") is not None else None
    if not slug:
        yield RowProblem({"slug": ["missing: the spec requires a unique slug"]})
        return
    days = row.get("day")
    days = days if isinstance(days, list) else [days]
    try:
        days = [int(d) for d in days if d not in (None, "")]
    except (TypeError, ValueError):
        yield RowProblem({"day": [f"not a weekday number: {row.get('day')!r}"]})
        return
    start = common.hhmm(row.get("time"))
    if not days or start is None:
        yield RowProblem({"day": ["no weekly day and time (for example 'by appointment'): "
                                  "not a weekly meeting"]})
        return
    types, warnings = parse_types(row.get("types"))
    yield from warnings
    base = _base(row, slug, fellowship, types, start, options)
    for day in days:
        record = dict(base, day=day)
        if len(days) > 1:
            record["id"] = f"mg:{slug}:{day}"
        yield record


def parse_types(raw):
    """Meeting Guide codes from a list or a "[open, closed]" string; unknown codes warned."""
    if isinstance(raw, str):
        raw = [t for t in re.split(r"[,\[\]]", raw)]
    codes, warnings = [], []
    for token in raw or []:
        token = str(token).strip()
        if not token:
            continue
        code = token if token in vocab.MEETING_TYPES else LABELS.get(token.lower())
        if code is None:
            why = DERIVED.get(token.upper(), "not in the Meeting Guide type list")
            warnings.append(common.Warned(f"type:{token}", f"meeting type {token!r}: {why}"))
        elif code not in codes:
            codes.append(code)
    return codes, warnings


def _base(row, slug, fellowship, types, start, options):
    url = common.text(row.get("conference_url"))
    phone = common.text(row.get("conference_phone"))
    address = _address(row)
    approximate = str(row.get("approximate", "")).lower() == "yes"
    physical = bool(address.get("street")) and not approximate and "TC" not in types
    online = bool(url or phone)
    attendance = ("hybrid" if physical else "online") if online else "in_person"
    record = {
        "id": f"mg:{slug}", "kind": "meeting", "name": common.text(row.get("name")),
        "fellowship": fellowship, "time": start, "end_time": common.hhmm(row.get("end_time")),
        "types": types, "attendance": attendance, "conference_url": url,
        "conference_phone": phone, "location_name": common.text(row.get("location")),
        "notes": common.text(row.get("notes")), "address": address,
        "active": not ("TC" in types and not online),
        "source": {"name": "meeting-guide", "id": str(row.get("slug")),
                   "url": common.text(row.get("url"))},
        "source_updated_at": common.timestamp(row.get("updated")),
    }
    return common.set_zone_and_place(
        record, row, common.text(row.get("timezone")) or options.timezone)


def _address(row):
    """Structured fields when the feed has them, else the parts of `formatted_address`."""
    street = common.text(row.get("address"))
    city, state = common.text(row.get("city")), common.state(row.get("state"))
    postal = common.postal_code(row.get("postal_code"))
    formatted = common.text(row.get("formatted_address"))
    if formatted is None and street and "," in street:
        formatted, street = street, None
    if formatted and not (street and city):
        parts = [p.strip() for p in formatted.split(",") if p.strip()]
        if parts and parts[-1].upper() in ("USA", "US", "UNITED STATES", "CANADA"):
            parts = parts[:-1]
        if parts and CA_POSTAL.match(parts[-1]):
            parts = parts[:-1]
        if parts and (m := STATE_ZIP.match(parts[-1])):
            state, postal = m.group(1), m.group(2)
            parts = parts[:-1]
        elif parts and common.state(parts[-1]):
            state, parts = parts[-1].upper(), parts[:-1]
        elif len(parts) >= 3:
            # A spelt-out province or region ("Alberta") has no place in a US address.
            parts = parts[:-1]
        if len(parts) >= 2:
            street, city = ", ".join(parts[:-1]), parts[-1]
        elif parts:
            street = street or parts[0]
    return {"street": street, "city": city, "state": state, "postal_code": postal}
