"""Open Referral HSDS 3.0 (and 3.1 `service_capacity`), as JSON or as a tabular package.

JSON: a service (with `service_at_locations`), a service_at_location (with `service` and
`location`), an array of either, an API page (`{contents: [...]}`), or our own export (an
array of service_at_location objects). Tabular: a folder of CSVs with `datapackage.json`;
`hsds_tables.py` joins them into the same nested objects. Every service at every location
becomes one record (`hsds:<service_at_location id>`, or `hsds:<service id>` for a service
with no location); `hsds_records.py` does the mapping.
"""
import os

from indexer.formats import common, hsds_records, hsds_tables

JSON_MARKERS = (b'"service_at_locations"', b'"service_at_location', b'"organization_id"',
                b'"last_modified"', b'"contents"')


def detect(path, head):
    if os.path.basename(path) == "datapackage.json":
        return hsds_tables.is_package(os.path.dirname(path))
    if not path.endswith(".json"):
        return False
    return any(m in head for m in JSON_MARKERS)


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
    for number, (service, location, sal_id) in enumerate(units, start=1):
        for item in hsds_records.to_record(service, location, sal_id, options):
            yield number, item


def json_units(data):
    """(service, location, service_at_location id) for each service at each location."""
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    for item in data if isinstance(data, list) else [data]:
        if not isinstance(item, dict):
            continue
        if "service" in item and "location" in item:
            yield item["service"], item.get("location"), item.get("id")
        elif item.get("service_at_locations"):
            for sal in item["service_at_locations"]:
                yield item, sal.get("location"), sal.get("id")
        else:
            yield item, None, None
