"""Source formats the indexer reads, each a module with `detect(path, head)` and `read(path)`.

`read(path, transform=None, options=None)` yields (row_number, item): a raw record in our
canonical shape, ready for validation; a `RowProblem` for a row that cannot be read or
mapped; or a `common.Warned` for something noticed and not loaded (an unknown code, a
skipped row). Detection tries the specific formats first and our own format last, because
"an array of objects" describes several of them. A file no format accepts is refused with
the list of formats known (`unrecognised`), never guessed.
"""
from indexer.formats import (
    bmlt, bmlt_export, canonical, common, csv_mapped, hsds, meeting_guide, meeting_guide_csv,
    samhsa,
)

FORMATS = {
    "samhsa": samhsa,
    "bmlt": bmlt,
    "bmlt-export": bmlt_export,
    # Before hsds: a Meeting Guide feed wrapped in an object ({"meetings": [...]}) is an
    # object HSDS would otherwise sniff and find no service in.
    "meeting-guide": meeting_guide,
    "hsds": hsds,
    "csv": csv_mapped,
    "meeting-guide-csv": meeting_guide_csv,
    "canonical": canonical,
}
DESCRIPTIONS = {
    "samhsa": "FindTreatment.gov locator rows (JSON)",
    "bmlt": "BMLT GetSearchResults answers (JSON; weekday 1 = Sunday)",
    "bmlt-export": "BMLT database exports (JSON or CSV; weekday 0 = Sunday, format ids)",
    "hsds": "Open Referral HSDS (JSON, or a datapackage.json folder)",
    "meeting-guide": "Meeting Guide feeds (a JSON array of meetings with slugs, or an object "
                     "holding it under meetings, data, results or items)",
    "csv": "CSV with a column mapping (<name>.mapping.yaml beside it, or --mapping)",
    "meeting-guide-csv": "Meeting Guide sheets (CSV headed Name, Day, Time, … as the TSML "
                         "import template)",
    "canonical": "our own records (JSON array or NDJSON with `kind`)",
}


def name_of(module):
    """The format's name ("hsds") as --format takes it."""
    return next((name for name, found in FORMATS.items() if found is module), "known")


def detect(path):
    """The format module for a file: the first whose `detect` accepts its opening bytes."""
    head = _head(path)
    for module in FORMATS.values():
        if module.detect(path, head):
            return module
    return None


def unrecognised(path):
    """Why `path` was refused, with every format known, for the run's failure message."""
    head = _head(path)
    hints = [hint for module in FORMATS.values()
             if (hint := getattr(module, "why_not", lambda p, h: None)(path, head))]
    known = "; ".join(f"{name}: {what}" for name, what in DESCRIPTIONS.items())
    why = f" ({'; '.join(hints)})" if hints else ""
    return (f"{path}: format not recognised{why}. Known formats are {known}. "
            "Name one with --format")


def _head(path):
    with open(path, "rb") as fh:
        return common.json_head(fh.read(4096))
