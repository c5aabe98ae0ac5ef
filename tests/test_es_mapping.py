"""The strict mapping accepts every document the seed directory produces, field by field.

With `dynamic: strict` Elasticsearch refuses a document holding any field the mapping
does not name, so every key path of every converted seed record must be in the mapping,
with a value of the mapped type.
"""
import pytest

from directory_service.search.elastic.mapping import MAPPING, document, index_template
from indexer import pipeline
from tests.conftest import SEED
from tests.factories import bed, facility, meeting, site

LEAF_TYPES = {
    "keyword": str, "text": str, "date": str, "boolean": bool,
    "short": int, "integer": int, "byte": int,
}
RANGE_BOUNDS = {"gte", "gt", "lte", "lt"}


class CollectingWriter:
    """Keeps the records the indexer pipeline validated, so they can be converted here."""

    def __init__(self):
        self.records, self.duplicates = [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add(self, record):
        self.records.append(record)

    def commit(self, meta=None):
        return len(self.records)


def unmapped(value, mapping, path=""):
    """Paths in `value` the mapping does not accept (missing field or wrong leaf type)."""
    if mapping.get("enabled") is False:
        return []
    if mapping.get("type") == "geo_point":
        ok = isinstance(value, dict) and set(value) == {"lat", "lon"}
        return [] if ok else [f"{path}: not a lat/lon point"]
    if "properties" in mapping:
        if not isinstance(value, dict):
            return [f"{path}: object expected"]
        problems = []
        for key, item in value.items():
            child = mapping["properties"].get(key)
            if child is None:
                problems.append(f"{path}.{key}: not in the mapping")
            else:
                problems += unmapped(item, child, f"{path}.{key}")
        return problems
    if mapping.get("type") == "integer_range":
        items = value if isinstance(value, list) else [value]
        bad = [v for v in items if not (isinstance(v, dict) and v and set(v) <= RANGE_BOUNDS
                                        and all(type(b) is int for b in v.values()))]
        return [f"{path}: {bad[0]!r} is not an integer_range"] if bad else []
    expected = LEAF_TYPES[mapping["type"]]
    items = value if isinstance(value, list) else [value]
    bad = [v for v in items if v is not None and not (
        isinstance(v, expected) and not (expected is int and isinstance(v, bool)))]
    return [f"{path}: {bad[0]!r} is not {mapping['type']}"] if bad else []


@pytest.fixture(scope="module")
def seed_records():
    writer = CollectingWriter()
    pipeline.run([SEED], writer)
    return writer.records


def test_every_seed_document_fits_the_strict_mapping(seed_records):
    kinds = {r["kind"] for r in seed_records}
    assert kinds == {"treatment_facility", "meeting", "naloxone_site", "takeback_site"}
    problems = [f"{r['id']}{p}" for r in seed_records
                for p in unmapped(document(r), MAPPING)]
    assert problems == []


def test_the_checker_itself_finds_an_unmapped_field():
    doc = document(facility("x"))
    doc["bogus"] = 1
    doc["min_age"] = "ten"
    assert unmapped(doc, MAPPING) == [".min_age: 'ten' is not short", ".bogus: not in the mapping"]


def test_documents_carry_filter_fields_and_the_unchanged_record():
    fac = facility("f", beds=[bed(level="3.7-WM", available=2, hours_old=1),
                              bed(level="3.7-WM", available=0, hours_old=3)],
                   populations={"genders": "men", "max_age": 64, "veterans": True},
                   walk_in=True)
    doc = document(fac)
    assert doc["record"] == fac
    assert doc["beds_by_level"] == {
        "3_7-WM__adults": {"open": 2, "reported_at": fac["beds"][1]["reported_at"]}}
    assert (doc["gender"], doc["min_age"], doc["max_age"]) == ("men", 0, 64)
    assert doc["programs"] == ["veterans"] and doc["flags"] == ["walk_in"]
    late = document(meeting("m", day=6, time="23:30", end_time="00:30"))
    assert (late["start_week"], late["end_week"]) == (6 * 1440 + 1410, 6 * 1440 + 1470)
    always = document(site("s"))
    assert always["open_hours"] == [{"gte": 0, "lt": 7 * 1440}]
    assert always["site_type"] == "pharmacy"
    # Minute precision in week minutes; a night split at midnight stays two touching ranges.
    night = document(site("n", hours={"open_24_7": False, "intervals": [
        {"day": 1, "open": "09:15", "close": "17:45"}, {"day": 5, "open": "22:00", "close": "24:00"},
        {"day": 6, "open": "00:00", "close": "02:30"}]}))
    assert night["open_hours"] == [{"gte": 1440 + 555, "lt": 1440 + 1065},
                                   {"gte": 5 * 1440 + 1320, "lt": 6 * 1440},
                                   {"gte": 6 * 1440, "lt": 6 * 1440 + 150}]
    assert unmapped(night, MAPPING) == []
    assert unmapped({**night, "open_hours": [{"gte": 1.5}]}, MAPPING) != []


def test_aliases_are_an_indexed_keyword_of_the_document():
    doc = document(site("kept", aliases=["test:merged", "hsds:county:12"]))
    assert doc["aliases"] == ["test:merged", "hsds:county:12"]
    assert MAPPING["properties"]["aliases"] == {"type": "keyword"}
    assert unmapped(doc, MAPPING) == []
    assert document(site("plain"))["aliases"] == []


def test_template_is_strict_and_matches_versioned_indices():
    template = index_template("directory")
    assert template["index_patterns"] == ["directory-*"]
    assert template["template"]["mappings"]["dynamic"] == "strict"
    assert template["template"]["mappings"]["properties"]["record"]["enabled"] is False


def test_template_defines_the_analyzer_its_text_fields_name():
    settings = index_template("directory")["template"]["settings"]
    analyzers = settings["analysis"]["analyzer"]
    named = {MAPPING["properties"][f]["analyzer"] for f in ("name", "description", "place")}
    assert named <= set(analyzers)
    for name in named:
        assert analyzers[name]["tokenizer"] in settings["analysis"]["tokenizer"]
