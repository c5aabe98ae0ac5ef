"""Source formats the indexer reads, each a module with `detect(path, head)` and `read(path)`.

`read(path, transform=None, options=None)` yields (row_number, item): a raw record in our
canonical shape, ready for validation; a `RowProblem` for a row that cannot be read or
mapped; or a `common.Warned` for something noticed and not loaded (an unknown code, a
skipped row). Detection tries the specific formats first and our own format last, because
"an array of objects" describes several of them.
"""
from indexer.formats import bmlt, canonical, csv_mapped, hsds, meeting_guide, samhsa

FORMATS = {
    "samhsa": samhsa,
    "bmlt": bmlt,
    "hsds": hsds,
    "meeting-guide": meeting_guide,
    "csv": csv_mapped,
    "canonical": canonical,
}


def detect(path):
    """The format module for a file: the first whose `detect` accepts its opening bytes."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    for module in FORMATS.values():
        if module.detect(path, head):
            return module
    return None
