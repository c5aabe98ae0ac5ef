"""The Elasticsearch index template, and how a record becomes a document under it.

The mapping is `dynamic: strict`, so a document with a field the mapping does not name is
refused instead of silently growing the index. Every filter vocabulary is a `keyword`, the
location a `geo_point`, the full record rides along in `_source` (`record`, not indexed)
so `get` returns it unchanged, and bed figures sit one sub-object per level of care and
population group (`beds_by_level.3_7-WM__men`), so the ranking script reads open beds for
exactly the levels asked and the beds the person may take, from doc values.
"""
from directory_service import vocab
from directory_service.search import columns as cols

# One bed figure per (level of care, population group), e.g. "3_7-WM__men": Elasticsearch
# reads dots in field names as object paths, so "3.7-WM" is stored as "3_7-WM".
BED_FIELD_KEYS = {(level, group): f"{level.replace('.', '_')}__{group}"
                  for level, group in cols.BED_KEYS}
DEFAULT_ZONE = "America/Chicago"
WEEK_MINUTES = 7 * 1440

KEYWORD = {"type": "keyword"}
SHORT = {"type": "short"}
# Words as the embedded store's FTS5 tokenizer ('porter unicode61 remove_diacritics 2')
# cuts them: split at anything that is not a letter, digit or mark (so "Mary's" is
# "mary" + "s"), lower-cased, diacritics folded, Porter-stemmed, no stop words. The same
# analyzer runs on the query, so a prefix is matched against stems on both sides.
FTS_ANALYZER = "fts_words"
ANALYSIS = {
    "tokenizer": {FTS_ANALYZER: {"type": "pattern", "pattern": "[^\\p{L}\\p{N}\\p{M}]+"}},
    "analyzer": {FTS_ANALYZER: {"type": "custom", "tokenizer": FTS_ANALYZER,
                                "filter": ["lowercase", "asciifolding", "porter_stem"]}},
}
# Every stem's prefixes of 1 to 19 characters are indexed too (`index_prefixes`; 19 is
# the most Elasticsearch allows), so the prefix query of the text search (query.py) is a
# term query on `<field>._index_prefix`: cheap, and allowed where the cluster sets
# `search.allow_expensive_queries: false` (a plain prefix query is refused there).
PREFIX_CHARS = (1, 19)
WORDS_TEXT = {"type": "text", "analyzer": FTS_ANALYZER,
              "index_prefixes": {"min_chars": PREFIX_CHARS[0], "max_chars": PREFIX_CHARS[1]}}
# `open` is net of the holds active when it was written; `hold_until` holds the expiry of
# each of those holds, so a query counts a hold that has expired since as open again
# (elastic/scoring.py) without anything writing at the expiry instant.
BED_FIGURE = {"properties": {"open": {"type": "integer"}, "reported_at": {"type": "date"},
                             "hold_until": {"type": "date"}}}

MAPPING = {
    "dynamic": "strict",
    "properties": {
        "id": KEYWORD,
        # Ids that merged into this record: /v1/resources/<alias> redirects here.
        "aliases": KEYWORD,
        "kind": KEYWORD,
        "name": WORDS_TEXT,
        "description": WORDS_TEXT,
        "place": WORDS_TEXT,
        "location": {"type": "geo_point"},
        "active": {"type": "boolean"},
        "updated_at": {"type": "date"},
        "languages": KEYWORD,
        "zone": KEYWORD,
        # Opening intervals in minutes of the local week (0 = Sunday 00:00), to the minute,
        # as columns.week_intervals: a term query on a minute finds what is open then.
        "open_hours": {"type": "integer_range"},
        # Treatment facilities.
        "levels_of_care": KEYWORD,
        "payment": KEYWORD,
        "settings": KEYWORD,
        "medications": KEYWORD,
        "programs": KEYWORD,
        "gender": KEYWORD,
        "min_age": SHORT,
        "max_age": SHORT,
        "flags": KEYWORD,
        "beds_by_level": {"properties": {key: BED_FIGURE for key in BED_FIELD_KEYS.values()}},
        # Meetings: minutes after local midnight, and after local Sunday 00:00.
        "fellowship": KEYWORD,
        "day": {"type": "byte"},
        "start_min": SHORT,
        "end_min": SHORT,
        "start_week": SHORT,
        "end_week": SHORT,
        "attendance": KEYWORD,
        "types": KEYWORD,
        # Naloxone and take-back sites.
        "site_type": KEYWORD,
        "record": {"type": "object", "enabled": False},
    },
}


