"""Reading a batch availability feed (a state bed registry, an EHR export) into raw rows.

Only the container is checked here (a JSON array, or CSV with the needed columns); every
row is validated on its own afterwards, so one bad row never hides the others. CSV cells
are text: whole numbers in the count columns become integers, and anything else stays
text, so "2.5" is rejected as not a whole number rather than rounded.
"""
import csv
import io
import re

from directory_service.availability.bodies import refuse_deep_json
from directory_service.errors import ApiProblem

MAX_ROWS = 5_000
CSV_REQUIRED = ("facility_id", "level_of_care", "available")
CSV_COUNTS = ("capacity", "available", "version")
WHOLE = re.compile(r"^\s*\d{1,15}\s*$")


def read_feed(request):
    """The request body as a list of raw row dicts (JSON array or text/csv)."""
    if request.mimetype == "text/csv":
        rows = _csv_rows(request.get_data(as_text=True))
    elif request.mimetype == "application/json":
        refuse_deep_json()
        rows = request.get_json(silent=True)
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


def _csv_rows(text):
    try:
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in CSV_REQUIRED if c not in (reader.fieldnames or ())]
        if missing:
            raise ApiProblem(422, "the CSV header lacks " + ", ".join(missing),
                             {c: ["missing column"] for c in missing})
        rows = [_cells(row) for row in reader]
    except csv.Error as exc:
        # A NUL byte, an oversized field: the file itself is unreadable at that line.
        raise ApiProblem(422, f"the CSV cannot be read: {exc}",
                         {"body": [f"unreadable CSV near line {reader.line_num}"]}) from None
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
