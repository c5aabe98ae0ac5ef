"""One HSDS 3.0 service at one location → our record (and the vocabulary both ways use).

HSDS has no field for a level of care, a meeting's fellowship or a naloxone site's cost;
its extension point is `attribute` with a taxonomy term. Our export writes every field
HSDS lacks as an attribute of the taxonomy `directory-service` (list items one attribute
each, `levels_of_care:3.7-WM`; scalars as JSON values), and this mapper reads them back,
so HSDS out → HSDS in gives the record we started from.

Which of our kinds a foreign service becomes: our `kind` attribute if present, else the
operator's `--kind`, else words in its taxonomy terms (KIND_WORDS); otherwise the row is
rejected asking for `--kind`.
"""
import json
import re

from indexer.formats import common, hours, hours_text
from indexer.problems import RowProblem

TAXONOMY = "directory-service"
ID_TYPE = "directory-service id"
DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
INACTIVE = ("inactive", "defunct", "temporarily closed")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
KIND_WORDS = (
    (re.compile(r"naloxone|narcan|overdose reversal", re.I), "naloxone_site"),
    (re.compile(r"take.?back|drug disposal|medication disposal|drop.?box", re.I),
     "takeback_site"),
    (re.compile(r"mutual.?aid|support group|12.?step|recovery meeting", re.I), "meeting"),
    (re.compile(r"substance|addiction|detox|withdrawal|opioid treatment", re.I),
     "treatment_facility"),
)


def to_record(service, location, sal, options):
    """Yields warnings, then the record or a RowProblem.

    `sal` is the service_at_location object joining them ({} for a service without one).
    """
    service = service or {}
    location = location or {}
    sal = sal or {}
    sal_id = sal.get("id")
    ours = our_attributes(service.get("attributes"))
    kind = ours.get("kind") or options.kind or _kind_from_terms(service.get("attributes"))
    if kind is None:
        yield RowProblem({"kind": ["cannot tell which kind this service is: use --kind"]})
        return
    record_id = (location.get("external_identifier")
                 if location.get("external_identifier_type") == ID_TYPE else None)
    source_id = sal_id or service.get("id")
    record = {
        "id": record_id or hsds_id(source_id, options.feed), "kind": kind,
        "name": common.text(service.get("name")),
        "description": common.text(service.get("description")),
        "address": _address(location.get("addresses") or []),
        "phones": _phones(service, location),
        "website": common.text(service.get("url")),
        "languages": [lang["code"] for lang in service.get("languages") or []
                      if isinstance(lang, dict) and re.fullmatch(r"[a-z]{2}", lang.get("code") or "")]
        or ["en"],
        "active": (service.get("status") or "active").lower() not in INACTIVE,
        "source": {"name": "hsds", "id": common.text(source_id), "url": common.text(service.get("url"))},
        "updated_at": common.timestamp(service.get("last_modified")),
        "source_updated_at": common.timestamp(service.get("last_modified")),
    }
    place = common.location(location.get("latitude"), location.get("longitude"))
    if place:
        record["location"] = place
    schedules = schedules_for(service, location, sal)
    if kind == "meeting":
        record.update(_meeting_time(schedules))
    else:
        record["hours"] = _hours(schedules)
    if kind == "treatment_facility":
        ages = {"min_age": service.get("minimum_age"), "max_age": service.get("maximum_age")}
        record["populations"] = {k: v for k, v in ages.items() if v is not None}
        beds, warnings = _beds(service, ours)
        yield from warnings
        record["beds"] = beds
    # HSDS has no site type; a foreign service gets the broadest one unless ours says.
    record.update({"naloxone_site": {"site_type": "community_org"},
                   "takeback_site": {"site_type": "other"}}.get(kind, {}))
    for path, value in ours.items():
        _set(record, path, value)
    yield record


def hsds_id(source_id, feed):
    """`hsds:<uuid>` for the UUIDs HSDS 3.0 asks for (unique anywhere), else
    `hsds:<feed>:<id>`: older packages number their rows 1, 2, 3 in every file."""
    part = common.id_part(source_id)
    if part and UUID.match(part):
        return f"hsds:{part}"
    return ":".join(p for p in ("hsds", feed, part) if p)


def our_attributes(attributes):
    """{dotted field: value} from attributes in our taxonomy; list items are gathered."""
    found = {}
    for attribute in attributes or []:
        term = attribute.get("taxonomy_term") or {}
        if term.get("taxonomy") != TAXONOMY or not term.get("code"):
            continue
        code, value = term["code"], attribute.get("value")
        if ":" in code:
            found.setdefault(code.split(":", 1)[0], []).append(value)
        else:
            found[code] = _json_value(value)
    return found


def _json_value(value):
    """An attribute's JSON value; text that is not JSON stays text, so the record's own
    validation names the field it was given for (never a crash of the whole run)."""
    if value in (None, ""):
        return None
    try:
        return json.loads(value)
    except (ValueError, TypeError, RecursionError):
        return value


def _kind_from_terms(attributes):
    words = " ".join(f"{(a.get('taxonomy_term') or {}).get('name', '')} "
                     f"{(a.get('taxonomy_term') or {}).get('code', '')}" for a in attributes or [])
    for pattern, kind in KIND_WORDS:
        if pattern.search(words):
            return kind
    return None


def _set(record, path, value):
    *parents, last = path.split(".")
    target = record
    for name in parents:
        target = target.setdefault(name, {})
    target[last] = value


