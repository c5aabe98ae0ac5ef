"""Meetings from feeds: attendance, activity, precision, languages, fellowship, BMLT shapes.

Fixtures are small feeds written from the Meeting Guide spec and the BMLT root server's
schema (tests/fixtures/formats/meeting_guide, bmlt_export), one case per row.
"""
import json
import os

import pytest
from babel import Locale

from directory_service import vocab
from indexer import pipeline
from indexer.formats import FORMATS, common, detect, fellowship, meetings
from tests.test_import_formats import FIXTURES, Collector, load, reasons


@pytest.fixture(scope="module")
def intergroup():
    return load("meeting_guide/intergroup.json")


def test_attendance_option_and_conference_fields(intergroup):
    _report, records = intergroup
    by_slug = {r["source"]["id"]: r for r in records.values()}
    assert by_slug["church-basement"]["attendance"] == "in_person"
    both = by_slug["both-ways"]
    assert (both["attendance"], both["location_precision"]) == ("hybrid", "exact")
    # Join links and passcodes are kept, the dial-in's with the link's.
    assert both["conference_url"] == "https://zoom.example/j/111"
    assert both["conference_notes"] == "Passcode: 4321\nMeeting ID 111, passcode 4321"
    assert by_slug["church-basement"]["location_notes"] == "Side door, down the stairs"


def test_online_meetings_need_no_street_and_are_pinned_to_their_region(intergroup):
    _report, records = intergroup
    sunrise = records["mg:intergroup:zoom-sunrise"]
    # "Philadelphia, PA, USA" is a town, never a street; approximate + online → region.
    assert sunrise["address"] == {"street": None, "city": "Philadelphia", "state": "PA",
                                  "postal_code": None}
    assert (sunrise["attendance"], sunrise["location_precision"]) == ("online", "region")
    phone = records["mg:intergroup:phone-only"]
    assert phone["attendance"] == "online" and phone["address"]["street"] is None
    assert phone["location_precision"] == "region" and phone["timezone"] == "America/New_York"
    assert phone["location"]["lat"] == pytest.approx(39.95, abs=0.1)
    # No place at all: the median of the feed's meetings (Media/Norristown, PA).
    nowhere = records["mg:intergroup:nowhere-online"]
    assert nowhere["location_precision"] == "region"
    assert 39.9 < nowhere["location"]["lat"] < 40.2 and -75.5 < nowhere["location"]["lon"] < -75.3


def test_inactive_temporarily_closed_and_links_missing(intergroup):
    report, records = intergroup
    assert records["mg:intergroup:closed-hall"]["active"] is False  # attendance_option inactive
    moved = records["mg:intergroup:moved-online"]  # TC with a link: the meeting goes on online
    assert (moved["attendance"], moved["active"], moved["location_precision"]) == (
        "online", True, "region")
    shut = records["mg:intergroup:shut-for-repairs"]  # TC without a link
    assert (shut["attendance"], shut["active"]) == ("in_person", False)
    missing = records["mg:intergroup:link-missing"]  # online, but no way in
    assert (missing["attendance"], missing["active"]) == ("online", False)
    assert "attendance:online-without-link" in " ".join(report.warnings)
    assert records["mg:intergroup:approximate-park"]["location_precision"] == "city"
    assert report.rejected == []


def test_language_types_set_languages(intergroup):
    _report, records = intergroup
    assert records["mg:intergroup:nueva-vida"]["languages"] == ["es"]
    assert records["mg:intergroup:polish-speaking"]["languages"] == ["pl"]
    assert records["mg:intergroup:two-tongues:1"]["languages"] == ["en", "es"]
    assert records["mg:intergroup:church-basement"]["languages"] == ["en"]


def test_day_names_times_and_multi_day_ids(intergroup):
    _report, records = intergroup
    saturday = records["mg:intergroup:nueva-vida"]
    assert (saturday["day"], saturday["time"]) == (6, "19:30")
    assert {records[f"mg:intergroup:two-tongues:{d}"]["day"] for d in (1, 4)} == {1, 4}
    assert "mg:intergroup:two-tongues" not in records


def test_feed_option_names_the_ids():
    _report, records = load("meeting_guide/plain.json",
                            options=common.ImportOptions(feed="district-9", fellowship="AA"))
    assert set(records) == {"mg:district-9:tuesday-noon", "mg:district-9:friday-night"}


