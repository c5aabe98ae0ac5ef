"""A BMLT database export: the meetings table of a root server, as JSON or CSV.

What the database stores is not what the API sends (bmlt.py explains how the two are told
apart): `weekday_tinyint` is 0-6 with 0 = Sunday, and `formats` is a list of format *ids*
(`comdef_formats.shared_id_bigint`), which are read into keys with, in order of trust:
1. the formats table in the same export (phpMyAdmin JSON with `…comdef_formats`);
2. the server's own format list (a `GetFormats` JSON answer) in the same folder;
3. the ids a fresh root server ships with (its initial migration), with a warning, since
   a server's administrators may have changed them.
`published` 0 loads as not active. The shapes read:
- a JSON array of meeting rows, the data fields flattened into columns (`meeting_name`,
  `location_street`, ...), or a CSV of the same with a header row;
- a phpMyAdmin JSON export holding `…comdef_meetings_main` and, if present,
  `…comdef_meetings_data` / `…comdef_meetings_longdata` (pivoted onto their meetings).
Ids are `bmlt:<feed>:<id_bigint>`; name the feed after the root server with `--feed` to
share ids with that server's API answers. Contact e-mails are never loaded. Keys that are
not BMLT meeting fields (`root_server_uri`, a server's own fields) are ignored with a
`bmlt-export:unknown-keys` warning.
"""
import csv
import io
import json
import os

from indexer.formats import bmlt, common
from indexer.problems import RowProblem

# comdef_formats rows a fresh root server is created with: shared_id_bigint → key_string.
STOCK_FORMAT_IDS = {
    1: "B", 2: "BL", 3: "BT", 4: "C", 5: "CH", 6: "CL", 7: "CS", 8: "D", 9: "ES", 10: "GL",
    11: "IL", 12: "IP", 13: "IW", 14: "JT", 15: "M", 16: "NC", 17: "O", 18: "Pi", 19: "RF",
    20: "Rr", 21: "SC", 22: "SD", 23: "SG", 24: "SL", 26: "So", 27: "St", 28: "Ti", 29: "To",
    30: "Tr", 31: "TW", 32: "W", 33: "WC", 34: "YP", 35: "OE", 36: "BK", 37: "NS", 38: "Ag",
    39: "FD", 40: "AB", 41: "ME", 42: "RA", 43: "QA", 44: "CW", 45: "CP", 46: "FIN",
    47: "ENG", 48: "PER", 49: "L/R", 51: "LC", 52: "GP", 54: "VM", 55: "TC", 56: "HY",
    57: "SPAD",
}
TABLE_MAIN, TABLE_DATA, TABLE_LONG, TABLE_FORMATS = (
    "comdef_meetings_main", "comdef_meetings_data", "comdef_meetings_longdata", "comdef_formats")
PRIVATE = ("email_contact",)
# Columns of comdef_meetings_main and the data fields a root server ships with. Any other key
# (`root_server_uri` added by an exporter, a server's own fields) is ignored with one warning
# per file naming them: never a reason to refuse the export.
KNOWN_KEYS = frozenset((
    "id_bigint", "worldid_mixed", "shared_group_id_bigint", "service_body_bigint",
    "weekday_tinyint", "venue_type", "start_time", "duration_time", "time_zone", "formats",
    "lang_enum", "longitude", "latitude", "published", "email_contact", "root_server_id",
    "meeting_name", "location_text", "location_info", "location_street",
    "location_city_subsection", "location_neighborhood", "location_municipality",
    "location_sub_province", "location_province", "location_postal_code_1", "location_nation",
    "comments", "train_lines", "bus_lines", "contact_phone_1", "contact_phone_2",
    "contact_email_1", "contact_email_2", "contact_name_1", "contact_name_2", "zone",
    "phone_meeting_number", "virtual_meeting_link", "virtual_meeting_additional_info"))


def detect(path, head):
    if path.lower().endswith(".json") and b'"type"' in head and TABLE_MAIN.encode() in head:
        return True  # phpMyAdmin: the table name says it is the database
    if not path.lower().endswith((".json", ".csv")):
        return False
    if b"id_bigint" not in head or b"weekday_tinyint" not in head:
        return False
    return bmlt.shape_of(path)[0] == "export"


def meeting_rows(path):
    """The meeting rows of a BMLT file of any shape, as dicts; None if it holds none."""
    return _load(path)[0]


