"""Column arrays derived from records: the embedded store's fast query path (DESIGN §2).

The indexer turns every record into a row of fixed-width NumPy columns (bitsets for
multi-valued vocabularies, minutes for meeting times, a weekly bitmap for opening hours)
and writes them into the SQLite file next to the records. Readers map the blobs back into
arrays, so a search is a handful of vectorised operations instead of a loop over records.
"""
import json
from datetime import datetime

import numpy as np

from directory_service import vocab

SLOT_MINUTES = 30
SLOTS_PER_WEEK = 7 * 24 * 60 // SLOT_MINUTES
NONE8 = 255

# Multi-valued vocabularies stored as bitsets, (name, values, getter).
BITSETS = {
    "levels": vocab.LEVELS_OF_CARE,
    "payment": vocab.PAYMENT,
    "settings": vocab.SETTINGS,
    "medications": vocab.MEDICATIONS,
    "programs": vocab.POPULATION_PROGRAMS,
    "types": tuple(vocab.MEETING_TYPES),
}
FLAGS = ("accepts_clients_on_moud", "walk_in", "intake_24_7", "accepts_police_or_peer_dropoff")


def words_for(values):
    return max(1, -(-len(values) // 64))


def bitset(selected, values):
    """Bits of `selected` codes within `values`, as a row of uint64 words."""
    index = {v: i for i, v in enumerate(values)}
    words = np.zeros(words_for(values), dtype=np.uint64)
    for code in selected:
        i = index[code]
        words[i // 64] |= np.uint64(1 << (i % 64))
    return words


def hhmm_minutes(text):
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def week_bitmap(hours):
    """Opening hours as 336 half-hour slots from Sunday 00:00 local time."""
    slots = np.zeros(SLOTS_PER_WEEK, dtype=bool)
    if hours.get("open_24_7"):
        slots[:] = True
    for interval in hours.get("intervals", ()):
        start = interval["day"] * 1440 + hhmm_minutes(interval["open"])
        end = interval["day"] * 1440 + hhmm_minutes(interval["close"])
        slots[start // SLOT_MINUTES: -(-end // SLOT_MINUTES)] = True
    return np.packbits(slots)


def _epoch(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


# Bed rows are kept apart by who may take them, so a man is never counted a women's bed.
POP_GROUPS = ("men", "women", "adults", "youth", "any")
POPULATION_GROUP = {
    "adult_men": "men", "men": "men", "adult_women": "women", "women": "women",
    "adult_any": "adults", "adults": "adults", "adolescents": "youth", "youth": "youth",
}
# One figure per (level of care, population group): column k = level * groups + group.
BED_KEYS = tuple((level, group) for level in vocab.LEVELS_OF_CARE for group in POP_GROUPS)
BED_INDEX = {key: k for k, key in enumerate(BED_KEYS)}


def population_group(population):
    return POPULATION_GROUP.get(population or "adult_any", "any")


def allowed_groups(gender=None, age=None):
    """Population groups whose beds a person of this gender and age may take."""
    groups = set(POP_GROUPS)
    if gender == "men":
        groups.discard("women")
    elif gender == "women":
        groups.discard("men")
    if age is not None and age < 18:
        groups -= {"men", "women", "adults"}
    elif age is not None:
        groups.discard("youth")
    return [g for g in POP_GROUPS if g in groups]


def bed_keys(levels, gender=None, age=None):
    """The (level, group) figures a query counts: its levels (all if none), its groups."""
    groups = allowed_groups(gender, age)
    return [(level, group) for level in (levels or vocab.LEVELS_OF_CARE) for group in groups]


def bed_levels(beds):
    """Per (level, population group): (open beds, oldest reported_at epoch).

    Only rows with a known status count; full and closed count 0; live rows may carry
    `held` beds, which are not open.
    """
    out = {}
    for bed in beds:
        if bed["status"] == "unknown" or bed.get("reported_at") is None:
            continue
        key = (bed["level_of_care"], population_group(bed.get("population")))
        available = 0
        if bed["status"] not in ("full", "closed"):
            available = max(0, (bed.get("available") or 0) - (bed.get("held") or 0))
        prev_open, prev_at = out.get(key, (0, float("inf")))
        out[key] = (prev_open + available, min(prev_at, _epoch(bed["reported_at"])))
    return out


class ColumnBuilder:
    """Accumulates records (already sorted by latitude) into column arrays."""

    def __init__(self):
        self.rows = []
        self.zones = {}

    def add(self, record):
        self.rows.append(record)

    def arrays(self):
        rows, n = self.rows, len(self.rows)
        facilities = [i for i, r in enumerate(rows) if r["kind"] == "treatment_facility"]
        cols = {
            "lat": np.array([r["location"]["lat"] for r in rows], dtype=np.float64),
            "lon": np.array([r["location"]["lon"] for r in rows], dtype=np.float64),
            "kind": np.array([vocab.KINDS.index(r["kind"]) for r in rows], dtype=np.uint8),
            "active": np.array([bool(r.get("active", True)) for r in rows], dtype=bool),
            "zone": np.array([self._zone(r.get("timezone")) for r in rows], dtype=np.uint16),
            "hours": np.stack([week_bitmap(r.get("hours") or {}) for r in rows])
            if n else np.zeros((0, SLOTS_PER_WEEK // 8), np.uint8),
        }
        order = sorted(range(n), key=lambda i: rows[i]["id"])
        rank = np.empty(n, dtype=np.int32)
        rank[order] = np.arange(n, dtype=np.int32)
        cols["id_rank"] = rank
        for name, values in BITSETS.items():
            source = "levels_of_care" if name == "levels" else name
            cols[f"bits_{name}"] = self._bitsets(rows, source, values)
        cols["bits_programs"] = np.stack([
            bitset([p for p in vocab.POPULATION_PROGRAMS if (r.get("populations") or {}).get(p)],
                   vocab.POPULATION_PROGRAMS) for r in rows]) if n else cols["bits_programs"]
        cols["flags"] = np.array(
            [sum(1 << i for i, f in enumerate(FLAGS) if r.get(f)) for r in rows], dtype=np.uint8)
        pops = [r.get("populations") or {} for r in rows]
        cols["gender"] = np.array([vocab.GENDERS.index(p.get("genders") or "any") for p in pops],
                                  dtype=np.uint8)
        cols["min_age"] = np.array([p.get("min_age") or 0 for p in pops], dtype=np.int16)
        cols["max_age"] = np.array([999 if p.get("max_age") is None else p["max_age"]
                                    for p in pops], dtype=np.int16)
        cols.update(self._languages(rows))
        cols.update(self._meetings(rows))
        cols["site_type"] = np.array(
            [vocab.SITE_TYPES.index(r["site_type"]) if r.get("site_type") else NONE8
             for r in rows], dtype=np.uint8)
        cols.update(self._beds(rows, facilities))
        return cols

    def meta(self):
        zones = sorted(self.zones, key=self.zones.get)
        return {"zones": zones, "languages": self.languages}

    def _zone(self, name):
        name = name or "America/Chicago"
        return self.zones.setdefault(name, len(self.zones))

    def _bitsets(self, rows, field, values):
        width = words_for(values)
        out = np.zeros((len(rows), width), dtype=np.uint64)
        for i, r in enumerate(rows):
            if r.get(field):
                out[i] = bitset(r[field], values)
        return out

    def _languages(self, rows):
        self.languages = sorted({code for r in rows for code in r.get("languages", ())})
        return {"bits_languages": self._bitsets(rows, "languages", self.languages)}

    def _meetings(self, rows):
        n = len(rows)
        day = np.full(n, -1, dtype=np.int8)
        start = np.full(n, -1, dtype=np.int16)
        end = np.full(n, -1, dtype=np.int16)
        fellowship = np.full(n, NONE8, dtype=np.uint8)
        attendance = np.full(n, NONE8, dtype=np.uint8)
        for i, r in enumerate(rows):
            if r["kind"] != "meeting":
                continue
            day[i] = r["day"]
            start[i] = hhmm_minutes(r["time"])
            end[i] = hhmm_minutes(r["end_time"]) if r.get("end_time") else start[i] + 60
            fellowship[i] = vocab.FELLOWSHIPS.index(r["fellowship"])
            attendance[i] = vocab.ATTENDANCE.index(r["attendance"])
        return {"day": day, "start_min": start, "end_min": end,
                "fellowship": fellowship, "attendance": attendance}

    def _beds(self, rows, facilities):
        """Bed figures for facilities only; row -1 (the last) is an all-unknown row."""
        bed_row = np.full(len(rows), -1, dtype=np.int32)
        open_beds = np.full((len(facilities) + 1, len(BED_KEYS)), np.nan, dtype=np.float32)
        reported = np.full((len(facilities) + 1, len(BED_KEYS)), np.nan, dtype=np.float64)
        for j, i in enumerate(facilities):
            bed_row[i] = j
            for key, (available, at) in bed_levels(rows[i].get("beds", ())).items():
                open_beds[j, BED_INDEX[key]] = available
                reported[j, BED_INDEX[key]] = at
        return {"bed_row": bed_row, "beds_open": open_beds, "beds_reported": reported}


def to_blob(array):
    return json.dumps({"dtype": str(array.dtype), "shape": list(array.shape)}), array.tobytes()


def from_blob(header, data):
    spec = json.loads(header)
    return np.frombuffer(data, dtype=spec["dtype"]).reshape(spec["shape"])
