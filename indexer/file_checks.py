"""Files that lie: a source cut short in transfer looks like a smaller, valid feed.

A truncated NDJSON file reads as fewer rows plus one bad line, and a cut JSON document
as one unreadable file; either way the run would swap in a directory missing whatever
was cut. So before a file is read, its end is checked: a complete JSON document ends with
the bracket it opened with, and an NDJSON file that does not end with a newline must end
with a whole record. A file that fails is an error of the run (exit 2), not a rejected row.

An empty file (no bytes, only white space, or an empty JSON `[]` / `{}`) is not cut: it is a
feed with nothing in it today, common among many. It is a warning of its file, never a
failed run; the shrink guard still stops a run that would empty the directory.
"""
import json
import os

TAIL = 1 << 20  # bytes read from the end: more than any one record
OPEN_TO_CLOSE = {b"[": b"]", b"{": b"}"}
EMPTY_DOCUMENTS = (b"", b"[]", b"{}")
BLANK = b"\xef\xbb\xbf \t\r\n"


def empty(path):
    """Why `path` holds nothing to read (blank, `[]` or `{}`), or None.

    Reads the opening 4 KB, and the rest only while it is blank space and brackets."""
    if os.path.isdir(path):
        return None
    with open(path, "rb") as fh:
        body = fh.read(4096)
        if body.lstrip(BLANK).strip(b"[]{} \t\r\n"):
            return None
        body += fh.read()
    squeezed = b"".join(body.lstrip(BLANK).split())
    if squeezed not in EMPTY_DOCUMENTS:
        return None
    what = "an empty JSON document" if squeezed else "no data (only blank space)"
    return f"{os.path.basename(path)} holds {what}: nothing to load from it"


def truncated(path):
    """Why `path` looks cut short, or None. Only JSON and NDJSON files are judged."""
    if path.lower().endswith((".ndjson", ".jsonl")):
        return _ndjson_cut(path)
    if path.lower().endswith(".json"):
        return _json_cut(path)
    return None


def _ends(path):
    """(first non-blank byte, the file's last TAIL bytes), or None for an empty file."""
    size = os.path.getsize(path)
    if size == 0:
        return None
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        fh.seek(max(0, size - TAIL))
        tail = fh.read()
    return head[:1], tail


def _json_cut(path):
    ends = _ends(path)
    if ends is None:
        return None
    first, tail = ends
    closing = OPEN_TO_CLOSE.get(first)
    last = tail.rstrip(b" \t\r\n")[-1:]
    if closing is not None and last != closing:
        return (f"{path}: invalid JSON: the document opens with {first.decode()!r} but "
                f"ends with {last.decode('latin-1')!r}, not {closing.decode()!r}: the file "
                "looks truncated (or has text after the document)")
    return None


def _ndjson_cut(path):
    ends = _ends(path)
    if ends is None:
        return None
    _, tail = ends
    if tail.endswith(b"\n"):
        return None
    last = tail.rsplit(b"\n", 1)[-1]
    if not last.strip():
        return None
    try:
        json.loads(last)
    except (ValueError, RecursionError):
        return (f"{path}: the last line has no newline and is not a whole JSON record: "
                "the file looks truncated")
    return None
