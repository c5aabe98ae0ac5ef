"""Meeting Guide JSON feeds (code4recovery/spec): a JSON array of weekly meetings.

Feeds in the wild bend the spec: `day` is an integer 0-6, a list of them or a day name,
times are "19:00" or "7:00 PM", `types` may arrive as a string such as "[open]",
coordinates as strings. Ids are `mg:<feed>:<slug>`; a meeting on several days becomes one
record per day, `mg:<feed>:<slug>:<day>`.

Attendance comes from `attendance_option` and the conference fields, activity from
`inactive` and `TC` (indexer/formats/meetings.py); `approximate` sets the precision;
language types (`S`, `FR`, `POL`, ...) set `languages`; the fellowship comes from the
option or the feed (indexer/formats/fellowship.py). Online-only meetings need no street:
they are pinned to their region.
"""
import re

from directory_service import place_words, vocab
from indexer.formats import common, fellowship, meetings, weekdays
from indexer.problems import RowProblem

# Labels of the current list, and older TSML labels sheets still carry (the import template).
def _label_key(label):
    """'Discusión' and 'discusion', 'Ouvert(e)' and 'ouvert': one key."""
    return weekdays.fold(re.sub(r"\((?:e|s|es)\)|[^\w\s-]", " ", label, flags=re.I))


# Types named by their label: the spec's English ones, and the commonest in Spanish and
# French as Spanish-speaking and Quebec groups' sheets and feeds write them.
LABELS = {_label_key(label): code for code, label in vocab.MEETING_TYPES.items()} | {
    _label_key(label): code for label, code in (
        ("temporary closure", "TC"), ("step meeting", "ST"),
        ("Abierta", "O"), ("Abierto", "O"), ("Cerrada", "C"), ("Cerrado", "C"),
        ("Discusión", "D"), ("Orador", "SP"), ("Mujeres", "W"), ("Hombres", "M"),
        ("Español", "S"), ("Principiantes", "BE"), ("Estudio de pasos", "ST"),
        ("Libro Grande", "B"), ("Acceso en silla de ruedas", "X"), ("Meditación", "MED"),
        ("Literatura", "LIT"), ("Gente joven", "Y"), ("Jóvenes", "Y"),
        ("Estudio de tradiciones", "TR"), ("Se permite fumar", "SM"), ("Inglés", "EN"),
        ("Ouvert", "O"), ("Ouverte", "O"), ("Fermé", "C"), ("Fermée", "C"),
        ("Conférencier", "SP"), ("Femmes", "W"), ("Hommes", "M"), ("Espagnol", "S"),
        ("Français", "FR"), ("Anglais", "EN"), ("Nouveau", "BE"), ("Sur les Étapes", "ST"),
        ("Gros Livre", "B"), ("Accès aux fauteuils roulants", "X"), ("Jeunes", "Y"))}
# Codes as some feeds write them, in lower case ("o", "d"): the spec's codes.
CODES = {code.upper(): code for code in vocab.MEETING_TYPES}
# Codes feeds still send that the current spec dropped or never had; attendance covers them.
DERIVED = {"ONL": "online attendance is derived from conference_url/conference_phone",
           "ONLINE MEETING": "online attendance is derived from conference_url/conference_phone",
           "HYB": "hybrid attendance is derived from conference details plus an address"}
CA_POSTAL = re.compile(r"^[A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d$")
STATE_ZIP = re.compile(r"^([A-Za-z]{2})\.?\s+(\d{5}(?:-\d{4})?)$")
# "BC V6Z 1M4": a province and its postal code (not kept: postal_code holds US ZIPs).
PROVINCE_POSTAL = re.compile(r"^([A-Za-z]\.?[A-Za-z])\.?\s+[A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d$")
HOUSE_NUMBER = re.compile(r"^\d")
# Row fields that may name a fellowship, and URL fields whose hosts may.
NAME_FIELDS = ("name", "group", "entity")
URL_FIELDS = ("url", "entity_url", "entity_website_url", "feedback_url")


# Keys a wrapper object may hold the feed's array under ({"meetings": [...]}), as some
# sites and proxies serve it.
WRAPPERS = ("meetings", "data", "results", "items")


def detect(path, head):
    if not path.lower().endswith(".json") or b'"slug"' not in head:
        return False
    text = head.lstrip()
    if text.startswith(b"["):
        return True
    # A wrapped feed: its first key one of WRAPPERS, holding rows with a day and a time.
    return (any(text.startswith(b'{"%s"' % key) or text.startswith(b'{ "%s"' % key)
                for key in (w.encode() for w in WRAPPERS))
            and b'"day"' in head and b'"time"' in head)


