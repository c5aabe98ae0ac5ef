"""The records, R*Tree and full-text rows of a store being built, written by a process of
its own while the index run builds the columns (issue 25: the second core).

    python store_rows.py <temp store path>    (started by SqliteIndexWriter.commit)

Reads from standard input one JSON line {"n": records, "fd": staged documents' file
descriptor (inherited)} then the documents' end offsets and the store order (n int64
each), and writes, in one transaction, each staged document into `records` (rowid =
store position), its point into `records_rtree` and its text into `records_fts`: the rows
and the order the writer wrote them in before, so the tables hold the same content.
Exit status 0 once committed, after a JSON line on standard output with its own peak RSS;
anything else is a failed build (the writer aborts it).
A standalone script (standard library and orjson only), so it starts in a blink and owns
its own SQLite connection; it stops when the run that started it is gone.
"""
import json
import os
import sqlite3
import sys
from array import array

try:
    import orjson
except ImportError:  # pragma: no cover - optional speed-up
    orjson = None

RECORD_INSERT = "INSERT INTO records (id, kind, doc) VALUES (?, ?, ?)"
RTREE_INSERT = "INSERT INTO records_rtree VALUES (?, ?, ?, ?, ?)"
FTS_INSERT = "INSERT INTO records_fts (rowid, name, description, place) VALUES (?, ?, ?, ?)"
BATCH = 5000
CACHE_PRAGMA = "PRAGMA cache_size = -65536"


def loads(doc):
    """As fast_json.loads_record (not imported: this script imports no package)."""
    if orjson is not None:
        try:
            return orjson.loads(doc)
        except (ValueError, orjson.JSONDecodeError):
            pass
    return json.loads(doc)


def place_text(record):
    address = record.get("address") or {}
    parts = [address.get("city"), record.get("location_name"), record.get("fellowship")]
    return " ".join(p for p in parts if p)


def write_rows(db, order, read, parent=None):
    """Insert every staged document in store `order` (arrival positions)."""
    rows, rtree, fts = [], [], []
    for rowid, arrival in enumerate(order, 1):
        doc = read(arrival)
        record = loads(doc)
        rows.append((record["id"], record["kind"], doc.decode("ascii")))
        lat, lon = record["location"]["lat"], record["location"]["lon"]
        rtree.append((rowid, lat, lat, lon, lon))
        fts.append((rowid, record["name"], record.get("description") or "",
                    place_text(record)))
        if len(rows) >= BATCH:
            if parent is not None and os.getppid() != parent:
                raise SystemExit("the index run that started this is gone")
            flush(db, rows, rtree, fts)
    flush(db, rows, rtree, fts)


def flush(db, rows, rtree, fts):
    db.executemany(RECORD_INSERT, rows)
    db.executemany(RTREE_INSERT, rtree)
    db.executemany(FTS_INSERT, fts)
    rows.clear()
    rtree.clear()
    fts.clear()


def reader(fd, ends):
    def read(i):
        start = ends[i - 1] if i else 0
        return os.pread(fd, ends[i] - start, start)

    return read


def main(path):
    parent = os.getppid()
    stdin = sys.stdin.buffer
    head = json.loads(stdin.readline())
    ends, order = array("q"), array("q")
    ends.frombytes(stdin.read(8 * head["n"]))
    order.frombytes(stdin.read(8 * head["n"]))
    db = sqlite3.connect(path)
    db.executescript(f"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; {CACHE_PRAGMA};")
    write_rows(db, order, reader(head["fd"], ends), parent)
    db.commit()
    db.close()
    print(json.dumps({"peak_rss_mb": peak_rss_mb()}), flush=True)
    return 0


def peak_rss_mb():
    """This process's own peak RSS (VmHWM: since exec, unlike getrusage's maxrss, which
    keeps the parent's from before the exec)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
