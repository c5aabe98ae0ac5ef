"""The compiled record loader (schemas/fast_load.py) is marshmallow's RecordSchema, faster.

Every row either loads to exactly what marshmallow returns (same values, same types, same
key order, so the same stored JSON) or is handed to marshmallow, so a rejected row gets
marshmallow's messages naming its field. Shown on the seed directory, on every format
fixture the importers read (bad rows included), on hand-made bad rows of every rule, on
hypothesis-generated good and bad rows, and on the stored index, old path against new.
"""
import copy
import glob
import json
import math
import os
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from directory_service import vocab
from directory_service.schemas import records
from directory_service.schemas.fast_load import NotFast
from indexer import pipeline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "formats")
SEED = os.path.join(ROOT, "seed_data")
NOW = datetime.now(timezone.utc).replace(microsecond=0)
STAMP = (NOW - timedelta(hours=2)).isoformat().replace("+00:00", "Z")


def outcome(schema, row):
    """('ok', the stored JSON) or ('rejected', marshmallow's messages)."""
    try:
        return "ok", json.dumps(schema.load(copy.deepcopy(row)), separators=(",", ":"))
    except ValidationError as exc:
        return "rejected", exc.messages


def fast_outcome(row):
    """What the compiled loader alone says: the stored JSON, or None (not vouched for)."""
    kind = row.get("kind") if isinstance(row, dict) else None
    if not isinstance(kind, str) or kind not in records.FAST_LOADERS:
        return None
    try:
        return json.dumps(records.FAST_LOADERS[kind](row), separators=(",", ":"))
    except NotFast:
        return None


def marshmallow_outcome(row):
    """RecordSchema.load's marshmallow step, called directly (no fast path anywhere)."""
    try:
        loaded = records.SCHEMAS[row["kind"]].load(copy.deepcopy(row))
    except ValidationError as exc:
        return "rejected", exc.messages
    return "ok", json.dumps(records._jsonable(loaded), separators=(",", ":"))


def assert_same(row):
    """The fast path agrees with marshmallow on `row`; returns which path decided it."""
    before = copy.deepcopy(row)
    fast = fast_outcome(row)
    assert row == before, "the fast loader must not change its input"
    if isinstance(row, dict) and isinstance(row.get("kind"), str) \
            and row["kind"] in records.SCHEMAS:
        slow = marshmallow_outcome(row)
        if fast is not None:
            assert slow == ("ok", fast)
    assert outcome(records.RecordSchema(), row) == outcome(records.RecordSchema(fast=False), row)
    return "fast" if fast is not None else "marshmallow"


class Comparing(records._RecordDispatch):
    """RecordSchema for the pipeline that checks every row both ways, and counts."""

    seen = {"fast": 0, "marshmallow": 0, "rejected": 0}

    def load(self, row):
        Comparing.seen[assert_same(row)] += 1
        try:
            return super().load(row)
        except ValidationError:
            Comparing.seen["rejected"] += 1
            raise


class Collector:
    def __init__(self):
        self.records = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add(self, record):
        self.records.append(record)

    def commit(self, meta=None):
        pass


def run_both(monkeypatch, source):
    """The report lines and written records of one run, old path (marshmallow for every
    row) and new; each row is also compared both ways as it is validated."""
    out = []
    for fast in (False, True):
        monkeypatch.setattr(pipeline, "RecordSchema",
                            lambda fast=fast: Comparing(fast))
        writer = Collector()
        try:
            report = pipeline.run([source], writer, max_rejected_fraction=1.0, now=NOW)
        except pipeline.IndexRunFailed as exc:
            report, failed = exc.report, str(exc)
        else:
            failed = None
        lines = [line for r in report.rejected for line in r.lines()] if report else None
        out.append((failed, lines, report and report.warnings,
                    json.dumps(writer.records)))
    assert out[0] == out[1]
    return out[1]


def test_every_row_of_the_seed_data_and_the_format_fixtures_loads_the_same(monkeypatch):
    Comparing.seen = {"fast": 0, "marshmallow": 0, "rejected": 0}
    sources = [SEED] + sorted(glob.glob(os.path.join(FIXTURES, "*", "*")))
    for source in sources:
        if not source.endswith((".yaml", ".mapping.json")):
            run_both(monkeypatch, source)
    assert Comparing.seen["fast"] > 2 * 350, Comparing.seen   # both runs, every kind