def test_fellowship_from_the_feed_rows_or_a_warning():
    _report, records = load("meeting_guide/intergroup.json")
    assert {r["fellowship"] for r in records.values()} == {"AA"}  # its web site aa-example.org
    # An NA feed without an option: its names say NA; a row naming Al-Anon keeps its own.
    report, records = load("meeting_guide/westside.json")
    assert records["mg:westside:just-for-today"]["fellowship"] == "NA"
    assert records["mg:westside:family-hope"]["fellowship"] == "Al-Anon"
    assert not any("fellowship:" in w for w in report.warnings)
    # Nothing names a fellowship: "other", never a silent AA, and the report says so.
    report, records = load("meeting_guide/plain.json")
    assert {r["fellowship"] for r in records.values()} == {"other"}
    assert any(" fellowship:unknown:" in w for w in report.warnings)
    # The option wins over everything the feed says.
    _report, records = load("meeting_guide/westside.json",
                            options=common.ImportOptions(fellowship="Nar-Anon"))
    assert {r["fellowship"] for r in records.values()} == {"Nar-Anon"}


@pytest.mark.parametrize("texts, expected", [
    (("Perryton AA",), "AA"), (("25037 Parents AFG",), "Al-Anon"), (("Hope Alateen",), "Al-Anon"),
    (("Clean Time N.A.",), "NA"), (("Crystal Meth Anonymous",), "CMA"),
    (("SMART Recovery Tuesday",), "SMART"), (("Concurrent AA and Al-Anon",), None),
    (("N/A",), None), (("AAA Hall",), None), (("Touch of Soul",), None),
])
def test_names_that_name_a_fellowship(texts, expected):
    assert fellowship.named_in(*texts) == expected


@pytest.mark.parametrize("host, expected", [
    ("www.aasepia.org", "AA"), ("edmontonaa.org", "AA"), ("staging7.alanonma.org", "Al-Anon"),
    ("na.org", "NA"), ("example-na.org", "NA"), ("aaron.example.com", None),
    ("example.org", None),
])
def test_hosts_that_name_a_fellowship(host, expected):
    assert fellowship.words_hint(host) == expected


def test_mixed_evidence_is_other_with_the_reasons():
    evidence = fellowship.Evidence("list.json")
    evidence.row(urls=["https://www.aasepia.org/m/1"])
    evidence.row(urls=["https://example-na.org/m/2"])
    chosen, warned = evidence.decide()
    assert chosen == "other" and warned.code == "fellowship:mixed"
    assert "aasepia.org" in warned.message and "example-na.org" in warned.message


@pytest.mark.parametrize("option, link, street, approximate, closed, expected", [
    ("in_person", False, True, False, False, ("in_person", True)),
    ("hybrid", True, True, False, False, ("hybrid", True)),
    ("hybrid", True, True, False, True, ("online", True)),
    ("hybrid", False, True, False, False, ("in_person", True)),
    ("online", True, True, False, False, ("online", True)),
    ("online", False, False, False, False, ("online", False)),
    ("inactive", False, True, False, True, ("in_person", False)),
    (None, True, True, False, False, ("hybrid", True)),
    (None, True, True, True, False, ("online", True)),
    (None, True, False, False, False, ("online", True)),
    (None, True, True, False, True, ("online", True)),
    (None, False, True, False, True, ("in_person", False)),
    (None, False, True, False, False, ("in_person", True)),
])
def test_attendance_rules(option, link, street, approximate, closed, expected):
    attendance, active, _warnings = meetings.attendance(option, link, street, approximate, closed)
    assert (attendance, active) == expected


def test_an_unknown_attendance_option_is_warned_and_derived():
    attendance, active, warnings = meetings.attendance("sometimes", True, True)
    assert (attendance, active) == ("hybrid", True)
    assert warnings[0].code == "attendance_option:sometimes"


def test_every_language_type_maps_to_its_iso_code():
    """CLDR's English language names (Babel) agree with the table, type by type."""
    iso = {name: code for code, name in Locale("en").languages.items() if len(code) == 2}
    by_label = {code: iso[label] for code, label in vocab.MEETING_TYPES.items() if label in iso}
    assert vocab.MEETING_TYPE_LANGUAGES == by_label
    assert vocab.MEETING_TYPE_LANGUAGES["S"] == "es"


