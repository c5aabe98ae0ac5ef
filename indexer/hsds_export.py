"""Our record → one HSDS 3.0 `service_at_location` object (service and location nested).

HSDS carries names, addresses, coordinates, phones, languages, weekly schedules, status,
`last_modified` and (3.1) `capacities` natively, and those are filled for any HSDS reader.
Everything HSDS has no field for (kind, levels of care, payment, a meeting's day and
fellowship, a site's type ...) goes into `attributes` under the taxonomy
`directory-service`, which indexer/formats/hsds_records.py reads back, so a record
survives HSDS out and in again unchanged.

Every object validates against the official HSDS 3.0 schemas (tests/test_hsds_schema.py):
- ids are UUIDs, version 5 under NAMESPACE: the service_at_location's is uuid5(NAMESPACE,
  our id), every other object's uuid5(NAMESPACE, "<our id>/<path>") (e.g.
  "seed:fac-001/service/schedule/0"), a taxonomy term's uuid5(NAMESPACE, "term/<code>"); our
  id itself is the location's `external_identifier`;
- no nulls: an absent value is an absent key, except the address fields HSDS requires,
  which are "" when we do not know them;
- a schedule's `timezone` is a number, the UTC offset in hours of the record's zone at the
  time of export (the IANA zone rides along as our `timezone` attribute); times are
  HH:MM local, "24:00" written as "23:59"; open 24/7 is every day 00:00-23:59;
- every taxonomy term has a description;
- provenance rides in the standard's own places: `assured_date` is the date the record
  was last verified (`verified_at`), and each field the facility itself gave (profile
  provenance, availability/profile_merge.py) is a `metadata` entry on the service: the
  field, the source's value it replaced, the facility's value, when.
"""
import json
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from directory_service import vocab
from indexer.formats.hsds_records import DAYS, ID_TYPE, TAXONOMY

NAMESPACE = uuid.UUID("6f1d2b0e-5c7a-4f55-9a38-3a0c1f0e7b21")
NATIVE = {"id", "name", "description", "address", "location", "phones", "website",
          "languages", "active", "updated_at", "beds", "provenance"}
ALL_DAYS = "MO,TU,WE,TH,FR,SA,SU"
FIELD_NAMES = {
    "levels_of_care": "Level of care (ASAM)", "settings": "Service setting",
    "medications": "Medication for opioid use disorder", "payment": "Payment accepted",
    "types": "Meeting type (Meeting Guide code)", "accepts": "Take-back accepts",
    "sources": "Source of the record", "event_dates": "Take-back event date",
}
VALUE_NAMES = {**vocab.LEVEL_OF_CARE_NAMES, **vocab.MEETING_TYPES}


def uid(rid, *path):
    """The stable UUID of our record `rid` (no path) or of one of its parts."""
    return str(uuid.uuid5(NAMESPACE, "/".join((rid,) + path)))


def term_description(code):
    """A term's description in words: HSDS requires one."""
    field, _, value = code.partition(":")
    if value:
        name = VALUE_NAMES.get(value)
        return f"{FIELD_NAMES.get(field, field)}: {value}" + (f" ({name})" if name else "")
    return (f"directory-service field '{field}', its value as JSON (a field HSDS 3.0 has "
            "no place for)")


def attribute(owner, entity, code, value):
    term_id = str(uuid.uuid5(NAMESPACE, f"term/{code}"))
    return {"id": str(uuid.uuid5(NAMESPACE, f"{owner}/attribute/{code}/{value}")),
            "link_id": owner, "link_type": entity, "link_entity": entity,
            "taxonomy_term_id": term_id, "value": value,
            "taxonomy_term": {"id": term_id, "code": code, "name": code,
                              "description": term_description(code),
                              "taxonomy": TAXONOMY, "language": "en"}}


def attributes(owner, fields, entity="service"):
    """Each field as attributes: one per item for lists of strings, else a JSON value."""
    out = []
    for name, value in fields.items():
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            out += [attribute(owner, entity, f"{name}:{v}", v) for v in value]
        elif not (isinstance(value, list) and not value):
            out.append(attribute(owner, entity, name, json.dumps(value, sort_keys=True)))
    return out


def compact(value):
    """`value` without null members, at any depth (HSDS types allow no nulls)."""
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [compact(v) for v in value if v is not None]
    return value


def utc_offset_hours(zone, now):
    """The zone's UTC offset in hours at `now` (a number, as HSDS 3.0 wants)."""
    try:
        offset = now.astimezone(ZoneInfo(zone)).utcoffset()
    except (ValueError, KeyError, OSError):
        return None
    hours = offset.total_seconds() / 3600
    return int(hours) if hours.is_integer() else hours


