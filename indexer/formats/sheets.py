"""Spreadsheets as people keep them: a CSV's text, or an Excel workbook read as the CSV it
would export.

Program coordinators keep naloxone and take-back lists, and groups their meeting lists, in
Excel; asking them to "Save as CSV" first loses nothing but time, so a `.xlsx` (or `.xlsm`)
file is read directly: the first worksheet holding data whose heading row the format finds
(an "Instructions" tab often comes first), else the first holding data, every cell as
Excel's CSV export writes it (whole numbers without `.0`, so a ZIP or phone typed as a
number stays digits; times as `HH:MM`; dates as ISO; TRUE/FALSE), and then through the
same CSV formats, with the same row numbers. A workbook declaring XML entities is refused
(openpyxl parses through defusedxml). Formulas count by the value Excel saved with
them. An old binary `.xls` is not read: the message says to save it as `.xlsx` or CSV.
"""
import csv
import functools
import io
import os
import zipfile
from datetime import date, datetime, time

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# Excel saves "Unicode Text" (UTF-16, tab-separated) as .txt; other tools write .tsv.
SHEET_SUFFIXES = (".csv", ".tsv", ".txt") + WORKBOOK_SUFFIXES


class UnreadableWorkbook(ValueError):
    """A file named .xlsx that is not a workbook Excel could open (cut short, renamed)."""


def is_workbook(path):
    return path.lower().endswith(WORKBOOK_SUFFIXES)


def is_sheet(path):
    """A CSV or a workbook: a file the CSV formats (mapped lists, Meeting Guide sheets) read."""
    return path.lower().endswith(SHEET_SUFFIXES)


def decode(raw):
    """Text and the encoding used: UTF-16 with its byte-order mark (Excel's "Unicode
    Text", tab-separated), UTF-8 when it decodes, else latin-1 (never fails)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def text_of(path, wanted=None):
    """(CSV text, encoding): a CSV decoded (`decode`); for a workbook ("xlsx"), the first
    worksheet with data for which `wanted(text)` is true (the one whose heading a format
    finds: an "Instructions" tab often comes first), else the first with data."""
    if is_workbook(path):
        return worksheet(path, wanted)[1], "xlsx"
    with open(path, "rb") as fh:
        return decode(fh.read())


def worksheet(path, wanted=None):
    """(title, CSV text) of the worksheet `text_of` reads; ("", "") for a workbook with no
    data at all."""
    found = os.stat(path)
    sheets = _worksheets(os.path.abspath(path), found.st_mtime_ns, found.st_size)
    for title, text in sheets:
        if wanted is None or wanted(text):
            return title, text
    return sheets[0] if sheets else ("", "")


def sheet_titles(path):
    """The titles of the worksheets that hold data, in order."""
    found = os.stat(path)
    return [title for title, _text in
            _worksheets(os.path.abspath(path), found.st_mtime_ns, found.st_size)]


@functools.lru_cache(maxsize=4)
def _worksheets(path, _mtime, _size):
    # Detection and reading both need the text: the file is opened once per version.
    import openpyxl

    # Our own handle, closed whatever happens: openpyxl leaves its own open on a failure.
    with open(path, "rb") as handle:
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
            raise UnreadableWorkbook(
                f"not a workbook Excel can open ({type(exc).__name__}: {exc}); open it in "
                "Excel and save it again as .xlsx, or as CSV") from None
        try:
            found = []
            for sheet in book.worksheets:
                rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
                while rows and not any(rows[-1]):
                    rows.pop()
                if rows:
                    found.append((sheet.title, _as_csv(rows)))
            return tuple(found)
        finally:
            book.close()


def _as_csv(rows):
    # A sheet's used range often runs past its last column of data: cut the empty tail.
    width = max(max((i + 1 for i, v in enumerate(row) if v), default=0) for row in rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow(row[:width])
    return out.getvalue()


def cell_text(value):
    """One cell as Excel's CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