def _unwrapped(data):
    """The feed's array: the data itself, or the array a WRAPPERS key of it holds."""
    if isinstance(data, dict):
        for key in WRAPPERS:
            if isinstance(data.get(key), list):
                return data[key]
    return data


def read(path, transform=None, options=None):
    options = options or common.ImportOptions()
    rows, problem = common.load_json(path)
    if problem:
        yield problem
        return
    rows = _unwrapped(rows)
    if not isinstance(rows, list):
        yield 0, RowProblem({"_file": ["a Meeting Guide feed must be a JSON array"]})
        return
    yield from read_rows(path, rows, options)


def read_rows(path, rows, options, numbers=None):
    """(row number, item) for feed rows already parsed into dicts with the spec's keys.

    `numbers` are the rows' numbers in the file when they are not 1, 2, 3, ...

    Two passes: the first maps every row and gathers the feed's fellowship evidence and
    coordinates, the second gives each meeting its fellowship and online ones their region.
    """
    feed = common.id_part(options.feed or common.feed_name(path))
    evidence = fellowship.Evidence(path)
    mapped, first_row, area = [], {}, meetings.FeedArea()
    for number, row in zip(numbers or range(1, len(rows) + 1), rows):
        if not isinstance(row, dict):
            mapped.append((number, [RowProblem({"_row": ["a meeting must be a JSON object"]})]))
            continue
        slug = common.id_part(row.get("slug")) if row.get("slug") is not None else None
        if slug in first_row:
            mapped.append((number, [RowProblem({"slug": [
                f"duplicate slug {slug!r} (first at row {first_row[slug]})"]})]))
            continue
        first_row[slug] = number
        items = list(common.guarded(map_meeting(row, feed, options)))
        own = fellowship.named_in(*(row.get(f) for f in NAME_FIELDS))
        types = next((i["types"] for i in items if isinstance(i, dict)), ())
        evidence.row(own, [row.get(f) for f in URL_FIELDS], types, entity=row.get("entity"))
        meetings.gather(items, fellowship.listed(own), area)
        area.entity(row.get("entity_location"))
        mapped.append((number, items))
    yield from meetings.finish(mapped, evidence, area, options)


def map_meeting(row, feed, options):
    """One feed row → warnings and one record per meeting day (or a RowProblem).

    Records leave here without `fellowship`'s final value; `read_rows` decides it.
    """
    slug = common.id_part(row.get("slug")) if row.get("slug") is not None else None
    if not slug:
        yield RowProblem({"slug": ["missing: the spec requires a unique slug"]})
        return
    days, problem = parse_days(row.get("day"))
    if problem:
        yield RowProblem({"day": [problem]})
        return
    start = common.hhmm(row.get("time"))
    if not days or start is None:
        yield RowProblem({"day": ["no weekly day and time (for example 'by appointment'): "
                                  "not a weekly meeting"]})
        return
    types, warnings = parse_types(row.get("types"))
    yield from warnings
    base, warnings = _base(row, slug, types, start, options)
    yield from warnings
    for day in days:
        record = dict(base, day=day, id=f"mg:{feed}:{slug}")
        if len(days) > 1:
            record["id"] = f"mg:{feed}:{slug}:{day}"
        yield record


def parse_days(raw):
    """([0-6 ...], None) from an int, a numeric string, day names as lists write them
    (weekdays.py: "Monday", "Mon/Wed", "Lunes", "Weekdays") or a list of those."""
    values = raw if isinstance(raw, list) else [raw]
    days = []
    for value in values:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        named = weekdays.days_named(value) if isinstance(value, str) else None
        if named is None:
            try:
                named = [int(value)]
            except (TypeError, ValueError):
                return None, f"not a weekday number (0 = Sunday) or name: {raw!r}"
        for day in named:
            if day not in days:
                days.append(day)
    return days, None


def parse_types(raw):
    """Meeting Guide codes from a list or a "[open, closed]" string; unknown codes warned."""
    if isinstance(raw, str):
        raw = [t for t in re.split(r"[,\[\]]", raw)]
    elif raw is not None and not isinstance(raw, list):
        return [], [common.Warned("types:not-a-list", f"types {raw!r} is not a list of "
                                                     "codes: loaded without types")]
    codes, warnings = [], []
    for token in raw or []:
        token = str(token).strip()
        if not token:
            continue
        code = token if token in vocab.MEETING_TYPES else (
            CODES.get(token.upper()) or LABELS.get(_label_key(token)))
        if code is None:
            why = DERIVED.get(token.upper(), "not in the Meeting Guide type list")
            warnings.append(common.Warned(f"type:{token}", f"meeting type {token!r}: {why}"))
        elif code not in codes:
            codes.append(code)
    return codes, warnings


