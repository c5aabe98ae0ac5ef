"""The night scenario: Monday 11 p.m. in Naperville, and the places a person needs then.

Written from the record format (docs/data-format.md), not copied from any feed. The page's
clock is fixed at NIGHT (app.config["PAGE_NOW"]); weekly hours and meeting times are
chosen around it, and bed reports are dated relative to it too: the page asks the store
for figures at its own moment, so "1 h old" is 1 h old at NIGHT whatever day the tests run.

What a person should see at NIGHT, by construction:
- detox: the nearest detox centre's only open bed figure is 8 days old (stale: not an open
  bed unless asked); another's open beds are all men's, another's all women's;
- naloxone: the two nearest sites are closed until tomorrow morning; a 24/7 vending
  machine and a pharmacy open until 2 a.m. are farther away;
- meetings: one ended at 8 p.m. (not today's any more), a hybrid one and an online one are
  in progress, one in Spanish starts in 30 min, one online at 11:50 p.m. has a link that
  is not a web link; tomorrow's 7 a.m. is not today's.
"""
import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from directory_service.schemas.records import RecordSchema
from directory_service.search.embedded.writer import SqliteIndexWriter

CHICAGO = ZoneInfo("America/Chicago")
NIGHT = datetime(2026, 11, 23, 23, 0, tzinfo=CHICAGO)  # a Monday
ORIGIN = (41.7689, -88.1351)  # ZIP 60540's centre, as the gazetteer has it
AURORA_CO = {"lat": 39.72943, "lon": -104.83192}
WEEKDAYS = range(1, 6)


def at(lat_km=0.0, lon_km=0.0):
    return {"lat": round(ORIGIN[0] + lat_km / 111.0, 6), "lon": round(ORIGIN[1] + lon_km / 82.9, 6)}


def reported(hours):
    moment = NIGHT.astimezone(timezone.utc) - timedelta(hours=hours)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def bed(population, available, hours_old, level="3.7-WM", capacity=12):
    if available is None:
        return {"level_of_care": level, "population": population, "capacity": capacity,
                "available": None, "status": "unknown"}
    return {"level_of_care": level, "population": population, "capacity": capacity,
            "available": available, "status": "open" if available else "full",
            "reported_at": reported(hours_old), "reported_by": "facility"}


def address(street, postal="60540"):
    return {"street": street, "city": "Naperville", "state": "IL", "postal_code": postal}


def hours(*intervals, always=False):
    return {"open_24_7": always,
            "intervals": [{"day": d, "open": o, "close": c} for d, o, c in intervals]}


def detox(rid, name, km, beds, **extra):
    row = {"id": f"night:{rid}", "kind": "treatment_facility", "name": name,
           "location": at(lat_km=km), "address": address(f"{100 + int(km * 10)} Night Ave"),
           "phones": {"intake": "(630) 555-01" + rid[-2:]}, "timezone": "America/Chicago",
           "hours": hours(always=True), "levels_of_care": ["3.7-WM"],
           "payment": ["medicaid", "sliding_fee"], "beds": beds, "intake_24_7": True,
           "languages": ["en"]}
    row.update(extra)
    return row


def naloxone(rid, name, km, opening, site_type="pharmacy", **extra):
    row = {"id": f"night:{rid}", "kind": "naloxone_site", "name": name,
           "location": at(lon_km=km), "address": address(f"{200 + int(km * 10)} Naloxone St"),
           "phones": {"main": "(630) 555-02" + rid[-2:]}, "timezone": "America/Chicago",
           "hours": opening, "site_type": site_type, "cost": "free",
           "no_prescription_needed": True, "fentanyl_test_strips": False, "languages": ["en"]}
    row.update(extra)
    return row


