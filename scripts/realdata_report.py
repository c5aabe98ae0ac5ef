"""What each real public sample in ../shared/data loads as: a dry run per file, printed.

For the closing note of an importer change and for anyone trying a new feed: counts
(loaded, merged, rejected, warned), distinct ids stored, time zones, how rows were placed,
and points outside the usual bounds. Reads ../shared/data, never copies it; asserts nothing.

    .venv/bin/python scripts/realdata_report.py [SHARED_DIR]
"""
import collections
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from indexer import pipeline  # noqa: E402
from indexer.formats.common import ImportOptions  # noqa: E402

MAPPINGS = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "formats",
                        "realdata_mappings")
SAMPLES = [
    ("treatment/findtreatment-api-page.json", {}),
    ("treatment/SubstanceUseTreatment_Geocoded.csv",
     {"mapping": "SubstanceUseTreatment_Geocoded.mapping.yaml"}),
    ("treatment/OpioidTreatmentProgram_Geocoded.csv",
     {"mapping": "OpioidTreatmentProgram_Geocoded.mapping.yaml"}),
    ("meetings/meeting-guide-feeds/aasepia.json", {}),
    ("meetings/meeting-guide-feeds/nwta.test.json", {}),
    ("meetings/meeting-guide-feeds/edmonton.json", {}),
    ("meetings/meeting-guide-feeds/al-anon.json", {}),
    ("meetings/meeting-guide-feeds/appointment.test.json", {}),
    ("meetings/meeting-guide-feeds/timezones.test.json", {}),
    ("meetings/meeting-guide-feeds/invalid.json", {}),
    ("meetings/bmlt", {}),
    ("meetings/tsml-import-template.csv", {}),
    ("naloxone/vancouver-pharmacies.csv", {"mapping": "vancouver-pharmacies.mapping.yaml"}),
    ("takeback/ny_dec_medication_dropboxes.flat.csv",
     {"mapping": "ny_dec_medication_dropboxes.flat.mapping.yaml"}),
    ("takeback/gmnysmeddropbox.raw.csv", {"mapping": "gmnysmeddropbox.raw.mapping.yaml"}),
    ("hsds/hsds3-spec-examples", {"kind": "treatment_facility"}),
    ("hsds/openreferral-sample-datapackage", {"kind": "treatment_facility"}),
]


class Collector:
    """Keeps what the pipeline would write, in memory."""

    def __init__(self):
        self.records = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add(self, record):
        assert record["id"] not in self.records, f"{record['id']} written twice"
        self.records[record["id"]] = record

    def commit(self, meta=None):
        pass


def summarise(records):
    zones = collections.Counter(r.get("timezone") for r in records.values())
    precision = collections.Counter(r.get("location_precision") for r in records.values())
    attendance = collections.Counter(r.get("attendance") for r in records.values()
                                     if r.get("kind") == "meeting")
    outside = sum(1 for r in records.values()
                  if not _plausible(r["location"]["lat"], r["location"]["lon"]))
    inactive = sum(1 for r in records.values() if not r.get("active", True))
    return zones, precision, attendance, outside, inactive


def _plausible(lat, lon):
    """North America or Europe, and not the (0, 0) of a missing coordinate."""
    if abs(lat) < 1 and abs(lon) < 1:
        return False
    return (14 <= lat <= 72 and -170 <= lon <= -50) or (34 <= lat <= 72 and -25 <= lon <= 45)


def main(shared):
    for relative, opts in SAMPLES:
        path = os.path.join(shared, "data", relative)
        if "mapping" in opts:
            opts = dict(opts, mapping=os.path.join(MAPPINGS, opts["mapping"]))
        writer = Collector()
        try:
            report = pipeline.run([path], writer, dry_run=False, max_rejected_fraction=1.0,
                                  options=ImportOptions(**opts))
            failed = None
        except pipeline.IndexRunFailed as exc:
            report, failed = exc.report, str(exc)
        except Exception as exc:  # a crash is a finding here, not a reason to stop
            print(f"## {relative}\n  CRASH {type(exc).__name__}: {exc}\n")
            continue
        if report is None:
            print(f"## {relative}\n  failed: {failed}\n")
            continue
        zones, precision, attendance, outside, inactive = summarise(writer.records)
        print(f"## {relative}")
        print(f"  read {report.total('read')} = loaded {report.loaded} + replaced "
              f"{report.total('replaced')} + merged {report.total('merged')} + rejected "
              f"{len(report.rejected)} + warned {report.total('warned')}; stored "
              f"{len(writer.records)}, warnings {len(report.warnings)}, inactive {inactive}, "
              f"outside bounds {outside}")
        print(f"  zones {dict(zones.most_common(4))}")
        print(f"  precision {dict(precision)}" + (f"; attendance {dict(attendance)}"
                                                  if attendance else ""))
        top = collections.Counter(line.split(" ", 1)[1][:90] for r in report.rejected
                                  for line in r.lines())
        for reason, n in top.most_common(3):
            print(f"  rejected {n} x {reason}")
        if failed:
            print(f"  run failed: {failed}")
        print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared"))
