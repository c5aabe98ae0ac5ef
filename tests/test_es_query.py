"""Golden request bodies: what the Elasticsearch store sends for representative searches."""
import pytest

from directory_service import ranking, vocab
from directory_service.config import Settings
from directory_service.search.elastic.query import build_search_body
from directory_service.search.elastic.scoring import SCORE_SCRIPT, script_params
from directory_service.search.store import SearchQuery
from tests.es_golden import matches_golden
from tests.factories import NAPERVILLE, NOW

MILES_40 = 40 * 1609.344
DETOX = vocab.expand_levels(["detox"])

SCENARIOS = {
    "facility_detox_medicaid_naperville": dict(
        kinds=("treatment_facility",), radius_m=MILES_40, levels_primary=DETOX[0],
        levels_related=DETOX[1], payment=("medicaid",)),
    "facility_uninsured_man_open_beds": dict(
        kinds=("treatment_facility",), radius_m=MILES_40, payment=vocab.expand_payment(
            ["uninsured"]), uninsured=True, gender="men", age=30, has_open_beds=True,
        levels_primary=("3.7-WM",), accepts_moud=True),
    "meetings_today_online": dict(kinds=("meeting",), days=(1,), attendance=("online",)),
    "meetings_starting_within_a_week_wraps": dict(kinds=("meeting",), starts_within=7 * 1440,
                                                  fellowships=("NA",)),
    "naloxone_open_now": dict(kinds=("naloxone_site",), open_now=True,
                              site_types=("pharmacy", "vending_machine")),
    "text_q": dict(q="fox valley detox"),
    "text_possessive": dict(q="St. Mary's"),
    "text_saint_either_way": dict(q="saint joseph mt prospect"),
    "text_brand_names": dict(q="narcan buprenorphine"),
    "page_3": dict(page=3, per_page=10, languages=("es",)),
}


def query(**fields):
    return SearchQuery(lat=NAPERVILLE[0], lon=NAPERVILLE[1], now=NOW, **fields)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_request_body_matches_the_committed_fixture(scenario):
    body = build_search_body(query(**SCENARIOS[scenario]), Settings())
    assert matches_golden("queries", f"search_{scenario}.json", body), (
        f"body for {scenario} changed; review, then REGENERATE_GOLDEN=1 to accept")


def test_script_is_a_constant_and_every_number_is_a_parameter():
    body = build_search_body(query(**SCENARIOS["facility_uninsured_man_open_beds"]), Settings())
    script = body["query"]["script_score"]["script"]
    assert script["source"] is SCORE_SCRIPT
    constants = ranking.constants()
    params = script["params"]
    assert params["scale"] == constants["distance_scale_m"]
    assert params["payment_value"] == constants["uninsured_payment_value"]
    assert params["w_distance"] == ranking.WEIGHTS["distance"]
    # Every parameter the script reads is supplied, and none is unused.
    import re
    used = set(re.findall(r"params\.(\w+)", SCORE_SCRIPT))
    assert used == set(params)


def test_two_zones_give_one_clause_each_at_their_own_local_time():
    body = build_search_body(query(open_now=True, kinds=("naloxone_site",)), Settings(),
                             zones=("America/Chicago", "America/New_York"))
    text = str(body["query"]["script_score"]["query"])
    # NOW is Monday 12:00 in Chicago and 13:00 in New York: minutes 2160 and 2220 of the week.
    assert "{'open_hours': 2160}" in text and "{'open_hours': 2220}" in text


def test_open_now_asks_for_the_exact_minute_of_each_zone():
    from datetime import timedelta
    body = build_search_body(
        SearchQuery(lat=NAPERVILLE[0], lon=NAPERVILLE[1], now=NOW + timedelta(minutes=7),
                    open_now=True, kinds=("naloxone_site",)), Settings(),
        zones=("America/Chicago",))
    clauses = body["query"]["script_score"]["query"]["bool"]["filter"]
    open_now = clauses[-1]["bool"]["should"][0]["bool"]["filter"][0]
    assert open_now == {"bool": {"should": [{"bool": {"filter": [
        {"term": {"zone": "America/Chicago"}}, {"term": {"open_hours": 2167}}]}}],
        "minimum_should_match": 1}}


