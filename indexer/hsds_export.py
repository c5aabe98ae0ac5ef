"""Our record → one HSDS 3.0 `service_at_location` object (service and location nested).

HSDS carries names, addresses, coordinates, phones, languages, weekly schedules, status,
`last_modified` and (3.1) `capacities` natively, and those are filled for any HSDS reader.
Everything HSDS has no field for (kind, levels of care, payment, a meeting's day and
fellowship, a site's type ...) goes into `attributes` under the taxonomy
`directory-service`, which indexer/formats/hsds_records.py reads back, so a record
survives HSDS out and in again unchanged. Ids are UUID 5 of our record id, as HSDS 3.0
asks for UUIDs; our id itself is the location's `external_identifier`.
"""
import json
import uuid

from indexer.formats.hsds_records import DAYS, ID_TYPE, TAXONOMY

NAMESPACE = uuid.UUID("6f1d2b0e-5c7a-4f55-9a38-3a0c1f0e7b21")
NATIVE = {"id", "name", "description", "address", "location", "phones", "website",
          "languages", "active", "updated_at", "beds"}


def uid(*parts):
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


def attribute(owner, code, value):
    term_id = uid("term", code)
    return {"id": uid(owner, "attribute", code, str(value)), "link_id": owner,
            "link_type": "service", "link_entity": "service", "taxonomy_term_id": term_id,
            "value": value,
            "taxonomy_term": {"id": term_id, "code": code, "name": code,
                              "taxonomy": TAXONOMY, "language": "en"}}


def attributes(owner, fields):
    """Each field as attributes: one per item for lists of strings, else a JSON value."""
    out = []
    for name, value in fields.items():
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            out += [attribute(owner, f"{name}:{v}", v) for v in value]
        elif not (isinstance(value, list) and not value):
            out.append(attribute(owner, name, json.dumps(value, sort_keys=True)))
    return out


def service_at_location(record):
    rid = record["id"]
    service_id, location_id = uid("service", rid), uid("location", rid)
    extra = {k: v for k, v in record.items() if k not in NATIVE}
    service = {
        "id": service_id, "name": record["name"], "description": record.get("description"),
        "url": record.get("website"), "status": "active" if record.get("active", True)
        else "inactive", "last_modified": record.get("updated_at"),
        "languages": [{"id": uid(service_id, "language", c), "code": c}
                      for c in record.get("languages") or []],
        "phones": [{"id": uid(service_id, "phone", role), "number": number, "type": "voice",
                    "description": role}
                   for role, number in (record.get("phones") or {}).items() if number],
        "schedules": _schedules(service_id, record),
        "attributes": attributes(service_id, extra),
        "capacities": [_capacity(service_id, i, bed) for i, bed in enumerate(record.get("beds") or [])],
    }
    populations = record.get("populations") or {}
    service["minimum_age"], service["maximum_age"] = populations.get("min_age"), populations.get("max_age")
    address = record.get("address") or {}
    location = {
        "id": location_id, "location_type": "physical",
        "name": record.get("location_name") or record["name"],
        "latitude": record["location"]["lat"], "longitude": record["location"]["lon"],
        "external_identifier": rid, "external_identifier_type": ID_TYPE,
        "addresses": [{"id": uid(location_id, "address"), "location_id": location_id,
                       "address_1": address.get("street"), "city": address.get("city"),
                       "state_province": address.get("state"),
                       "postal_code": address.get("postal_code"), "country": "US",
                       "address_type": "physical"}] if any(address.values()) else [],
    }
    return {"id": uid("service_at_location", rid), "service_id": service_id,
            "location_id": location_id, "service": service, "location": location}


def _schedules(service_id, record):
    if record["kind"] == "meeting":
        return [{"id": uid(service_id, "schedule"), "service_id": service_id, "freq": "WEEKLY",
                 "byday": DAYS[record["day"]], "opens_at": record["time"],
                 "closes_at": record.get("end_time"), "timezone": record.get("timezone"),
                 "attending_type": record.get("attendance")}]
    return [{"id": uid(service_id, "schedule", str(i)), "service_id": service_id,
             "freq": "WEEKLY", "byday": DAYS[iv["day"]], "opens_at": iv["open"],
             "closes_at": iv["close"], "timezone": record.get("timezone")}
            for i, iv in enumerate((record.get("hours") or {}).get("intervals") or [])]


def _capacity(service_id, index, bed):
    cap_id = uid(service_id, "capacity", str(index))
    extra = {k: bed.get(k) for k in ("level_of_care", "population", "status", "reported_by")}
    return {"id": cap_id, "service_id": service_id,
            "unit": {"id": uid("unit", "bed"), "name": "Bed"},
            "available": bed.get("available"), "maximum": bed.get("capacity"),
            "description": bed.get("note"), "updated": bed.get("reported_at"),
            "attributes": attributes(cap_id, extra)}
