"""BMLT root server `GetSearchResults` JSON (Narcotics Anonymous meeting lists).

Two BMLT shapes share field names and differ in meaning; each has its own format name:
- `bmlt` (this module): the semantic API. `weekday_tinyint` counts 1-7 from Sunday (the
  server adds 1 to the stored day, Query/MeetingResource.php), `formats` is a comma-joined
  list of format *keys* ("O,BT,WC"), every value is a string.
- `bmlt-export` (bmlt_export.py): rows of the database (`comdef_meetings_main`, flattened
  with its data fields). There `weekday_tinyint` counts 0-6 from Sunday, as stored, and
  `formats` holds format *ids* ("17,3,33").
`shape_of` tells them apart from the whole file, never from one row: a 7 or a format key is
the API, a 0 or numeric formats is the database; keys only the API sends
(`root_server_uri` …) count only when days and formats say nothing, since real exports carry
them too. A file with none of these is refused by name (`--format` decides), so no meeting
ever lands a day early.

`venue_type` is 1 in person, 2 virtual, 3 hybrid; `published` 0 is not active; formats map
to Meeting Guide types where one means the same (a crosswalk extending bmlt-root-server's
TsmlMeetingResource.php), language formats to `languages`, others are warnings. Other BMLT
answers (formats, service bodies, server info) are recognised and skipped with a warning.
"""
import functools
import os
from urllib.parse import urlparse

from directory_service import vocab
from indexer.formats import common, fellowship, meetings
from indexer.problems import RowProblem

FORMAT_TO_TYPES = {
    "O": ("O",), "OPEN": ("O",), "C": ("C",), "CLOSED": ("C",), "WC": ("X",), "WCHR": ("X",),
    "B": ("BE",), "BEG": ("BE",), "BT": ("LIT",), "BK": ("LIT",), "LIT": ("LIT",),
    "IW": ("LIT",), "JT": ("LIT",), "JFT": ("LIT",), "LC": ("LIT",), "GP": ("LIT",),
    "SPAD": ("LIT",), "St": ("ST",), "STEP": ("ST",), "SG": ("ST",), "SWG": ("ST",),
    "Tr": ("TR",), "TRAD": ("TR",), "TW": ("TR",), "D": ("D",), "DISC": ("D",),
    "SD": ("SP", "D"), "So": ("SP",), "SPK": ("SP",), "M": ("M",), "W": ("W",), "YP": ("Y",),
    "Y": ("Y",), "GL": ("LGBTQ",), "ES": ("S",), "SL": ("ASL",), "CL": ("CAN",),
    "CAN": ("CAN",), "Ag": ("A",), "ME": ("MED",), "MED": ("MED",), "CW": ("CF",),
    "TC": ("TC",), "FIN": ("FI",), "PER": ("FA",), "ENG": ("EN",), "L/R": ("LT", "RUS"),
}
# Formats that only restate the venue type; attendance carries them.
VENUE_FORMATS = {"VM": "online", "HY": "hybrid", "HYBR": "hybrid"}
# "Bi-Lingual": English and another language, which other formats name.
BILINGUAL = {"BL": "en"}
VENUES = {"1": "in_person", "2": "online", "3": "hybrid"}
NOT_MEETINGS = ((b'"key_string"', "a format list"), (b'"versionInt"', "server information"),
                (b'"helpline"', "a service body list"),
                (b'"service_body_bigint"', "a helpline search (no meeting fields)"))
API_ONLY_KEYS = ("root_server_uri", "distance_in_km", "distance_in_miles",
                 "format_shared_id_list")
CONVENTIONS = {
    "api": "the BMLT semantic API (GetSearchResults): weekday_tinyint 1-7 with 1 = Sunday, "
           "formats as keys",
    "export": "a BMLT database export (comdef_meetings_main): weekday_tinyint 0-6 with "
              "0 = Sunday, formats as ids",
}


def detect(path, head):
    if not path.lower().endswith(".json"):
        return False
    if b'"id_bigint"' in head and b'"weekday_tinyint"' in head or head.lstrip().startswith(
            b'{"meetings"'):
        return shape_of(path)[0] == "api"
    return any(marker in head for marker, _ in NOT_MEETINGS) and b'"slug"' not in head


def why_not(path, head):
    """Why a BMLT-looking file was not taken as either shape, for the refusal message."""
    if not (b'"id_bigint"' in head and b'"weekday_tinyint"' in head):
        return None
    shape, detail = shape_of(path)
    return None if shape in ("api", "export") else detail


