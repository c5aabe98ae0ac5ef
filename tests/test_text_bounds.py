"""Free text in a record is bounded (schemas/records.py): a broken or hostile feed cannot
put megabytes into every answer that lists a record. Prose over its bound is cut with a
warning and the record loads; an id, name, address line, URL or phone over its bound is
refused naming the field and the row."""
import json

import pytest

from directory_service.schemas.records import MAX_ID, PROSE_LIMITS
from indexer import pipeline
from tests.test_import_formats import FIXTURES, Collector


def _feed(tmp_path, **changes):
    with open(f"{FIXTURES}/meeting_guide/plain.json", encoding="utf-8") as fh:
        rows = json.load(fh)
    row = dict(rows[0], **changes)
    path = tmp_path / "plain.json"
    # The fixture's second row keeps the run from failing when the first is refused.
    path.write_text(json.dumps([row, rows[1]]), encoding="utf-8")
    writer = Collector()
    report = pipeline.run([str(path)], writer, max_rejected_fraction=1.0)
    records = {k: r for k, r in writer.records.items() if k.endswith(row["slug"])}
    return report, records


def test_the_fixture_row_loads_as_it_is(tmp_path):
    report, records = _feed(tmp_path)
    assert len(records) == 1 and not report.rejected


@pytest.mark.parametrize("field, key", [("notes", "notes"), ("location_notes", "location_notes"),
                                        ("conference_notes", "conference_url_notes")])
def test_prose_past_its_bound_is_cut_with_a_warning_and_the_record_loads(tmp_path, field, key):
    limit = PROSE_LIMITS[field]
    long = ("word " * limit)[:limit + 5_000]
    extra = {"conference_url": "https://zoom.us/j/1"} if key == "conference_url_notes" else {}
    report, records = _feed(tmp_path, **{key: long}, **extra)
    (record,) = records.values()
    assert len(record[field]) <= limit and record[field].endswith("…")
    assert record[field][:-1] == long[:len(record[field]) - 1]  # a cut, nothing rewritten
    assert not record[field][:-1].endswith(" w")                # at a word
    assert any(field in w and "cut" in w for w in report.warnings)


def test_a_description_of_megabytes_without_a_space_is_cut_too(tmp_path):
    report, records = _feed(tmp_path, notes="x" * 5_000_000)
    (record,) = records.values()
    assert len(record["notes"]) == PROSE_LIMITS["notes"]


@pytest.mark.parametrize("field, value", [
    ("name", "A" * 1_000), ("slug", "s" * (MAX_ID + 1)), ("location", "L" * 600),
    ("address", "1 " + "Main " * 200 + "St"), ("url", "https://x.example/" + "p" * 3_000),
    ("conference_phone", "1" * 300),
])
def test_other_text_past_its_bound_is_refused_naming_the_field(tmp_path, field, value):
    report, records = _feed(tmp_path, **{field: value}) if field != "slug" else _feed(
        tmp_path, slug=value)
    assert not records
    (rejected,) = report.rejected
    assert any("max" in line.lower() or "length" in line.lower() for line in rejected.lines())