def index_template(prefix, shape=None):
    """The composable index template every `<prefix>-<timestamp>` index is created from.

    `shape` holds shards and replicas (settings.index_settings); the priority grows
    with the prefix (settings.template_priority) so deployments on one cluster differ.
    """
    from directory_service.search.elastic.settings import template_priority

    shape = shape or {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": template_priority(prefix),
        "template": {
            "settings": {**shape, "analysis": ANALYSIS},
            "mappings": MAPPING,
        },
    }


def place_text(record):
    """The words of a record's place, as the embedded store's FTS `place` column."""
    address = record.get("address") or {}
    parts = [address.get("city"), record.get("location_name"), record.get("fellowship")]
    return " ".join(p for p in parts if p)


def _iso(epoch):
    from directory_service.search.columns import epoch_to_iso

    return epoch_to_iso(epoch)


def held_expiries(beds):
    """{field key: sorted expiries} of the holds that `open` subtracts, per figure.

    A row subtracts min(held, available) beds (an open row; full and closed rows count 0
    anyway). When more holds than beds are active, the ones expiring last are those whose
    expiry frees a bed, so those are kept: open at any later instant is then `open` plus
    the kept expiries that have passed, exactly. Rows without `hold_until` (no live
    holds, or not read) add none.
    """
    out = {}
    for bed in beds:
        if bed.get("status") != "open" or bed.get("reported_at") is None:
            continue
        group = cols.population_group(bed.get("population"))
        taken = min(bed.get("held") or 0, bed.get("available") or 0)
        if group is None or taken <= 0 or not bed.get("hold_until"):
            continue
        field = BED_FIELD_KEYS[(bed["level_of_care"], group)]
        out.setdefault(field, []).extend(sorted(bed["hold_until"])[-taken:])
    return {field: sorted(times) for field, times in out.items()}


def beds_by_level(beds, complete=False):
    """{field key: {open, reported_at[, hold_until]}} for figures known from `beds`
    (columns.bed_levels).

    With `complete`, every key is present and unknown ones are null, so a partial update
    also clears figures that are no longer known.
    """
    holds = held_expiries(beds)
    known = {}
    for key, (available, at) in cols.bed_levels(beds).items():
        field = BED_FIELD_KEYS[key]
        known[field] = {"open": int(available), "reported_at": _iso(at)}
        if complete or holds.get(field):
            known[field]["hold_until"] = holds.get(field, [])
    if not complete:
        return known
    empty = {"open": None, "reported_at": None, "hold_until": []}
    return {field: known.get(field, empty) for field in BED_FIELD_KEYS.values()}


def document(record):
    """The indexed document of one validated record."""
    hours = record.get("hours") or {}
    doc = {
        "id": record["id"], "aliases": list(record.get("aliases") or ()),
        "kind": record["kind"], "name": record["name"],
        "description": record.get("description") or "", "place": place_text(record),
        "location": {"lat": record["location"]["lat"], "lon": record["location"]["lon"]},
        "active": bool(record.get("active", True)), "updated_at": record.get("updated_at"),
        "languages": list(record.get("languages") or ()),
        "zone": record["timezone"],
        "open_hours": [{"gte": opens, "lt": closes}
                       for opens, closes in cols.week_intervals(hours)],
        "record": record,
    }
    kind = record["kind"]
    if kind == "treatment_facility":
        doc.update(_facility(record))
    elif kind == "meeting":
        doc.update(_meeting(record))
    elif record.get("site_type"):
        doc["site_type"] = record["site_type"]
    return doc


def _facility(record):
    pops = record.get("populations") or {}
    return {
        "levels_of_care": list(record.get("levels_of_care") or ()),
        "payment": list(record.get("payment") or ()),
        "settings": list(record.get("settings") or ()),
        "medications": list(record.get("medications") or ()),
        "programs": [p for p in vocab.POPULATION_PROGRAMS if pops.get(p)],
        "gender": pops.get("genders") or "any",
        # Absent bounds are open, as in the embedded store's columns.
        "min_age": pops.get("min_age") or 0,
        "max_age": 999 if pops.get("max_age") is None else pops["max_age"],
        "flags": [f for f in cols.FLAGS if record.get(f)],
        "beds_by_level": beds_by_level(record.get("beds") or ()),
    }


def _meeting(record):
    start = cols.hhmm_minutes(record["time"])
    end = cols.hhmm_minutes(record["end_time"]) if record.get("end_time") else start + 60
    start_week = record["day"] * 1440 + start
    return {
        "fellowship": record["fellowship"], "day": record["day"],
        "start_min": start, "end_min": end,
        # A meeting past midnight ends after its start in week minutes, never before.
        "start_week": start_week, "end_week": start_week + (end - start) % 1440,
        "attendance": record["attendance"], "types": list(record.get("types") or ()),
    }
