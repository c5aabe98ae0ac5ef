"""Online-only meetings are found by time zone, not by radius (docs/ranking.md).

An online meeting's point is only its region's pin, so a radius around the searcher would
find the few pinned nearby and miss the rest. A search that asks for online attendance
(`attendance` includes `online`) therefore also returns every online-only meeting whose
time zone keeps the searcher's clock, however far its pin; every other filter still
applies. Both stores call `region_zones`, so they agree on which zones those are.
"""
from directory_service import timezones


def region_zones(query, zones):
    """The zones of `zones` whose online-only meetings `query` finds regardless of radius."""
    if "online" not in query.attendance:
        return []
    if query.kinds and "meeting" not in query.kinds:
        return []
    origin = timezones.zone_at(query.lat, query.lon)
    return timezones.sharing_clock(origin, zones, query.now.year)