# BMLT: the API and the database export.

def test_bmlt_database_export_counts_sunday_as_zero_and_reads_format_ids():
    path = "bmlt_export/flat/meetings.json"
    assert detect(os.path.join(FIXTURES, path)) is FORMATS["bmlt-export"]
    report, records = load(path)
    sunday = records["bmlt:meetings:201"]
    assert (sunday["day"], sunday["time"], sunday["end_time"]) == (0, "19:30", "20:30")
    assert sunday["types"] == ["O", "LIT", "X"] and sunday["fellowship"] == "NA"
    assert sunday["location_notes"] == "Room 4, back entrance" and sunday["notes"] == "Bring a friend"
    saturday = records["bmlt:meetings:202"]
    assert (saturday["day"], saturday["attendance"], saturday["location_precision"]) == (
        6, "online", "region")
    assert saturday["conference_notes"] == "Meeting ID 9, passcode 1234"
    assert records["bmlt:meetings:203"]["active"] is False  # published = 0
    assert records["bmlt:meetings:204"]["attendance"] == "online"  # virtual while closed
    assert records["bmlt:meetings:204"]["active"] is True
    assert records["bmlt:meetings:205"]["languages"] == ["es"]
    warned = " ".join(report.warnings)
    assert "bmlt-export:stock-format-ids" in warned and "bmlt-format-id:99" in warned
    assert any("weekday_tinyint: must be 0-6 (0 = Sunday)" in r for r in reasons(report))
    assert "email" not in json.dumps(records["bmlt:meetings:201"])


def test_bmlt_export_csv_uses_the_servers_format_list_beside_it():
    path = "bmlt_export/with_formats/meetings.csv"
    assert detect(os.path.join(FIXTURES, path)) is FORMATS["bmlt-export"]
    report, records = load(path)
    domingo = records["bmlt:meetings:301"]
    assert (domingo["day"], domingo["types"], domingo["languages"]) == (0, ["S", "O"], ["es"])
    assert records["bmlt:meetings:302"]["attendance"] == "hybrid"
    assert records["bmlt:meetings:303"]["active"] is False
    assert "stock-format-ids" not in " ".join(report.warnings)


def test_bmlt_phpmyadmin_export_pivots_data_fields_and_its_format_table():
    report, records = load("bmlt_export/phpmyadmin.json")
    sunday = records["bmlt:phpmyadmin:401"]
    assert (sunday["name"], sunday["day"], sunday["types"]) == ("Sunday Night Hope", 0, ["LIT", "O"])
    assert sunday["address"]["street"] == "100 Main St"
    assert sunday["notes"] == "Candles on the last Sunday"
    online = records["bmlt:phpmyadmin:402"]
    assert (online["day"], online["attendance"], online["conference_url"]) == (
        1, "online", "https://zoom.example/j/12")
    assert not report.warnings and len(records) == 2


def test_bmlt_api_counts_sunday_as_one_and_unpublished_is_inactive(tmp_path):
    rows = [{"id_bigint": "1", "weekday_tinyint": "1", "start_time": "19:00:00",
             "formats": "O,JT", "latitude": "41.75", "longitude": "-88.15",
             "meeting_name": "Sunday", "published": "1"},
            {"id_bigint": "2", "weekday_tinyint": "7", "start_time": "19:00:00",
             "formats": "C,ES", "latitude": "41.75", "longitude": "-88.15",
             "meeting_name": "Saturday", "published": "0"}]
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(rows))
    assert detect(str(path)) is FORMATS["bmlt"]
    writer = Collector()
    pipeline.run([str(path)], writer)
    assert writer.records["bmlt:bmlt:1"]["day"] == 0
    saturday = writer.records["bmlt:bmlt:2"]
    assert (saturday["day"], saturday["active"], saturday["languages"]) == (6, False, ["es"])
    assert {r["fellowship"] for r in writer.records.values()} == {"NA"}  # Just for Today


