"""A facility's profile merged over its indexed record, field by field, with provenance.

Pure functions on plain dicts, so every seam that serves records (the embedded store's
overlay, Elasticsearch documents and hits, exports, pages) merges the same way. The
indexed record is never changed in place: it stays what the source file said, and the
merged copy says for every declarable field where its value came from:

    "provenance": {"phones.intake": {"origin": "facility", "at": "…Z",
                                     "source_value": "…", "source_changed": false}, …}

`source` fields carry the source's own date (`source_updated_at`). A facility field whose
source value differs from the one the facility saw when it declared it is
`source_changed`: the facility and the admin are asked to accept it or keep theirs.
"""
import json

from directory_service.schemas.profile import PROFILE_FIELDS

POPULATION = "adult_any"


def get_field(record, name):
    """The value of a profile field name (`phones.intake`) in a record."""
    parent, _, part = name.partition(".")
    if part:
        return (record.get(parent) or {}).get(part)
    return record.get(name)


def source_record(record):
    """The record as the source gave it: facility values taken back out of a merged one
    (so merging twice, or merging a stored merged copy, is the same as merging once)."""
    provenance = record.get("provenance")
    if not provenance:
        return record
    restored = {k: v for k, v in record.items() if k != "provenance"}
    for name, entry in provenance.items():
        if entry.get("origin") == "facility":
            _set(restored, name, entry.get("source_value"))
    return restored


def _set(record, name, value):
    parent, _, part = name.partition(".")
    if part:
        record[parent] = {**(record.get(parent) or {}), part: value}
    else:
        record[name] = value


def merge_profile(doc, profile):
    """`doc` with `profile` ({"fields": {name: entry}, "verified_at", "verified_how"} as
    profiles.overlay_for gives it, or None) merged over it; facilities get provenance.

    Runs for every facility served (each search hit, every exported record), so the
    common case, no profile, costs one shared entry and one dict (a few microseconds)."""
    base = source_record(doc)
    facility = base.get("kind") == "treatment_facility"
    fields = (profile or {}).get("fields") or {}
    if not facility and not (profile or {}).get("verified_at"):
        return base
    merged, provenance = dict(base), {}
    if facility:
        # One entry shared by every source field: never changed after it is made.
        provenance = dict.fromkeys(PROFILE_FIELDS, {"origin": "source",
                                                    "at": base.get("source_updated_at")})
        for name, entry in fields.items():
            if name not in provenance:
                continue
            now_says = get_field(base, name)
            _set(merged, name, entry["value"])
            provenance[name] = {"origin": "facility", "at": entry["at"],
                                "source_value": now_says,
                                "source_changed": not same(now_says, entry.get("source_seen"))}
        if "beds" in fields or "levels_of_care" in fields:
            merged["beds"] = _declared_beds(base.get("beds"), fields, merged)
    _merge_verified(merged, base, profile, provenance)
    merged["provenance"] = provenance
    return merged


def _declared_beds(source_beds, fields, merged):
    """Bed rows of a facility that declared its rows or levels: the declared rows (with
    the source's figures where it had the same row), none for a level no longer offered."""
    offered = set(merged.get("levels_of_care") or ())
    key = (lambda r: (r["level_of_care"], r.get("population") or POPULATION))
    by_key = {key(r): r for r in source_beds or ()}
    if "beds" in fields:
        rows = [{**by_key.get(key(r), {"status": "unknown"}), **r}
                for r in fields["beds"]["value"]]
    else:
        rows = list(source_beds or ())
    return [r for r in rows if r["level_of_care"] in offered]


def _merge_verified(merged, base, profile, provenance):
    """`verified_at`: the latest of the source's own verification or update date and the
    facility's (a profile save, "Still accurate", a confirmed public report)."""
    source_at = max(filter(None, (base.get("verified_at"), base.get("source_updated_at"))),
                    default=None)
    facility_at = (profile or {}).get("verified_at")
    # ISO 8601 UTC strings compare in time order.
    if facility_at and (source_at is None or facility_at > source_at):
        merged["verified_at"] = facility_at
        provenance["verified_at"] = {"origin": "facility", "at": facility_at,
                                     "how": profile.get("verified_how"),
                                     "source_value": base.get("verified_at")}
    else:
        merged["verified_at"] = source_at
        provenance["verified_at"] = {"origin": "source", "at": source_at}


def same(a, b):
    """Equal as facts: lists in any order (codes, bed rows, opening intervals) are the
    same list."""
    return _canonical(a) == _canonical(b)


def _canonical(value):
    if isinstance(value, dict):
        return {k: _canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value),
                      key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return value