def service_at_location(record, now=None):
    now = now or datetime.now(timezone.utc)
    rid = record["id"]
    service_id, location_id = uid(rid, "service"), uid(rid, "location")
    extra = {k: v for k, v in record.items() if k not in NATIVE}
    populations = record.get("populations") or {}
    service = {
        "id": service_id, "name": record["name"], "description": record.get("description"),
        "url": record.get("website"), "status": "active" if record.get("active", True)
        else "inactive", "last_modified": record.get("updated_at"),
        "minimum_age": populations.get("min_age"), "maximum_age": populations.get("max_age"),
        "languages": [{"id": uid(rid, "service", "language", c), "service_id": service_id,
                       "code": c} for c in record.get("languages") or []],
        "phones": [{"id": uid(rid, "service", "phone", role), "service_id": service_id,
                    "number": number, "type": "voice", "description": role}
                   for role, number in (record.get("phones") or {}).items() if number],
        "schedules": _schedules(rid, service_id, record, now),
        "attributes": attributes(service_id, extra),
        "capacities": [_capacity(rid, service_id, i, bed)
                       for i, bed in enumerate(record.get("beds") or [])],
        "assured_date": (record.get("verified_at") or "")[:10] or None,
        "metadata": _provenance(rid, service_id, record),
    }
    address = record.get("address") or {}
    location = {
        "id": location_id, "location_type": "physical",
        "name": record.get("location_name") or record["name"],
        "latitude": record["location"]["lat"], "longitude": record["location"]["lon"],
        "external_identifier": rid, "external_identifier_type": ID_TYPE,
        "addresses": [{"id": uid(rid, "location", "address"), "location_id": location_id,
                       "address_1": address.get("street") or "",
                       "city": address.get("city") or "",
                       "state_province": address.get("state") or "",
                       "postal_code": address.get("postal_code") or "", "country": "US",
                       "address_type": "physical"}] if any(address.values()) else [],
    }
    return compact({"id": uid(rid), "service_id": service_id, "location_id": location_id,
                    "service": service, "location": location})


def _provenance(rid, service_id, record):
    """HSDS `metadata` entries for the fields the facility gave itself."""
    entries = []
    for name, entry in sorted((record.get("provenance") or {}).items()):
        if entry.get("origin") != "facility" or name == "verified_at":
            continue
        entries.append({
            "id": uid(rid, "service", "metadata", name), "resource_id": service_id,
            "resource_type": "service", "last_action_date": (entry.get("at") or "")[:10],
            "last_action_type": "facility_declared", "field_name": name,
            "previous_value": json.dumps(entry.get("source_value"), sort_keys=True),
            "replacement_value": json.dumps(_field(record, name), sort_keys=True),
            "updated_by": "facility"})
    return entries


def _field(record, name):
    parent, _, part = name.partition(".")
    return (record.get(parent) or {}).get(part) if part else record.get(name)


def _hhmm(value):
    return "23:59" if value == "24:00" else value


def _schedules(rid, service_id, record, now):
    common = {"service_id": service_id, "freq": "WEEKLY",
              "timezone": utc_offset_hours(record.get("timezone") or "UTC", now)}
    if record["kind"] == "meeting":
        return [{**common, "id": uid(rid, "service", "schedule"), "byday": DAYS[record["day"]],
                 "opens_at": record["time"], "closes_at": _hhmm(record.get("end_time")),
                 "attending_type": record.get("attendance")}]
    hours = record.get("hours") or {}
    if hours.get("open_24_7"):
        return [{**common, "id": uid(rid, "service", "schedule", "24-7"), "byday": ALL_DAYS,
                 "opens_at": "00:00", "closes_at": "23:59",
                 "description": "Open 24 hours a day, 7 days a week."}]
    return [{**common, "id": uid(rid, "service", "schedule", str(i)), "byday": DAYS[iv["day"]],
             "opens_at": iv["open"], "closes_at": _hhmm(iv["close"])}
            for i, iv in enumerate(hours.get("intervals") or [])]


def _capacity(rid, service_id, index, bed):
    cap_id = uid(rid, "service", "capacity", str(index))
    extra = {k: bed.get(k) for k in ("level_of_care", "population", "status", "reported_by")}
    return {"id": cap_id, "service_id": service_id,
            "unit": {"id": str(uuid.uuid5(NAMESPACE, "unit/bed")), "name": "Bed"},
            "available": bed.get("available"), "maximum": bed.get("capacity"),
            "description": bed.get("note"), "updated": bed.get("reported_at"),
            "attributes": attributes(cap_id, extra, entity="service_capacity")}
