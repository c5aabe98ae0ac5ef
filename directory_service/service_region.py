"""The region a deployment serves, so a bare place name means the place near its records.

"Aurora" alone is Aurora, CO by population, but in a directory of Chicago-area records it
means Aurora, IL: Aurora, CO would find nothing. The indexer learns the region from the
records it writes (`RegionBuilder`: the states they are in and their points on a coarse
grid), both stores keep it in their index metadata, and `SERVICE_REGION` may set it by hand.
`ServiceRegion.order` sorts the candidates of a city name by nearness to it (docs/places.md).
"""
import functools
import json
import math
import re

import numpy as np

from directory_service import gazetteer
from directory_service.search.store import StoreError

META_KEY = "service_region"
# Record points are kept on the finest of these grids (degrees) that gives at most
# MAX_POINTS cells: 0.1° (about 11 km) for a metro area, coarser for a whole country, so
# the metadata stays small (a few tens of kB) whatever the directory's size.
GRID_STEPS = (0.1, 0.25, 0.5, 1.0, 2.0)
MAX_POINTS = 2000
# A candidate this close to a record is in the served area: a default search (25 mi,
# about 40 km) from it reaches the record, with room for the grid's rounding.
REACH_KM = 50.0
EARTH_KM = 6371.0088
POINT = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


class ServiceRegion:
    """States served and points of records; either may be empty, not both."""

    def __init__(self, states=(), points=()):
        self.states = frozenset(states)
        self.points = np.radians(np.array(points, dtype=np.float64).reshape(-1, 2))

    def __bool__(self):
        return bool(self.states) or len(self.points) > 0

    def distance_km(self, lat, lon):
        """Great-circle distance from a point to the nearest record point (inf: none)."""
        if not len(self.points):
            return math.inf
        lat, lon = math.radians(lat), math.radians(lon)
        dlat = self.points[:, 0] - lat
        dlon = self.points[:, 1] - lon
        h = (np.sin(dlat / 2) ** 2
             + math.cos(lat) * np.cos(self.points[:, 0]) * np.sin(dlon / 2) ** 2)
        return float(2 * EARTH_KM * np.arcsin(np.sqrt(np.min(h))))

    def order(self, cities):
        """(contenders, ordered) for the cities of one name, most populous first.

        `ordered` puts the cities within REACH_KM of a record first (in population order),
        then the others: in a served state first, nearest first. `contenders` are those the
        population rule still has to choose between: the served ones when there are any,
        else the nearest in a served state alone; all of them when none is near a record
        or in a served state, so the population rule stands as without a region.
        """
        served, others = [], []
        for city in cities:
            distance = self.distance_km(city.lat, city.lon)
            if distance <= REACH_KM:
                served.append(city)
            else:
                others.append((city.region not in self.states, distance, city))
        if served:
            others.sort(key=lambda entry: entry[:2])
            return served, served + [city for _out, _d, city in others]
        in_state = [entry for entry in others if not entry[0]]
        if not in_state:
            # Nothing of that name near the records or in their states: nearness to the
            # directory says nothing ("Portland" asked of a Chicago directory is not
            # Portland, MI), so the population rule stands, as with no region.
            return list(cities), list(cities)
        # A stable sort: without record points (a state list) the population order stays.
        others.sort(key=lambda entry: entry[:2])
        ordered = [city for _out, _d, city in others]
        return ordered[:1], ordered

    def to_meta(self):
        """The region as index metadata: one JSON text (SQLite meta values are text)."""
        points = [[round(math.degrees(a), 4), round(math.degrees(b), 4)] for a, b in self.points]
        return json.dumps({"states": sorted(self.states), "points": points},
                          separators=(",", ":"))


@functools.lru_cache(maxsize=8)
def from_meta(text):
    """The region an index was built with, or None (an index built before regions were
    kept, or one without records): then the population rule alone stands."""
    if not text:
        return None
    try:
        data = json.loads(text)
        region = ServiceRegion(data.get("states", ()), data.get("points", ()))
    except (ValueError, TypeError, AttributeError):
        return None
    return region or None


@functools.lru_cache(maxsize=8)
def parse_setting(text):
    """SERVICE_REGION: state abbreviations or names ("IL", "IL,WI") or points
    ("41.8,-88.2" or "41.8,-88.2; 39.7,-104.8"). Raises ValueError naming a bad part."""
    text = (text or "").strip()
    if not text:
        return None
    parts = [p for p in text.split(";") if p.strip()]
    if all(POINT.match(p) for p in parts):
        points = [tuple(float(v) for v in POINT.match(p).groups()) for p in parts]
        for lat, lon in points:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"{lat},{lon} is not a point on Earth")
        return ServiceRegion(points=points)
    states = []
    for part in (p.strip() for p in text.replace(";", ",").split(",") if p.strip()):
        found = gazetteer.region(part)
        if found is None:
            raise ValueError(f"{part!r} is neither a state or province nor a lat,lon point")
        states.append(found[0])
    return ServiceRegion(states=states)


class RegionBuilder:
    """Collects the states and grid cells of the records an index run writes.

    A record costs one rounding and two set insertions (about a microsecond): the cells are
    kept on the finest grid only and coarsened once, at the end.
    """

    def __init__(self):
        self.states = set()
        self.cells = set()
        self._state_of = {}

    def add(self, record):
        self.add_point((record.get("address") or {}).get("state"),
                       record["location"]["lat"], record["location"]["lon"])

    def add_point(self, state, lat, lon):
        """A record's address state (or None) and point."""
        self.add_state(state)
        fine = GRID_STEPS[0]
        self.cells.add((round(lat / fine), round(lon / fine)))

    def add_state(self, state):
        if state:
            if state not in self._state_of:
                found = gazetteer.region(state)
                self._state_of[state] = found[0] if found else None
            if self._state_of[state]:
                self.states.add(self._state_of[state])

    def add_many(self, states, lat, lon):
        """Many records at once (an index writer's commit): the distinct address states
        they name, and their points as NumPy arrays; the same cells `add_point` keeps
        (NumPy rounds half to even, as Python's round does), at a fraction of the cost."""
        for state in states:
            self.add_state(state)
        if len(lat):
            fine = GRID_STEPS[0]
            cells = np.unique(np.stack([np.rint(np.asarray(lat, np.float64) / fine),
                                        np.rint(np.asarray(lon, np.float64) / fine)], 1),
                              axis=0).astype(np.int64)
            self.cells.update(zip(cells[:, 0].tolist(), cells[:, 1].tolist()))

    def region(self):
        """The finest grid with at most MAX_POINTS cells, as cell centres."""
        fine = GRID_STEPS[0]
        for step in GRID_STEPS:
            cells = {(round(a * fine / step), round(b * fine / step)) for a, b in self.cells}
            if len(cells) <= MAX_POINTS:
                return ServiceRegion(self.states, sorted((a * step, b * step) for a, b in cells))
        return ServiceRegion(self.states)

    def meta(self):
        """{META_KEY: JSON} for an index writer's commit, or {} when nothing was written."""
        region = self.region()
        return {META_KEY: region.to_meta()} if region else {}


def for_search(settings, store):
    """The region that decides a bare place name: SERVICE_REGION, else the serving index's,
    else None (today's population rule)."""
    configured = parse_setting(settings.service_region)
    if configured is not None:
        return configured
    try:
        return from_meta(store.service_region_meta())
    except StoreError:
        return None  # no index yet, engine down: the search itself answers 503
