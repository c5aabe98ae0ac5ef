"""SearchQuery → Elasticsearch request body, as pure functions (no client, no I/O).

The filter semantics are those of `vector_search.py`: OR within a group (`terms`), AND
across groups (`bool.filter`), and a filter that concerns one kind lets every other kind
through. Local-time filters (open now, starts within) are computed from `query.now` once
per time zone present in the index, because the documents hold local week minutes.
"""
import re
from zoneinfo import ZoneInfo

from directory_service import ranking
from directory_service.search.elastic.mapping import DEFAULT_ZONE, PREFIX_CHARS, WEEK_MINUTES
from directory_service.search.online import region_zones
from directory_service.search.spellings import other_spellings
from directory_service.search.elastic.scoring import (
    SCORE_SCRIPT, hold_fields, level_fields, script_params)

# Elasticsearch's default index.max_result_window: from + size may not exceed it.
MAX_RESULT_WINDOW = 10_000
SOURCE_FIELDS = ["record", "beds_by_level"]
TEXT_FIELDS = ["name", "description", "place"]
WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12
FACILITY = ("treatment_facility",)
MEETING = ("meeting",)
SITES = ("naloxone_site", "takeback_site")
FLAG_FIELDS = (("accepts_moud", "accepts_clients_on_moud"), ("walk_in", "walk_in"),
               ("intake_24_7", "intake_24_7"), ("police_dropoff", "accepts_police_or_peer_dropoff"))


def _terms(field, values):
    return {"terms": {field: list(values)}}


def _any(*clauses):
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}}


def _only_for(kinds, *clauses):
    """`clauses` must hold for records of `kinds`; records of other kinds pass."""
    return _any({"bool": {"must_not": [_terms("kind", kinds)]}},
                {"bool": {"filter": [_terms("kind", kinds), *clauses]}})


def local_week_minute(now, zone):
    """Minutes since local Sunday 00:00 at `now` in `zone` (as vector_search)."""
    local = now.astimezone(ZoneInfo(zone))
    return (local.isoweekday() % 7) * 1440 + local.hour * 60 + local.minute


def _per_zone(zones, now, clause_for):
    """One should-clause per zone: the zone's records, tested at the zone's local time."""
    return _any(*({"bool": {"filter": [{"term": {"zone": z}},
                                       clause_for(local_week_minute(now, z))]}}
                  for z in zones))


def _in_progress(week_min):
    # A meeting is on when start <= now < end, or, across Saturday midnight, end > now + week.
    return _any({"bool": {"filter": [{"range": {"start_week": {"lte": week_min}}},
                                     {"range": {"end_week": {"gt": week_min}}}]}},
                {"range": {"end_week": {"gt": week_min + WEEK_MINUTES}}})


def _starts_within(within):
    def clause(week_min):
        end = week_min + within
        if end < WEEK_MINUTES:
            return {"range": {"start_week": {"gte": week_min, "lte": end}}}
        return _any({"range": {"start_week": {"gte": week_min}}},
                    {"range": {"start_week": {"lte": end - WEEK_MINUTES}}})
    return clause


def text_filters(text):
    """Every word must match name, description or place, as a prefix (as the FTS5 store).

    `bool_prefix` ends in a `prefix` query, which has no expansion cap: `phrase_prefix`
    kept only 50 of the terms a short prefix expands to (the "s" of "St. Mary's"), so
    matching documents silently dropped out. Both sides use the FTS-like analyzer
    (elastic/mapping.py, ANALYSIS), so "Mary's" is "mary" AND a prefix "s", as in FTS5.

    The prefix is answered from the fields' indexed prefixes (mapping.PREFIX_CHARS): a
    word longer than the longest indexed prefix would need an expensive prefix query, so
    it matches whole words (`best_fields`, every term), which the cluster always allows.
    """
    return [_text_word(word) for word in WORD.findall(text)[:MAX_WORDS]]


def _text_word(word):
    """One word's clause; a word written more than one way ("st", "saint"; "narcan",
    "naloxone": search/spellings.py) also matches the others, as whole words."""
    typed = {"multi_match": {"query": word, "type": _word_match(word), "fields": TEXT_FIELDS,
                             "operator": "and"}}
    others = other_spellings(word)
    if not others:
        return typed
    return {"bool": {"should": [typed, *({"multi_match": {
        "query": other, "type": "best_fields", "fields": TEXT_FIELDS, "operator": "and"}}
        for other in others)], "minimum_should_match": 1}}


def _word_match(word):
    return "bool_prefix" if len(word) <= PREFIX_CHARS[1] else "best_fields"


def open_beds_clause(q):
    """Some figure the person may take has a bed open at `q.now`: `open` > 0, or a hold it
    subtracted has expired by now (expires_at <= now, as the availability database), so an
    expired hold frees its bed at the instant, with no writer (mapping.held_expiries)."""
    open_fields, _ = level_fields(q)
    now_ms = int(q.now.timestamp() * 1000)
    return _any(*({"range": {f: {"gt": 0}}} for f in open_fields),
                *({"range": {f: {"lte": now_ms, "format": "epoch_millis"}}}
                  for f in hold_fields(q)))


def _facility_filters(q):
    out = [_terms(field, values) for field, values in (
        ("levels_of_care", q.levels), ("payment", q.payment), ("settings", q.settings),
        ("medications", q.medications), ("programs", q.programs)) if values]
    if q.gender:
        out.append(_terms("gender", ("any", q.gender)))
    if q.age is not None:
        out += [{"range": {"min_age": {"lte": q.age}}}, {"range": {"max_age": {"gte": q.age}}}]
    out += [{"term": {"flags": flag}} for name, flag in FLAG_FIELDS if getattr(q, name)]
    if q.has_open_beds:
        out.append(open_beds_clause(q))
    return out


