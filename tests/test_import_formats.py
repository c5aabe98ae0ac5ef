"""Each importer on small fixtures written from the public specs, edge cases included."""
import os
import pathlib

import pytest

from indexer import pipeline
from indexer.formats import FORMATS, common, detect

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "formats")


class Collector:
    """A test double of the index writer: keeps what it is given, in memory."""

    def __init__(self):
        self.records, self.duplicates, self.committed = {}, [], False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add(self, record):
        if record["id"] in self.records:
            self.duplicates.append(record["id"])
        self.records[record["id"]] = record

    def commit(self, meta=None):
        self.committed = True


def load(path, **kwargs):
    writer = Collector()
    report = pipeline.run([os.path.join(FIXTURES, path)], writer, max_rejected_fraction=1.0,
                          **kwargs)
    return report, writer.records


def reasons(report):
    return [line for r in report.rejected for line in r.lines()]


@pytest.mark.parametrize("path, name", [
    ("samhsa/page.json", "samhsa"), ("meeting_guide/feed.json", "meeting-guide"),
    ("bmlt/search.json", "bmlt"), ("hsds/service.json", "hsds"),
    ("hsds/package/datapackage.json", "hsds"), ("csv/naloxone.csv", "csv")])
def test_formats_are_detected(path, name):
    assert detect(os.path.join(FIXTURES, path)) is FORMATS[name]


def test_samhsa_rows_map_codes_skip_mental_health_and_place_by_zip():
    report, records = load("samhsa/page.json")
    facility = records["samhsa:aa11"]
    assert facility["name"] == "Riverbend Recovery - Detox Unit"
    assert facility["location"] == {"lat": 41.7508, "lon": -88.1535}
    assert set(facility["levels_of_care"]) >= {"3.5", "3.2-WM", "3.7-WM"}
    assert "detox" in facility["settings"] and "residential" in facility["settings"]
    assert facility["payment"] == ["medicaid", "self_pay", "sliding_fee"]
    assert facility["medications"] == ["buprenorphine"] and facility["accepts_clients_on_moud"]
    assert facility["populations"]["genders"] == "men" and facility["populations"]["veterans"]
    assert facility["languages"] == ["en", "es"]
    assert facility["source"]["id"] == "aa11"
    assert not any(r.startswith("samhsa:bb22") for r in records)
    warned = " ".join(report.warnings)
    assert "PAY:Barter accepted" in warned and "ZZZ:Something" in warned
    assert "mental-health-only" in warned and "partial-page" in warned
    # No frid, no coordinates, a ZIP that lost a digit: a stable hash id, and the point of
    # "Naperville, IL" because the padded ZIP 06054 is not in the gazetteer.
    placeless = [r for r in records.values() if r["name"] == "Placeless Outpatient"][0]
    assert placeless["id"].startswith("samhsa:") and placeless["location_precision"] == "city"
    assert placeless["address"]["postal_code"] == "06054"


def test_meeting_guide_days_types_attendance_and_closures():
    report, records = load("meeting_guide/feed.json")
    # Ids carry the feed (the file name unless --feed says otherwise).
    assert {"mg:feed:many-days:1", "mg:feed:many-days:3"} <= set(records)
    monday = records["mg:feed:many-days:1"]
    assert (monday["time"], monday["end_time"], monday["types"]) == ("19:00", "20:00", ["O", "D"])
    assert monday["address"] == {"street": "100 Main St", "city": "Naperville", "state": "IL",
                                 "postal_code": "60540"}
    assert monday["source_updated_at"] == "2024-05-01T10:00:00Z"
    online = records["mg:feed:online-only"]
    assert online["attendance"] == "online" and online["location_precision"] == "region"
    # An online meeting with no place at all is pinned to the feed's centre, not rejected.
    nowhere = records["mg:feed:nowhere"]
    assert nowhere["location_precision"] == "region" and nowhere["active"] is True
    closed = records["mg:feed:tc-closed"]
    assert closed["active"] is False and closed["types"] == ["O", "TC"]
    assert closed["address"]["postal_code"] == "60505"
    warned = " ".join(report.warnings)
    assert "type:ZZ" in warned and "type:ONL" in warned
    lines = reasons(report)
    assert any("duplicate slug 'many-days'" in line and ":5 " in line for line in lines)
    assert any(":6 day" in line for line in lines)
    assert "mg:feed:appointment" not in records


def test_al_anon_feeds_are_family_groups():
    _report, records = load("meeting_guide/feed.json",
                            options=common.ImportOptions(fellowship="Al-Anon"))
    assert {r["fellowship"] for r in records.values()} == {"Al-Anon"}


def test_bmlt_weekdays_venues_and_formats():
    report, records = load("bmlt/search.json")
    sunday = records["bmlt:bmlt.example.org:101"]
    assert (sunday["day"], sunday["time"], sunday["end_time"]) == (0, "19:30", "21:00")
    assert sunday["types"] == ["O", "LIT"] and sunday["fellowship"] == "NA"
    saturday = records["bmlt:bmlt.example.org:102"]
    assert saturday["day"] == 6 and saturday["attendance"] == "online"
    assert "bmlt-format:XYZ" in " ".join(report.warnings)
    assert any("weekday_tinyint" in line for line in reasons(report))


