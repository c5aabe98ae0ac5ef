"""Time zones of points, and which zones keep the same clock.

Online-only meetings are found by time zone rather than by radius (docs/ranking.md): a
searcher is offered the online meetings whose local clock is theirs. "Same clock" means the
same UTC offset in winter and in summer, so America/Indiana/Indianapolis and
America/New_York match while America/Phoenix and America/Denver do not.

`zone_at` is the gazetteer's (timezonefinder, warmed at server start), with input checks.
"""
import functools
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from directory_service import gazetteer


def zone_at(lat, lon):
    """The IANA zone at a point on land, or None (at sea, or an invalid point)."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return gazetteer.zone_at(lat, lon)


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
