"""Open Referral HSDS 3.0 (and 3.1 `service_capacity`), as JSON or as a tabular package.

JSON, in every shape the HSDS 3.0 API and examples use: a service (with
`service_at_locations`), a service_at_location (with `service` and `location`), an
organization (with `services`, whose service_at_locations may name the organization's
`locations` by id), an array of any of these, an API page (`{contents: [...]}`), the
tabular JSON form (`{"services.csv": [...], ...}`) and our own export. Objects with no
service (a taxonomy, a bare location, an organization without services) are skipped with
a warning. Tabular: a folder of CSVs with `datapackage.json`; `hsds_tables.py` joins them
into the same nested objects. Every service at every location becomes one record
(`hsds:<service_at_location id>`, or `hsds:<service id>` for a service with no location);
`hsds_records.py` does the mapping.
"""
import json
import os

from indexer.formats import common, hsds_records, hsds_tables

JSON_MARKERS = (b'"service_at_locations"', b'"service_at_location', b'"organization_id"',
                b'"last_modified"', b'"contents"', b'"location_type"', b'"address_1"',
                b'"state_province"', b'"opens_at"', b'"byday"', b'"legal_status"',
                b'"eligibility_description"', b'"services.csv"')
# Keys only an HSDS service has (beside a name): how a bare object is told to be one.
SERVICE_KEYS = {"status", "organization_id", "program_id", "eligibility_description",
                "application_process", "interpretation_services", "fees_description",
                "service_at_locations", "alert", "accreditations", "licenses"}
ORGANIZATION_KEYS = {"services", "legal_status", "tax_status", "year_incorporated",
                     "organization_identifiers", "parent_organization_id"}
LOCATION_KEYS = {"location_type", "latitude", "longitude", "addresses", "external_identifier"}
# Files whose opening bytes say nothing are parsed to look, up to this size.
SNIFF_BYTES = 20_000_000


def detect(path, head):
    if os.path.basename(path) == "datapackage.json":
        return hsds_tables.is_package(os.path.dirname(path))
    if not path.lower().endswith(".json"):
        return False
    if any(m in head for m in JSON_MARKERS):
        return True
    if not head.lstrip().startswith(b"{") or os.path.getsize(path) > SNIFF_BYTES:
        return False
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.loads(common.json_text(fh.read()))
    except (OSError, ValueError, RecursionError):
        return False
    return _shape(data) is not None


def read(path, transform=None, options=None):
    options = options or common.ImportOptions()
    if os.path.basename(path) == "datapackage.json":
        units = hsds_tables.units(os.path.dirname(path))
    else:
        data, problem = common.load_json(path)
        if problem:
            yield problem
            return
        units = json_units(data)
    for number, unit in enumerate(units, start=1):
        if isinstance(unit, common.Warned):
            yield number, unit
            continue
        service, location, sal = unit
        for item in common.guarded(hsds_records.to_record(service, location, sal, options)):
            yield number, item


def _shape(item):
    """Which HSDS object `item` is, by its keys; None when it is none we read."""
    if not isinstance(item, dict):
        return None
    if hsds_tables.is_tabular_json(item):
        return "tabular"
    location = item.get("location")
    if isinstance(item.get("service"), dict) or (
            isinstance(location, dict) and "service_at_locations" not in item
            and LOCATION_KEYS & set(location)):
        return "service_at_location"
    if ORGANIZATION_KEYS & set(item) and "service_at_locations" not in item:
        return "organization"
    if item.get("name") and SERVICE_KEYS & set(item):
        return "service"
    if LOCATION_KEYS & set(item):
        return "location"
    if "taxonomy" in item or "taxonomy_detail" in item or "term_uri" in item:
        return "taxonomy_term"
    return "other"


def json_units(data):
    """(service, location, service_at_location) for each service at each location, or a
    Warned for an object that holds no service."""
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    for item in data if isinstance(data, list) else [data]:
        shape = _shape(item)
        if shape == "tabular":
            yield from hsds_tables.join(hsds_tables.json_tables(item))
        elif shape == "service_at_location":
            yield item.get("service") or {}, item.get("location"), item
        elif shape == "service":
            yield from _service_units(item, {})
        elif shape == "organization" and item.get("services"):
            locations = item.get("locations")
            places = {loc.get("id"): loc for loc in locations if isinstance(loc, dict)
                      and isinstance(loc.get("id"), str)} if isinstance(locations, list) else {}
            services = item["services"] if isinstance(item["services"], list) else []
            for service in services:
                if isinstance(service, dict):
                    yield from _service_units(service, places)
        else:
            what = shape if shape not in (None, "other") else "object"
            name = item.get("name") if isinstance(item, dict) else None
            yield common.Warned("hsds:no-service", f"an HSDS {what}"
                                f"{f' ({name!r})' if name else ''} holds no service: nothing "
                                "to load from it")


def _service_units(service, places):
    listed = service.get("service_at_locations")
    sals = [s for s in listed if isinstance(s, dict)] if isinstance(listed, list) else []
    if not sals:
        yield service, None, {}
    for sal in sals:
        named = sal.get("location_id")
        location = sal.get("location") or (places.get(named) if isinstance(named, str) else None)
        yield service, location, sal
