"""Small valid records for tests; keyword arguments override any field."""
from datetime import datetime, timedelta, timezone

from directory_service.schemas.records import RecordSchema

NAPERVILLE = (41.7508, -88.1535)
NOW = datetime(2026, 11, 16, 18, 0, tzinfo=timezone.utc)  # a Monday, 12:00 in Chicago


def ago(**delta):
    """An ISO timestamp `delta` before NOW."""
    return (NOW - timedelta(**delta)).isoformat().replace("+00:00", "Z")


def offset(lat_km=0.0, lon_km=0.0, origin=NAPERVILLE):
    """A point about lat_km north and lon_km east of `origin`."""
    return {"lat": round(origin[0] + lat_km / 111.0, 6),
            "lon": round(origin[1] + lon_km / 82.9, 6)}


def facility(rid, km=1.0, **fields):
    row = {"id": f"test:{rid}", "kind": "treatment_facility", "name": f"Facility {rid}",
           "location": offset(lat_km=km), "levels_of_care": ["3.7-WM"],
           "payment": ["medicaid"], "beds": []}
    row.update(fields)
    return RecordSchema().load(row)


def bed(level="3.7-WM", available=2, capacity=10, hours_old=1.0, status=None):
    if available is None:
        return {"level_of_care": level, "capacity": capacity, "status": "unknown"}
    status = status or ("open" if available > 0 else "full")
    return {"level_of_care": level, "capacity": capacity, "available": available,
            "status": status, "reported_at": ago(hours=hours_old)}


def meeting(rid, km=1.0, **fields):
    row = {"id": f"test:{rid}", "kind": "meeting", "name": f"Meeting {rid}",
           "location": offset(lat_km=km), "fellowship": "AA", "day": 1, "time": "19:00",
           "end_time": "20:00", "types": ["O"], "attendance": "in_person"}
    row.update(fields)
    return RecordSchema().load(row)


def site(rid, kind="naloxone_site", km=1.0, **fields):
    row = {"id": f"test:{rid}", "kind": kind, "name": f"Site {rid}",
           "location": offset(lat_km=km),
           "site_type": "pharmacy", "hours": {"open_24_7": True, "intervals": []}}
    row.update(fields)
    return RecordSchema().load(row)
