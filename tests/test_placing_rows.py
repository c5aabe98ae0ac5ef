"""Rows land where they are and keep their own clock: placing, bounds and time zones.

Fixtures are written here: rows from several US time zones and one outside the US, rows
placed only by ZIP or city (with the spellings feeds use), impossible points, and a
meeting near Irvine, CA searched by "starting within 60 minutes" on that clock.
"""
import json
import math
from datetime import datetime, timezone

import pytest

from directory_service.search.store import SearchQuery
from indexer import pipeline
from tests.factories import meeting
from tests.test_import_formats import Collector


def site(rid, **fields):
    row = {"id": f"t:{rid}", "kind": "naloxone_site", "name": f"Site {rid}",
           "site_type": "pharmacy"}
    row.update(fields)
    return row


def run(tmp_path, rows, name="sites.ndjson", **kwargs):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    writer = Collector()
    try:
        report = pipeline.run([str(path)], writer, max_rejected_fraction=1.0, **kwargs)
    except pipeline.IndexRunFailed as exc:
        report = exc.report
    return report, writer.records


def km(record, lat, lon):
    here = record["location"]
    dy = (here["lat"] - lat) * 111.2
    dx = (here["lon"] - lon) * 111.2 * math.cos(math.radians(lat))
    return math.hypot(dx, dy)


def reasons(report):
    return [line for r in report.rejected for line in r.lines()]


def test_each_row_takes_the_zone_of_its_point_not_a_default(tmp_path):
    _report, records = run(tmp_path, [
        site("irvine", location={"lat": 33.6846, "lon": -117.8265}),
        site("wilmington", location={"lat": 39.7447, "lon": -75.5484}),
        site("phoenix", location={"lat": 33.4484, "lon": -112.0740}),
        site("honolulu", location={"lat": 21.3069, "lon": -157.8583}),
        site("berlin", location={"lat": 52.5200, "lon": 13.4050}),
        site("naperville", location={"lat": 41.7731, "lon": -88.1477}),
    ])
    assert {rid: r["timezone"] for rid, r in records.items()} == {
        "t:irvine": "America/Los_Angeles", "t:wilmington": "America/New_York",
        "t:phoenix": "America/Phoenix", "t:honolulu": "Pacific/Honolulu",
        "t:berlin": "Europe/Berlin", "t:naperville": "America/Chicago"}


def test_a_declared_zone_that_disagrees_with_the_point_is_warned_and_the_point_wins(tmp_path):
    report, records = run(tmp_path, [
        site("irvine", location={"lat": 33.6846, "lon": -117.8265},
             timezone="America/Chicago"),
        site("detroit", location={"lat": 42.3314, "lon": -83.0458},
             timezone="America/New_York"),
    ])
    assert records["t:irvine"]["timezone"] == "America/Los_Angeles"
    assert any("(t:irvine) timezone:disagrees" in w for w in report.warnings)
    # Detroit's own zone keeps New York's clock: nothing to warn about.
    assert not any("t:detroit" in w for w in report.warnings)


def test_the_cli_timezone_is_no_default_for_rows_that_have_a_place(tmp_path):
    from indexer.formats.common import ImportOptions
    from indexer.geocode import Placer

    _report, records = run(tmp_path, [site("irvine", location={"lat": 33.6846,
                                                                "lon": -117.8265})],
                           options=ImportOptions(timezone="America/Chicago"),
                           placer=Placer(default_timezone="America/Chicago"))
    assert records["t:irvine"]["timezone"] == "America/Los_Angeles"