def _meeting_filters(q, zones):
    out = [_terms(field, values) for field, values in (
        ("fellowship", q.fellowships), ("day", q.days), ("attendance", q.attendance),
        ("types", q.types)) if values]
    if q.starts_after is not None:
        out.append({"range": {"start_min": {"gte": q.starts_after}}})
    if q.starts_within is not None:
        out.append(_per_zone(zones, q.now, _starts_within(q.starts_within)))
    return out


def filters(q, zones=(DEFAULT_ZONE,)):
    """The hard filters of one query, as a list for `bool.filter`."""
    near = {"geo_distance": {"distance": f"{q.radius_m}m",
                             "location": {"lat": q.lat, "lon": q.lon}}}
    regional = region_zones(q, zones)
    if regional:
        # Online-only meetings keeping the searcher's clock, however far (search/online.py).
        near = _any(near, {"bool": {"filter": [_terms("kind", MEETING),
                                               {"term": {"attendance": "online"}},
                                               _terms("zone", regional)]}})
    out = [{"term": {"active": True}}, near]
    if q.kinds:
        out.append(_terms("kind", q.kinds))
    if q.q:
        out += text_filters(q.q)
    facility = _facility_filters(q)
    if facility:
        out.append(_only_for(FACILITY, *facility))
    if q.languages:
        out.append(_terms("languages", q.languages))
    meeting = _meeting_filters(q, zones)
    if meeting:
        out.append(_only_for(MEETING, *meeting))
    if q.site_types:
        out.append(_only_for(SITES, _terms("site_type", q.site_types)))
    if q.open_now:
        open_then = _per_zone(zones, q.now, lambda m: {"term": {"open_hours": m}})
        out.append(_any({"bool": {"must_not": [_terms("kind", MEETING)], "filter": [open_then]}},
                        {"bool": {"filter": [_terms("kind", MEETING),
                                             _per_zone(zones, q.now, _in_progress)]}}))
    return out


def sort_clause(q):
    """Score first, then distance, then id: the same deterministic order as the embedded store."""
    return [{"_score": {"order": "desc"}},
            {"_geo_distance": {"location": {"lat": q.lat, "lon": q.lon}, "order": "asc",
                               "unit": "m", "distance_type": "arc"}},
            {"id": {"order": "asc"}}]


def build_search_body(query, settings, zones=(DEFAULT_ZONE,), closed=(), problems=None):
    """The request body of one search page; `zones` are the time zones the index holds.

    Public reports (search/standing.py, search_effects): ids in `closed` are filtered out,
    and a record with n confirmed problems ({id: n} in `problems`) has its score
    multiplied by CONFIRMED_PROBLEM_FACTOR**n, as the embedded store does. Without
    either, the body is exactly what it was before public reports existed."""
    size = min(query.per_page, settings.max_per_page)
    start = query.offset
    if start + size > MAX_RESULT_WINDOW:
        # Past the window only the total is answered; exports page with search_after.
        start, size = 0, 0
    hard = filters(query, zones)
    if closed:
        hard.append({"bool": {"must_not": [_terms("id", sorted(closed))]}})
    scored = {"script_score": {
        "query": {"bool": {"filter": hard}},
        "script": {"source": SCORE_SCRIPT, "params": script_params(query)},
    }}
    return {
        "query": discounted(scored, problems),
        "sort": sort_clause(query),
        "from": start,
        "size": size,
        "track_total_hits": True,
        "_source": SOURCE_FIELDS,
        # Shards stop after this (ELASTICSEARCH_SEARCH_TIMEOUT), before the client's own
        # timeout, instead of running on for an answer nobody waits for.
        "timeout": settings.elasticsearch_search_timeout,
    }


def discounted(scored, problems):
    """`scored` times CONFIRMED_PROBLEM_FACTOR**n for each record with n confirmed
    problems: one weighted function per distinct n; a record no filter matches keeps its
    score (function_score multiplies by 1 when no function applies)."""
    if not problems:
        return scored
    by_count = {}
    for record_id, count in problems.items():
        by_count.setdefault(count, []).append(record_id)
    functions = [{"filter": _terms("id", sorted(ids)),
                  "weight": float(ranking.CONFIRMED_PROBLEM_FACTOR ** count)}
                 for count, ids in sorted(by_count.items())]
    return {"function_score": {"query": scored, "functions": functions,
                               "score_mode": "multiply", "boost_mode": "multiply"}}


def build_scan_body(kinds=(), modified_after_iso=None, after=None, size=1000):
    """One page of an export in id order (with a point in time), after the `after` id."""
    clauses = []
    if kinds:
        clauses.append(_terms("kind", kinds))
    if modified_after_iso is not None:
        clauses.append({"range": {"updated_at": {"gt": modified_after_iso}}})
    body = {"query": {"bool": {"filter": clauses}}, "sort": [{"id": {"order": "asc"}}],
            "size": size, "_source": ["record"], "track_total_hits": False}
    if after is not None:
        body["search_after"] = [after]
    return body


def build_kind_counts_body():
    """Records per kind, for /metrics: no hits, one terms aggregation, exact totals."""
    return {"size": 0, "track_total_hits": True,
            "aggs": {"kinds": {"terms": {"field": "kind", "size": 16}}}}


def build_alias_body(alias):
    """The record that lists `alias` among its aliases (at most one: the indexer keeps
    aliases unique). Only its id is fetched: the API redirects to it."""
    return {"query": {"bool": {"filter": [_terms("aliases", [alias])]}}, "size": 1,
            "_source": ["id"], "track_total_hits": False}
