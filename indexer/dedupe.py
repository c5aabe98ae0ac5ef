"""The same place from several sources becomes one record, under the id that already serves.

Two validated records of the same kind are the same place when their normalised names
match and so do their street or main phone, within 100 m. Meetings are left alone: many
meetings share one venue and name on purpose. (One source id seen twice is not a merge:
ids carry the source's id, so that is an id collision, which the pipeline rejects.)

Records are held until the end of the run, because the id a merged record keeps is only
known once all its members are: an id with live availability data (bed reports, holds, a
facility key) first, then an id already published, then one this run still reads, then
the first seen (DESIGN §3: a published id never changes). The serving index's places take
part, so a record whose id changed (its feed was renamed, its source's id scheme changed)
keeps its published id. Every other member's id becomes one of the record's `aliases`.
Two ids that both have live data are never merged, which would orphan one facility's
reports and keys; a warning names them instead.

The merged record is the kept member's (or the first row's) with the others' sources
listed, their gaps filled, list fields united, flags such as `active` true when any
source says so, the most precise location, and bed rows united.

Memory: the compact JSON of each held record and a small key per place.
"""
import json
import math
import re
from dataclasses import dataclass

from indexer.formats.common import digits

RADIUS_M = 100.0
CELL_DEG = 0.001  # about 110 m of latitude: neighbours are within one cell either way
STOPWORDS = re.compile(r"\b(inc|llc|the|of|and|center|centre|ctr)\b")
STREET_WORDS = {"street": "st", "avenue": "ave", "road": "rd", "boulevard": "blvd",
                "drive": "dr", "suite": "ste", "north": "n", "south": "s", "east": "e",
                "west": "w", "lane": "ln", "court": "ct", "highway": "hwy"}
PRECISION = {"exact": 0, "zip": 1, "city": 2}
# Fields merge() decides itself rather than by the generic rules.
OWN_RULES = {"id", "kind", "source", "sources", "aliases", "beds", "hours", "location",
             "location_precision", "timezone", "updated_at", "verified_at"}


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


def _cell(point):
    return (math.floor(point[0] / CELL_DEG), math.floor(point[1] / CELL_DEG))


@dataclass
class Member:
    """One id in a group: a record read in this run, a published one, or both."""

    id: str
    seq: int
    live: bool = False
    published: bool = False
    doc: str | None = None      # this run's record as compact JSON; None: published only
    where: tuple | None = None  # (file, row) it was read from

    def preference(self):
        """Sort key of the id to keep: live data, published, read now, first seen."""
        return (not self.live, not self.published, self.doc is None, self.seq)


@dataclass
class Group:
    """One record to write: `record` carries the kept id and every other member's id as
    an alias (plus aliases the members already had); `primary` is the row written,
    `merged` the rows that joined it, `published` the published ids without a row."""

    record: dict
    primary: Member
    merged: list
    published: list


def place_key(record):
    """What decides whether two records are the same place: kind, name, point, street,
    main phone (load_apart.py's `extract` for the indexer)."""
    return (record["kind"], record["name"], (record["location"]["lat"],
            record["location"]["lon"]), (record.get("address") or {}).get("street"),
            (record.get("phones") or {}).get("main"))


