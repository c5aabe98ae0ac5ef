"""Filter and rank the embedded store's column arrays for one query, vectorised.

Rows are sorted by kind, then latitude, so the radius's latitude band is one slice per
kind found by binary search; every other filter and the score run over that slice only. Filters that concern
one kind (payment, meeting day, ...) apply to that kind and let other kinds through.
"""
import math
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from directory_service import ranking, vocab
from directory_service.search import columns as cols
from directory_service.search.columns import epoch_to_iso  # noqa: F401 (re-export)
from directory_service.search.online import region_zones

EARTH_RADIUS_M = 6_371_008.8
KIND = {k: i for i, k in enumerate(vocab.KINDS)}
FACILITY, MEETING = KIND["treatment_facility"], KIND["meeting"]
ONLINE = vocab.ATTENDANCE.index("online")


@dataclass
class Ranked:
    total: int
    rows: np.ndarray  # row positions of this page, best first
    distance_m: np.ndarray
    score: np.ndarray
    components: dict  # name -> array (NaN where the component does not apply)
    open_beds: np.ndarray  # NaN = unknown
    reported_at: np.ndarray  # epoch seconds, NaN = unknown


def haversine_m(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _any_bits(bits, values, vocabulary):
    """Rows whose bitset shares at least one code with `values` (OR within a group)."""
    return (bits & _query_bits(tuple(values), tuple(vocabulary), bits.shape[1])).any(axis=1)


@lru_cache(maxsize=1024)
def _query_bits(values, vocabulary, width):
    """A query's codes as a bitset row, made once per combination (issue 25)."""
    bits = cols.bitset([v for v in values if v in vocabulary], vocabulary, width)
    bits.flags.writeable = False
    return bits


@lru_cache(maxsize=1024)
def _bed_columns(levels, gender, age):
    """The bed columns a query counts, as an index array, or None for all of them (a
    query's levels, gender and age name them; made once per combination, not per search)."""
    columns = [cols.BED_INDEX[key] for key in cols.bed_keys(levels, gender, age)]
    if columns == list(range(len(cols.BED_KEYS))):
        return None
    return np.array(columns, dtype=np.intp)


def _gather(array, rows, columns):
    """array[rows][:, columns] (columns None: all), the same values: `take` of whole rows
    is a copy of contiguous memory, then of the asked columns: a tenth of the cost of
    fancy indexing or of one column at a time (issue 25)."""
    block = array.take(rows, axis=0)
    return block if columns is None else block.take(columns, axis=1)


# The query fields that filter rows (`_filters`): a query with none of them set keeps
# every candidate, and skips the pass (issue 25).
FILTERS = ("levels", "payment", "settings", "medications", "programs", "gender", "age",
           "accepts_moud", "walk_in", "intake_24_7", "police_dropoff", "languages",
           "fellowships", "days", "attendance", "types", "starts_after", "starts_within",
           "site_types", "open_now")


def _filtered(query):
    """Whether any filter is set (age 0 and 00:00 are set: only None, False and an empty
    list are not)."""
    for name in FILTERS:
        value = getattr(query, name)
        if value is None or value is False or (isinstance(value, (tuple, list)) and not value):
            continue
        return True
    return False


class VectorIndex:
    """The arrays of one store file, with the search over them."""

    def __init__(self, arrays, meta):
        self.a = arrays
        self.zone_names = list(meta["zones"])
        self.zones = [ZoneInfo(z) for z in self.zone_names]
        self.languages = tuple(meta["languages"])
        self.n = len(arrays["lat"])
        # Rows are sorted by kind, then latitude: each kind is one contiguous segment.
        bounds = np.searchsorted(arrays["kind"], np.arange(len(vocab.KINDS) + 1))
        self.segments = {kind: (bounds[k], bounds[k + 1]) for kind, k in KIND.items()}
        self.scale_by_kind = np.array([ranking.DISTANCE_SCALE_M[k] for k in vocab.KINDS])
        lo, hi = self.segments["meeting"]
        self.online_rows = lo + np.flatnonzero(arrays["attendance"][lo:hi] == ONLINE)

    def region_rows(self, query):
        """Online-only meetings found by time zone whatever their distance (search/online.py)."""
        zones = region_zones(query, self.zone_names)
        if not zones:
            return None
        codes = [self.zone_names.index(z) for z in zones]
        return self.online_rows[np.isin(self.a["zone"][self.online_rows], codes)]

    def _band(self, query, window=None):
        """Active rows of the query's kinds whose latitude lies within the radius (binary
        search per kind) and, given `window`, whose longitude lies within it: one pass
        over each kind's slice, no gathered copy of the band (issue 25)."""
        band = query.radius_m / 111_000.0 + 0.01
        a = self.a
        lat, lon, active = a["lat"], a["lon"], a["active"]
        ranges = []
        for kind in query.kinds or vocab.KINDS:
            lo, hi = self.segments[kind]
            start, stop = lo + lat[lo:hi].searchsorted([query.lat - band, query.lat + band])
            if start == stop:
                continue
            keep = active[start:stop]
            if window is not None:
                part = lon[start:stop]
                keep = keep & (part >= window[0]) & (part <= window[1])
            ranges.append(np.flatnonzero(keep) + start)
        if not ranges:
            return np.empty(0, dtype=np.intp)
        return ranges[0] if len(ranges) == 1 else np.concatenate(ranges)

    def _lon_window(self, query):
        """Rows whose longitude may lie within the radius, as (min, max) degrees, or None
        when the circle reaches a pole or the antimeridian (no longitude cut then).

        The circle's extreme longitudes are lon ± asin(sin(r/R) / cos(lat)); widened by a
        margin, so the cut only saves the haversine of rows that are surely outside (scalar
        `math`, not NumPy's ufuncs on one float: a last-bit difference is inside it)."""
        angular = query.radius_m / EARTH_RADIUS_M
        lat = math.radians(query.lat)
        if angular >= math.pi / 2 - abs(lat) - 1e-6:
            return None
        spread = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(lat)))) * 1.001 + 1e-6
        if abs(query.lon) + spread >= 180.0:
            return None
        return query.lon - spread, query.lon + spread

    def rank(self, query, text_rows=None):
        """The page of `query`: filters first (cheap, per row), then the haversine of the
        rows left inside the radius's bounding box; a row's answer never depends on the
        order of these steps, only the cost does."""
        a = self.a
        idx = self._band(query, self._lon_window(query))
        regional = self.region_rows(query)
        if regional is not None:
            idx = np.union1d(idx, regional[a["active"][regional]])
        if text_rows is not None:
            idx = idx[np.isin(idx, text_rows)]
        if _filtered(query):
            idx = idx[self._filters(query, idx)]
        dist = haversine_m(query.lat, query.lon, a["lat"][idx], a["lon"][idx])
        keep = dist <= query.radius_m
        if regional is not None:
            keep |= np.isin(idx, regional)
        idx, dist = idx[keep], dist[keep]
        open_beds, reported = self._capacity(query, idx)
        if query.has_open_beds:
            keep = (a["kind"][idx] != FACILITY) | (np.nan_to_num(open_beds, nan=0.0) > 0)
            idx, dist, open_beds, reported = idx[keep], dist[keep], open_beds[keep], reported[keep]
        components = self._components(query, idx, dist, open_beds, reported)
        score = ranking.combine(components)
        if query.uninsured:
            score = ranking.uninsured_tier(score, components.get("payment"))
        problems = self._problems(idx)
        if problems is not None:
            components["confirmed_problems"] = ranking.confirmed_problems_component(problems)
            score = ranking.discount(score, components["confirmed_problems"])
        order = self._top(score, dist, a["id_rank"][idx], query.offset + query.per_page)
        page = order[query.offset: query.offset + query.per_page]
        return Ranked(len(idx), idx[page], dist[page], score[page],
                      {k: v[page] for k, v in components.items()}, open_beds[page],
                      reported[page])

    def _filters(self, q, idx):
        a, kind = self.a, self.a["kind"][idx]
        keep = np.ones(len(idx), dtype=bool)

        def on(kind_code, mask):
            return keep & ((kind != kind_code) | mask)

        fac = FACILITY
        if q.levels:
            keep = on(fac, _any_bits(a["bits_levels"][idx], q.levels, vocab.LEVELS_OF_CARE))
        if q.payment:
            keep = on(fac, _any_bits(a["bits_payment"][idx], q.payment, vocab.PAYMENT))
        if q.settings:
            keep = on(fac, _any_bits(a["bits_settings"][idx], q.settings, vocab.SETTINGS))
        if q.medications:
            keep = on(fac, _any_bits(a["bits_medications"][idx], q.medications, vocab.MEDICATIONS))
        if q.programs:
            keep = on(fac, _any_bits(a["bits_programs"][idx], q.programs,
                                     vocab.POPULATION_PROGRAMS))
        if q.gender:
            g = a["gender"][idx]
            keep = on(fac, (g == 0) | (g == vocab.GENDERS.index(q.gender)))
        if q.age is not None:
            keep = on(fac, (a["min_age"][idx] <= q.age) & (a["max_age"][idx] >= q.age))
        for flag_on, name in ((q.accepts_moud, "accepts_clients_on_moud"), (q.walk_in, "walk_in"),
                              (q.intake_24_7, "intake_24_7"),
                              (q.police_dropoff, "accepts_police_or_peer_dropoff")):
            if flag_on:
                keep = on(fac, (a["flags"][idx] & (1 << cols.FLAGS.index(name))) > 0)
        if q.languages:
            keep &= _any_bits(a["bits_languages"][idx], q.languages, self.languages)
        keep &= self._meeting_filters(q, idx, kind)
        if q.site_types:
            has_site = (kind == KIND["naloxone_site"]) | (kind == KIND["takeback_site"])
            wanted = np.isin(a["site_type"][idx], [vocab.SITE_TYPES.index(s) for s in q.site_types])
            keep &= ~has_site | wanted
        if q.open_now:
            keep &= self._open_now(q, idx, kind)
        return keep

    def _meeting_filters(self, q, idx, kind):
        a = self.a
        ok = np.ones(len(idx), dtype=bool)
        if q.fellowships:
            ok &= np.isin(a["fellowship"][idx], [vocab.FELLOWSHIPS.index(f) for f in q.fellowships])
        if q.days:
            ok &= np.isin(a["day"][idx], q.days)
        if q.attendance:
            ok &= np.isin(a["attendance"][idx], [vocab.ATTENDANCE.index(x) for x in q.attendance])
        if q.types:
            ok &= _any_bits(a["bits_types"][idx], q.types, tuple(vocab.MEETING_TYPES))
        if q.starts_after is not None:
            ok &= a["start_min"][idx] >= q.starts_after
        if q.starts_within is not None:
            week_min = self._local_week_minute(q.now, a["zone"][idx])
            starts = a["day"][idx].astype(np.int32) * 1440 + a["start_min"][idx]
            ahead = (starts - week_min) % (7 * 1440)
            ok &= ahead <= q.starts_within
        return (kind != MEETING) | ok

    def _local_week_minute(self, now, zone_codes):
        """Minutes since local Sunday 00:00 at `now`, per row's time zone."""
        out = np.zeros(len(zone_codes), dtype=np.int32)
        for code in np.unique(zone_codes):
            local = now.astimezone(self.zones[code])
            minute = ((local.isoweekday() % 7) * 1440 + local.hour * 60 + local.minute)
            out[zone_codes == code] = minute
        return out

    def _open_now(self, q, idx, kind):
        a = self.a
        week_min = self._local_week_minute(q.now, a["zone"][idx])
        open_now = cols.open_at(a["hours_ptr"], a["hours_open"], a["hours_close"], idx, week_min)
        starts = a["day"][idx].astype(np.int32) * 1440 + a["start_min"][idx]
        length = (a["end_min"][idx].astype(np.int32) - a["start_min"][idx]) % 1440
        in_progress = (week_min - starts) % (7 * 1440) < length
        return np.where(kind == MEETING, in_progress, open_now)

    def _capacity(self, q, idx):
        """Open beds the person may take: the query's levels (all if none) and population
        groups (a man is not counted a women's bed), summed, with the oldest report time.

        Only facilities have bed rows (others point at the all-NaN last row, whose answer
        is NaN, NaN): they alone are gathered, and of their rows only the asked columns."""
        a = self.a
        rows = a["bed_row"][idx]
        levels = _bed_columns(tuple(q.levels), q.gender, q.age)
        open_beds = np.full(len(idx), np.nan)
        reported = np.full(len(idx), np.nan)
        facilities = np.flatnonzero(rows >= 0)
        if len(facilities) == 0:
            return open_beds, reported
        rows = rows[facilities]
        beds = _gather(a["beds_open"], rows, levels)
        known = np.isfinite(beds)
        any_known = known.any(axis=1)
        counted = np.where(any_known, np.where(known, beds, 0).sum(axis=1), np.nan)
        oldest = np.where(known, _gather(a["beds_reported"], rows, levels), np.inf).min(axis=1)
        open_beds[facilities] = counted
        reported[facilities] = np.where(any_known, oldest, np.nan)
        return open_beds, reported

    def _components(self, q, idx, dist, open_beds, reported):
        a = self.a
        kind = a["kind"][idx]
        is_fac = kind == FACILITY
        scale = self.scale_by_kind[kind]
        out = {"distance": ranking.distance_component(dist, scale)}
        age_h = (q.now.timestamp() - reported) / 3600.0
        out["capacity"] = np.where(is_fac, ranking.capacity_component(open_beds, age_h), np.nan)
        if q.payment:
            out["payment"] = np.where(is_fac, self._payment(q, idx), np.nan)
        if q.levels:
            exact = _any_bits(a["bits_levels"][idx], q.levels_primary, vocab.LEVELS_OF_CARE)
            value = np.where(exact, ranking.LEVEL_EXACT, ranking.LEVEL_RELATED)
            out["level_of_care"] = np.where(is_fac, value, np.nan)
        return out

    def _problems(self, idx):
        """Confirmed public-report problems per candidate (live_overlay sets `problems`,
        {row: count}), or None when no candidate has any."""
        problems = getattr(self, "problems", None)
        if not problems:
            return None
        rows = np.fromiter(problems, dtype=np.int64, count=len(problems))
        counts = np.fromiter(problems.values(), dtype=np.float64, count=len(problems))
        order = np.argsort(rows)
        rows, counts = rows[order], counts[order]
        at = np.clip(np.searchsorted(rows, idx), 0, len(rows) - 1)
        found = np.where(rows[at] == idx, counts[at], 0.0)
        return found if found.any() else None

    def _payment(self, q, idx):
        bits = self.a["bits_payment"][idx]
        if not q.uninsured:
            return _any_bits(bits, q.payment, vocab.PAYMENT).astype(float)
        value = np.zeros(len(idx))
        for code in q.payment:
            has = _any_bits(bits, (code,), vocab.PAYMENT)
            value = np.maximum(value, np.where(has, ranking.payment_value({code}, True), 0.0))
        return value

    @staticmethod
    def _top(score, dist, id_rank, k):
        """Positions of the best k by (score desc, distance, id), ties at the edge kept."""
        if len(score) > 4 * k:
            kth = np.partition(-score, k - 1)[k - 1]
            cand = np.nonzero(-score <= kth)[0]
        else:
            cand = np.arange(len(score))
        order = np.lexsort((id_rank[cand], dist[cand], -score[cand]))
        return cand[order]
