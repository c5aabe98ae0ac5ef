"""Reading a batch availability feed (a state bed registry, an EHR export) into raw rows.

Only the container is checked here (a JSON array, or CSV with the needed columns); every
row is validated on its own afterwards, so one bad row never hides the others.
"""
import csv
import io

from directory_service.errors import ApiProblem

MAX_ROWS = 5_000
CSV_REQUIRED = ("facility_id", "level_of_care", "available")


def read_feed(request):
    """The request body as a list of raw row dicts (JSON array or text/csv)."""
    if request.mimetype == "text/csv":
        rows = _csv_rows(request.get_data(as_text=True))
    elif request.mimetype == "application/json":
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
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_REQUIRED if c not in (reader.fieldnames or ())]
    if missing:
        raise ApiProblem(422, "the CSV header lacks " + ", ".join(missing),
                         {c: ["missing column"] for c in missing})
    rows = []
    for row in reader:
        # An empty cell means "not given"; a cell beyond the header is kept so the row
        # is rejected for it rather than silently trimmed.
        cleaned = {k if k is not None else "_extra": v for k, v in row.items()
                   if v not in ("", None)}
        rows.append(cleaned)
    return rows
