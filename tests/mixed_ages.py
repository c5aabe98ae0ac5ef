"""Bed figures of different levels and ages in one facility (issue 21, items 2, 3 and 10).

Written from the record format (docs/data-format.md). The clock is fixed at NOW and the
reports are dated from it, so "14 h old" is 14 h old whatever day the tests run:
- Two Levels Detox: 1 open medically monitored detox bed (3.7-WM) for men, reported
  20 min ago, and 4 open residential detox beds (3.2-WM) for men reported 14 h ago. No
  one may read "5 open", and the facility is as fresh as its 14-hour-old figure;
- Any Adult Detox: 5 open 3.7-WM beds for any adult; its men-only row is unknown;
- Fresh Detox: one fresh figure, the kind of facility the board puts below the others;
- Half Stale Detox: 1 open 3.7-WM bed for men reported 30 min ago beside a 30-hour-old
  (stale) 3.2-WM figure: the fresh bed still counts, and the facility is as old as 30 h;
- Edge Detox: 1.549 mi from the origin, where 1.55 (the hit's distance_mi) and the raw
  distance round to different tenths (1.6 and 1.5): a card must print one of them.
"""
import os
from datetime import datetime, timedelta, timezone

from directory_service.schemas.records import RecordSchema
from directory_service.search.embedded.writer import SqliteIndexWriter

NOW = datetime(2026, 11, 24, 4, 30, tzinfo=timezone.utc)  # 10:30 p.m. in Chicago
ORIGIN = (41.7689, -88.1351)  # ZIP 60540's centre, as the gazetteer has it
TWO_LEVELS, ANY_ADULT, FRESH, EDGE, HALF_STALE = (f"mix:fac-0{n}" for n in range(1, 6))
EDGE_LAT = 41.791319  # due north of ORIGIN, 1.549 mi by the stores' haversine
# What a person reads on every surface for Two Levels Detox.
MONITORED = "Detox, medically monitored (3.7-WM): 1 open for men"
RESIDENTIAL = "Detox, residential (3.2-WM): 4 open for men"


def reported(minutes):
    return (NOW - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def bed(level, population, available, minutes_old=None, capacity=12):
    if available is None:
        return {"level_of_care": level, "population": population, "capacity": capacity,
                "status": "unknown"}
    return {"level_of_care": level, "population": population, "capacity": capacity,
            "available": available, "status": "open" if available else "full",
            "reported_at": reported(minutes_old), "reported_by": "facility"}


def detox(rid, name, km, levels, beds, lat=None):
    return {"id": rid, "kind": "treatment_facility", "name": name,
            "location": {"lat": lat or round(ORIGIN[0] + km / 111.0, 6), "lon": ORIGIN[1]},
            "address": {"street": f"{100 + km} Mixed Ave", "city": "Naperville", "state": "IL",
                        "postal_code": "60540"},
            "phones": {"intake": f"(630) 555-03{rid[-2:]}"}, "timezone": "America/Chicago",
            "hours": {"open_24_7": True, "intervals": []}, "levels_of_care": levels,
            "payment": ["medicaid", "sliding_fee"], "intake_24_7": True, "languages": ["en"],
            "beds": beds}


def records():
    rows = [
        detox(TWO_LEVELS, "Two Levels Detox", 2, ["3.7-WM", "3.2-WM"],
              [bed("3.7-WM", "adult_men", 1, 20, capacity=6),
               bed("3.2-WM", "adult_men", 4, 14 * 60)]),
        detox(ANY_ADULT, "Any Adult Detox", 4, ["3.7-WM"],
              [bed("3.7-WM", "adult_men", None), bed("3.7-WM", "adult_any", 5, 60)]),
        detox(FRESH, "Fresh Detox", 6, ["3.7-WM"], [bed("3.7-WM", "adult_men", 2, 30)]),
        detox(EDGE, "Edge Detox", 3, ["3.7-WM"], [bed("3.7-WM", "adult_men", 3, 10)],
              lat=EDGE_LAT),
        detox(HALF_STALE, "Half Stale Detox", 8, ["3.7-WM", "3.2-WM"],
              [bed("3.7-WM", "adult_men", 1, 30), bed("3.2-WM", "adult_men", 4, 30 * 60)]),
    ]
    return [RecordSchema().load(row) for row in rows]


def build_store(directory):
    """An embedded store holding the scenario, in `directory`; returns its path."""
    path = os.path.join(str(directory), "mixed.sqlite")
    with SqliteIndexWriter(path) as writer:
        for record in records():
            writer.add(record)
        writer.commit()
    return path
