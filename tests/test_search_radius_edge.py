"""The radius is exact at its edge wherever the circle lies (every store).

The embedded store cuts rows by a longitude window before computing distances
(search/embedded/vector_search.py); these records sit where a too-narrow window would lose them:
the circle's widest longitude (north of due east, at high latitude), across the
antimeridian, and around a pole.
"""
import math

import pytest

from directory_service.search.store import SearchQuery
from tests.factories import NOW, facility

EARTH_RADIUS_M = 6_371_008.8


def destination(lat, lon, bearing_deg, metres):
    """The point `metres` from (lat, lon) along `bearing_deg`, on the same sphere."""
    d = metres / EARTH_RADIUS_M
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1),
                         math.cos(d) - math.sin(p1) * math.sin(p2))
    lon2 = (math.degrees(l2) + 540) % 360 - 180
    return {"lat": round(math.degrees(p2), 6), "lon": round(lon2, 6)}


def widest_bearing(lat, metres):
    """The bearing from (lat, ·) to the point of the circle with the largest longitude."""
    d = metres / EARTH_RADIUS_M
    p0 = math.radians(lat)
    lat_t = math.asin(math.sin(p0) / math.cos(d))
    # Bearing to the tangent point: cos(bearing) = (sin lat_t - sin p0 cos d) / (cos p0 sin d)
    return math.degrees(math.acos((math.sin(lat_t) - math.sin(p0) * math.cos(d))
                                  / (math.cos(p0) * math.sin(d))))


def ids(result):
    return sorted(h.record["id"] for h in result.hits)


@pytest.mark.parametrize("lat,lon,radius_m", [
    (64.84, -147.72, 150_000),    # Fairbanks: a wide circle at high latitude
    (41.75, -88.15, 50_000),      # Naperville: the benchmark's circle
    (51.88, -176.65, 300_000),    # Adak: the circle crosses the antimeridian
    (-54.80, -68.30, 40_000),     # Ushuaia: southern hemisphere
])
def test_records_at_the_circles_widest_longitude_are_in_and_just_beyond_are_out(
        make_store, lat, lon, radius_m):
    bearing = widest_bearing(abs(lat), radius_m)
    if lat < 0:
        bearing = 180 - bearing
    records = []
    for side, sign in (("east", 1), ("west", -1)):
        for name, share in (("in", 0.99995), ("out", 1.00005)):
            spot = destination(lat, lon, sign * bearing, radius_m * share)
            records.append(facility(f"{side}-{name}", location=spot, timezone="UTC"))
    store = make_store(records)
    found = store.search(SearchQuery(lat=lat, lon=lon, radius_m=radius_m, now=NOW))
    assert ids(found) == ["test:east-in", "test:west-in"]
    assert found.total == 2


def test_a_circle_around_the_pole_keeps_every_longitude(make_store):
    records = [facility(f"lon{lon}", location={"lat": 89.5, "lon": float(lon)}, timezone="UTC")
               for lon in (-179, -90, 0, 90, 179)]
    store = make_store(records + [facility("far", location={"lat": 85.0, "lon": 0.0}, timezone="UTC")])
    found = store.search(SearchQuery(lat=89.9, lon=10.0, radius_m=100_000, now=NOW))
    assert found.total == 5
    assert "test:far" not in ids(found)