@pytest.mark.parametrize("address, lat, lon, precision", [
    ({"city": "O'Fallon", "state": "IL"}, 38.5923, -89.9112, "city"),
    ({"city": "OFALLON", "state": "IL"}, 38.5923, -89.9112, "city"),
    ({"city": "St. Louis", "state": "MO"}, 38.6270, -90.1994, "city"),
    ({"city": "Saint Louis", "state": "MO"}, 38.6270, -90.1994, "city"),
    ({"city": "Coeur D Alene", "state": "ID"}, 47.6777, -116.7805, "city"),
    ({"city": "Los Angeles", "state": "CA"}, 34.0537, -118.2428, "city"),
    ({"city": "Stockton", "state": "CA"}, 37.9577, -121.2908, "city"),
    ({"postal_code": "95214", "city": "Stockton", "state": "CA"}, 37.9577, -121.2908, "city"),
    ({"postal_code": "60540"}, 41.7689, -88.1351, "zip"),
    ({"postal_code": "60540-1234", "state": "IL"}, 41.7689, -88.1351, "zip"),
])
def test_rows_without_coordinates_land_in_their_place(tmp_path, address, lat, lon, precision):
    report, records = run(tmp_path, [site("a", address=address)])
    assert not report.rejected, reasons(report)
    record = records["t:a"]
    assert record["location_precision"] == precision
    assert km(record, lat, lon) < 8


def test_a_zip_from_another_state_does_not_move_the_row(tmp_path):
    # The ZIP says Naperville, IL; the row says Irvine, CA: the city and state win.
    _report, records = run(tmp_path, [site("a", address={
        "city": "Irvine", "state": "CA", "postal_code": "60540"})])
    assert km(records["t:a"], 33.6846, -117.8265) < 10
    assert records["t:a"]["timezone"] == "America/Los_Angeles"


def test_a_city_alone_is_placed_only_when_one_place_stands_out_or_the_feed_says(tmp_path):
    report, records = run(tmp_path, [
        site("edmonton", address={"city": "Edmonton"}),
        site("springfield", address={"city": "Springfield"}),
    ])
    assert records["t:edmonton"]["timezone"] == "America/Edmonton"
    assert "t:springfield" not in records
    assert any("(t:springfield) location:" in line and "Springfield, IL" in line
               for line in reasons(report))
    # Thorsby, Alberta is too small for the gazetteer; its only namesake is a hamlet in
    # Alabama known by its ZIP. Guessing would put the row 3,000 km away: it is rejected.
    report, records = run(tmp_path, [site("thorsby", address={"city": "Thorsby"})],
                          name="alberta.ndjson")
    assert records == {} and "Thorsby, AL" in " ".join(reasons(report))
    # In a feed whose other rows are in Illinois, "Aurora" is Aurora, IL, not Colorado.
    _report, records = run(tmp_path, [
        site("joliet", address={"city": "Joliet", "state": "IL"}),
        site("aurora", address={"city": "Aurora"}),
    ], name="illinois.ndjson")
    assert km(records["t:aurora"], 41.7606, -88.3201) < 8


@pytest.mark.parametrize("location", [{"lat": 41.7731, "lon": 88.1477},    # sign lost
                                      {"lat": -88.1477, "lon": 41.7731},   # swapped
                                      {"lat": 0, "lon": 0}])                # missing
@pytest.mark.parametrize("state", ["IL", None])  # without a state, the ZIP names it
def test_an_impossible_point_is_placed_again_from_the_address_with_a_warning(tmp_path,
                                                                            location, state):
    report, records = run(tmp_path, [site("a", location=location, address={
        "city": "Naperville", "state": state, "postal_code": "60540"})])
    assert km(records["t:a"], 41.7689, -88.1351) < 5
    assert records["t:a"]["location_precision"] == "zip"
    assert any("(t:a) location:outside-region" in w for w in report.warnings)


def test_an_impossible_point_that_the_address_cannot_fix_is_rejected(tmp_path):
    report, records = run(tmp_path, [
        site("a", location={"lat": 41.7731, "lon": 88.1477}, address={"state": "IL"}),
        site("b", location={"lat": 0.0, "lon": 0.0}),
    ])
    assert records == {}
    lines = reasons(report)
    assert any("(t:a) location:" in line and "outside IL" in line for line in lines)
    assert any("(t:b) location:" in line and "(0, 0)" in line for line in lines)


