"""The behavioural suite every search store must pass (embedded always, ES when reachable)."""
from datetime import timedelta

import pytest

from directory_service.search.store import SearchQuery
from tests.factories import NAPERVILLE, NOW, ago, bed, facility, meeting, offset, site


def query(**kw):
    base = {"lat": NAPERVILLE[0], "lon": NAPERVILLE[1], "radius_m": 50_000, "now": NOW}
    base.update(kw)
    return SearchQuery(**base)


def ids(result):
    return [h.record["id"] for h in result.hits]


def test_payment_or_within_group_and_across_groups(make_store):
    store = make_store([
        facility("medicaid", km=1, payment=["medicaid"], levels_of_care=["3.7-WM"]),
        facility("sliding", km=2, payment=["sliding_fee"], levels_of_care=["3.7-WM"]),
        facility("private", km=3, payment=["private"], levels_of_care=["3.7-WM"]),
        facility("medicaid-res", km=4, payment=["medicaid"], levels_of_care=["3.5"]),
    ])
    either = store.search(query(payment=("medicaid", "sliding_fee")))
    assert sorted(ids(either)) == ["test:medicaid", "test:medicaid-res", "test:sliding"]
    both_groups = store.search(query(payment=("medicaid", "sliding_fee"),
                                     levels_primary=("3.7-WM",)))
    assert sorted(ids(both_groups)) == ["test:medicaid", "test:sliding"]


def test_radius_excludes_far_records_and_reports_distance(make_store):
    store = make_store([facility("near", km=5), facility("far", km=80)])
    result = store.search(query(radius_m=20_000))
    assert ids(result) == ["test:near"]
    assert result.hits[0].distance_m == pytest.approx(5_000, rel=0.02)


def test_kind_filter_and_kind_specific_filters_let_other_kinds_through(make_store):
    store = make_store([
        facility("fac", km=1, payment=["private"]),
        meeting("mtg", km=1),
        site("nal", km=1),
    ])
    assert ids(store.search(query(kinds=("meeting",)))) == ["test:mtg"]
    mixed = store.search(query(kinds=("meeting", "treatment_facility"), payment=("medicaid",)))
    assert ids(mixed) == ["test:mtg"]


def test_pagination_is_stable_and_complete(make_store):
    store = make_store([facility(f"f{i:02d}", km=1 + i * 0.5) for i in range(25)])
    seen = []
    for page in (1, 2, 3):
        result = store.search(query(page=page, per_page=10))
        assert result.total == 25
        seen += ids(result)
    assert len(seen) == 25 and len(set(seen)) == 25
    assert seen == ids(store.search(query(per_page=25)))


def test_ties_break_by_distance_then_id(make_store):
    same = offset(lat_km=3)
    store = make_store([facility(name, location=same) for name in ("b", "c", "a")])
    assert ids(store.search(query())) == ["test:a", "test:b", "test:c"]


def test_gender_and_age_are_eligibility_filters(make_store):
    store = make_store([
        facility("men", km=1, populations={"genders": "men"}),
        facility("women", km=1, populations={"genders": "women"}),
        facility("any", km=1, populations={"genders": "any"}),
        facility("teens", km=1, populations={"min_age": 12, "max_age": 17}),
    ])
    assert sorted(ids(store.search(query(gender="men", age=30)))) == ["test:any", "test:men"]


def test_open_beds_filter_never_treats_unknown_as_open(make_store):
    store = make_store([
        facility("open", km=1, beds=[bed(available=3)]),
        facility("full", km=1, beds=[bed(available=0)]),
        facility("unknown", km=1, beds=[bed(available=None)]),
    ])
    result = store.search(query(levels_primary=("3.7-WM",), has_open_beds=True))
    assert ids(result) == ["test:open"]
    assert result.hits[0].capacity["open"] == 3


def test_unknown_capacity_ranks_between_open_and_full(make_store):
    store = make_store([
        facility("full", km=1, beds=[bed(available=0, hours_old=0.1)]),
        facility("unknown", km=1, beds=[bed(available=None)]),
        facility("open", km=1, beds=[bed(available=4, hours_old=0.1)]),
    ])
    result = store.search(query(levels_primary=("3.7-WM",)))
    assert ids(result) == ["test:open", "test:unknown", "test:full"]
    unknown = result.hits[1]
    assert unknown.capacity["open"] is None
    assert unknown.components["capacity"] == pytest.approx(0.5)


def test_meeting_day_and_attendance_filters(make_store):
    store = make_store([
        meeting("mon", day=1), meeting("tue", day=2),
        meeting("online", day=1, attendance="online", conference_url="https://example.org/m"),
    ])
    assert sorted(ids(store.search(query(days=(1,))))) == ["test:mon", "test:online"]
    assert ids(store.search(query(days=(1,), attendance=("online",)))) == ["test:online"]