def test_bmlt_rows_that_cannot_be_told_apart_are_refused_by_name(tmp_path):
    rows = [{"id_bigint": "1", "weekday_tinyint": "2", "start_time": "19:00:00", "formats": "",
             "latitude": "41.75", "longitude": "-88.15", "meeting_name": "Tuesday"}]
    path = tmp_path / "meetings.json"
    path.write_text(json.dumps(rows))
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        pipeline.run([str(path)], Collector())
    message = str(failed.value)
    assert "weekday convention cannot be told" in message and "--format bmlt-export" in message
    # Named by the operator, it loads with that shape's convention.
    writer = Collector()
    pipeline.run([str(path)], writer, fmt="bmlt-export",
                 options=common.ImportOptions(fellowship="NA"))
    assert writer.records["bmlt:meetings:1"]["day"] == 2
    writer = Collector()
    pipeline.run([str(path)], writer, fmt="bmlt", options=common.ImportOptions(fellowship="NA"))
    assert writer.records["bmlt:bmlt:1"]["day"] == 1


def test_a_database_export_named_as_the_api_is_refused(tmp_path):
    source = os.path.join(FIXTURES, "bmlt_export", "flat", "meetings.json")
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        pipeline.run([source], Collector(), fmt="bmlt")
    assert "--format bmlt-export" in " ".join(reasons(failed.value.report))
    conflicting = [{"id_bigint": "1", "weekday_tinyint": "0", "formats": "O"},
                   {"id_bigint": "2", "weekday_tinyint": "7", "formats": "C"}]
    path = tmp_path / "both.json"
    path.write_text(json.dumps(conflicting))
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        pipeline.run([str(path)], Collector())
    assert "cannot tell which day any meeting is" in str(failed.value)


def test_a_file_of_unknown_shape_is_refused_with_the_formats_known(tmp_path):
    path = tmp_path / "events.json"
    path.write_text(json.dumps([{"title": "Picnic", "when": "Saturday"}]))
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        pipeline.run([str(path)], Collector())
    message = str(failed.value)
    assert "format not recognised" in message and "--format" in message
    for name in FORMATS:
        assert f"{name}: " in message
    assert "mapping" not in message.split(". Known formats")[0]


def test_a_csv_without_its_column_mapping_is_told_where_the_mapping_goes(tmp_path):
    # The DEA's disposal-site list: no format of ours claims it without a mapping.
    path = tmp_path / "dea-disposal.csv"
    path.write_text("NAME,ADDRESS 1,CITY,STATE,ZIP\nWALGREENS #1,1 MAIN ST,NAPERVILLE,IL,60540\n")
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        pipeline.run([str(path)], Collector())
    message = str(failed.value)
    assert "format not recognised" in message
    assert "write dea-disposal.mapping.yaml beside it or pass --mapping" in message


def test_an_online_meeting_naming_a_town_alone_is_pinned_to_the_feeds_namesake():
    near_chicago = meetings.Region([{"lat": 41.75, "lon": -88.15}])
    record = {"attendance": "online", "address": {"city": "Springfield"}}
    near_chicago.pin(record)
    # Springfield, Illinois: the namesake nearest the feed's other meetings.
    assert record["location"]["lat"] == pytest.approx(39.80, abs=0.1)
    assert record["location_precision"] == "region" and record["timezone"] == "America/Chicago"
    alone = {"attendance": "online", "address": {"city": "Springfield"}}
    meetings.Region([]).pin(alone)
    assert alone.get("location") is None  # several Springfields, none dwarfs the rest


def test_meeting_guide_sheets_fold_headings_labels_and_day_names():
    path = "meeting_guide_csv/district.csv"
    assert detect(os.path.join(FIXTURES, path)) is FORMATS["meeting-guide-csv"]
    report, records = load(path)
    monday = records["mg:district:monday-big-book"]
    assert (monday["day"], monday["time"], monday["end_time"]) == (1, "19:00", "20:00")
    assert monday["types"] == ["O", "B"] and monday["location_notes"] == "Basement"
    assert monday["fellowship"] == "AA" and monday["address"]["postal_code"] == "60540"
    # No slug: one is made from the row, the same on every run.
    noon = next(r for r in records.values() if r["name"] == "Noon Online")
    assert noon["id"].startswith("mg:district:noon-online-")
    assert noon["id"] == next(r for r in load(path)[1].values() if r["name"] == "Noon Online")["id"]
    # "Temporary Closure" (an older label) with a link: online, active, pinned to Naperville.
    assert (noon["attendance"], noon["active"], noon["location_precision"]) == (
        "online", True, "region")
    assert noon["types"] == ["C", "TC"] and noon["conference_notes"] == "Passcode 77"
    assert records["mg:district:grupo-sabado"]["languages"] == ["es"]
    assert not report.rejected
    lines = [w for w in report.warnings if "district.csv:" in w]
    assert lines == []  # every heading and label understood


