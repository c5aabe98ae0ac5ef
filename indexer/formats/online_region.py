"""Where an online-only meeting is pinned: the region it serves, never a door to go to.

Its point (`location_precision` "region") says which region and time zone a meeting serves;
search finds it by time zone (docs/ranking.md). In order: the row's own point; the ZIP,
"City, ST" (or "County, ST": "Marin", CA) or city alone it names (indexer/named_places.py);
then, when the row names no state, the feed's region, each with a `location:feed-region` warning saying which:
1. its town (or county: "Marin") in the state the feed's other meetings are in;
2. the region the operator declared (`--region`);
3. the feed's `entity_location` ("Marin County, CA");
4. the middle (median) of the feed's in-person meetings, which one stray cannot drag;
5. the feed's state itself (its largest city stands for it).
A row naming nothing is pinned to the middle of the feed without a warning, as before.
"""
import functools
import math
import statistics
from collections import Counter

from directory_service import gazetteer, timezones, towns
from indexer import named_places
from indexer.formats.common import Warned, text

# As the placer (indexer/geocode.py): a city alone is taken only when it has this many
# times the people of its next namesake.
CITY_ALONE_DOMINANT = 10
# How far from the middle of a feed a real city of the name is preferred (degrees, ~500 km).
NEAR_FEED_DEG = 4.5
# The feed's state is the one most of its meetings name: at least this share of those
# naming one (a feed across a state line still has one).
FEED_STATE_SHARE = 0.6


class FeedArea:
    """What a feed says about where it is, gathered row by row: points, states, entity."""

    def __init__(self):
        self.points, self.states, self.entities = [], Counter(), Counter()

    def add(self, item):
        if item.get("location") and item.get("attendance") != "online":
            self.points.append(item["location"])
        state = (item.get("address") or {}).get("state")
        if state:
            self.states[state] += 1

    def entity(self, location):
        if text(location):
            self.entities[text(location)] += 1

    def region(self, zone=None, declared=None):
        return Region(self.points, zone, self.states, self.entities, declared)


class Region:
    """Where an online-only meeting of one feed is pinned, and in which zone."""

    def __init__(self, points, zone=None, states=None, entities=None, declared=None):
        points = [p for p in points if p]
        self.centre = None
        if points:
            self.centre = {"lat": statistics.median(p["lat"] for p in points),
                           "lon": statistics.median(p["lon"] for p in points)}
        self.zone = zone
        self.state = _main_state(states or Counter())
        self.entity = (entities or Counter()).most_common(1)[0][0] if entities else None
        self.declared = declared
        self.warnings = []

    def pin(self, record):
        """Give an online-only record its regional point and zone when it has no point."""
        record["location_precision"] = "region"
        if record.get("location") is None:
            address = record.get("address") or {}
            point = self._named(address)
            if point is None and not address.get("state") and _names_a_place(address):
                point = self._feed_region(address)
            point = point or self.centre
            if point is None:
                return record  # the pipeline's placer tries, or rejects it with the reason
            record["location"] = dict(point)
        if not record.get("timezone"):
            zone = self.zone or timezones.zone_at(record["location"]["lat"],
                                                  record["location"]["lon"])
            if zone:
                record["timezone"] = zone
        return record

    def take_warnings(self):
        warnings, self.warnings = self.warnings, []
        return warnings

    def _feed_region(self, address):
        """The feed's region for a row that names a place but no state, with a warning."""
        named = ", ".join(p for p in (address.get("city"), address.get("postal_code")) if p)
        for point, why in self._feed_guesses(address.get("city")):
            if point is not None:
                self.warnings.append(Warned("location:feed-region", (
                    f"online meeting names {named!r} without a state: pinned to {why}")))
                return point
        return None

    def _feed_guesses(self, city):
        """(point or None, why) in order of trust; computed lazily, first found wins."""
        if city and self.state:
            found = named_places.by_town(city, self.state) or _county(city, self.state)
            yield _point(found), f"{city}, {self.state} (the state of the feed's other meetings)"
        if self.declared:
            yield _resolved(self.declared), f"{self.declared} (the region declared for the feed)"
        if self.entity:
            yield _resolved(self.entity), f"{self.entity} (the feed's entity_location)"
        yield self.centre, "the middle of the feed's other meetings"
        if self.state:
            yield _point(_state_city(self.state)), (
                f"{self.state} (the state of the feed's other meetings, at its largest city)")

    def _named(self, address):
        """The point of the ZIP, "City, ST" or city alone the row names, offline."""
        found = named_places.by_address(address)
        if found:
            return _point(found)
        city, state = address.get("city"), address.get("state")
        if city and state:
            # An online meeting's "city" is often the county it serves ("Marin", CA).
            return _point(_county(city, state))
        return self._city_alone(city) if city else None

    def _city_alone(self, city):
        """A city named without its state: the namesake nearest the feed's other meetings,
        else one that dwarfs its namesakes (as the placer does); never a guess among equals."""
        found = towns.towns(city) if self.centre else gazetteer.cities(city)
        if not found:
            return None
        if self.centre:
            lat, lon = self.centre["lat"], self.centre["lon"]

            def far(c):
                return (c.lat - lat) ** 2 + ((c.lon - lon) * math.cos(math.radians(lat))) ** 2
            # A real city within reach of the feed before a nearer hamlet of the same name
            # (Springfield, IL before Springfield, WI for a Chicago feed).
            cities = [c for c in found if (c.population or 0) >= towns.CITY_LIST_POPULATION
                      and far(c) <= NEAR_FEED_DEG ** 2]
            best = min(cities or found, key=far)
        elif found[0].population and (len(found) == 1 or found[0].population >= (
                CITY_ALONE_DOMINANT * max(found[1].population or 0, 1))):
            best = found[0]
        else:
            return None
        return {"lat": best.lat, "lon": best.lon}


def _names_a_place(address):
    return bool(address.get("city") or address.get("postal_code"))


def _main_state(states):
    """The state most of the feed's meetings name, when most of them name it."""
    if not states:
        return None
    state, count = states.most_common(1)[0]
    region = gazetteer.region(state)
    return region[0] if region and count >= FEED_STATE_SHARE * sum(states.values()) else None


def _point(found):
    """{lat, lon} from a (lat, lon, …) tuple or a gazetteer City; None stays None."""
    if found is None:
        return None
    if isinstance(found, tuple):
        return {"lat": found[0], "lon": found[1]}
    return {"lat": found.lat, "lon": found.lon}


def _county(name, state):
    return gazetteer.county(name, state)


def _resolved(place_text):
    return _point(named_places.by_text(place_text))


@functools.lru_cache(maxsize=128)
def _state_city(state):
    """The most populous city the gazetteer knows in a state or province."""
    best = None
    for name in gazetteer.city_names(state).values():
        for city in gazetteer.cities(name, state):
            if (city.population or 0) > ((best.population or 0) if best else -1):
                best = city
    return best
