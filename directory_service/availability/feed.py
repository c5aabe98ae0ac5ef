"""Reading a batch availability feed (a state bed registry, an EHR export) into raw rows.

Only the container is checked here (a JSON array, or CSV with the needed columns); every
row is validated on its own afterwards, so one bad row never hides the others. CSV cells
are text: whole numbers in the count columns become integers, and anything else stays
text, so "2.5" is rejected as not a whole number rather than rounded.
Spreadsheets save CSV many ways, and a facility's staff should not have to know which:
the UTF-8 byte-order mark Excel writes, Windows-1252 text, `;` or tab between cells (Excel
in many locales), and headers in any case or spacing ("Facility ID") are all read.
"""
import csv
import io
import re

from directory_service import json_bodies
from directory_service.availability.bodies import refuse_deep_json
from directory_service.errors import ApiProblem

MAX_ROWS = 5_000
CSV_REQUIRED = ("facility_id", "level_of_care", "available")
CSV_COUNTS = ("capacity", "available", "version")
WHOLE = re.compile(r"^\s*\d{1,15}\s*$")
DELIMITERS = (",", ";", "\t")


def read_feed(request):
    """The request body as a list of raw row dicts (JSON array or text/csv)."""
    if request.mimetype == "text/csv":
        rows = _csv_rows(_text(request.get_data()))
    elif request.mimetype == "application/json":
        refuse_deep_json()
        rows = _json_rows(request.get_data())
        if not isinstance(rows, list):
            raise ApiProblem(422, "the body must be a JSON array of rows",
                             {"body": ["expected a JSON array"]})
    else:
        raise ApiProblem(415, "send application/json (an array) or text/csv")
    if not rows:
        raise ApiProblem(422, "the feed has no rows", {"body": ["no rows"]})
    if len(rows) > MAX_ROWS:
        raise ApiProblem(413, f"at most {MAX_ROWS} rows per request; split the feed")
    return rows


def _json_rows(raw):
    """The JSON body's value (json_bodies.loads: a byte-order mark skipped, a key named
    twice refused); a 400 naming what is wrong when it is not JSON."""
    try:
        return json_bodies.loads(raw)
    except ValueError as exc:  # UnicodeDecodeError, json.JSONDecodeError, DuplicateKey
        reason = json_bodies.why_unreadable(exc)
    raise ApiProblem(400, f"the body is {reason}", {"body": [reason]})


def _text(raw):
    """The body as text: UTF-8 (with or without Excel's byte-order mark), UTF-16 with its
    mark (Excel's "Unicode Text", tab-separated), else the Windows-1252 that Excel writes
    for "CSV (Comma delimited)"."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def header_name(name):
    """'Facility ID', ' LEVEL-OF-CARE ' → 'facility_id', 'level_of_care'."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower()) if name is not None else None


def _delimiter(text):
    """The separator that splits the header into the needed columns (`,` when none does,
    so the error names the columns the comma-separated header lacks)."""
    first = text.split("\n", 1)[0]
    for delimiter in DELIMITERS:
        names = {header_name(n) for n in next(csv.reader([first], delimiter=delimiter), [])}
        if all(c in names for c in CSV_REQUIRED):
            return delimiter
    return ","


def _csv_rows(text):
    # Universal newlines: CR-only files (Excel's "CSV (Macintosh)") become ordinary rows,
    # as the indexer reads them (indexer/formats/csv_mapped.py).
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = None
    try:
        reader = csv.DictReader(io.StringIO(text), delimiter=_delimiter(text))
        reader.fieldnames = [header_name(n) for n in (reader.fieldnames or ())]
        missing = [c for c in CSV_REQUIRED if c not in reader.fieldnames]
        if missing:
            raise ApiProblem(422, "the CSV header lacks " + ", ".join(missing),
                             {c: ["missing column"] for c in missing})
        rows = [_cells(row) for row in reader]
    except csv.Error as exc:
        # A NUL byte, an oversized field: the file itself is unreadable at that line.
        raise ApiProblem(422, f"the CSV cannot be read: {exc}",
                         {"body": [f"unreadable CSV near line "
                                   f"{reader.line_num if reader else 1}"]}) from None
    return rows


def _cells(row):
    """An empty cell means "not given"; a cell beyond the header is kept so the row is
    rejected for it rather than silently trimmed; whole numbers become integers."""
    cleaned = {}
    for key, value in row.items():
        if value in ("", None):
            continue
        if key is None:
            cleaned["_extra"] = value
        elif key in CSV_COUNTS and isinstance(value, str) and WHOLE.match(value):
            cleaned[key] = int(value)
        else:
            cleaned[key] = value
    return cleaned
