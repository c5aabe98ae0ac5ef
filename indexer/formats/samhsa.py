"""SAMHSA FindTreatment.gov rows (`exportsAsJson/v2`, or the locator `listing` page).

A file is a JSON array of facility rows, or one page `{page, totalPages, recordCount,
rows}`. The `services` entries carry human-readable values joined with "; " under a
category code (`f2`); the labels below turn them into SAMHSA's filter codes, and
`vocab.py`'s crosswalks turn those into ours. A value we do not know is a warning naming
the row and the value, never a silent drop. Mental-health-only rows (no substance use
care) are warned and skipped: this directory is for substance use.
"""

from directory_service import vocab
from indexer.formats import common, samhsa_labels as labels
from indexer.problems import RowProblem

SOURCE = {"name": "samhsa", "url": "https://findtreatment.gov/"}


def detect(path, head):
    return path.lower().endswith(".json") and b'"frid"' in head or (
        path.lower().endswith(".json") and b'"totalPages"' in head and b'"rows"' in head)


def read(path, transform=None, options=None):
    data, problem = common.load_json(path)
    if problem:
        yield problem
        return
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        yield 0, RowProblem({"_file": ["expected an array of rows or a page with `rows`"]})
        return
    if isinstance(data, dict) and data.get("recordCount") not in (None, len(rows)):
        yield 0, common.Warned("partial-page", (
            f"page {data.get('page')} of {data.get('totalPages')}: {len(rows)} rows here, "
            f"{data.get('recordCount')} in the whole result"))
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            yield number, RowProblem({"_row": ["a row must be a JSON object"]})
            continue
        yield from ((number, item) for item in common.guarded(map_row(row, options)))


def map_row(row, options=None):
    """One FindTreatment row → warnings, then our record (or nothing for MH-only rows)."""
    services = {}
    for entry in row.get("services") or []:
        values = [v.strip() for v in (entry.get("f3") or "").split(";") if v.strip()]
        services.setdefault(entry.get("f2"), []).extend(values)
    care = services.get("TC", [])
    kind_of_facility = common.text(row.get("typeFacility") or row.get("type_facility"))
    substance_use = any("substance" in c.lower() for c in care) if care else (
        kind_of_facility in (None, "SA", "OTP"))
    if not substance_use:
        yield common.Warned("mental-health-only", f"{_name(row)!r} offers no substance use "
                            f"care (type {kind_of_facility}): skipped")
        return
    record = _base(row)
    facts = labels.Facts()
    for category, values in services.items():
        for value in values:
            if not labels.apply(category, value, facts):
                yield common.Warned(f"{category}:{value}", f"unknown SAMHSA value "
                                    f"{value!r} in category {category}")
    for code in facts.codes:
        for field, mapped in (vocab.SAMHSA_SETTINGS.get(code)
                              or vocab.SAMHSA_TYPE_OF_CARE.get(code) or {}).items():
            record[field].extend(mapped)
    record["payment"] = facts.payment
    record["medications"] = facts.medications
    record["accepts_clients_on_moud"] = facts.accepts_moud
    record["populations"] = facts.populations()
    record["languages"] = ["en"] + [c for c in facts.languages if c != "en"]
    for field in ("levels_of_care", "settings", "payment", "medications", "languages"):
        record[field] = list(dict.fromkeys(record[field]))
    yield record


def _name(row):
    return " - ".join(p for p in (common.text(row.get("name1")),
                                  common.text(row.get("name2"))) if p) or None


def _base(row):
    frid = common.text(row.get("frid"))
    street = ", ".join(p for p in (common.text(row.get("street1")),
                                   common.text(row.get("street2"))) if p) or None
    source_id = frid or common.stable_hash(_name(row), street, row.get("city"), row.get("zip"))
    record = {
        "id": f"samhsa:{source_id}", "kind": "treatment_facility", "name": _name(row),
        "address": {"street": street, "city": common.text(row.get("city")),
                    "state": common.state(row.get("state")),
                    "postal_code": common.postal_code(row.get("zip"))},
        "phones": {"main": common.text(row.get("phone")),
                   "intake": common.text(row.get("intake1")),
                   "hotline": common.text(row.get("hotline1"))},
        "website": common.text(row.get("website")),
        "source": {**SOURCE, "id": source_id},
        "levels_of_care": [], "settings": [],
    }
    place = common.location(row.get("latitude"), row.get("longitude"))
    if place:
        record["location"] = place
    return record
