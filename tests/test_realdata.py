"""Every importer on the real public samples in ../shared/data (read, never copied)."""
import os

import pytest

from indexer import pipeline
from indexer.formats.common import ImportOptions
from tests.test_import_formats import FIXTURES, Collector

MAPPINGS = os.path.join(FIXTURES, "realdata_mappings")
pytestmark = pytest.mark.realdata


def run(shared_dir, relative, **options):
    writer = Collector()
    report = pipeline.run([os.path.join(shared_dir, "data", relative)], writer,
                          max_rejected_fraction=1.0, dedupe=False,
                          options=ImportOptions(**options))
    return report, writer.records


@pytest.mark.parametrize("relative, loaded, warned_code", [
    ("treatment/findtreatment-api-page.json", 14, "mental-health-only"),
    ("meetings/meeting-guide-feeds/aasepia.json", 2038, "type:ONL"),
    ("meetings/meeting-guide-feeds/al-anon.json", 360, "type:AC"),
    ("meetings/meeting-guide-feeds/nwta.test.json", 613, None),
    ("meetings/bmlt/meeting-search-42.867970-day3.json", 54, "bmlt-format:RF"),
])
def test_samples_load_with_reported_warnings(shared_dir, relative, loaded, warned_code):
    report, records = run(shared_dir, relative)
    assert report.loaded == loaded and not report.rejected
    if warned_code:
        assert any(f" {warned_code}:" in w for w in report.warnings)


def test_al_anon_and_closures(shared_dir):
    _report, records = run(shared_dir, "meetings/meeting-guide-feeds/al-anon.json")
    assert {r["fellowship"] for r in records.values()} == {"Al-Anon"}
    assert any(not r["active"] for r in records.values())


def test_invalid_feed_loads_nothing(shared_dir):
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        run(shared_dir, "meetings/meeting-guide-feeds/invalid.json")
    # Text after the array: the whole file is refused before any row is read.
    assert "invalid.json: invalid JSON" in str(failed.value)
    assert failed.value.report.written == 0


@pytest.mark.parametrize("relative, mapping, loaded", [
    ("naloxone/vancouver-pharmacies.csv", "vancouver-pharmacies.mapping.yaml", 51),
    ("takeback/gmnysmeddropbox.raw.csv", "gmnysmeddropbox.raw.mapping.yaml", 416),
])
def test_csv_samples_with_mappings(shared_dir, relative, mapping, loaded):
    report, _records = run(shared_dir, relative, mapping=os.path.join(MAPPINGS, mapping))
    assert report.loaded == loaded and not report.rejected


def test_a_repeated_csv_row_loads_once_with_a_warning(shared_dir):
    # Rows 1547 and 1548 of the OTP list are the same line twice: one place, loaded once.
    report, records = run(shared_dir, "treatment/OpioidTreatmentProgram_Geocoded.csv",
                          mapping=os.path.join(MAPPINGS, "OpioidTreatmentProgram_Geocoded"
                                               ".mapping.yaml"))
    assert report.rejected == []
    assert any(":1548 csv:repeated-row: repeats row 1547 exactly" in w for w in report.warnings)
    assert report.loaded == len(records) == 1830


def test_hsds_spec_example_package_is_read(shared_dir):
    with pytest.raises(pipeline.IndexRunFailed) as failed:
        run(shared_dir, "hsds/hsds3-spec-examples/csv/datapackage.json",
            kind="treatment_facility")
    # The official example's coordinates (100, 101) are placeholders: rejected, not indexed.
    assert "location" in " ".join(failed.value.report.rejected[0].lines())