def test_a_file_of_bad_rows_is_reported_row_by_row_the_same(tmp_path, monkeypatch):
    source = tmp_path / "bad.ndjson"
    rows_in = base_rows() + [dict(changed(base_rows()[which], path, value), id=f"t:bad{i}")
                             if path != ("id",) else changed(base_rows()[which], path, value)
                             for i, (which, path, value) in enumerate(BAD_CHANGES)]
    source.write_text("\n".join(json.dumps(r, default=str) for r in rows_in
                                if not any(isinstance(v, float) and math.isnan(v)
                                           for v in _leaves(r))) + "\n")
    Comparing.seen = {"fast": 0, "marshmallow": 0, "rejected": 0}
    failed, lines, warnings, written = run_both(monkeypatch, str(source))
    assert len(json.loads(written)) >= 4
    # Each rejected row named by file and row, then the field, as before.
    assert len(lines) > 20 and all(line.startswith(f"{source}:") for line in lines)
    assert any(":8 (t:bad4) levels_of_care.0: Must be one of" in line for line in lines), lines


def _leaves(value):
    if isinstance(value, dict):
        for inner in value.values():
            yield from _leaves(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(inner)
    else:
        yield value


def base_rows():
    chicago = {"lat": 41.88, "lon": -87.63}
    return [
        {"id": "t:fac", "kind": "treatment_facility", "name": "A place",
         "location": chicago, "timezone": "America/Chicago", "description": "d",
         "address": {"street": "1 Main St", "city": "Chicago", "state": "IL",
                     "postal_code": "60601"},
         "phones": {"main": "555-0100"}, "website": "https://example.org",
         "hours": {"open_24_7": False, "intervals": [{"day": 1, "open": "08:00",
                                                      "close": "17:00"}]},
         "languages": ["en", "es"], "source": {"name": "s", "id": "1"},
         "sources": [{"name": "s2"}], "updated_at": "2026-01-02T03:04:05+01:00",
         "aliases": ["t:old"], "levels_of_care": ["3.7-WM", "1"], "payment": ["medicaid"],
         "settings": [], "medications": [], "populations": {"genders": "women",
                                                            "min_age": 18},
         "walk_in": True,
         "beds": [{"level_of_care": "3.7-WM", "capacity": 10, "available": 2,
                   "status": "open", "reported_at": STAMP, "note": "n"}]},
        {"id": "t:mtg", "kind": "meeting", "name": "Tuesday group", "location": chicago,
         "timezone": "America/Chicago",
         "fellowship": "AA", "day": 2, "time": "19:00", "end_time": "20:00",
         "types": ["O"], "attendance": "hybrid", "conference_url": "https://example.org/z"},
        {"id": "t:nal", "kind": "naloxone_site", "name": "Pharmacy", "location": chicago,
         "timezone": "America/New_York",
         "site_type": "pharmacy", "fentanyl_test_strips": True},
        # No zone: the dispatcher names the zone at the point before either path loads it.
        {"id": "t:tb", "kind": "takeback_site", "name": "Kiosk", "location": chicago,
         "site_type": "pharmacy", "accepts": [], "event_dates": ["2026-10-24"],
         "verified_at": "2026-01-01T00:00:00Z"},
    ]


BAD_CHANGES = [
    # (kind index, path, value): a value every rule of the schema refuses, or a coercion
    # only marshmallow makes (the fast path must hand those over too).
    (0, ("location",), {"lat": 95, "lon": 0}),
    (0, ("location", "lat"), "41.5"),
    (0, ("location", "lat"), float("nan")),
    (0, ("location", "lat"), True),
    (0, ("levels_of_care",), ["9.9"]),
    (0, ("payment",), "medicaid"),
    (0, ("colour",), "blue"),
    (0, ("id",), "no-prefix"),
    (0, ("aliases",), ["t:fac"]),
    (0, ("timezone",), "Mars/Olympus"),
    (0, ("timezone",), None),
    (0, ("name",), ""),
    (0, ("name",), "x" * 256),
    (0, ("address", "state"), "Ill"),
    (0, ("address", "postal_code"), "6060"),
    (0, ("address", "zip"), "60601"),
    (0, ("hours", "intervals", 0, "close"), "07:00"),
    (0, ("hours", "intervals", 0, "day"), 7),
    (0, ("hours", "intervals", 0, "open"), "25:00"),
    (0, ("beds", 0, "available"), 11),
    (0, ("beds", 0, "level_of_care"), "1-WM"),
    (0, ("beds", 0, "reported_at"), None),
    (0, ("beds", 0, "reported_at"), "2026-01-01T00:00:00"),
    (0, ("beds", 0, "reported_at"), (NOW + timedelta(days=1)).isoformat()),
    (0, ("beds", 0, "status"), "unknown"),
    (0, ("beds", 0, "capacity"), "10"),
    (0, ("beds", 0, "capacity"), 10.0),
    (0, ("beds", 0, "note"), "n" * 501),
    (0, ("walk_in",), "yes"),
    (0, ("walk_in",), 1),
    (0, ("populations", "min_age"), -1),
    (0, ("languages",), ["eng"]),
    (0, ("updated_at",), "yesterday"),
    (1, ("conference_url",), ""),
    (1, ("conference_url",), None),
    (1, ("day",), 7),
    (1, ("time",), "7pm"),
    (1, ("fellowship",), "XX"),
    (1, ("types",), ["nope"]),
    (2, ("site_type",), "kiosk"),
    (2, ("cost",), "cheap"),
    (3, ("event_dates",), ["24/10/2026"]),
    (3, ("receptacle",), 3),
]


def changed(row, path, value):
    row = copy.deepcopy(row)
    target = row
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return row


def test_the_base_rows_are_valid_and_go_the_fast_way():
    for row in base_rows()[:3]:
        assert assert_same(row) == "fast"
    for row in base_rows():
        assert outcome(records.RecordSchema(), row)[0] == "ok"


@pytest.mark.parametrize("which, path, value", BAD_CHANGES)
def test_a_bad_row_is_rejected_with_marshmallows_messages(which, path, value):
    row = changed(base_rows()[which], path, value)
    assert assert_same(row) == "marshmallow"
    verdict = outcome(records.RecordSchema(), row)
    if verdict[0] == "rejected":
        # The messages name fields of the record (the changed one, or the one a rule
        # across fields blames), as marshmallow always did.
        assert verdict[1] and set(verdict[1]) <= \
            set(records.SCHEMAS[row["kind"]].fields) | {path[0], "_schema"}


def test_rows_that_are_not_records_are_rejected_the_same_way():
    for row in ([], "x", None, {"kind": "nope"}, {"name": "no kind"}):
        assert outcome(records.RecordSchema(), row) == \
            outcome(records.RecordSchema(fast=False), row)


# -- hypothesis: good rows and bad ones, fast path against RecordSchema.load -------------

ODD_VALUES = st.sampled_from([
    None, "", "x", "t:x", "en", "19:00", "24:00", "00:00", "2026-01-01", "1", "true", "yes",
    "2026-01-01T00:00:00Z", "2026-01-01T00:00:00+05:30", "2026-01-01T00:00", "America/Denver",
    0, 1, -1, 6, 7, 120, 121, 10_000, 10_001, 2 ** 70, 0.0, 1.5, -90.0, 90.0, 180.0, 180.5,
    float("inf"), float("nan"), True, False, [], ["en"], ["O"], ["3.7-WM"], ["medicaid"], {},
    {"name": "n"}, {"lat": 1, "lon": 2}, b"bytes", ("tuple",), 3j,
] + list(vocab.KINDS) + list(vocab.LEVELS_OF_CARE[:4]) + list(vocab.BED_STATUSES)
    + list(vocab.FELLOWSHIPS[:2]) + list(vocab.ATTENDANCE))


def paths_of(value, prefix=()):
    """Every (path) into a row's dicts and lists, the row's own keys included."""
    out = []
    if isinstance(value, dict):
        for key, inner in value.items():
            out.append(prefix + (key,))
            out += paths_of(inner, prefix + (key,))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            out.append(prefix + (i,))
            out += paths_of(inner, prefix + (i,))
    return out


@st.composite
def rows(draw):
    row = copy.deepcopy(draw(st.sampled_from(base_rows())))
    for _ in range(draw(st.integers(0, 2))):
        paths = [p for p in paths_of(row) if p != ("kind",)]  # the dispatcher's own step
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["set", "set", "delete", "delete", "delete", "add"]))
        parent = row
        for step in path[:-1]:
            parent = parent[step]
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "note", "day", "id", "open"]))] = \
                copy.deepcopy(draw(ODD_VALUES))
        else:
            parent[path[-1]] = copy.deepcopy(draw(ODD_VALUES))
    return row


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows())
def test_generated_rows_good_and_bad_load_the_same_either_way(row):
    event(assert_same(row))   # --hypothesis-show-statistics: how many went each way


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180),
       capacity=st.integers(0, 10_000), available=st.integers(0, 10_000),
       hours_ago=st.integers(1, 10_000), name=st.text(min_size=1, max_size=300))
def test_generated_values_at_the_limits_load_the_same(lat, lon, capacity, available,
                                                      hours_ago, name):
    row = base_rows()[0]
    row.update(location={"lat": lat, "lon": lon}, name=name)
    at = (NOW - timedelta(hours=hours_ago)).isoformat()
    row["beds"][0].update(capacity=capacity, available=available, reported_at=at)
    assert_same(row)


# -- the compiler refuses what it does not reproduce; runs validators it does not know ---
