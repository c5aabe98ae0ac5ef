"""Placing rows and naming their time zone (DESIGN §3, §7).

A row without coordinates is placed offline (indexer/named_places.py, the gazetteer):
its ZIP, else its city and state (or "X County"), else its city alone when one place of
that name stands out or the feed's other rows name its state. With a geopy geocoder
configured (GEOCODER) a street address is tried first, rate limited, every answer cached
in a JSON file so a re-run asks nothing twice. `location_precision` says which.

A row whose coordinates cannot be where its address says (outside its state or province,
or at (0, 0): swapped or unsigned coordinates) is placed again from its address, with a
warning, or rejected; it is never indexed at an impossible point.

The time zone comes from the point (timezonefinder), never from a fixed default. A zone the
row declares is used only where the point does not say (an online meeting's regional
pin, a point at sea); a declared zone that disagrees with the point is a warning.
"""
import json
import logging
import os
from collections import Counter

from directory_service import gazetteer, geo, timezones, towns
from indexer import named_places
from indexer.formats.common import Warned

log = logging.getLogger(__name__)
# For rows placed by a city alone: the best candidate must be this many times the next.
CITY_ALONE_DOMINANT = 10
# Points only as precise as a region: the zone the feed declares is the better guide.
REGIONAL = ("region",)


class Placer:
    def __init__(self, geocoder=None, cache_path=None, default_timezone=None):
        self.geocoder = geocoder
        self.cache_path = cache_path
        self.default_timezone = default_timezone
        self.cache = {}
        self.counts = Counter()
        self.states = Counter()  # regions named by this run's rows, to place a city alone
        self.warnings = []
        if cache_path and os.path.exists(cache_path):
            with open(cache_path, encoding="utf-8") as fh:
                self.cache = json.load(fh)

    def place(self, record):
        """Fill `location`, `location_precision` and `timezone`; or return why it can't.

        Warnings about the row (a re-placed point, a disagreeing zone) collect in
        `self.warnings`; `take_warnings()` hands them to the report.
        """
        address = record.get("address") or {}
        if address.get("state"):
            self.states[address["state"]] += 1
        if record.get("location") is not None:
            problem = self._implausible(record["location"], address)
            if problem:
                found = self._from_address(address)
                if found is None:
                    return f"{problem}, and the address does not place it"
                self._warn("location:outside-region",
                           f"{problem}: placed by its {found[2]} instead")
                self._set(record, found)
        else:
            found = self._from_address(address)
            if found is None:
                self.counts["unplaced"] += 1
                return ("no coordinates, and neither the address, the ZIP nor the city "
                        "could be placed" + self._why_not(address))
            self._set(record, found)
        if not _valid_point(record["location"]):
            return None  # the schema names the bad coordinate
        zone = self._zone(record)
        if zone is None:
            return ("no time zone: the point is not on land and the row names none "
                    "(use --timezone)")
        record["timezone"] = zone
        return None

    def take_warnings(self):
        warnings, self.warnings = self.warnings, []
        return warnings

    def _set(self, record, found):
        lat, lon, precision = found
        record["location"] = {"lat": lat, "lon": lon}
        record["location_precision"] = precision
        self.counts[precision] += 1

    def _warn(self, code, message):
        self.warnings.append(Warned(code, message))

    @staticmethod
    def _implausible(location, address):
        try:
            lat, lon = float(location["lat"]), float(location["lon"])
        except (KeyError, TypeError, ValueError):
            return None  # the schema names the bad field
        if abs(lat) < 1e-6 and abs(lon) < 1e-6:
            return "point (0, 0) is a missing coordinate, not a place"
        state = address.get("state")
        if not state and address.get("postal_code"):
            # No state written, but a US ZIP says which state the place is in.
            found = gazetteer.zip_code(address["postal_code"][:5])
            state = found.state if found else None
        if state and gazetteer.within_region(lat, lon, state) is False:
            return f"point ({lat:.4f}, {lon:.4f}) lies outside {state}"
        return None

    def _from_address(self, address):
        return self._by_address(address) or self._offline(address)

    def _offline(self, address):
        state = address.get("state")
        region = gazetteer.region(state) if state else None
        abbr = region[0] if region else None
        found = named_places.by_zip(address.get("postal_code"), abbr)
        if found:
            return found
        city = address.get("city")
        if city and region:
            return named_places.by_town(city, abbr)
        if city:
            return self._city_alone(city)
        return None

    def _city_alone(self, city):
        """A city without a state: the feed's own states first, else one that stands out."""
        local = [c for c in towns.towns(city) if self.states.get(c.region)]
        found = gazetteer.cities(city)
        if local:
            best = max(local, key=lambda c: (self.states[c.region], c.population or 0))
        elif found and found[0].population and (len(found) == 1 or found[0].population >= (
                CITY_ALONE_DOMINANT * max(found[1].population or 0, 1))):
            # A real city that dwarfs its namesakes; a hamlet known only by a ZIP is never
            # guessed (Devon, Alberta is not Devon, PA).
            best = found[0]
        else:
            return None
        self.states[best.region] += 1
        return best.lat, best.lon, "city"

    def _why_not(self, address):
        """What the gazetteer made of the city, for the rejection line."""
        city, state = address.get("city"), address.get("state")
        if city and not state and gazetteer.cities(city):
            labels = ", ".join(c.label for c in gazetteer.cities(city)[:4])
            return f" ({city!r} alone could be {labels}: give the state)"
        region = gazetteer.region(state) if state else None
        if city and region:
            try:
                geo.resolve_near(f"{city}, {region[0]}")
            except geo.PlaceNotFound as exc:
                hint = f"; did you mean {', '.join(exc.candidates)}?" if exc.candidates else ""
                small = ("; the offline gazetteer knows the Canadian towns geonames lists "
                         "(about 1,000 people or more)") if region[2] == "CA" else ""
                return f" ({exc}{hint}{small})"
        if city and state and region is None:
            return f" (unknown state or province {state!r})"
        return ""

    def _by_address(self, address):
        if self.geocoder is None or not address.get("street"):
            return None
        query = ", ".join(p for p in (address.get("street"), address.get("city"),
                                      address.get("state"), address.get("postal_code")) if p)
        if query not in self.cache:
            found = self.geocoder.geocode(query)
            self.cache[query] = [found.latitude, found.longitude] if found else None
        hit = self.cache[query]
        return (hit[0], hit[1], "exact") if hit else None

    def _zone(self, record):
        declared = record.get("timezone") or self.default_timezone
        lat, lon = float(record["location"]["lat"]), float(record["location"]["lon"])
        if record.get("location_precision") in REGIONAL and declared:
            return declared
        zone = gazetteer.zone_at(lat, lon)
        if zone is None:
            return declared
        if declared and declared != zone and not timezones.same_clock(declared, zone):
            self._warn("timezone:disagrees", f"the row says {declared}, its point is in "
                       f"{zone}: using {zone}")
        return zone

    def close(self):
        """Write the geocoder cache; only counts reach the log, never addresses."""
        if self.cache_path and self.geocoder is not None:
            tmp = f"{self.cache_path}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(self.cache, fh)
            os.replace(tmp, self.cache_path)
        log.info("placed rows without coordinates: %s", dict(self.counts))


def _valid_point(location):
    try:
        lat, lon = float(location["lat"]), float(location["lon"])
    except (KeyError, TypeError, ValueError):
        return False
    return -90 <= lat <= 90 and -180 <= lon <= 180