def test_open_now_uses_local_hours_and_meeting_times(make_store):
    # NOW is Monday 12:00 in Chicago.
    store = make_store([
        site("always", hours={"open_24_7": True, "intervals": []}),
        site("mornings", hours={"open_24_7": False,
                                "intervals": [{"day": 1, "open": "08:00", "close": "11:00"}]}),
        meeting("noon", day=1, time="11:30", end_time="12:30"),
        meeting("evening", day=1, time="19:00", end_time="20:00"),
    ])
    assert sorted(ids(store.search(query(open_now=True)))) == ["test:always", "test:noon"]


def test_open_now_is_exact_to_the_minute_in_each_records_zone(make_store):
    # NOW is Monday 12:00 in Chicago (18:00 UTC); minutes are counted in local time.
    day_shift = {"open_24_7": False, "intervals": [{"day": 1, "open": "09:15", "close": "17:45"}]}
    # A Friday night split at midnight by the importer, and a Saturday night over the
    # week's end (Sunday 00:00 is minute 0 of the week).
    nights = {"open_24_7": False, "intervals": [
        {"day": 5, "open": "22:00", "close": "24:00"}, {"day": 6, "open": "00:00", "close": "02:30"},
        {"day": 6, "open": "22:00", "close": "24:00"}, {"day": 0, "open": "00:00", "close": "02:00"}]}
    store = make_store([
        site("chicago", hours=day_shift),
        site("new-york", hours=day_shift, timezone="America/New_York"),
        site("nights", hours=nights),
        site("unknown", hours={"open_24_7": False, "intervals": []}),
    ])

    def open_at(hours, minutes):
        now = NOW + timedelta(hours=hours - 12, minutes=minutes)
        return sorted(ids(store.search(query(open_now=True, now=now))))

    # Chicago 09:05 and 17:50 are closed, 09:15 and 17:44 open, 17:45 is closing time;
    # New York is an hour ahead, so its 09:15-17:45 is Chicago's 08:15-16:45.
    assert open_at(8, 14) == []
    assert open_at(8, 15) == ["test:new-york"]
    assert open_at(9, 5) == ["test:new-york"]
    assert open_at(9, 15) == ["test:chicago", "test:new-york"]
    assert open_at(16, 45) == ["test:chicago"]
    assert open_at(17, 44) == ["test:chicago"]
    assert open_at(17, 45) == [] and open_at(17, 50) == []
    # Friday 23:59 and Saturday 00:00 and 02:29 local: the split night is one stretch.
    friday = 4 * 24  # hours from Monday to Friday
    assert open_at(friday + 23, 59) == ["test:nights"]
    assert open_at(friday + 24, 0) == ["test:nights"]
    assert open_at(friday + 26, 29) == ["test:nights"] and open_at(friday + 26, 30) == []
    # Saturday 23:59 → Sunday 00:30: across the end of the week.
    assert open_at(friday + 47, 59) == ["test:nights"]
    assert open_at(friday + 48, 30) == ["test:nights"]


def test_inactive_records_are_not_found_by_search_but_by_id(make_store):
    store = make_store([facility("gone", active=False), facility("here")])
    assert ids(store.search(query())) == ["test:here"]
    assert store.get("test:gone")["name"] == "Facility gone"
    assert store.get("test:missing") is None


def test_text_search_matches_words_in_name(make_store):
    store = make_store([facility("a", name="Fox Valley Detox"), facility("b", name="Harbor House")])
    assert ids(store.search(query(q="fox"))) == ["test:a"]
    assert ids(store.search(query(q="harbor house"))) == ["test:b"]


def test_saint_and_st_mount_and_mt_find_each_other(make_store):
    store = make_store([facility("a", km=1, name="St. Joseph Recovery Center"),
                        facility("b", km=2, name="Saint Mark's House"),
                        facility("c", km=3, name="Mt. Prospect Detox"),
                        facility("d", km=4, name="Stone Street Clinic"),
                        facility("e", km=5, name="Fort Sheridan Outreach")])
    def found(q):
        return sorted(ids(store.search(query(q=q, per_page=50))))
    assert found("saint joseph") == ["test:a"]
    assert found("st mark's") == ["test:b"] and found("St. Mark") == ["test:b"]
    assert found("mount prospect") == ["test:c"] and found("mt prospect") == ["test:c"]
    assert found("ft sheridan") == ["test:e"]
    # The other spelling is a whole word: "saint" is not a prefix search for "st…".
    assert found("saint") == ["test:a", "test:b"]
    # As typed, a word is still a prefix: "st" finds Stone Street too, and both saints.
    assert found("st") == ["test:a", "test:b", "test:d"]