def test_page_size_is_capped_and_deep_pages_ask_only_for_the_total():
    settings = Settings(max_per_page=20, default_per_page=10)
    assert build_search_body(query(per_page=50), settings)["size"] == 20
    deep = build_search_body(query(page=2000, per_page=10), settings)
    assert (deep["from"], deep["size"], deep["track_total_hits"]) == (0, 0, True)


def test_requested_levels_select_the_bed_fields_the_script_sums():
    params = script_params(query(levels_primary=("3.7-WM",), levels_related=("3.2-WM",),
                                 gender="men", age=30))
    assert params["open_fields"] == [
        "beds_by_level.3_7-WM__men.open", "beds_by_level.3_7-WM__adults.open",
        "beds_by_level.3_7-WM__any.open", "beds_by_level.3_2-WM__men.open",
        "beds_by_level.3_2-WM__adults.open", "beds_by_level.3_2-WM__any.open"]
    everything = script_params(query())
    assert len(everything["open_fields"]) == len(vocab.LEVELS_OF_CARE) * 5


def test_online_meetings_keeping_the_origins_clock_pass_the_radius():
    zones = ("America/Chicago", "America/New_York", "America/Indiana/Knox")
    body = build_search_body(query(kinds=("meeting",), attendance=("online", "hybrid")),
                             Settings(), zones=zones)
    near = body["query"]["script_score"]["query"]["bool"]["filter"][1]
    # Naperville keeps Central time, as Knox, Indiana does under another name.
    assert near == {"bool": {"should": [
        {"geo_distance": {"distance": "40000.0m", "location": {"lat": 41.7508, "lon": -88.1535}}},
        {"bool": {"filter": [{"terms": {"kind": ["meeting"]}},
                             {"term": {"attendance": "online"}},
                             {"terms": {"zone": ["America/Chicago", "America/Indiana/Knox"]}}]}},
    ], "minimum_should_match": 1}}


def test_without_online_attendance_the_radius_alone_decides():
    for fields in ({"attendance": ("hybrid",)}, {}, {"kinds": ("naloxone_site",),
                                                     "attendance": ("online",)}):
        body = build_search_body(query(**fields), Settings(),
                                 zones=("America/Chicago", "America/New_York"))
        near = body["query"]["script_score"]["query"]["bool"]["filter"][1]
        assert near == {"geo_distance": {"distance": "40000.0m",
                                         "location": {"lat": 41.7508, "lon": -88.1535}}}


def test_alias_lookup_is_a_terms_filter_on_aliases_fetching_only_the_id():
    from directory_service.search.elastic.query import build_alias_body

    assert build_alias_body("mg:old-slug") == {
        "query": {"bool": {"filter": [{"terms": {"aliases": ["mg:old-slug"]}}]}},
        "size": 1, "_source": ["id"], "track_total_hits": False}


def test_text_words_are_uncapped_prefix_queries_over_the_fts_like_analyzer():
    """Finding 7: phrase_prefix keeps 50 expansions of "s" in "St. Mary's"; bool_prefix
    ends in a prefix query, which has no cap. Every word must match (operator and)."""
    from directory_service.search.elastic.mapping import ANALYSIS, FTS_ANALYZER, MAPPING
    from directory_service.search.elastic.query import text_filters

    clauses = text_filters("St. Mary's")
    # "St" is also "Saint" (search/spellings.py): the typed word, or the other whole.
    saint = clauses[0]["bool"]
    assert saint["minimum_should_match"] == 1
    assert saint["should"][1]["multi_match"]["query"] == "saint"
    assert saint["should"][1]["multi_match"]["type"] == "best_fields"
    clauses = [saint["should"][0], *clauses[1:]]
    assert [c["multi_match"]["query"] for c in clauses] == ["St", "Mary", "s"]
    for clause in clauses:
        match = clause["multi_match"]
        assert match["type"] == "bool_prefix" and match["operator"] == "and"
        assert "max_expansions" not in match
    for field in ("name", "description", "place"):
        assert MAPPING["properties"][field]["analyzer"] == FTS_ANALYZER
    analyzer = ANALYSIS["analyzer"][FTS_ANALYZER]
    # FTS5 'porter unicode61 remove_diacritics 2': no stop words, folded, stemmed.
    assert analyzer["filter"] == ["lowercase", "asciifolding", "porter_stem"]
    assert ANALYSIS["tokenizer"][analyzer["tokenizer"]]["pattern"] == "[^\\p{L}\\p{N}\\p{M}]+"