class Deduper:
    def __init__(self, serving=None):
        self.live = set(serving.live) if serving else set()
        self.known_aliases = dict(serving.aliases) if serving else {}
        self.members = {}   # id -> Member
        self.group_of = {}  # id -> group key (the id of its first member)
        self.groups = {}    # group key -> [ids]
        self.cells = {}     # (kind, name, cell) -> [(id, point, street, phone)]
        self.warnings = []
        self._seq = 0
        for place in serving.places if serving else ():
            self._member(place.id)
            self._index(place.id, place.kind, place.name, (place.lat, place.lon),
                        place.street, place.phone)

    def add(self, record, where):
        """Hold one validated record (never a meeting) until `finish`."""
        self.add_loaded(record["id"], where, json.dumps(record, separators=(",", ":")),
                        place_key(record))

    def add_loaded(self, record_id, where, doc, key):
        """`add` of a record loaded elsewhere (load_apart.py): its compact JSON (as
        json.dumps writes it; staged_docs.encode's bytes are the same) and its place_key."""
        member = self._member(record_id)
        member.doc, member.where, member.seq = doc, where, self._next()
        twin = self._nearby_twin(record_id, *key)
        if twin is not None:
            self._union(twin, record_id)
        self._index(record_id, *key)

    def finish(self):
        """Every group holding a record of this run, in the order its first row was read,
        built one at a time (a whole directory of merged records never sits in memory)."""
        order = sorted((min(self.members[i].seq for i in ids if self.members[i].doc), key)
                       for key, ids in self.groups.items()
                       if any(self.members[i].doc for i in ids))
        for _seq, key in order:
            members = [self.members[i] for i in self.groups[key]]
            rows = sorted((m for m in members if m.doc is not None), key=lambda m: m.seq)
            yield self._group(members, rows)

    def kept_ids(self):
        """The id each group of `finish` will keep, without building the records."""
        return {min((self.members[i] for i in ids), key=Member.preference).id
                for ids in self.groups.values() if any(self.members[i].doc for i in ids)}

    def _group(self, members, rows):
        kept = min(members, key=Member.preference)
        primary = kept if kept.doc is not None else rows[0]
        record = json.loads(primary.doc)
        for member in rows:
            if member is not primary:
                record = merge(record, json.loads(member.doc))
        aliases = [m.id for m in members if m is not kept]
        for member in members:
            aliases += self.known_aliases.get(member.id, ())
        record["id"] = kept.id
        record["aliases"] = sorted(set(aliases + list(record.get("aliases") or ())) - {kept.id})
        return Group(record, primary, [m for m in rows if m is not primary],
                     [m.id for m in members if m.doc is None and m is not kept])

    def _member(self, record_id):
        member = self.members.get(record_id)
        if member is None:
            member = self.members[record_id] = Member(
                record_id, self._next(), live=record_id in self.live,
                published=record_id in self.known_aliases)
            self.group_of[record_id] = record_id
            self.groups[record_id] = [record_id]
        return member

    def _next(self):
        self._seq += 1
        return self._seq

    def _union(self, a, b):
        ga, gb = self.group_of[a], self.group_of[b]
        if ga == gb:
            return
        live_a = [i for i in self.groups[ga] if self.members[i].live]
        live_b = [i for i in self.groups[gb] if self.members[i].live]
        if live_a and live_b:
            self.warnings.append(
                f"{b} looks like the same place as {a}, but {live_a[0]} and {live_b[0]} "
                "both have live bed data, holds or keys: kept apart")
            return
        if len(self.groups[ga]) < len(self.groups[gb]):
            ga, gb = gb, ga
        for member_id in self.groups.pop(gb):
            self.group_of[member_id] = ga
            self.groups[ga].append(member_id)

    def _index(self, record_id, kind, name, point, street, phone):
        entry = (record_id, point, normalise(street, STREET_WORDS), digits(phone))
        self.cells.setdefault((kind, normalise(name), _cell(point)), []).append(entry)

    def _nearby_twin(self, record_id, kind, name, point, street, phone):
        name, street, phone = normalise(name), normalise(street, STREET_WORDS), digits(phone)
        own = self.group_of[record_id]
        cy, cx = _cell(point)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for rid, other, o_street, o_phone in self.cells.get(
                        (kind, name, (cy + dy, cx + dx)), ()):
                    if self.group_of[rid] == own:
                        continue
                    same_way_in = (street and street == o_street) or (phone and phone == o_phone)
                    if same_way_in and _metres(point, other) <= RADIUS_M:
                        return rid
        return None


def merge(kept, other):
    """`kept` with `other`'s sources listed, its gaps filled and list fields united."""
    sources = list(kept.get("sources") or [kept.get("source")])
    for src in (other.get("sources") or []) + [other.get("source")]:
        if src and src not in sources:
            sources.append(src)
    out = dict(kept, sources=[s for s in sources if s])
    for field, value in other.items():
        if field not in OWN_RULES:
            out[field] = _combine(out.get(field), value)
    out["aliases"] = _union(kept.get("aliases") or [], other.get("aliases") or [])
    out["active"] = bool(kept.get("active", True) or other.get("active", True))
    if PRECISION.get(other.get("location_precision"), 0) < PRECISION.get(
            kept.get("location_precision"), 0):
        for field in ("location", "location_precision", "timezone"):
            if field in other:
                out[field] = other[field]
    if not _has_hours(kept.get("hours")) and _has_hours(other.get("hours")):
        out["hours"] = other["hours"]
    for field in ("updated_at", "verified_at"):
        times = [t for t in (kept.get(field), other.get(field)) if t]
        out[field] = max(times) if times else kept.get(field)
    if "beds" in kept or "beds" in other:
        have = {(b["level_of_care"], b.get("population")) for b in kept.get("beds") or []}
        out["beds"] = list(kept.get("beds") or []) + [
            b for b in other.get("beds") or []
            if (b["level_of_care"], b.get("population")) not in have]
    return out


def _combine(mine, theirs):
    """Flags: any of them; lists of codes: united; objects: field by field; else gaps filled."""
    if isinstance(mine, bool) and isinstance(theirs, bool):
        return mine or theirs
    if isinstance(mine, list) and isinstance(theirs, list) and all(
            isinstance(v, str) for v in mine + theirs):
        return _union(mine, theirs)
    if isinstance(mine, dict) and isinstance(theirs, dict):
        return {k: _combine(mine.get(k), theirs.get(k)) for k in {**theirs, **mine}}
    return theirs if mine in (None, "", [], {}) else mine


def _union(mine, theirs):
    return list(dict.fromkeys(list(mine) + list(theirs)))


def _has_hours(hours):
    return bool(hours and (hours.get("open_24_7") or hours.get("intervals")))
