"""Turning "where" into a point, offline by default (DESIGN §6, §7).

A ZIP or "City, ST" resolves through the `zipcodes` package's bundled gazetteer, so a
search never sends a frightened person's whereabouts to a third party. A full address is
geocoded only when an operator configures a geopy geocoder.
"""
import functools
import re
from dataclasses import dataclass

import zipcodes
from geopy.point import Point

ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
CITY_STATE = re.compile(r"^\s*([A-Za-z][A-Za-z .'-]*?)\s*,\s*([A-Za-z]{2})\s*$")
# Two decimals of a degree is about 1.1 km of latitude: coarse enough to log or echo back.
COARSE_DECIMALS = 2


class PlaceNotFound(ValueError):
    """`near` could not be resolved to a point."""


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    precision: str  # exact, zip, city, address
    label: str
    timezone: str | None = None


@functools.lru_cache(maxsize=4096)
def _zip_place(code):
    matches = zipcodes.matching(code)
    if not matches:
        raise PlaceNotFound(f"unknown ZIP code {code}")
    z = matches[0]
    return Place(float(z["lat"]), float(z["long"]), "zip", code, z.get("timezone"))


@functools.lru_cache(maxsize=4096)
def _city_place(city, state):
    matches = zipcodes.filter_by(city=city.upper(), state=state.upper())
    if not matches:
        # The gazetteer stores cities in upper case, with "SAINT" spelt out in places.
        matches = [z for z in zipcodes.filter_by(state=state.upper())
                   if z["city"].upper() == city.upper()]
    if not matches:
        raise PlaceNotFound(f"unknown city {city}, {state.upper()}")
    lat = sum(float(z["lat"]) for z in matches) / len(matches)
    lon = sum(float(z["long"]) for z in matches) / len(matches)
    return Place(lat, lon, "city", f"{city.title()}, {state.upper()}", matches[0].get("timezone"))


def resolve_near(text, geocoder=None):
    """Resolve `near` to a Place: ZIP, "City, ST", or (with a geocoder) a full address."""
    if m := ZIP.match(text):
        return _zip_place(m.group(1))
    if m := CITY_STATE.match(text):
        return _city_place(m.group(1).strip(), m.group(2))
    if geocoder is None:
        raise PlaceNotFound("give a 5-digit ZIP or 'City, ST'; full addresses need a "
                            "configured geocoder")
    found = geocoder.geocode(text)
    if found is None:
        raise PlaceNotFound("address not found")
    return Place(found.latitude, found.longitude, "address", "address")


def make_geocoder(settings):
    """The configured geopy geocoder, rate limited, or None to stay offline."""
    if not settings.geocoder:
        return None
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import Nominatim

    client = Nominatim(user_agent=settings.geocoder_user_agent, timeout=3)
    limited = RateLimiter(client.geocode, min_delay_seconds=1.0)

    class _Geocoder:
        @functools.lru_cache(maxsize=1024)
        def geocode(self, text):
            return limited(text)

    return _Geocoder()


def coarse(lat, lon):
    """A point rounded to about 1 km, safe to log or return."""
    point = Point(lat, lon)
    return round(point.latitude, COARSE_DECIMALS), round(point.longitude, COARSE_DECIMALS)


def to_metres(value, unit):
    return value * {"m": 1.0, "km": 1000.0, "mi": 1609.344}[unit]