@functools.lru_cache(maxsize=64)
def _shape_cached(path, _mtime, _size):
    from indexer.formats import bmlt_export

    meetings_rows = bmlt_export.meeting_rows(path)
    if meetings_rows is None:
        return None, "not a list of BMLT meetings"
    return classify(meetings_rows)


def shape_of(path):
    """("api" | "export" | "ambiguous" | "conflicting" | None, why) for a whole file."""
    st = os.stat(path)
    return _shape_cached(path, st.st_mtime_ns, st.st_size)


def classify(rows, by_keys=True):
    """Which BMLT shape these meeting rows are, from every row: see the module docstring.

    `by_keys=False` leaves out the API-only keys: a file the operator named a shape is
    refused only on its days and formats, never for a key it carries."""
    api, export = [], []
    days = {str(r.get("weekday_tinyint")).strip() for r in rows if isinstance(r, dict)}
    tokens = {t.strip() for r in rows if isinstance(r, dict)
              for t in str(r.get("formats") or "").split(",") if t.strip()}
    if "7" in days:
        api.append("a weekday_tinyint of 7")
    if any(not t.isdigit() for t in tokens):
        api.append("formats given as keys")
    if "0" in days:
        export.append("a weekday_tinyint of 0")
    if tokens and all(t.isdigit() for t in tokens):
        export.append("formats given as numeric ids")
    # Extra keys are the weakest sign: exports in the wild carry `root_server_uri` too
    # (added by whoever exported), so they decide only when days and formats do not.
    keys = {k for r in rows[:50] if isinstance(r, dict) for k in r}
    if by_keys and not (api or export) and (present := [k for k in API_ONLY_KEYS if k in keys]):
        api.append(f"fields only the API sends ({', '.join(present)})")
    if api and export:
        return "conflicting", (f"BMLT meetings with both {' and '.join(api)} (the API: "
                               f"1 = Sunday) and {' and '.join(export)} (a database export: "
                               "0 = Sunday): cannot tell which day any meeting is")
    if api:
        return "api", ", ".join(api)
    if export:
        return "export", ", ".join(export)
    if not rows:
        return "api", "an empty answer"
    return "ambiguous", ("BMLT meetings whose weekday convention cannot be told (no weekday "
                         "0 or 7, no formats, no API-only fields): use --format bmlt for "
                         f"{CONVENTIONS['api']}, or --format bmlt-export for "
                         f"{CONVENTIONS['export']}")


def read(path, transform=None, options=None):
    options = options or common.ImportOptions()
    with open(path, "rb") as fh:
        head = fh.read(4096)
    data, problem = common.load_json(path)
    if problem:
        yield problem
        return
    rows = data.get("meetings") if isinstance(data, dict) else data
    if not (isinstance(rows, list) and all(isinstance(m, dict) for m in rows)) or (
            rows and "id_bigint" not in rows[0]):
        what = next((name for marker, name in NOT_MEETINGS if marker in head), "not meetings")
        yield 0, common.Warned("bmlt:not-meetings", f"{what}: nothing to load")
        return
    shape, why = classify(rows, by_keys=False)
    if shape in ("export", "conflicting"):
        hint = "load it with --format bmlt-export" if shape == "export" else why
        yield 0, RowProblem({"_file": [f"not the BMLT API shape ({why}): {hint}"]})
        return
    root = _root(data, rows)
    yield from map_rows(path, rows, f"bmlt:{root}", 1, options,
                        lambda row: _keys(row.get("formats")))


def _keys(value):
    return [c.strip() for c in str(value or "").split(",") if c.strip()]


def _root(data, rows):
    """A short, stable name for the root server: its id, else its host name."""
    for row in rows[:1]:
        if common.text(row.get("root_server_id")):
            return common.id_part(row["root_server_id"])
    uris = [m.get("root_server_uri") for m in rows[:1]]
    if isinstance(data, dict) and isinstance(data.get("formats"), list):
        uris += [f.get("root_server_uri") for f in data["formats"] if isinstance(f, dict)]
    for uri in uris:
        if isinstance(uri, str) and common.text(uri):
            return common.id_part(urlparse(uri).netloc or uri)
    return "bmlt"


