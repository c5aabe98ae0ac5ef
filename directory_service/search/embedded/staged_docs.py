"""The records of an index run, waiting for the run's end: each one's stored JSON in an
unlinked temporary file, read back in store order when the run commits.

Why a file (issue 25): a SQLite temporary table cost an insert per record plus a copy per
record back out in store order (a fifth of a build's CPU); the file costs one buffered
write per record and one `pread` at the end, and no memory (the OS's page cache holds it).
The file has no name, so a run that dies leaves nothing behind.

`encode` writes exactly the bytes `json.dumps(record, separators=(",", ":"))` writes (the
stored document, unchanged since before issue 25), with orjson where it gives those bytes,
about three times faster; where they could differ it is json.dumps itself:
- non-ASCII text and DEL are escaped afterwards as json.dumps escapes them (as in
  `fast_json.dumps`);
- a number written in exponent form or starting 0.0000 (json.dumps and orjson part ways
  only there) sends the record to json.dumps, as does anything orjson refuses (an int
  beyond 64 bits, a lone surrogate, a non-string key, a subclass, a date).
Records are validated, so they hold no NaN or infinity (marshmallow's Float refuses them),
where the two would write `NaN` and `null`. `tests/test_staged_docs.py` holds them equal.
"""
import json
import os
import re
import tempfile
from array import array

from directory_service.fast_json import ESCAPED, escape_char, orjson, refuse

if orjson is not None:
    # Not fast_json's options: a stored document keeps its keys in the order given.
    OPTIONS = (orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME
               | orjson.OPT_PASSTHROUGH_DATACLASS)
    ENCODE_ERRORS = (TypeError, orjson.JSONEncodeError)
# A number token that json.dumps may write otherwise: exponent form (orjson writes its
# sign, as json.dumps does) or 0.0000…. Searched only when a substring says it may be
# there: the search costs several times the encoding.
UNSURE_NUMBER = re.compile(rb"(?:\A|[:,\[])-?(?:0\.0000|[0-9][0-9.]*[eE])")


def encode(record):
    """`json.dumps(record, separators=(",", ":"))` as ASCII bytes."""
    if orjson is not None:
        try:
            out = orjson.dumps(record, default=refuse, option=OPTIONS)
        except ENCODE_ERRORS:
            out = None
        # b"+" (one memchr) for b"e+" (a two-byte search, a third of the encoding's time):
        # it only lets more documents reach the regex.
        if out is not None and not ((b"+" in out or b"e-" in out or b"0.0000" in out)
                                    and UNSURE_NUMBER.search(out)):
            if not out.isascii() or b"\x7f" in out:
                out = ESCAPED.sub(escape_char, out.decode()).encode("ascii")
            return out
    return json.dumps(record, separators=(",", ":")).encode("ascii")


def record_key(record):
    """What the writer keeps of a record beside its document: (id, kind, lat, lon, aliases
    or None, address state or None) — small enough to pass between processes
    (load_apart.py)."""
    location = record["location"]
    return (record["id"], record["kind"], location["lat"], location["lon"],
            record.get("aliases") or None, (record.get("address") or {}).get("state"))


class StagedDocs:
    """Encoded documents appended in arrival order, read back by arrival position."""

    def __init__(self, directory):
        self._file = tempfile.TemporaryFile(dir=directory)
        self._ends = array("q")
        self._size = 0

    def append(self, doc):
        self._file.write(doc)
        self._size += len(doc)
        self._ends.append(self._size)

    def __len__(self):
        return len(self._ends)

    def fileno(self):
        return self._file.fileno()

    def ends_bytes(self):
        """Each document's end offset, as int64 bytes (for store_rows.py)."""
        return self._ends.tobytes()

    def reader(self):
        """A function: arrival position -> that document's bytes."""
        self._file.flush()
        fd, ends, pread = self._file.fileno(), self._ends, os.pread

        def read(i):
            start = ends[i - 1] if i else 0
            return pread(fd, ends[i] - start, start)

        return read

    def close(self):
        self._file.close()
