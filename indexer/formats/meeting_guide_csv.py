"""Meeting Guide feeds kept as spreadsheets (the TSML import template, Google Sheets).

The spec allows a sheet whose column headings are plain-language versions of the keys:
"End Time", "Conference URL", "Location Notes", "Attendance Option". Headings are folded
to keys ("Conference URL" → `conference_url`), days may be names ("Monday"), types labels
("Open, Wheelchair Access"), and every row then goes through the JSON feed's rules
(meeting_guide.py). A row without a slug gets one from its name, day, time and address, so
it is stable across runs. Row numbers are spreadsheet rows (the heading is row 1). Cells
may be separated by commas, semicolons or tabs (csv_mapped.delimiter).
"""
import csv
import io
import re

from indexer.formats import common, meeting_guide, sheets
from indexer.formats.csv_mapped import TITLE_ROWS, delimiter, mapping_path

REQUIRED = {"name", "day", "time"}
# Headings that are not the key folded: the template's "Website" is the meeting's `url`.
ALIASES = {"website": "url", "zip": "postal_code", "zip_code": "postal_code",
           "postal": "postal_code", "attendance": "attendance_option"}


def key(heading):
    folded = re.sub(r"[^a-z0-9]+", "_", (heading or "").strip().lower()).strip("_")
    return ALIASES.get(folded, folded)


def detect(path, head):
    if not sheets.is_sheet(path) or mapping_path(path) is not None:
        return False
    if sheets.is_workbook(path):
        try:
            return _heading(sheets.worksheet(path, _heading)[1]) is not None
        except sheets.UnreadableWorkbook:
            return False  # the run's failure says which formats were tried, and why
    return _heading(sheets.decode(head)[0]) is not None


def _heading(text):
    """(rows above the heading row, separator) of a Meeting Guide sheet, or None: the
    heading is the first of the first TITLE_ROWS lines naming the keys the sheet needs
    (a group's sheet may open with its name or a date above it)."""
    for index, line in enumerate(text.splitlines()[:TITLE_ROWS]):
        separator = delimiter(line, _fits)
        headings = {key(h) for h in next(csv.reader([line], delimiter=separator), [])}
        if REQUIRED <= headings and headings & {"slug", "types", "address", "location"}:
            return index, separator
    return None


def _fits(header):
    """How many of the headings a Meeting Guide sheet needs this split of a header finds."""
    return len(REQUIRED & {key(h) for h in header})


def read(path, transform=None, options=None):
    options = options or common.ImportOptions()
    text, _encoding = sheets.text_of(path, _heading)
    skipped, separator = _heading(text) or (0, delimiter(text, _fits))
    if skipped:
        # Universal newlines first, as csv_mapped does: CR-only files count rows alike.
        text = text.replace("\r\n", "\n").replace("\r", "\n").split("\n", skipped)[-1]
        yield 1, common.Warned("csv:title-rows", f"row{'s 1-' if skipped > 1 else ' '}"
                               f"{skipped} above the heading row skipped")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    headings = [key(h) for h in next(reader, [])]
    rows, numbers = [], []
    for number, cells in enumerate(reader, start=2 + skipped):
        if not any(c.strip() for c in cells):
            continue
        row = {k: v for k, v in zip(headings, cells) if k and v.strip()}
        if not row.get("slug"):
            name = common.text(row.get("name")) or "meeting"
            row["slug"] = "-".join((re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
                                    common.stable_hash(name, row.get("day"), row.get("time"),
                                                       row.get("address"), length=8)))
        rows.append(row)
        numbers.append(number)
    yield from meeting_guide.read_rows(path, rows, options, numbers)
