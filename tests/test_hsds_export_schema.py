"""The HSDS export validates against the official HSDS 3.0 JSON schemas, object by object.

The schemas are read from ../shared/reference/hsds-3-schema/ and never copied here; the
tests skip, naming the folder, where it is absent.
"""
import json
import os
import uuid
from datetime import datetime, timezone

import pytest

from indexer import export, pipeline
from indexer.hsds_export import NAMESPACE, service_at_location
from tests.factories import facility, meeting, site
from tests.hsds_schema import problems
from tests.test_import_formats import FIXTURES, Collector

pytestmark = pytest.mark.realdata
SOURCES = ("samhsa/page.json", "meeting_guide/feed.json", "bmlt/search.json",
           "csv/naloxone.csv", "csv/programs.csv", "hsds/service.json", "hsds/package",
           "hsds/organization.json", "hsds/service_at_location.json", "hsds/tabular.json")


@pytest.fixture
def schema_dir(shared_dir):
    folder = os.path.join(shared_dir, "reference", "hsds-3-schema")
    if not os.path.isdir(folder):
        pytest.skip(f"{folder} is absent: the HSDS 3.0 schemas are read from there")
    return folder


def records():
    writer = Collector()
    pipeline.run([os.path.join(FIXTURES, p) for p in SOURCES], writer, max_rejected_fraction=1.0)
    known = {"updated_at": "2026-01-01T00:00:00Z", "source": {"name": "test"}}
    extra = [
        facility("partial-address", address={"city": "Aurora", "state": "IL"},
                 populations={"min_age": 18}, website=None, description=None, **known),
        site("overnight", timezone="America/New_York",
             location={"lat": 40.7128, "lon": -74.0060}, hours={"open_24_7": False, "intervals": [
            {"day": 5, "open": "22:00", "close": "24:00"}, {"day": 6, "open": "00:00", "close": "02:00"}]},
            **known),
        meeting("no-end", end_time=None, **known),
    ]
    return sorted(list(writer.records.values()) + extra, key=lambda r: r["id"])


def exported(items):
    store = type("ListStore", (), {"scan": lambda self, kinds, after: iter(items)})()
    return json.loads("".join(export.stream(store, "hsds")))


def test_every_exported_object_validates(schema_dir):
    items = records()
    out = exported(items)
    kinds = {r["kind"] for r in items}
    assert kinds == {"treatment_facility", "meeting", "naloxone_site", "takeback_site"}
    assert len(out) == len(items) > 20
    assert problems(schema_dir, out) == []


def test_the_check_can_fail(schema_dir):
    (good,) = exported([site("x")])
    bad = json.loads(json.dumps(good))
    bad["id"] = "test:x"
    bad["service"]["url"] = None
    bad["service"]["schedules"][0]["timezone"] = "America/Chicago"
    del bad["service"]["attributes"][0]["taxonomy_term"]["description"]
    found = " | ".join(problems(schema_dir, [bad]))
    for expected in ("is not a 'uuid'", "None is not of type 'string'",
                     "'America/Chicago' is not of type 'number'",
                     "'description' is a required property"):
        assert expected in found


def test_ids_are_uuid5_of_our_id_and_timezone_is_the_utc_offset():
    record = site("x", timezone="America/New_York")
    winter = service_at_location(record, datetime(2026, 1, 15, tzinfo=timezone.utc))
    summer = service_at_location(record, datetime(2026, 7, 15, tzinfo=timezone.utc))
    assert winter["id"] == str(uuid.uuid5(NAMESPACE, "test:x"))
    assert winter["service"]["id"] == str(uuid.uuid5(NAMESPACE, "test:x/service"))
    assert winter["location"]["external_identifier"] == "test:x"
    assert winter["service"]["schedules"][0]["timezone"] == -5
    assert summer["service"]["schedules"][0]["timezone"] == -4
    # Open 24/7 is every day 00:00-23:59, in words too.
    assert winter["service"]["schedules"][0]["byday"] == "MO,TU,WE,TH,FR,SA,SU"
    assert winter["service"]["schedules"][0]["closes_at"] == "23:59"


def test_hsds_out_and_in_again_keeps_every_record(tmp_path):
    items = records()
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported(items)), encoding="utf-8")
    writer = Collector()
    pipeline.run([str(path)], writer, fmt="hsds")
    assert writer.records == {r["id"]: r for r in items}
