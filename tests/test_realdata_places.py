"""Real feeds land in their own place and clock (../shared/data, read, never copied)."""
import collections
import os

import pytest

from directory_service import gazetteer
from indexer import pipeline
from indexer.formats.common import ImportOptions
from tests.test_import_formats import Collector

MAPPINGS = os.path.join(os.path.dirname(__file__), "fixtures", "formats", "realdata_mappings")
pytestmark = pytest.mark.realdata


def load(shared_dir, relative, **options):
    writer = Collector()
    try:
        report = pipeline.run([os.path.join(shared_dir, "data", relative)], writer,
                              max_rejected_fraction=1.0, options=ImportOptions(**options))
    except pipeline.IndexRunFailed as exc:
        report = exc.report
    return report, writer.records


@pytest.mark.parametrize("relative, zones", [
    # Southeastern Pennsylvania: every meeting on Eastern time (275 were on Chicago time).
    ("meetings/meeting-guide-feeds/aasepia.json", {"America/New_York"}),
    ("meetings/bmlt", {"America/New_York"}),
    ("meetings/meeting-guide-feeds/al-anon.json", {"America/New_York"}),
])
def test_feeds_keep_their_own_clock(shared_dir, relative, zones):
    _report, records = load(shared_dir, relative)
    assert records and {r["timezone"] for r in records.values()} == zones


def test_per_meeting_zones_of_rows_without_coordinates(shared_dir):
    _report, records = load(shared_dir, "meetings/meeting-guide-feeds/timezones.test.json")
    by_name = {r["name"]: r for r in records.values()}
    assert by_name["San Francisco meeting at 9:00"]["timezone"] == "America/Los_Angeles"
    assert by_name["PA meeting at 11:45"]["timezone"] == "America/New_York"


def test_a_canadian_feed_without_coordinates_lands_in_alberta_or_is_rejected(shared_dir):
    report, records = load(shared_dir, "meetings/meeting-guide-feeds/edmonton.json")
    assert len(records) > 200
    # Never guessed into a US hamlet of the same name (Devon, PA; Thorsby, AL).
    assert {r["timezone"] for r in records.values()} == {"America/Edmonton"}
    assert all(49 < r["location"]["lat"] < 60 for r in records.values())


@pytest.mark.parametrize("relative, mapping", [
    ("treatment/SubstanceUseTreatment_Geocoded.csv", "SubstanceUseTreatment_Geocoded"),
    ("takeback/ny_dec_medication_dropboxes.flat.csv", "ny_dec_medication_dropboxes.flat"),
])
def test_geocoded_lists_stay_in_their_states_and_zones(shared_dir, relative, mapping):
    report, records = load(shared_dir, relative,
                           mapping=os.path.join(MAPPINGS, f"{mapping}.mapping.yaml"))
    assert not [w for w in report.warnings if "location:" in w]
    outside = [r["id"] for r in records.values() if r["address"].get("state") and
               gazetteer.within_region(r["location"]["lat"], r["location"]["lon"],
                                       r["address"]["state"]) is False]
    assert outside == []
    zones = collections.Counter(r["timezone"] for r in records.values())
    assert not [z for z in zones if z.startswith("Etc/")]
