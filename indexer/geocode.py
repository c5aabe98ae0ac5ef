"""Placing rows that arrive without coordinates (DESIGN §7), and naming their time zone.

Offline by default: the ZIP centroid, else the centroid of "City, ST", from the gazetteer
in `directory_service/geo.py`; the record says how precise its point is
(`location_precision` zip or city). With a geopy geocoder configured (GEOCODER), a street
address is tried there first, rate limited, and every answer (found or not) is kept in a
JSON cache file so a re-run asks nothing twice. A row that cannot be placed is rejected
with the reason: it is never indexed at an invented point.
"""
import json
import logging
import os

from directory_service import geo

log = logging.getLogger(__name__)


class Placer:
    def __init__(self, geocoder=None, cache_path=None, default_timezone=None):
        self.geocoder = geocoder
        self.cache_path = cache_path
        self.default_timezone = default_timezone
        self.cache = {}
        self.counts = {"exact": 0, "zip": 0, "city": 0, "unplaced": 0}
        if cache_path and os.path.exists(cache_path):
            with open(cache_path, encoding="utf-8") as fh:
                self.cache = json.load(fh)

    def place(self, record):
        """Fill `location`, `location_precision` and `timezone`; or return a reason it can't."""
        address = record.get("address") or {}
        if record.get("location") is None:
            found = self._by_address(address) or self._offline(address)
            if found is None:
                self.counts["unplaced"] += 1
                return ("no coordinates, and neither the address, the ZIP nor city and state "
                        "could be placed")
            lat, lon, precision = found
            record["location"] = {"lat": lat, "lon": lon}
            record["location_precision"] = precision
            self.counts[precision] += 1
        if not record.get("timezone"):
            zone = self._zone(address) or self.default_timezone
            if zone:
                record["timezone"] = zone
        return None

    def _offline(self, address):
        for text in (address.get("postal_code"), _city_state(address)):
            if not text:
                continue
            try:
                place = geo.resolve_near(text)
            except geo.PlaceNotFound:
                continue
            return place.lat, place.lon, place.precision
        return None

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

    @staticmethod
    def _zone(address):
        for text in (address.get("postal_code"), _city_state(address)):
            if text:
                try:
                    return geo.resolve_near(text).timezone
                except geo.PlaceNotFound:
                    continue
        return None

    def close(self):
        """Write the geocoder cache; only counts reach the log, never addresses."""
        if self.cache_path and self.geocoder is not None:
            tmp = f"{self.cache_path}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(self.cache, fh)
            os.replace(tmp, self.cache_path)
        log.info("placed rows without coordinates: %s", self.counts)


def _city_state(address):
    if address.get("city") and address.get("state"):
        return f"{address['city']}, {address['state']}"
    return None
