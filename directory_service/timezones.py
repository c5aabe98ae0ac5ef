"""Time zones of points, and which zones keep the same clock.

Online-only meetings are found by time zone rather than by radius (docs/ranking.md): a
searcher is offered the online meetings whose local clock is theirs. "Same clock" means the
same UTC offset in winter and in summer, so America/Indiana/Indianapolis and
America/New_York match while America/Phoenix and America/Denver do not.

`zone_at` is timezonefinder behind one small function; the gazetteer's `geo.zone_at` can
replace it without changing a caller.
"""
import functools
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@functools.cache
def _finder():
    from timezonefinder import TimezoneFinder

    # In memory: no file handles left open, and forked workers share the pages.
    return TimezoneFinder(in_memory=True)


@functools.lru_cache(maxsize=65536)
def _zone_at_rounded(lat, lon):
    zone = _finder().timezone_at_land(lat=lat, lng=lon)
    if zone is None:
        # A point a little offshore takes its polygon's zone, never an Etc/ ocean zone.
        zone = _finder().timezone_at(lat=lat, lng=lon)
        if zone is None or zone.startswith("Etc/"):
            return None
    return zone


def zone_at(lat, lon):
    """The IANA zone at a point on land, or None (at sea, or an invalid point)."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    # About 1 km: zone borders are not finer than that, and the cache stays small.
    return _zone_at_rounded(round(lat, 2), round(lon, 2))


def _seasons(year):
    return (datetime(year, 1, 15, 12, tzinfo=timezone.utc),
            datetime(year, 7, 15, 12, tzinfo=timezone.utc))


@functools.lru_cache(maxsize=4096)
def _offsets(zone, year):
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return tuple(moment.astimezone(tz).utcoffset() for moment in _seasons(year))


def same_clock(one, other, year=None):
    """Whether two zones show the same time in winter and in summer of `year`."""
    year = year or datetime.now(timezone.utc).year
    a, b = _offsets(one, year), _offsets(other, year)
    return a is not None and a == b


def sharing_clock(origin_zone, zones, year=None):
    """The zones of `zones` that keep `origin_zone`'s clock, in their given order."""
    if not origin_zone:
        return []
    return [z for z in zones if same_clock(origin_zone, z, year)]
