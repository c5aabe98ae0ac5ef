"""Rules every meeting importer shares: attendance and activity, precision, languages, region.

Attendance follows the Meeting Guide spec and TSML: a declared `attendance_option` wins
when it can be true; otherwise a meeting with a conference link or dial-in is online, or
hybrid when it also has a street address that is neither approximate nor temporarily closed
(`TC`). An online meeting without a link or dial-in is not active ("must have either a
conference_url and/or conference_phone to be considered active"); `TC` without them, and
`inactive`, are not active either.

An online-only meeting has no place to go to. Its point only says which region it serves
(`location_precision` "region"): the point the row gives, else its city or ZIP, else the
centre of the feed's other meetings; search finds it by time zone (docs/ranking.md).
"""
import math
import statistics

from directory_service import gazetteer, geo, timezones, vocab
from indexer.formats import common
from indexer.formats.common import Warned

# As the placer (indexer/geocode.py): a city alone is taken only when it has this many
# times the people of its next namesake.
CITY_ALONE_DOMINANT = 10
# How far from the middle of a feed a real city of the name is preferred (degrees, ~500 km).
NEAR_FEED_DEG = 4.5

OPTIONS = {"in_person": "in_person", "in-person": "in_person", "in person": "in_person",
           "inperson": "in_person", "hybrid": "hybrid", "online": "online",
           "virtual": "online", "inactive": "inactive"}


def attendance(option, has_link, has_street, approximate=False, closed=False):
    """(attendance, active, warnings) of one meeting; see the module docstring."""
    warnings = []
    declared = OPTIONS.get(str(option or "").strip().lower())
    if option not in (None, "") and declared is None:
        warnings.append(Warned(f"attendance_option:{option}", (
            f"attendance_option {option!r} is not in_person, hybrid, online or inactive: "
            "attendance derived from the conference details and address")))
    physical = has_street and not approximate and not closed
    derived = ("hybrid" if physical else "online") if has_link else "in_person"
    if declared == "inactive":
        return derived, False, warnings
    if declared in ("online", "hybrid") and not has_link:
        outcome = ("not active (the spec needs one of them)" if declared == "online" or closed
                   else "loaded as in person")
        warnings.append(Warned(f"attendance:{declared}-without-link", (
            f"attendance_option {declared} without conference_url or conference_phone: "
            f"{outcome}")))
        if declared == "online":
            return "online", False, warnings
        return "in_person", not closed, warnings
    if declared == "online":
        return "online", True, warnings
    if declared == "hybrid":
        return ("online" if closed else "hybrid"), True, warnings
    if declared == "in_person":
        return "in_person", not closed, warnings
    return derived, not (closed and not has_link), warnings


def precision(attendance_value, approximate):
    """The precision a reader knows before placing: region for online-only meetings."""
    if attendance_value == "online":
        return "region"
    return "city" if approximate else None


def languages(types, extra=()):
    """ISO 639-1 codes from language types (and `extra` codes), English when none is named."""
    found = [vocab.MEETING_TYPE_LANGUAGES[t] for t in types if t in vocab.MEETING_TYPE_LANGUAGES]
    found += [c for c in extra if c]
    return list(dict.fromkeys(found)) or ["en"]


def region_abbr(value):
    """'IL', 'Illinois', 'Alberta' → 'IL', 'IL', 'AB'; anything else → None."""
    found = gazetteer.region(common.text(value))
    return found[0] if found else None


def yes(value):
    return str(value or "").strip().lower() in ("yes", "y", "true", "1")


def notes(*parts):
    """Non-empty parts, each once, one per line; None when there are none."""
    kept = list(dict.fromkeys(p for p in (common.text(x) for x in parts) if p))
    return "\n".join(kept) or None


class Region:
    """Where an online-only meeting of one feed is pinned, and in which zone.

    `centre` is the median of the feed's coordinates: one stray meeting cannot drag it.
    """

    def __init__(self, points, zone=None):
        points = [p for p in points if p]
        self.centre = None
        if points:
            self.centre = {"lat": statistics.median(p["lat"] for p in points),
                           "lon": statistics.median(p["lon"] for p in points)}
        self.zone = zone

    def pin(self, record):
        """Give an online-only record its regional point and zone when it has no point."""
        record["location_precision"] = "region"
        if record.get("location") is None:
            point = self._named(record.get("address") or {}) or self.centre
            if point is None:
                return record  # the pipeline's placer tries, or rejects it with the reason
            record["location"] = dict(point)
        if not record.get("timezone"):
            zone = self.zone or timezones.zone_at(record["location"]["lat"],
                                                  record["location"]["lon"])
            if zone:
                record["timezone"] = zone
        return record

    def _named(self, address):
        """The point of the ZIP, "City, ST" or city alone the row names, offline."""
        city, state = address.get("city"), address.get("state")
        for text in (address.get("postal_code"), f"{city}, {state}" if city and state else None):
            if not text:
                continue
            try:
                place = geo.resolve_near(text)
            except geo.PlaceNotFound:
                continue
            return {"lat": place.lat, "lon": place.lon}
        return self._city_alone(city) if city and not state else None

    def _city_alone(self, city):
        """A city named without its state: the namesake nearest the feed's other meetings,
        else one that dwarfs its namesakes (as the placer does); never a guess among equals."""
        found = gazetteer.cities(city)
        if not found:
            return None
        if self.centre:
            lat, lon = self.centre["lat"], self.centre["lon"]

            def far(c):
                return (c.lat - lat) ** 2 + ((c.lon - lon) * math.cos(math.radians(lat))) ** 2
            # A real city within reach of the feed before a nearer hamlet of the same name
            # (Springfield, IL before Springfield, WI for a Chicago feed).
            cities = [c for c in found if c.population and far(c) <= NEAR_FEED_DEG ** 2]
            best = min(cities or found, key=far)
        elif found[0].population and (len(found) == 1 or found[0].population >= (
                CITY_ALONE_DOMINANT * max(found[1].population or 0, 1))):
            best = found[0]
        else:
            return None
        return {"lat": best.lat, "lon": best.lon}


def gather(items, own, points):
    """First pass over one row's items: its own fellowship, in-person points for the region."""
    for item in items:
        if isinstance(item, dict):
            item["fellowship"] = own
            if item.get("location") and item.get("attendance") != "online":
                points.append(item["location"])


def finish(mapped, evidence, points, options):
    """Second pass: (row number, item) with the feed's fellowship where a row named none
    (or the operator's, which wins), and online meetings pinned to the feed's region."""
    feed_fellowship, warned = evidence.decide(options.fellowship)
    if warned and any(isinstance(i, dict) for _n, items in mapped for i in items):
        yield 0, warned
    region = Region(points, options.timezone)
    for number, items in mapped:
        for item in items:
            if isinstance(item, dict):
                if options.fellowship or not item["fellowship"]:
                    item["fellowship"] = feed_fellowship
                if item["attendance"] == "online":
                    region.pin(item)
            yield number, item

