"""Source formats the indexer reads, each a module with `detect(path, head)` and `read(path)`.

`read` yields (row_number, raw_record_or_error) in our canonical shape, ready for
validation; a format that cannot place or map a row yields a `RowProblem` instead.
"""
from indexer.formats import canonical

FORMATS = {"canonical": canonical}


def detect(path):
    """The format module for a file: the first whose `detect` accepts its opening bytes."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    for module in FORMATS.values():
        if module.detect(path, head):
            return module
    return None