def meeting(rid, name, km, day, start, end, attendance="in_person", **extra):
    row = {"id": f"night:{rid}", "kind": "meeting", "name": name, "location": at(lat_km=-km),
           "timezone": "America/Chicago", "fellowship": "NA", "day": day, "time": start,
           "end_time": end, "types": ["O"], "attendance": attendance, "languages": ["en"],
           "address": address(None if attendance == "online" else f"{300 + int(km * 10)} Hope Rd")}
    row.update(extra)
    return row


def records():
    """The scenario's records, as the indexer would load them."""
    weekdays_9_to_5 = hours(*((d, "09:00", "17:00") for d in WEEKDAYS))
    rows = [
        detox("fac-01", "Old News Detox", 0.5, [bed("adult_men", 1, 8 * 24)]),
        detox("fac-02", "Men Only Detox", 1.0, [bed("adult_men", 4, 1), bed("adult_women", 0, 1)]),
        detox("fac-03", "Women Only Detox", 2.0, [bed("adult_women", 2, 2),
                                                  bed("adult_men", None, None)]),
        detox("fac-04", "Anyone Detox", 3.0, [bed("adult_any", 3, 0.5)],
              languages=["en", "es"]),
        detox("fac-05", "Teen Detox", 4.0, [bed("adolescents", 2, 1)],
              populations={"genders": "any", "min_age": 12, "max_age": 17}),
        naloxone("nal-01", "Closed Corner Pharmacy", 0.3, weekdays_9_to_5, cost="retail"),
        naloxone("nal-02", "Day Clinic Naloxone", 0.6,
                 hours(*((d, "08:30", "16:30") for d in WEEKDAYS)), site_type="health_department"),
        naloxone("nal-03", "Late Pharmacy", 3.0,
                 hours(*((d, "08:00", "24:00") for d in WEEKDAYS),
                       *((d, "00:00", "02:00") for d in (2, 3, 4, 5, 6))), cost="insurance"),
        naloxone("nal-04", "Transit Center Naloxone Vending Machine", 4.0, hours(always=True),
                 site_type="vending_machine", fentanyl_test_strips=True),
        naloxone("nal-05", "No Hours Outreach", 5.0, hours(), site_type="community_org"),
        meeting("mtg-01", "Ended Evening Group", 0.2, 1, "19:00", "20:00"),
        meeting("mtg-02", "Hybrid Late Group", 1.0, 1, "22:00", "23:15", attendance="hybrid",
                conference_url="https://meet.example.org/j/222",
                conference_notes="Meeting ID 222 333 444 · Passcode: 9911"),
        meeting("mtg-03", "Night Owls Online", 1.5, 1, "22:30", "23:30", attendance="online",
                conference_url="https://meet.example.org/j/123",
                conference_phone="(312) 555-0199",
                conference_notes="Meeting ID 123 456 789 · Passcode: 4321"),
        meeting("mtg-04", "Grupo Nueva Vida", 2.0, 1, "23:30", "00:30", types=["O", "S"],
                languages=["es"], location_notes="Puerta lateral, sótano"),
        meeting("mtg-05", "Last Call Online", 2.5, 1, "23:50", "00:50", attendance="online",
                conference_url="javascript:alert(1)", conference_phone="(312) 555-0188"),
        meeting("mtg-06", "Early Birds Tuesday", 0.4, 2, "07:00", "08:00"),
        # An hour behind: at 00:30 on Tuesday in Chicago it is still Monday in Aurora, CO.
        meeting("mtg-07", "Mountain Time Monday Group", 0, 1, "23:00", "23:59",
                location=AURORA_CO, timezone="America/Denver",
                address={"street": "1 Peak St", "city": "Aurora", "state": "CO",
                         "postal_code": "80012"}),
    ]
    return [RecordSchema().load(row) for row in rows]


def build_store(directory):
    """An embedded store holding the scenario, in `directory`; returns its path."""
    path = os.path.join(str(directory), "night.sqlite")
    with SqliteIndexWriter(path) as writer:
        for record in records():
            writer.add(record)
        writer.commit()
    return path