def test_a_meeting_starting_soon_near_irvine_is_on_irvines_clock(tmp_path, make_store):
    # Loaded without a zone, as feeds send it; the point puts it in Los Angeles time.
    _report, records = run(tmp_path, [{
        "id": "t:irvine-aa", "kind": "meeting", "name": "Irvine Noon", "fellowship": "AA",
        "day": 1, "time": "19:00", "end_time": "20:00", "attendance": "in_person",
        "location": {"lat": 33.6846, "lon": -117.8265}}], name="meetings.ndjson")
    assert records["t:irvine-aa"]["timezone"] == "America/Los_Angeles"
    store = make_store([records["t:irvine-aa"]])
    # Monday 18:30 in Irvine is Tuesday 02:30 UTC: the 19:00 meeting starts within 60 min.
    irvine_evening = datetime(2026, 11, 17, 2, 30, tzinfo=timezone.utc)
    # Monday 18:30 in Chicago is 16:30 in Irvine: the meeting is two and a half hours away.
    chicago_evening = datetime(2026, 11, 17, 0, 30, tzinfo=timezone.utc)
    query = dict(lat=33.68, lon=-117.82, kinds=("meeting",), starts_within=60)
    assert store.search(SearchQuery(**query, now=irvine_evening)).total == 1
    assert store.search(SearchQuery(**query, now=chicago_evening)).total == 0


def test_factory_records_take_their_zone_from_their_point():
    irvine = meeting("x", location={"lat": 33.6846, "lon": -117.8265})
    assert irvine["timezone"] == "America/Los_Angeles"
    assert meeting("y")["timezone"] == "America/Chicago"


def test_real_places_at_the_edge_of_their_state_keep_their_point(tmp_path):
    # Utqiagvik, Alaska and Key West, Florida lie beyond their states' outermost ZIP
    # centroids; they are real places, not swapped coordinates.
    report, records = run(tmp_path, [
        site("utqiagvik", location={"lat": 71.2906, "lon": -156.7887},
             address={"city": "Utqiagvik", "state": "AK"}),
        site("keywest", location={"lat": 24.5551, "lon": -81.7800},
             address={"city": "Key West", "state": "FL"}),
    ])
    assert not report.warnings
    assert {r["location_precision"] for r in records.values()} == {"exact"}
    assert records["t:utqiagvik"]["timezone"] == "America/Anchorage"


def test_a_bad_point_is_reported_once_not_again_as_a_missing_zone(tmp_path):
    report, _records = run(tmp_path, [site("a", location={"lat": 100, "lon": 101},
                                           timezone=None)])
    lines = reasons(report)
    assert any("(t:a) location.lat:" in line for line in lines)
    assert not any("timezone" in line for line in lines)


def test_a_point_at_sea_without_a_declared_zone_is_rejected_naming_the_zone(tmp_path):
    report, records = run(tmp_path, [site("a", location={"lat": 30.0, "lon": -40.0})])
    assert records == {}
    assert any("(t:a) location:" in line and "no time zone" in line for line in reasons(report))
    _report, records = run(tmp_path, [site("b", location={"lat": 30.0, "lon": -40.0},
                                           timezone="Atlantic/Azores")], name="b.ndjson")
    assert records["t:b"]["timezone"] == "Atlantic/Azores"


def test_a_rejected_city_says_what_the_gazetteer_made_of_it(tmp_path):
    report, _records = run(tmp_path, [
        site("typo", address={"city": "Napervile", "state": "IL"}),
        site("small", address={"city": "Thorsby", "state": "AB"}),
    ])
    lines = " ".join(reasons(report))
    assert "no city called 'Napervile' in Illinois; did you mean Naperville, IL?" in lines
    assert "no city called 'Thorsby' in Alberta" in lines and "1,000 people" in lines