def test_a_medicine_s_brand_name_and_its_generic_name_find_each_other(make_store):
    store = make_store([facility("a", km=1, name="Free Naloxone Kits"),
                        facility("b", km=2, name="Narcan Distribution Point"),
                        facility("c", km=3, name="Suboxone Clinic"),
                        facility("d", km=4, name="Buprenorphine Induction Center"),
                        facility("e", km=5, name="Narrows Counseling")])
    def found(q):
        return sorted(ids(store.search(query(q=q, per_page=50))))
    assert found("narcan") == ["test:a", "test:b"]
    assert found("Naloxone") == ["test:a", "test:b"]
    assert found("suboxone") == ["test:c", "test:d"]
    assert found("buprenorphine") == ["test:c", "test:d"]
    assert found("Sublocade") == ["test:d"]  # another brand finds the generic name only
    # The other names are whole words: "narc" is a prefix of Narcan, not of naloxone.
    assert found("narc") == ["test:b"]


def _s_words(n):
    """`n` distinct words starting with "s", none a prefix of another's stem."""
    letters = "bcdfghjklmnpqrtvwxyz"
    return [f"s{letters[i // 20]}{letters[i % 20]}ox" for i in range(n)]


def test_text_search_matches_possessives_and_short_prefixes_without_a_cap(make_store):
    # 120 terms share the prefix "s": a capped prefix expansion (phrase_prefix keeps 50)
    # would drop some of them, and with them "St. Mary's", whose "s" sorts last.
    crowd = [facility(f"c{i:03d}", km=1 + i * 0.01, name=f"Facility {word}")
             for i, word in enumerate(_s_words(120))]
    store = make_store([*crowd, facility("mary", km=2, name="St. Mary's Recovery House"),
                        facility("marys", km=3, name="Marysville Outreach"),
                        facility("cafe", km=4, name="Café Naloxone Point")])
    assert ids(store.search(query(q="St. Mary's", per_page=50))) == ["test:mary"]
    assert ids(store.search(query(q="mary's recov", per_page=50))) == ["test:mary"]
    # Prefixes are matched against stems, as FTS5 does: "mary" is the stem "mari", which
    # "marysville" does not start with; "marysv" does.
    assert ids(store.search(query(q="mary", per_page=50))) == ["test:mary"]
    assert ids(store.search(query(q="marysv", per_page=50))) == ["test:marys"]
    everyone_s = store.search(query(q="s", per_page=200))
    assert everyone_s.total == 121  # the crowd and St. Mary's; no word of the others
    assert sorted(ids(everyone_s))[-1] == "test:mary"
    assert ids(store.search(query(q="cafe"))) == ["test:cafe"]
    # Stemmed on both sides, as FTS5's porter tokenizer: a plural finds the singular.
    assert ids(store.search(query(q="houses"))) == ["test:mary"]


def test_health_counts_records(make_store):
    store = make_store([facility("a"), meeting("b")])
    state = store.health()
    assert state["ok"] is True and state["records"] == 2


def test_open_beds_count_only_rows_the_person_may_take(make_store):
    women_only_open = [bed(available=3) | {"population": "adult_women"},
                       bed(available=0) | {"population": "adult_men"}]
    store = make_store([facility("w", km=1, beds=women_only_open),
                        facility("m", km=2, beds=[bed(available=1) | {"population": "adult_men"}])])
    for_a_man = store.search(query(levels_primary=("3.7-WM",), gender="men", has_open_beds=True))
    assert ids(for_a_man) == ["test:m"]
    for_a_woman = store.search(query(levels_primary=("3.7-WM",), gender="women"))
    assert for_a_woman.hits[0].record["id"] == "test:w"
    assert for_a_woman.hits[0].capacity["open"] == 3
    anyone = store.search(query(levels_primary=("3.7-WM",)))
    assert {h.record["id"]: h.capacity["open"] for h in anyone.hits} == {"test:w": 3, "test:m": 1}


def test_beds_of_an_unknown_population_are_open_to_no_one(make_store):
    """A misspelt population ("adult_woman") once counted for everyone, men included."""
    typo = [bed(available=5) | {"population": "adult_woman"}]
    store = make_store([facility("typo", km=1, beds=typo),
                        facility("men", km=2, beds=[bed(available=1) | {"population": "adult_men"}])])
    for gender, expected in (("men", ["test:men"]), ("women", []), (None, ["test:men"])):
        found = store.search(query(levels_primary=("3.7-WM",), gender=gender, has_open_beds=True))
        assert ids(found) == expected, gender
    anyone = store.search(query(levels_primary=("3.7-WM",)))
    assert {h.record["id"]: h.capacity["open"] for h in anyone.hits} == {"test:typo": None,
                                                                         "test:men": 1}


