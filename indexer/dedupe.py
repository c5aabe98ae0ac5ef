"""The same place from two sources becomes one record that lists both (DESIGN §7).

Two validated records are the same place when they share a source id (same source name
and id), or when their normalised names match and so do their street or phone, within
100 m. The first one seen keeps its id; the later one's source joins its `sources`, its
empty fields fill the first's gaps, and list fields (levels of care, payment ...) are
united. Meetings are left alone: many meetings share one venue and name on purpose.

Memory: a small key per facility or site, and the compact JSON of each, so a merge can be
written back through the index writer (which replaces a record with the same id).
"""
import json
import math
import re

from indexer.formats.common import digits

RADIUS_M = 100.0
CELL_DEG = 0.001  # about 110 m of latitude: neighbours are within one cell either way
STOPWORDS = re.compile(r"\b(inc|llc|the|of|and|center|centre|ctr)\b")
STREET_WORDS = {"street": "st", "avenue": "ave", "road": "rd", "boulevard": "blvd",
                "drive": "dr", "suite": "ste", "north": "n", "south": "s", "east": "e",
                "west": "w", "lane": "ln", "court": "ct", "highway": "hwy"}


def normalise(text, words=None):
    text = re.sub(r"[^a-z0-9 ]+", " ", (text or "").lower())
    if words:
        text = " ".join(words.get(w, w) for w in text.split())
    return " ".join(STOPWORDS.sub(" ", text).split())


def _metres(a, b):
    lat = math.radians((a[0] + b[0]) / 2)
    dy = (a[0] - b[0]) * 111_195.0
    dx = (a[1] - b[1]) * 111_195.0 * math.cos(lat)
    return math.hypot(dx, dy)


class Deduper:
    def __init__(self):
        self.by_source = {}   # (source name, source id) -> record id
        self.cells = {}       # (kind, name, cell) -> [(record id, point, street, phone)]
        self.docs = {}        # record id -> compact JSON of the record as written
        self.merged = []      # (kept id, merged id)

    def add(self, record):
        """The record to write: itself, or the earlier record it was merged into."""
        if record["kind"] == "meeting":
            return record
        source = record.get("source") or {}
        key = (source.get("name"), source.get("id"))
        twin = self.by_source.get(key) if key[1] else None
        if twin == record["id"]:
            twin = None  # the same id again: the writer's replace-and-warn applies
        twin = twin or self._nearby_twin(record)
        if twin is None:
            self._remember(record)
            return record
        merged = merge(json.loads(self.docs[twin]), record)
        self.merged.append((twin, record["id"]))
        self.docs[twin] = json.dumps(merged, separators=(",", ":"))
        if key[1]:
            self.by_source[key] = twin
        return merged

    def _remember(self, record):
        source = record.get("source") or {}
        if source.get("id"):
            self.by_source[(source.get("name"), source["id"])] = record["id"]
        point = (record["location"]["lat"], record["location"]["lon"])
        name = normalise(record["name"])
        entry = (record["id"], point, self._street(record), digits(_phone(record)))
        self.cells.setdefault((record["kind"], name, _cell(point)), []).append(entry)
        self.docs[record["id"]] = json.dumps(record, separators=(",", ":"))

    def _nearby_twin(self, record):
        point = (record["location"]["lat"], record["location"]["lon"])
        name, street, phone = normalise(record["name"]), self._street(record), digits(_phone(record))
        cy, cx = _cell(point)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for rid, other, o_street, o_phone in self.cells.get(
                        (record["kind"], name, (cy + dy, cx + dx)), ()):
                    same_way_in = (street and street == o_street) or (phone and phone == o_phone)
                    if same_way_in and _metres(point, other) <= RADIUS_M:
                        return rid
        return None

    @staticmethod
    def _street(record):
        return normalise((record.get("address") or {}).get("street"), STREET_WORDS)


def _phone(record):
    return (record.get("phones") or {}).get("main")


def _cell(point):
    return (math.floor(point[0] / CELL_DEG), math.floor(point[1] / CELL_DEG))


def merge(kept, other):
    """`kept` with `other`'s source listed, its gaps filled and list fields united."""
    sources = list(kept.get("sources") or [kept.get("source")])
    for src in (other.get("sources") or []) + [other.get("source")]:
        if src and src not in sources:
            sources.append(src)
    out = dict(kept, sources=[s for s in sources if s])
    for field, value in other.items():
        if field in ("id", "source", "sources", "beds"):
            continue
        mine = out.get(field)
        if isinstance(mine, list) and isinstance(value, list):
            out[field] = list(dict.fromkeys(mine + value)) if all(
                isinstance(v, str) for v in mine + value) else mine
        elif isinstance(mine, dict) and isinstance(value, dict):
            out[field] = {k: mine.get(k) if mine.get(k) not in (None, "") else v
                          for k, v in {**value, **mine}.items()}
        elif mine in (None, "") and value not in (None, ""):
            out[field] = value
    have = {(b["level_of_care"], b.get("population")) for b in out.get("beds") or []}
    out["beds"] = list(out.get("beds") or []) + [
        b for b in other.get("beds") or [] if (b["level_of_care"], b.get("population")) not in have]
    return out
