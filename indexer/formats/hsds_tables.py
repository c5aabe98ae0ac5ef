"""An HSDS tabular data package (CSV per table + datapackage.json) → nested HSDS objects.

The tables are joined by their foreign keys into the shape the JSON examples have, so one
mapper (hsds_records.py) serves both. Older packages (HSDS 1.x/2.0) name some tables
differently (`services_at_location.csv`, `physical_addresses.csv`); ALIASES reads them too.
"""
import csv
import os
from collections import defaultdict

ALIASES = {
    "service_at_location": ("service_at_location.csv", "services_at_location.csv"),
    "services": ("services.csv",), "locations": ("locations.csv",),
    "addresses": ("addresses.csv", "physical_addresses.csv"), "phones": ("phones.csv",),
    "schedules": ("schedules.csv",), "attributes": ("attributes.csv",),
    "taxonomy_terms": ("taxonomy_terms.csv",), "languages": ("languages.csv",),
    "capacities": ("service_capacity.csv", "service_capacities.csv"), "units": ("units.csv",),
}


def is_package(folder):
    return any(os.path.exists(os.path.join(folder, n)) for n in ALIASES["services"])


def _table(folder, name):
    for filename in ALIASES[name]:
        path = os.path.join(folder, filename)
        if os.path.exists(path):
            with open(path, encoding="utf-8-sig", newline="") as fh:
                return [{k: (v if v != "" else None) for k, v in row.items()}
                        for row in csv.DictReader(fh)]
    return []


def _by(rows, key):
    grouped = defaultdict(list)
    for row in rows:
        if row.get(key):
            grouped[row[key]].append(row)
    return grouped


def units(folder):
    """(service, location, service_at_location id) triples, like hsds.json_units."""
    t = {name: _table(folder, name) for name in ALIASES}
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
                cap[number] = int(float(cap[number])) if cap.get(number) else None
    phones_of = {key: _by(t["phones"], key) for key in ("service_id", "location_id")}
    schedules_of = {key: _by(t["schedules"], key) for key in ("service_id", "location_id")}
    services = {}
    for row in t["services"]:
        services[row["id"]] = {
            **row, "phones": phones_of["service_id"].get(row["id"], []),
            "schedules": schedules_of["service_id"].get(row["id"], []),
            "attributes": attributes.get(row["id"], []),
            "languages": _by(t["languages"], "service_id").get(row["id"], []),
            "capacities": capacities.get(row["id"], []),
            "minimum_age": _int(row.get("minimum_age")), "maximum_age": _int(row.get("maximum_age")),
        }
    addresses = _by(t["addresses"], "location_id")
    locations = {row["id"]: {**row, "addresses": addresses.get(row["id"], []),
                             "phones": phones_of["location_id"].get(row["id"], [])}
                 for row in t["locations"]}
    placed = set()
    for sal in t["service_at_location"]:
        placed.add(sal.get("service_id"))
        yield services.get(sal.get("service_id")), locations.get(sal.get("location_id")), sal["id"]
    for service_id, service in services.items():
        if service_id not in placed:
            yield service, None, None


def _int(value):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None