def _load(path):
    """(rows, tables) where tables is {suffix: rows} for a phpMyAdmin export, else {}."""
    if path.lower().endswith(".csv"):
        with open(path, "rb") as fh:
            from indexer.formats.sheets import decode

            text, _encoding = decode(fh.read())
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if not {"id_bigint", "weekday_tinyint"} <= set(reader.fieldnames or ()):
            return None, {}
        return list(reader), {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.loads(common.json_text(fh.read()))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return None, {}
    if isinstance(data, dict) and isinstance(data.get("meetings"), list):
        data = data["meetings"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        return None, {}
    tables = {_suffix(t.get("name")): t.get("data") or [] for t in data
              if t.get("type") == "table" and _suffix(t.get("name"))}
    if TABLE_MAIN in tables:
        return _pivot(tables), tables
    if data and "id_bigint" not in data[0]:
        return None, {}
    return data, {}


def _suffix(name):
    """'na_comdef_meetings_main' → 'comdef_meetings_main' (servers prefix their tables)."""
    for table in (TABLE_MAIN, TABLE_DATA, TABLE_LONG, TABLE_FORMATS):
        if str(name or "").endswith(table):
            return table
    return None


def _pivot(tables):
    """Main rows with their data and longdata fields as columns, as the API flattens them."""
    fields = {}
    for table, value in ((TABLE_DATA, "data_string"), (TABLE_LONG, "data_blob")):
        for row in tables.get(table, ()):
            meeting = str(row.get("meetingid_bigint"))
            if meeting != "0":  # meeting 0 holds the field templates, not a meeting
                fields.setdefault(meeting, {})[row.get("key")] = row.get(value)
    return [{**fields.get(str(r.get("id_bigint")), {}), **r} for r in tables[TABLE_MAIN]]


def read(path, transform=None, options=None):
    options = options or common.ImportOptions()
    rows, tables = _load(path)
    if rows is None:
        yield 0, RowProblem({"_file": ["not a BMLT database export: no rows with id_bigint "
                                       "and weekday_tinyint"]})
        return
    if not tables:
        shape, why = bmlt.classify(rows, by_keys=False)
        if shape in ("api", "conflicting"):
            hint = "load it with --format bmlt" if shape == "api" else why
            yield 0, RowProblem({"_file": [f"not a BMLT database export ({why}): {hint}"]})
            return
    formats, warned = format_table(path, tables)
    if warned:
        yield 0, warned
    if extra := unknown_keys(rows):
        yield 0, common.Warned("bmlt-export:unknown-keys", (
            f"keys not in a BMLT meetings table, ignored: {', '.join(extra[:10])}"
            + (f" and {len(extra) - 10} more" if len(extra) > 10 else "")))
    feed = common.id_part(options.feed or common.feed_name(path))
    rows = [{k: v for k, v in r.items() if k not in PRIVATE} for r in rows]
    yield from bmlt.map_rows(path, rows, f"bmlt:{feed}", 0, options,
                             lambda row: _format_keys(row, formats))


def unknown_keys(rows):
    """Keys of these rows that are neither a meetings column nor a stock data field."""
    return sorted({k for r in rows for k in r if k not in KNOWN_KEYS and k is not None})


def _format_keys(row, formats):
    keys = []
    for token in str(row.get("formats") or "").split(","):
        token = token.strip()
        if not token:
            continue
        key = formats.get(int(token)) if token.isdigit() else token
        keys.append(key if key is not None else f"id {token}")
    return keys


def format_table(path, tables):
    """({format id: key}, Warned or None): the export's own table, the folder's list, or stock."""
    own = {}
    for row in tables.get(TABLE_FORMATS, ()):
        if row.get("lang_enum") in (None, "en") or int(row["shared_id_bigint"]) not in own:
            own[int(row["shared_id_bigint"])] = row.get("key_string")
    if own:
        return own, None
    beside = _formats_beside(path)
    if beside:
        return beside, None
    return dict(STOCK_FORMAT_IDS), common.Warned("bmlt-export:stock-format-ids", (
        "format ids read with the ids a new BMLT root server ships with; put the server's "
        "GetFormats answer (a JSON list with id and key_string) beside the export to be exact"))


def _formats_beside(path):
    folder = os.path.dirname(os.path.abspath(path))
    for name in sorted(os.listdir(folder)):
        candidate = os.path.join(folder, name)
        if not name.lower().endswith(".json") or candidate == os.path.abspath(path):
            continue
        with open(candidate, "rb") as fh:
            if b'"key_string"' not in fh.read(4096):
                continue
        data, problem = common.load_json(candidate)
        if problem or not isinstance(data, list):
            continue
        table = {int(f["id"]): f["key_string"] for f in data
                 if isinstance(f, dict) and str(f.get("id", "")).isdigit() and f.get("key_string")}
        if table:
            return table
    return None