@pytest.mark.parametrize("raw, shown", [
    ("St. Mark&#039;s Church", "St. Mark's Church"),
    ("Women&#8217;s Step Study", "Women\u2019s Step Study"),
    ("<b>Big Book</b> &amp; Steps", "Big Book & Steps"),
    ("<p>Use the <a href=\"https://example.org\">side</a> door.</p><p>Ring twice</p>",
     "Use the side door.\nRing twice"),
    ("Line one<br/>line two<BR>line three", "Line one\nline two\nline three"),
    ("Hall&nbsp;B", "Hall B"),
    ("&lt;b&gt; is shown as written", "<b> is shown as written"),
    # Not markup: left as written.
    ("AT&T building", "AT&T building"), ("R&D; wing", "R&D; wing"),
    ("a < b > c", "a < b > c"), ("Men's <Stag> Group", "Men's <Stag> Group"),
    ("keep\n\ntwo  spaces", "keep\n\ntwo  spaces"),
    ("<br>", None), ("  ", None), (None, None),
])
def test_markup_from_web_published_feeds_is_read_as_text(raw, shown):
    assert common.text(raw) == shown


def test_a_wordpress_feed_s_entities_and_tags_are_not_shown_as_code(tmp_path):
    rows = [{"name": "Women&#8217;s <b>Big Book</b>", "slug": "w", "day": 2, "time": "19:00",
             "location": "St. Mark&#039;s Church", "notes": "<p>Side door</p><p>Ring</p>",
             "location_notes": "Room&nbsp;B", "formatted_address": "400 S Eagle St, "
             "Naperville, IL 60540", "latitude": 41.7708, "longitude": -88.1477,
             "types": ["O"]}]
    path = tmp_path / "aa-intergroup.json"
    path.write_text(json.dumps(rows))
    writer = Collector()
    pipeline.run([str(path)], writer)
    record = writer.records["mg:aa-intergroup:w"]
    assert record["name"] == "Women\u2019s Big Book"
    assert record["location_name"] == "St. Mark's Church"
    assert (record["notes"], record["location_notes"]) == ("Side door\nRing", "Room B")
    bmlt = [{"id_bigint": "1", "weekday_tinyint": "1", "start_time": "19:00:00",
             "formats": "O", "latitude": "41.75", "longitude": "-88.15", "published": "1",
             "meeting_name": "Just for Today &amp; Beyond", "location_text": "St. Paul&#39;s",
             "comments": "Enter by the <i>back</i> door<br>Parking free"}]
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(bmlt))
    writer = Collector()
    pipeline.run([str(path)], writer)
    record = writer.records["bmlt:bmlt:1"]
    assert (record["name"], record["location_name"]) == ("Just for Today & Beyond",
                                                         "St. Paul's")
    assert record["notes"] == "Enter by the back door\nParking free"


def test_a_canadian_formatted_address_gives_its_province_and_town(tmp_path):
    # "…, Vancouver, BC V6Z 1M4, Canada": the province before its postal code, as Canadian
    # intergroups' feeds write it; no coordinates, so the town places the meeting.
    rows = [{"name": "Downtown Step", "slug": "a1", "day": 1, "time": "19:00", "types": ["O"],
             "formatted_address": "1234 Granville St, Vancouver, BC V6Z 1M4, Canada"},
            {"name": "Gastown", "slug": "a2", "day": 2, "time": "19:00", "types": ["O"],
             "formatted_address": "12 Water St, Vancouver, B.C. V6B1A1"}]
    path = tmp_path / "vancouver-aa.json"
    path.write_text(json.dumps(rows))
    writer = Collector()
    report = pipeline.run([str(path)], writer)
    assert not report.rejected
    first, second = (writer.records[f"mg:vancouver-aa:{slug}"] for slug in ("a1", "a2"))
    assert first["address"] == {"street": "1234 Granville St", "city": "Vancouver",
                                "state": "BC", "postal_code": None}
    assert first["timezone"] == "America/Vancouver"
    assert 49.1 < first["location"]["lat"] < 49.4 and first["location_precision"] == "city"
    assert (second["address"]["city"], second["address"]["state"]) == ("Vancouver", "BC")