def test_hsds_json_service_capacity_and_geocoded_second_location():
    report, records = load("hsds/service.json")
    # Not UUIDs, so the feed (the file name) scopes them.
    first, second = records["hsds:service:sal-1"], records["hsds:service:sal-2"]
    assert first["kind"] == "treatment_facility"  # from the "Substance use detox" term
    assert first["levels_of_care"] == ["3.7-WM"] and first["languages"] == ["en", "es"]
    assert first["beds"] == [{"level_of_care": "3.7-WM", "population": "adult_any", "capacity": 12,
                              "available": 3, "status": "open",
                              "reported_at": "2026-01-10T07:00:00Z", "reported_by": None,
                              "note": "Adult beds"}]
    assert [i["day"] for i in first["hours"]["intervals"]] == [1, 2, 3]
    assert first["updated_at"] == "2026-01-10T08:00:00Z"
    assert second["location_precision"] == "zip"
    assert "hsds:capacity-skipped" in " ".join(report.warnings)


def test_hsds_tabular_package_joins_tables():
    _report, records = load("hsds/package/datapackage.json")
    site = records["hsds:package:sal-1"]
    assert site["kind"] == "naloxone_site" and site["phones"]["main"] == "630-555-0142"
    assert site["address"]["street"] == "2 Elm St"
    assert records["hsds:package:sal-2"]["active"] is False


def test_hsds_kind_option_decides_when_taxonomy_is_silent(tmp_path):
    src = os.path.join(FIXTURES, "hsds", "package")
    target = tmp_path / "package"
    target.mkdir()
    for name in os.listdir(src):
        text = pathlib.Path(src, name).read_text(encoding="utf-8")
        (target / name).write_text(text.replace("Naloxone distribution", "Something"))
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        pipeline.run([str(target)], Collector(), max_rejected_fraction=1.0)
    assert any("use --kind" in line for line in reasons(failed.value.report))
    writer = Collector()
    pipeline.run([str(target)], writer, options=common.ImportOptions(kind="takeback_site"))
    assert {r["kind"] for r in writer.records.values()} == {"takeback_site"}


def test_csv_with_mapping_latin1_cr_only():
    report, records = load("csv/naloxone.csv")
    by_name = {r["name"]: r for r in records.values()}
    pena = by_name["Farmacia Peña"]
    assert pena["hours"]["open_24_7"] and "training" in pena["description"]
    assert pena["id"].startswith("test-nalox:naloxone:")
    assert pena["source"]["name"] == "test-naloxone-list"
    county = by_name["County Health"]
    assert county["site_type"] == "health_department" and county["location_precision"] == "zip"
    assert "Hours: Mon-Fri 9-5" in county["description"]
    warned = " ".join(report.warnings)
    assert "csv:latin-1" in warned and "site_type:spaceship" in warned
    assert by_name["Mystery Box"]["site_type"] == "pharmacy"  # the mapping's default
    assert any(":5 " in line and "location" in line for line in reasons(report))


def test_files_named_in_capitals_as_windows_exports_are_read(tmp_path):
    # "NALOXONE.CSV" beside "NALOXONE.mapping.yaml", a Meeting Guide feed "MEETINGS.JSON":
    # read in a folder and by name, never skipped for the case of their extension.
    import shutil

    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.csv"), tmp_path / "NALOXONE.CSV")
    shutil.copy(os.path.join(FIXTURES, "csv", "naloxone.mapping.yaml"),
                tmp_path / "NALOXONE.mapping.yaml")
    shutil.copy(os.path.join(FIXTURES, "meeting_guide", "feed.json"),
                tmp_path / "MEETINGS.JSON")
    _report, expected_sites = load("csv/naloxone.csv")
    _report, expected_meetings = load("meeting_guide/feed.json")
    writer = Collector()
    report = pipeline.run([str(tmp_path)], writer, max_rejected_fraction=1.0)
    kinds = [r["kind"] for r in writer.records.values()]
    assert kinds.count("naloxone_site") == len(expected_sites)
    assert kinds.count("meeting") == len(expected_meetings)
    assert report.loaded == len(expected_sites) + len(expected_meetings)
    assert detect(str(tmp_path / "NALOXONE.CSV")) is FORMATS["csv"]
    assert detect(str(tmp_path / "MEETINGS.JSON")) is FORMATS["meeting-guide"]


def test_bad_mapping_is_one_clear_problem(tmp_path):
    (tmp_path / "list.csv").write_text("Name\nA\n")
    (tmp_path / "list.mapping.yaml").write_text("kind: spaceship\nprefix: x\ncolumns: {}\n")
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        pipeline.run([str(tmp_path / "list.csv")], Collector())
    assert "kind" in " ".join(failed.value.report.rejected[0].lines())


def test_different_names_from_two_sources_are_not_merged():
    writer = Collector()
    report = pipeline.run([os.path.join(FIXTURES, "samhsa", "page.json"),
                           os.path.join(FIXTURES, "hsds", "service.json")], writer,
                          max_rejected_fraction=1.0)
    assert report.merged == [] and report.total("merged") == 0
