"""A scripted week of holds for the outcomes tests: made with the real reports and holds
code at set clocks, so every figure the outcomes give is known in advance (no tests of
its own)."""
from datetime import date, datetime, timedelta, timezone

from directory_service.availability import holds, keys, reports
from tests import factories

MONDAY = datetime(2026, 11, 2, tzinfo=timezone.utc)  # ISO week 2026-W45
FIRST_DAY, LAST_DAY = date(2026, 10, 26), date(2026, 11, 8)  # weeks W44 (empty) and W45
AS_OF = datetime(2026, 11, 10, tzinfo=timezone.utc)
LEVEL, MEN = "3.7-WM", "adult_men"
NOTE = "meet at the side door"


def at(day, hour, minute=0):
    """Day 0 = Monday 2026-11-02, UTC."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def directory():
    """Three facilities with no indexed bed rows: every figure comes from the script."""
    return [factories.facility("a", km=1), factories.facility("b", km=2),
            factories.facility("c", km=3)]


def _report(adb, facility_id, available, when, status=None):
    status = status or ("open" if available else "full")
    row = {"level_of_care": LEVEL, "population": MEN, "capacity": 4, "status": status,
           "available": None if status == "unknown" else available}
    reports.apply_report(adb, facility_id, [row], "key:facility", [], now=when)


def _hold(adb, facility_id, coach, when, minutes=120, note=None):
    return holds.create(adb, facility_id, LEVEL, MEN, coach, note, minutes, [],
                        now=when)["id"]


SNAPSHOTS = {"mon": (0, 12), "tue": (1, 13), "thu": (3, 9)}


def script(app, snapshot=None):
    """Run the week, calling `snapshot(now)` (if given) at SNAPSHOTS' moments; returns
    {"keys": {group: key id}, "holds": {name: hold id}}.

    Expected (as of AS_OF): placed 6, confirmed 2 (h1, h6), declined 3 (h2 by the
    facility, h3 released by a report of fewer beds, h5 cancelled by its coach), expired
    1 (h4). Minutes to decision: 30, 60, 30, 30, 45. Minutes from opening: h1 30, h2 75,
    h3 20, h4 10, h5 60, h6 4380.
    """
    adb = app.extensions["availability"]
    north = keys.create(adb, "coach", coach_group="North")[0]
    south = keys.create(adb, "coach", coach_group="South")[0]
    loose = keys.create(adb, "coach")[0]
    made = {}
    _report(adb, "test:c", None, at(0, 8), status="unknown")
    _report(adb, "test:a", 0, at(0, 8))                      # full
    _report(adb, "test:a", 2, at(0, 9))                      # opens: Mon 09:00
    made["h1"] = _hold(adb, "test:a", north, at(0, 9, 30), note=NOTE)
    holds.decide(adb, made["h1"], "confirmed", "key:facility", now=at(0, 10))
    made["h2"] = _hold(adb, "test:a", south, at(0, 10, 15))
    holds.decide(adb, made["h2"], "declined", "key:facility", now=at(0, 11, 15))
    snap = snapshot or (lambda now: None)
    snap(at(*SNAPSHOTS["mon"]))   # a fresh (10:00), c never reported, b no rows yet
    _report(adb, "test:b", 1, at(1, 12))                     # opens: Tue 12:00
    made["h3"] = _hold(adb, "test:b", north, at(1, 12, 20))
    _report(adb, "test:b", 0, at(1, 12, 50))                 # full: h3 released
    snap(at(*SNAPSHOTS["tue"]))   # a stale (27 h), b fresh, c never reported
    _report(adb, "test:b", 2, at(2, 8))                      # opens: Wed 08:00
    made["h4"] = _hold(adb, "test:b", loose, at(2, 8, 10), minutes=60)  # never decided
    made["h5"] = _hold(adb, "test:b", south, at(2, 9))
    holds.decide(adb, made["h5"], "cancelled", "key:coach", now=at(2, 9, 30))
    snap(at(*SNAPSHOTS["thu"]))   # a and b stale, c never reported
    made["h6"] = _hold(adb, "test:a", north, at(3, 10))
    holds.decide(adb, made["h6"], "confirmed", "key:facility", now=at(3, 10, 45))
    made["h7"] = _hold(adb, "test:b", north, at(7, 0, 30))  # the next week: outside
    return {"keys": {"North": north, "South": south, None: loose}, "holds": made}