def _address(addresses):
    physical = [a for a in addresses if a.get("address_type") == "physical"] or addresses
    if not physical:
        return {}
    a = physical[0]
    street = ", ".join(p for p in (common.text(a.get("address_1")),
                                   common.text(a.get("address_2"))) if p) or None
    return {"street": street, "city": common.text(a.get("city")),
            "state": common.state(a.get("state_province")),
            "postal_code": common.postal_code(a.get("postal_code"))}


# HSDS phone types (RFC 6350) that a person cannot call by voice: never a record's phone.
NOT_CALLED = ("fax", "pager", "text", "textphone")


def _phones(service, location):
    """main/intake/hotline from the phones' descriptions, main else the first voice phone:
    a fax, pager, SMS or TTY line (`type`) is never offered as a number to call."""
    phones = [p for p in list(service.get("phones") or []) + list(location.get("phones") or [])
              if not (isinstance(p, dict)
                      and str(p.get("type") or "voice").strip().lower() in NOT_CALLED)]
    roles = {"main": None, "intake": None, "hotline": None}
    for phone in phones:
        number = common.text(phone.get("number"))
        role = (phone.get("description") or "").strip().lower()
        if number and role in roles and roles[role] is None:
            roles[role] = number.strip('"')
    if roles["main"] is None and phones and common.text(phones[0].get("number")):
        roles["main"] = common.text(phones[0]["number"]).strip('"')
    return roles


def schedules_for(service, location, sal):
    """The schedules of this service at this location, each once.

    HSDS links a schedule to a service at location, a service or a location, and full
    examples repeat the same schedule under all three. The most specific level that has
    any wins (service at location, else the service's, else the location's); schedules
    that name another location or service at location are left out; repeats (same id,
    or same days and times) are dropped.
    """
    here, at = location.get("id"), sal.get("id")

    def applies(s):
        return ((not s.get("location_id") or not here or s["location_id"] == here) and
                (not s.get("service_at_location_id") or not at
                 or s["service_at_location_id"] == at))

    levels = (sal.get("schedules"), service.get("schedules"), location.get("schedules"))
    for level in levels:
        chosen = [s for s in level or [] if isinstance(s, dict) and applies(s)]
        if chosen:
            break
    else:
        return []
    seen, out = set(), []
    for s in chosen:
        key = s.get("id") or (s.get("freq"), s.get("byday"), s.get("opens_at"), s.get("closes_at"))
        content = (s.get("freq"), s.get("byday"), s.get("opens_at"), s.get("closes_at"),
                   s.get("description"))
        if key in seen or content in seen:
            continue
        seen.update((key, content))
        out.append(s)
    return out


def _weekly(schedules):
    for s in schedules:
        if (s.get("freq") or "WEEKLY").upper() == "WEEKLY" and s.get("byday"):
            yield s, [DAYS.index(d.strip()[-2:]) for d in s["byday"].split(",")
                      if d.strip()[-2:] in DAYS]


def _hours(schedules):
    """Weekly intervals to the minute; 24/7 from a schedule's words or full coverage."""
    if any(hours.is_24_7(s.get("description")) or hours.is_24_7(s.get("notes"))
           for s in schedules):
        return {"open_24_7": True, "intervals": []}
    out = []
    for s, days in _weekly(schedules):
        opens, closes = common.hhmm(s.get("opens_at")), hours.close_time(s.get("closes_at"))
        for day in days:
            out += hours.day_intervals(day, opens, closes)
    out = hours.merged(out)
    if out and hours.covers_week(out):
        return {"open_24_7": True, "intervals": []}
    if not out:
        # No weekly times, only words ("Monday-Friday, 9am-5pm"): read when understood.
        for s in schedules:
            for words in (s.get("description"), s.get("notes")):
                if isinstance(words, str) and (read := hours_text.hours_from_text(words)):
                    return read
    return {"open_24_7": False, "intervals": out}


def _meeting_time(schedules):
    for s, days in _weekly(schedules):
        if days:
            return {"day": days[0], "time": common.hhmm(s.get("opens_at")),
                    "end_time": common.hhmm(s.get("closes_at"))}
    return {}


def _beds(service, ours):
    """HSDS 3.1 `service_capacity` rows in units of beds → bed inventory rows."""
    rows = (service.get("capacities") or service.get("service_capacities")
            or service.get("service_capacity") or [])
    levels = ours.get("levels_of_care") or []
    beds, warnings = [], []
    for cap in rows:
        unit = ((cap.get("unit") or {}).get("name") or "bed").lower()
        bed_ours = our_attributes(cap.get("attributes"))
        level = bed_ours.get("level_of_care") or (levels[0] if len(levels) == 1 else None)
        if not unit.startswith("bed") or level is None:
            warnings.append(common.Warned("hsds:capacity-skipped", (
                f"service_capacity {cap.get('id')}: unit {unit!r}, level of care "
                f"{level!r}: not a bed row we can place")))
            continue
        available = cap.get("available")
        status = bed_ours.get("status") or ("unknown" if available is None else
                                            "open" if int(available) > 0 else "full")
        bed = {"level_of_care": level, "capacity": cap.get("maximum"),
               "available": None if status == "unknown" else available,
               "status": status, "reported_at": common.timestamp(cap.get("updated")),
               "note": common.text(cap.get("description"))}
        bed.update({k: v for k, v in bed_ours.items() if k != "level_of_care"})
        beds.append(bed)
    return beds, warnings
