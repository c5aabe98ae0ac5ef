"""HSDS 3.0 JSON in the shapes the spec's API uses (organization, service_at_location,
tabular JSON, pages), schedules read once, hours to the minute, 24/7 in words."""
import json
import os
import shutil

import pytest

from indexer import pipeline
from indexer.formats import FORMATS, detect
from indexer.formats.common import ImportOptions
from tests.test_import_formats import FIXTURES, Collector, load

HSDS = os.path.join(FIXTURES, "hsds")


@pytest.mark.parametrize("name", ["organization.json", "service_at_location.json",
                                  "tabular.json", "taxonomy_list.json", "service.json"])
def test_every_hsds_json_shape_is_detected(name):
    assert detect(os.path.join(HSDS, name)) is FORMATS["hsds"]


def test_organization_services_find_their_locations_by_id():
    report, records = load("hsds/organization.json")
    assert report.loaded == 2 and not report.rejected
    counter = records["hsds:0b6e2f6a-8888-4c55-8a00-000000000001"]
    assert counter["kind"] == "naloxone_site"
    assert counter["location"] == {"lat": 41.7731, "lon": -88.1489}
    assert counter["address"]["street"] == "12 Lake St"
    # The service's own schedules (the empty service_at_location list gives way), to the
    # minute, the Friday night split at midnight; the building's hours are not the service's.
    assert counter["hours"] == {"open_24_7": False, "intervals": [
        {"day": 1, "open": "09:15", "close": "17:45"}, {"day": 3, "open": "09:15", "close": "17:45"},
        {"day": 5, "open": "22:00", "close": "24:00"}, {"day": 6, "open": "00:00", "close": "02:00"}]}
    box = records["hsds:0b6e2f6a-8888-4c55-8a00-000000000002"]
    assert box["kind"] == "takeback_site" and box["hours"]["open_24_7"] is True  # "24 hrs, 7 days"


def test_a_schedule_repeated_under_service_location_and_sal_is_read_once():
    _report, records = load("hsds/service_at_location.json")
    (record,) = records.values()
    assert record["kind"] == "treatment_facility"
    assert record["hours"]["intervals"] == [{"day": 4, "open": "10:00", "close": "18:00"},
                                            {"day": 5, "open": "10:00", "close": "18:00"}]


def test_tabular_json_is_joined_and_all_week_until_23_59_is_24_7():
    _report, records = load("hsds/tabular.json")
    (record,) = records.values()
    assert record["id"] == "hsds:7d00aa10-2222-4a00-8000-000000000001"
    assert record["hours"] == {"open_24_7": True, "intervals": []}


def test_package_schedules_attach_to_the_most_specific_owner_once():
    _report, records = load("hsds/package/datapackage.json")
    # sch-1 names service, location and sal-1: once, for sal-1, not again via svc-1/loc-1.
    assert records["hsds:package:sal-1"]["hours"]["intervals"] == [
        {"day": 1, "open": "09:00", "close": "17:30"}, {"day": 2, "open": "09:00", "close": "17:30"}]
    # sal-2 has no schedule of its own: its service has none, so the location's hours apply.
    assert records["hsds:package:sal-2"]["hours"]["intervals"] == [
        {"day": 0, "open": "12:00", "close": "13:00"}]


def test_objects_without_services_are_warned_not_loaded():
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        load("hsds/taxonomy_list.json")
    report = failed.value.report
    assert report.loaded == 0 and not report.rejected
    assert any("hsds:no-service" in w for w in report.warnings)


# The official examples, every shape: read, with their placeholder coordinates (100, 101)
# replaced in a temporary copy, they must give the same single record.
SPEC = ("organization_full.json", "service_full.json", "service_at_location_full.json",
        "service_at_location_list.json", "tabular.json")


@pytest.mark.realdata
@pytest.mark.parametrize("name", SPEC)
def test_spec_examples_in_every_shape_give_one_record(shared_dir, tmp_path, name):
    source = os.path.join(shared_dir, "data", "hsds", "hsds3-spec-examples", name)
    with open(source, encoding="utf-8") as fh:
        data = json.load(fh)
    fixed = json.dumps(data).replace('"latitude": 100', '"latitude": 41.77').replace(
        '"longitude": 101', '"longitude": -88.15').replace('"latitude": "100"', '"latitude": "41.77"')
    path = tmp_path / name
    path.write_text(fixed, encoding="utf-8")
    writer = Collector()
    report = pipeline.run([str(path)], writer, max_rejected_fraction=1.0,
                          options=ImportOptions(kind="treatment_facility"))
    ids = sorted(writer.records)
    assert ids == ["hsds:e94c9f38-1e8f-4564-91d4-d53501ab1765"], report.warnings
    record = writer.records[ids[0]]
    if name != "service_at_location_list.json":
        # One schedule (TH,FR 10:00-18:00) repeated at three levels: two intervals.
        assert record["hours"]["intervals"] == [{"day": 4, "open": "10:00", "close": "18:00"},
                                                {"day": 5, "open": "10:00", "close": "18:00"}]


@pytest.mark.realdata
def test_csv_spec_package_schedules_are_not_duplicated(shared_dir, tmp_path):
    package = tmp_path / "csv"
    shutil.copytree(os.path.join(shared_dir, "data", "hsds", "hsds3-spec-examples", "csv"), package)
    locations = (package / "locations.csv")
    locations.chmod(0o644)
    locations.write_text(locations.read_text().replace(",100,101,", ",41.77,-88.15,"))
    writer = Collector()
    pipeline.run([str(package / "datapackage.json")], writer,
                 options=ImportOptions(kind="treatment_facility"))
    (record,) = writer.records.values()
    assert record["hours"]["intervals"] == [{"day": 4, "open": "10:00", "close": "18:00"},
                                            {"day": 5, "open": "10:00", "close": "18:00"}]
