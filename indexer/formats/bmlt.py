"""BMLT root server `GetSearchResults` JSON (Narcotics Anonymous meeting lists).

Every value arrives as a string. `weekday_tinyint` counts 1-7 from Sunday, so it is
shifted to Meeting Guide's 0-6; `venue_type` is 1 in person, 2 virtual, 3 hybrid; `formats`
is a comma-joined list of BMLT format keys, mapped to Meeting Guide types where one means
the same thing (the crosswalk below extends the one in bmlt-root-server's
TsmlMeetingResource.php). A format with no Meeting Guide equivalent is a warning. Other
BMLT answers (formats, service bodies, server info) are recognised and skipped with a
warning, so a folder of recorded responses can be loaded as it is.
"""
from urllib.parse import urlparse

from indexer.formats import common
from indexer.problems import RowProblem

FORMAT_TO_TYPES = {
    "O": ("O",), "OPEN": ("O",), "C": ("C",), "CLOSED": ("C",), "WC": ("X",), "WCHR": ("X",),
    "B": ("BE",), "BEG": ("BE",), "BT": ("LIT",), "BK": ("LIT",), "LIT": ("LIT",),
    "IW": ("LIT",), "JT": ("LIT",), "JFT": ("LIT",), "LC": ("LIT",), "GP": ("LIT",),
    "St": ("ST",), "STEP": ("ST",), "SG": ("ST",), "SWG": ("ST",), "Tr": ("TR",),
    "TRAD": ("TR",), "TW": ("TR",), "D": ("D",), "DISC": ("D",), "SD": ("SP", "D"),
    "So": ("SP",), "SPK": ("SP",), "M": ("M",), "W": ("W",), "YP": ("Y",), "Y": ("Y",),
    "GL": ("LGBTQ",), "ES": ("S",), "SL": ("ASL",), "CL": ("CAN",), "CAN": ("CAN",),
    "Ag": ("A",), "ME": ("MED",), "MED": ("MED",), "CW": ("CF",), "TC": ("TC",),
}
# Formats that only restate the venue type; attendance carries them.
VENUE_FORMATS = {"VM": "online", "HY": "hybrid", "HYBR": "hybrid"}
VENUES = {"1": "in_person", "2": "online", "3": "hybrid"}
NOT_MEETINGS = ((b'"key_string"', "a format list"), (b'"versionInt"', "server information"),
                (b'"helpline"', "a service body list"),
                (b'"service_body_bigint"', "a helpline search (no meeting fields)"))


def detect(path, head):
    if not path.endswith(".json"):
        return False
    start = head.lstrip()
    if start.startswith(b'{"meetings"') or b'"id_bigint"' in head and b'"weekday_tinyint"' in head:
        return True
    return any(marker in head for marker, _ in NOT_MEETINGS) and b'"slug"' not in head


def read(path, transform=None, options=None):
    options = options or common.ImportOptions()
    with open(path, "rb") as fh:
        head = fh.read(4096)
    data, problem = common.load_json(path)
    if problem:
        yield problem
        return
    meetings = data.get("meetings") if isinstance(data, dict) else data
    if not (isinstance(meetings, list) and all(isinstance(m, dict) for m in meetings)) or (
            meetings and "id_bigint" not in meetings[0]):
        what = next((name for marker, name in NOT_MEETINGS if marker in head), "not meetings")
        yield 0, common.Warned("bmlt:not-meetings", f"{what}: nothing to load")
        return
    root = _root(data, meetings)
    for number, row in enumerate(meetings, start=1):
        yield from ((number, item) for item in map_meeting(row, root, options))


def _root(data, meetings):
    """A short, stable name for the root server: its id, else its host name."""
    for row in meetings[:1]:
        if common.text(row.get("root_server_id")):
            return common.id_part(row["root_server_id"])
    uris = [m.get("root_server_uri") for m in meetings[:1]]
    if isinstance(data, dict):
        uris += [f.get("root_server_uri") for f in data.get("formats") or [] if isinstance(f, dict)]
    for uri in uris:
        if common.text(uri):
            return common.id_part(urlparse(uri).netloc or uri)
    return "bmlt"


def map_meeting(row, root, options):
    try:
        weekday = int(row.get("weekday_tinyint"))
    except (TypeError, ValueError):
        weekday = 0
    if not 1 <= weekday <= 7:
        yield RowProblem({"weekday_tinyint": [f"must be 1-7 (1 = Sunday), got "
                                              f"{row.get('weekday_tinyint')!r}"]})
        return
    start = common.hhmm(row.get("start_time"))
    types, venue_hint = [], None
    for code in (c.strip() for c in (row.get("formats") or "").split(",")):
        if not code:
            continue
        if code in VENUE_FORMATS:
            venue_hint = VENUE_FORMATS[code]
        elif code in FORMAT_TO_TYPES:
            types += [t for t in FORMAT_TO_TYPES[code] if t not in types]
        else:
            yield common.Warned(f"bmlt-format:{code}", f"BMLT format {code!r} has no "
                                "Meeting Guide type")
    link = common.text(row.get("virtual_meeting_link"))
    phone = common.text(row.get("phone_meeting_number"))
    attendance = VENUES.get(str(row.get("venue_type") or "").strip()) or venue_hint or (
        "hybrid" if (link or phone) and common.text(row.get("location_street"))
        else "online" if link or phone else "in_person")
    notes = " ".join(p for p in (common.text(row.get("location_info")),
                                 common.text(row.get("comments")),
                                 common.text(row.get("virtual_meeting_additional_info"))) if p)
    record = {
        "id": f"bmlt:{root}:{common.id_part(row.get('id_bigint'))}", "kind": "meeting",
        "name": common.text(row.get("meeting_name")), "fellowship": options.fellowship or "NA",
        "day": weekday - 1, "time": start, "end_time": _end(start, row.get("duration_time")),
        "types": types, "attendance": attendance, "conference_url": link,
        "conference_phone": phone, "location_name": common.text(row.get("location_text")),
        "notes": notes or None, "active": "TC" not in types or attendance != "in_person",
        "address": {"street": common.text(row.get("location_street")),
                    "city": common.text(row.get("location_municipality")),
                    "state": common.state(row.get("location_province")),
                    "postal_code": common.postal_code(row.get("location_postal_code_1"))},
        "source": {"name": "bmlt", "id": common.text(row.get("id_bigint")),
                   "url": common.text(row.get("root_server_uri"))},
    }
    # Virtual-only meetings keep the point BMLT gives them, so they are found near their area.
    yield common.set_zone_and_place(
        record, row, common.text(row.get("time_zone")) or options.timezone)


def _end(start, duration):
    length = common.hhmm(duration)
    if start is None or length is None:
        return None
    minutes = (int(start[:2]) * 60 + int(start[3:]) + int(length[:2]) * 60 + int(length[3:]))
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