def map_rows(path, rows, id_prefix, first_day, options, format_keys):
    """(row number, item) for BMLT meeting rows of either shape.

    `first_day` is the number the shape gives Sunday (1 for the API, 0 for the database);
    `format_keys(row)` returns the row's format keys. Fellowship and region pins need the
    whole feed, so rows are mapped first and finished after.
    """
    evidence = fellowship.Evidence(path)
    mapped, area = [], meetings.FeedArea()
    for number, row in enumerate(rows, start=1):
        keys = format_keys(row)
        items = list(common.guarded(map_meeting(row, id_prefix, first_day, keys, options)))
        own = fellowship.named_in(row.get("meeting_name"))
        evidence.row(own, formats=keys, feed_urls=[row.get("root_server_uri")])
        meetings.gather(items, fellowship.listed(own), area)
        mapped.append((number, items))
    yield from meetings.finish(mapped, evidence, area, options)


def map_meeting(row, id_prefix, first_day, format_keys, options):
    try:
        weekday = int(str(row.get("weekday_tinyint")).strip())
    except (TypeError, ValueError):
        weekday = None
    if weekday is None or not first_day <= weekday <= first_day + 6:
        sunday = "1 = Sunday" if first_day == 1 else "0 = Sunday"
        yield RowProblem({"weekday_tinyint": [
            f"must be {first_day}-{first_day + 6} ({sunday}), got {row.get('weekday_tinyint')!r}"]})
        return
    start = common.hhmm(row.get("start_time"))
    types, venue_hint, language_codes = [], None, []
    for code in format_keys:
        if code in VENUE_FORMATS:
            venue_hint = venue_hint or VENUE_FORMATS[code]
        elif code in BILINGUAL:
            language_codes.append(BILINGUAL[code])
        elif code in FORMAT_TO_TYPES:
            types += [t for t in FORMAT_TO_TYPES[code] if t not in types]
        elif code.startswith("id "):
            yield common.Warned(f"bmlt-format-id:{code[3:]}", f"format id {code[3:]} is not "
                                "in the server's format table")
        else:
            yield common.Warned(f"bmlt-format:{code}", f"BMLT format {code!r} has no "
                                "Meeting Guide type")
    link = common.text(row.get("virtual_meeting_link"))
    phone = common.text(row.get("phone_meeting_number"))
    street = common.text(row.get("location_street"))
    venue = VENUES.get(str(row.get("venue_type") or "").strip()) or venue_hint
    attendance, active, warnings = meetings.attendance(
        venue, bool(link or phone), bool(street), False, "TC" in types)
    yield from warnings
    published = str(row.get("published", "1")).strip() not in ("0", "false", "False")
    record = {
        "id": f"{id_prefix}:{common.id_part(row.get('id_bigint'))}", "kind": "meeting",
        "name": common.text(row.get("meeting_name")),
        "day": weekday - first_day, "time": start,
        "end_time": _end(start, row.get("duration_time")),
        "types": types, "attendance": attendance,
        "languages": _languages(types, language_codes, row.get("lang_enum")),
        "conference_url": link, "conference_phone": phone,
        "conference_notes": common.text(row.get("virtual_meeting_additional_info")),
        "location_name": common.text(row.get("location_text")),
        "location_notes": common.text(row.get("location_info")),
        "notes": common.text(row.get("comments")), "active": active and published,
        "address": {"street": street,
                    "city": common.text(row.get("location_municipality")),
                    "state": meetings.region_abbr(row.get("location_province")),
                    "postal_code": common.postal_code(row.get("location_postal_code_1"))},
        "source": {"name": "bmlt", "id": common.text(row.get("id_bigint")),
                   "url": common.text(row.get("root_server_uri"))},
    }
    common.set_zone_and_place(record, row, common.text(row.get("time_zone")) or options.timezone)
    if attendance == "online" and record.get("location"):
        record["location_precision"] = "region"
    yield record


def _languages(types, extra, lang_enum):
    """Language formats (ES, FIN, ...) first; else the meeting's own `lang_enum`."""
    if extra or any(t in vocab.MEETING_TYPE_LANGUAGES for t in types):
        return meetings.languages(types, extra)
    lang = (common.text(lang_enum) or "en").lower()
    return [lang] if len(lang) == 2 and lang.isalpha() else ["en"]


def _end(start, duration):
    length = common.hhmm(duration)
    if start is None or length is None:
        return None
    minutes = (int(start[:2]) * 60 + int(start[3:]) + int(length[:2]) * 60 + int(length[3:]))
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
