"""Durations in minutes and their summary (count, median, 90th percentile)."""
import math
import statistics

from directory_service.availability.db import parse_iso


def minutes_between(earlier, later):
    """Minutes from one ISO moment to another."""
    return (parse_iso(later) - parse_iso(earlier)).total_seconds() / 60.0


def summary(values):
    """{"count", "median", "p90"} in minutes (one decimal); the 90th percentile by
    nearest rank, so it is always a duration that happened."""
    values = sorted(values)
    if not values:
        return {"count": 0, "median": None, "p90": None}
    p90 = values[math.ceil(0.9 * len(values)) - 1]
    return {"count": len(values), "median": round(statistics.median(values), 1),
            "p90": round(p90, 1)}
