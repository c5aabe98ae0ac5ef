"""The behavioural suite every search store must pass (embedded always, ES when reachable)."""
import pytest

from directory_service.search.store import SearchQuery
from tests.factories import NAPERVILLE, NOW, bed, facility, meeting, offset, site


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


def test_inactive_records_are_not_found_by_search_but_by_id(make_store):
    store = make_store([facility("gone", active=False), facility("here")])
    assert ids(store.search(query())) == ["test:here"]
    assert store.get("test:gone")["name"] == "Facility gone"
    assert store.get("test:missing") is None


def test_text_search_matches_words_in_name(make_store):
    store = make_store([facility("a", name="Fox Valley Detox"), facility("b", name="Harbor House")])
    assert ids(store.search(query(q="fox"))) == ["test:a"]
    assert ids(store.search(query(q="harbor house"))) == ["test:b"]


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