def _base(row, slug, types, start, options):
    url = common.text(row.get("conference_url"))
    phone = common.text(row.get("conference_phone"))
    address = _address(row)
    approximate = meetings.yes(row.get("approximate"))
    attendance, active, warnings = meetings.attendance(
        row.get("attendance_option"), bool(url or phone), bool(address.get("street")),
        approximate, "TC" in types)
    record = {
        "kind": "meeting", "name": common.text(row.get("name")),
        "time": start, "end_time": common.hhmm(row.get("end_time")),
        "types": types, "languages": meetings.languages(types), "attendance": attendance,
        "conference_url": url, "conference_phone": phone,
        "conference_notes": meetings.notes(row.get("conference_url_notes"),
                                           row.get("conference_phone_notes")),
        "location_name": common.text(row.get("location")),
        "location_notes": common.text(row.get("location_notes")),
        "notes": common.text(row.get("notes")), "address": address, "active": active,
        "source": {"name": "meeting-guide", "id": str(row.get("slug")),
                   "url": common.text(row.get("url"))},
        "source_updated_at": common.timestamp(row.get("updated")),
    }
    common.set_zone_and_place(record, row, common.text(row.get("timezone")) or options.timezone)
    place_precision = meetings.precision(attendance, approximate)
    if place_precision and record.get("location"):
        record["location_precision"] = place_precision
    return record, warnings


def _address(row):
    """Structured fields when the feed has them, else the parts of `formatted_address`.

    A formatted address that is only a place ("Philadelphia, PA, USA", as online meetings
    give) yields a city and no street: a town is never taken for a street.
    """
    street = common.text(row.get("address"))
    city = common.text(row.get("city"))
    state = meetings.region_abbr(row.get("state"))
    postal = common.postal_code(row.get("postal_code"))
    formatted = common.text(row.get("formatted_address"))
    if formatted is None and street and "," in street:
        formatted, street = street, None
    if formatted and not (street and city):
        # "…, USA", "…, EE. UU." (Google in Spanish), or only "USA": the country goes.
        formatted = place_words.COUNTRY.sub("", ", " + formatted.strip()).lstrip(" ,")
        parts = [p.strip() for p in formatted.split(",") if p.strip()]
        if parts and CA_POSTAL.match(parts[-1]):
            parts = parts[:-1]
        if parts and (zip_only := common.postal_code(parts[-1])) and parts[-1][:1].isdigit():
            postal, parts = postal or zip_only, parts[:-1]  # "…, PA, 19040, USA"
        if parts and (m := STATE_ZIP.match(parts[-1])):
            state, postal = m.group(1).upper(), postal or m.group(2)
            parts = parts[:-1]
        elif parts and (m := PROVINCE_POSTAL.match(parts[-1])) and meetings.region_abbr(
                m.group(1).replace(".", "")):
            state, parts = meetings.region_abbr(m.group(1).replace(".", "")), parts[:-1]
        elif len(parts) >= 2 and _names_region(parts):
            state, parts = meetings.region_abbr(parts[-1]), parts[:-1]
            # Google's Puerto Rico form: "Calle Luna 123, San Juan, 00901, Puerto Rico".
            if len(parts) >= 2 and parts[-1][:1].isdigit() and (
                    zip_only := common.postal_code(parts[-1])):
                postal, parts = postal or zip_only, parts[:-1]
        elif len(parts) >= 3:
            parts = parts[:-1]  # a region we do not know ("Bavaria") is no city
        if len(parts) >= 2:
            street, city = ", ".join(parts[:-1]), city or parts[-1]
        elif parts and HOUSE_NUMBER.match(parts[0]):
            street = street or parts[0]
        elif parts:
            city = city or parts[0]
    if street and city and street.strip().lower() == city.strip().lower():
        street = None
    return {"street": street, "city": city, "state": state, "postal_code": postal}


def _names_region(parts):
    """Whether the last part is a state or province: "IL" always; a spelt-out name
    ("Alberta") after a city or a street and city, not after a bare street ("1 Main St,
    Washington" is a town)."""
    last = parts[-1]
    if meetings.region_abbr(last) is None:
        return False
    return len(last) == 2 or len(parts) >= 3 or not HOUSE_NUMBER.match(parts[0])
