"""Column arrays derived from records: the embedded store's fast query path (DESIGN §2).

The indexer turns every record into a row of fixed-width NumPy columns (bitsets for
multi-valued vocabularies, minutes for meeting times, opening hours as week-minute
intervals)
and writes them into a file beside the store (embedded/column_file.py). Workers map that
file into arrays, so a search is a handful of vectorised operations instead of a loop over
records.
"""
import math
from array import array
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np

from directory_service import vocab

WEEK_MINUTES = 7 * 1440
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


def bitset(selected, values, width=None):
    """Bits of `selected` codes within `values`, as a row of `width` uint64 words."""
    index = {v: i for i, v in enumerate(values)}
    words = np.zeros(width or words_for(values), dtype=np.uint64)
    for code in selected:
        i = index[code]
        words[i // 64] |= np.uint64(1 << (i % 64))
    return words


def hhmm_minutes(text):
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def week_intervals(hours):
    """Opening hours as (open, close) minutes from Sunday 00:00 local time, to the minute.

    Open 24/7 is the whole week; intervals ending at 24:00 meet the next day's 00:00, so
    a night split at midnight by the importer (hours.day_intervals) stays one stretch.
    """
    if hours.get("open_24_7"):
        return [(0, WEEK_MINUTES)]
    return [(iv["day"] * 1440 + hhmm_minutes(iv["open"]),
             iv["day"] * 1440 + hhmm_minutes(iv["close"]))
            for iv in hours.get("intervals", ())]


def open_at(ptr, opens, closes, rows, week_min):
    """Which `rows` are open at their local `week_min` (one per row), vectorised.

    The intervals of row r are opens/closes[ptr[r]:ptr[r + 1]] (compressed rows).
    """
    start = ptr[rows]
    count = (ptr[rows + 1] - start).astype(np.int64)
    owner = np.repeat(np.arange(len(rows)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    pos = np.repeat(start, count) + (np.arange(len(owner)) - first)
    minute = week_min[owner]
    inside = (opens[pos] <= minute) & (minute < closes[pos])
    return np.bincount(owner[inside], minlength=len(rows)) > 0


@lru_cache(maxsize=4096)
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
    """The group a bed row's population belongs to; None for a population we do not know.

    An unknown population (a typo such as "adult_woman") fits nobody for certain, so its
    beds are counted for no one rather than for everyone.
    """
    return POPULATION_GROUP.get(population or "adult_any")


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
        group = population_group(bed.get("population"))
        if group is None:
            continue
        key = (bed["level_of_care"], group)
        available = 0
        if bed["status"] not in ("full", "closed"):
            available = max(0, (bed.get("available") or 0) - (bed.get("held") or 0))
        prev_open, prev_at = out.get(key, (0, float("inf")))
        out[key] = (prev_open + available, min(prev_at, _epoch(bed["reported_at"])))
    return out


# Languages are assigned bits as first seen; three words hold every ISO 639-1 code.
LANGUAGE_WORDS = 3


class ColumnBuilder:
    """Fills preallocated column arrays row by row, in store order (kind, then latitude).

    Only fixed-width values are kept per row, so memory grows with the columns, never with
    whole records, and a million-record build stays small.
    """

    def __init__(self, n, n_facilities):
        self.n = n
        self.zones, self.languages = {}, {}
        self.a = {
            "lat": np.zeros(n, np.float64), "lon": np.zeros(n, np.float64),
            "kind": np.zeros(n, np.uint8), "active": np.zeros(n, bool),
            "zone": np.zeros(n, np.uint16),
            "flags": np.zeros(n, np.uint8), "gender": np.zeros(n, np.uint8),
            "min_age": np.zeros(n, np.int16), "max_age": np.full(n, 999, np.int16),
            "bits_languages": np.zeros((n, LANGUAGE_WORDS), np.uint64),
            "day": np.full(n, -1, np.int8), "start_min": np.full(n, -1, np.int16),
            "end_min": np.full(n, -1, np.int16), "fellowship": np.full(n, NONE8, np.uint8),
            "attendance": np.full(n, NONE8, np.uint8), "site_type": np.full(n, NONE8, np.uint8),
            "bed_row": np.full(n, -1, np.int32),
            "beds_open": np.full((n_facilities + 1, len(BED_KEYS)), np.nan, np.float32),
            "beds_reported": np.full((n_facilities + 1, len(BED_KEYS)), np.nan, np.float64),
        }
        for name, values in BITSETS.items():
            self.a[f"bits_{name}"] = np.zeros((n, words_for(values)), np.uint64)
        self._facilities = 0
        # Opening intervals, compressed rows: row i's are [hours_ptr[i], hours_ptr[i + 1]).
        self._hours_ptr = np.zeros(n + 1, np.int32)
        # Rows repeat the same few code lists: each list's bits are computed once.
        self._bits, self._language_rows = {}, {}
        self._opens, self._closes = array("h"), array("h")
        self._next_row = 0

    def add(self, i, record):
        """Row `i` of the store is `record`."""
        a, r = self.a, record
        a["lat"][i], a["lon"][i] = r["location"]["lat"], r["location"]["lon"]
        a["kind"][i] = vocab.KINDS.index(r["kind"])
        a["active"][i] = bool(r.get("active", True))
        a["zone"][i] = self.zones.setdefault(r["timezone"],
                                             len(self.zones))
        if i != self._next_row:
            raise ValueError(f"rows must be added in store order: got {i}, "
                             f"expected {self._next_row}")
        self._next_row += 1
        for opens, closes in week_intervals(r.get("hours") or {}):
            self._opens.append(opens)
            self._closes.append(closes)
        self._hours_ptr[i + 1] = len(self._opens)
        a["flags"][i] = sum(1 << k for k, f in enumerate(FLAGS) if r.get(f))
        for name, values in BITSETS.items():
            selected = self._selected(r, name)
            if selected:
                key = (name, tuple(selected))
                bits = self._bits.get(key)
                if bits is None:
                    bits = self._bits[key] = bitset(selected, values)
                a[f"bits_{name}"][i] = bits
        codes = tuple(r.get("languages", ()))
        bits = self._language_rows.get(codes)
        if bits is None:
            # Codes get their bits as first seen, so a list is only cached once seen.
            bits = self._language_rows[codes] = self._language_bits(codes)
        a["bits_languages"][i] = bits
        pops = r.get("populations") or {}
        a["gender"][i] = vocab.GENDERS.index(pops.get("genders") or "any")
        a["min_age"][i] = pops.get("min_age") or 0
        if pops.get("max_age") is not None:
            a["max_age"][i] = pops["max_age"]
        if r.get("site_type"):
            a["site_type"][i] = vocab.SITE_TYPES.index(r["site_type"])
        if r["kind"] == "meeting":
            self._meeting(i, r)
        elif r["kind"] == "treatment_facility":
            self._beds(i, r.get("beds", ()))

    @staticmethod
    def _selected(r, name):
        if name == "levels":
            return r.get("levels_of_care")
        if name == "programs":
            pops = r.get("populations") or {}
            return [p for p in vocab.POPULATION_PROGRAMS if pops.get(p)]
        return r.get(name)

    def _language_bits(self, codes):
        words = np.zeros(LANGUAGE_WORDS, np.uint64)
        for code in codes:
            k = self.languages.setdefault(code, len(self.languages))
            words[k // 64] |= np.uint64(1 << (k % 64))
        return words

    def _meeting(self, i, r):
        a = self.a
        a["day"][i] = r["day"]
        a["start_min"][i] = hhmm_minutes(r["time"])
        a["end_min"][i] = (hhmm_minutes(r["end_time"]) if r.get("end_time")
                           else a["start_min"][i] + 60)
        a["fellowship"][i] = vocab.FELLOWSHIPS.index(r["fellowship"])
        a["attendance"][i] = vocab.ATTENDANCE.index(r["attendance"])

    def _beds(self, i, beds):
        """Bed figures for facilities only; row -1 (the last) stays all unknown."""
        j = self._facilities
        self._facilities += 1
        self.a["bed_row"][i] = j
        for key, (available, at) in bed_levels(beds).items():
            self.a["beds_open"][j, BED_INDEX[key]] = available
            self.a["beds_reported"][j, BED_INDEX[key]] = at

    def arrays(self, id_rank):
        """The finished columns; `id_rank[i]` is row i's position in id order."""
        return {**self.a, "id_rank": np.asarray(id_rank, dtype=np.int32),
                "hours_ptr": self._hours_ptr,
                "hours_open": np.frombuffer(self._opens, np.int16).copy(),
                "hours_close": np.frombuffer(self._closes, np.int16).copy()}

    def meta(self):
        return {"zones": sorted(self.zones, key=self.zones.get),
                "languages": sorted(self.languages, key=self.languages.get)}


@lru_cache(maxsize=4096)
def _iso_of_epoch(value):
    return datetime.fromtimestamp(value, timezone.utc).isoformat().replace("+00:00", "Z")


def epoch_to_iso(value):
    """An epoch-seconds figure (NaN when unknown) as ISO 8601 UTC, or None. Cached: the
    bed figures of one directory share few report times, and every hit formats one."""
    value = float(value)
    if not math.isfinite(value):
        return None
    return _iso_of_epoch(value)