def online(rid, km, zone="America/Chicago", **fields):
    """An online-only meeting pinned `km` north of Naperville, in `zone`."""
    return meeting(rid, km=km, attendance="online", conference_url="https://example.org/j/1",
                   location_precision="region", timezone=zone, **fields)


def test_online_meetings_are_found_by_time_zone_not_by_radius(make_store):
    # Naperville keeps Central time; Knox, Indiana, too under another zone name.
    store = make_store([
        online("near", km=2),
        online("far-central", km=700),
        online("far-knox", km=400, zone="America/Indiana/Knox"),
        online("far-eastern", km=300, zone="America/New_York"),
        online("far-but-tuesday", km=700, day=2),
        online("far-but-closed", km=700, active=False),
        meeting("far-hybrid", km=700, attendance="hybrid", conference_url="https://example.org/j/2"),
        meeting("far-in-person", km=700),
        meeting("near-in-person", km=1),
    ])
    asked_online = store.search(query(kinds=("meeting",), days=(1,), attendance=("online",)))
    assert sorted(ids(asked_online)) == ["test:far-central", "test:far-knox", "test:near"]
    # Distance is still measured and still ranks: the nearer pin comes first.
    assert ids(asked_online)[0] == "test:near"
    assert asked_online.hits[-1].distance_m == pytest.approx(700_000, rel=0.02)
    # Hybrid meetings keep their radius even when online is asked too.
    either = store.search(query(kinds=("meeting",), days=(1,), attendance=("online", "hybrid")))
    assert "test:far-hybrid" not in ids(either) and "test:far-central" in ids(either)
    # Without asking for online attendance, the radius holds for every meeting.
    anything = store.search(query(kinds=("meeting",), days=(1,)))
    assert sorted(ids(anything)) == ["test:near", "test:near-in-person"]
    # Other kinds asked for alone: no meetings at all.
    assert ids(store.search(query(kinds=("naloxone_site",), attendance=("online",)))) == []


def test_online_meetings_from_the_zone_match_text_outside_the_radius(make_store):
    store = make_store([online("far-sunrise", km=600, name="Sunrise Online Group"),
                        online("far-other", km=600, name="Evening Group")])
    found = store.search(query(q="sunrise", attendance=("online",)))
    assert ids(found) == ["test:far-sunrise"]
    assert ids(store.search(query(q="sunrise"))) == []


def test_aliases_resolve_to_the_record_that_lists_them(make_store):
    store = make_store([facility("kept", aliases=["test:merged", "other:old-id"]),
                        site("plain")])
    assert store.resolve_alias("test:merged") == "test:kept"
    assert store.resolve_alias("other:old-id") == "test:kept"
    assert store.resolve_alias("test:plain") is None and store.resolve_alias("test:x") is None
    # `get` is by id only: an alias is answered with a redirect, never the record itself.
    assert store.get("test:merged") is None
    assert store.get("test:kept")["aliases"] == ["test:merged", "other:old-id"]
    assert store.exists()


def test_scan_pages_by_id_with_after_and_limit(make_store):
    """An export page starts after the last id of the one before and holds `limit`
    records; the pages together are the whole scan, in id order, with the filters kept."""
    records = [facility(f"f{i:02d}", km=1 + i * 0.1, updated_at=ago(days=i)) for i in range(12)]
    store = make_store(records + [meeting("m1")])
    whole = [r["id"] for r in store.scan(("treatment_facility",))]
    pages, after = [], None
    while True:
        page = [r["id"] for r in store.scan(("treatment_facility",), after=after, limit=5)]
        pages.append(page)
        if len(page) < 5:
            break
        after = page[-1]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert sum(pages, []) == whole == sorted(whole) and len(whole) == 12
    recent = [r["id"] for r in store.scan((), NOW - timedelta(days=6, hours=12),
                                          after="test:f02", limit=10)]
    assert recent == ["test:f03", "test:f04", "test:f05", "test:f06"]


def test_build_id_is_stable_within_a_run_and_new_for_each_run(make_store):
    """The search ETag names the index build: the same records indexed again are a new
    build (a re-index may change anything), and one build keeps one id."""
    first, again = make_store([facility("a")]), make_store([facility("a")])
    assert first.build_id() == first.build_id()
    assert first.build_id() != again.build_id()
