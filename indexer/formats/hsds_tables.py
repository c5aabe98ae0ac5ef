"""An HSDS tabular data package (CSV per table + datapackage.json) → nested HSDS objects.

The tables are joined by their foreign keys into the shape the JSON examples have, so one
mapper (hsds_records.py) serves both. The same join reads the tabular JSON form (an object
of `"services.csv": [rows]`). Older packages (HSDS 1.x/2.0) name some tables differently
(`services_at_location.csv`, `physical_addresses.csv`, `regular_schedules.csv` with an ISO
`weekday`, 1 = Monday); ALIASES reads them too.

A schedule row is attached once, to the most specific thing it names: its service at
location, else its service, else its location (a row naming all three used to be read
twice, once through the service and once through the location).
"""
import csv
import os
from collections import defaultdict

ALIASES = {
    "service_at_location": ("service_at_location.csv", "services_at_location.csv"),
    "services": ("services.csv",), "locations": ("locations.csv",),
    "addresses": ("addresses.csv", "physical_addresses.csv"), "phones": ("phones.csv",),
    "schedules": ("schedules.csv", "regular_schedules.csv"), "attributes": ("attributes.csv",),
    "taxonomy_terms": ("taxonomy_terms.csv",), "languages": ("languages.csv",),
    "capacities": ("service_capacity.csv", "service_capacities.csv"), "units": ("units.csv",),
}
ISO_WEEKDAYS = {"1": "MO", "2": "TU", "3": "WE", "4": "TH", "5": "FR", "6": "SA", "7": "SU"}
DAY_NAMES = {"monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH",
             "friday": "FR", "saturday": "SA", "sunday": "SU"}


def is_package(folder):
    return any(os.path.exists(os.path.join(folder, n)) for n in ALIASES["services"])


def is_tabular_json(data):
    return isinstance(data, dict) and isinstance(data.get("services.csv"), list)


def _read(folder, name):
    for filename in ALIASES[name]:
        path = os.path.join(folder, filename)
        if os.path.exists(path):
            with open(path, encoding="utf-8-sig", newline="") as fh:
                return list(csv.DictReader(fh))
    return []


def _by(rows, key):
    grouped = defaultdict(list)
    for row in rows:
        if row.get(key):
            grouped[row[key]].append(row)
    return grouped


def units(folder):
    """(service, location, service_at_location) triples of a package folder."""
    return join({name: _read(folder, name) for name in ALIASES})


def json_tables(data):
    """The tables of the tabular JSON form, under our table names."""
    return {name: next((data[f] for f in files if isinstance(data.get(f), list)), [])
            for name, files in ALIASES.items()}


def join(tables):
    """(service, location, service_at_location) triples, like hsds.json_units."""
    t = {name: [{k: (v if v not in ("", None) else None) for k, v in row.items()}
                for row in rows if isinstance(row, dict)] for name, rows in tables.items()}
    terms = {row["id"]: row for row in t["taxonomy_terms"]}
    unit_names = {row["id"]: row for row in t["units"]}
    attributes = defaultdict(list)
    for row in t["attributes"]:
        attributes[row.get("link_id")].append(
            {**row, "taxonomy_term": terms.get(row.get("taxonomy_term_id"), {})})
    capacities = _by(t["capacities"], "service_id")
    for caps in capacities.values():
        for cap in caps:
            cap["unit"] = unit_names.get(cap.get("unit_id"), {"name": "Bed"})
            cap["attributes"] = attributes.get(cap["id"], [])
            for number in ("available", "maximum"):
                cap[number] = int(float(cap[number])) if cap.get(number) is not None else None
    schedules = {"service_at_location_id": defaultdict(list), "service_id": defaultdict(list),
                 "location_id": defaultdict(list)}
    for row in t["schedules"]:
        row = _weekday_to_byday(row)
        owner = next((key for key in schedules if row.get(key)), None)
        if owner:
            schedules[owner][row[owner]].append(row)
    phones_of = {key: _by(t["phones"], key) for key in ("service_id", "location_id")}
    languages = _by(t["languages"], "service_id")
    services = {}
    for row in t["services"]:
        services[row["id"]] = {
            **row, "phones": phones_of["service_id"].get(row["id"], []),
            "schedules": schedules["service_id"].get(row["id"], []),
            "attributes": attributes.get(row["id"], []),
            "languages": languages.get(row["id"], []),
            "capacities": capacities.get(row["id"], []),
            "minimum_age": _int(row.get("minimum_age")), "maximum_age": _int(row.get("maximum_age")),
        }
    addresses = _by(t["addresses"], "location_id")
    locations = {row["id"]: {**row, "addresses": addresses.get(row["id"], []),
                             "phones": phones_of["location_id"].get(row["id"], []),
                             "schedules": schedules["location_id"].get(row["id"], [])}
                 for row in t["locations"]}
    placed = set()
    for sal in t["service_at_location"]:
        placed.add(sal.get("service_id"))
        sal = {**sal, "schedules": schedules["service_at_location_id"].get(sal["id"], [])}
        yield services.get(sal.get("service_id")), locations.get(sal.get("location_id")), sal
    for service_id, service in services.items():
        if service_id not in placed:
            yield service, None, {}


def _weekday_to_byday(row):
    """HSDS 1.x/2.0 `weekday` (ISO number or day name) → 3.0 `byday`."""
    weekday = str(row.get("weekday") or "").strip().lower()
    if row.get("byday") or not weekday:
        return row
    day = ISO_WEEKDAYS.get(weekday) or DAY_NAMES.get(weekday)
    return {**row, "byday": day, "freq": row.get("freq") or "WEEKLY"} if day else row


def _int(value):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None
