"""Ids that never collide or change, de-duplication of every kind, counts that add up.

An id names one record in a run (a repeat is a rejected row naming both rows); ids of
feeds with local identifiers carry the feed; a merged record keeps the id that already
serves (live data > published > first seen) and the others redirect to it: those rules
are in test_kept_ids.py.
"""
import json

import pytest

from directory_service.search.embedded.store import SqliteStore
from directory_service.search.embedded.writer import SqliteIndexWriter
from directory_service.search.store import DuplicateId
from indexer import pipeline
from indexer.dedupe import merge
from indexer.formats.common import ImportOptions
from indexer.problems import OUTCOMES
from tests import factories
from tests.test_import_formats import Collector

MAIN_ST = {"street": "100 Main Street", "city": "Naperville", "state": "IL",
           "postal_code": "60540"}


def ndjson(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def adds_up(report):
    """Every file's outcomes sum to what it read; the totals agree with the files."""
    for path, counts in report.files.items():
        assert counts["read"] == sum(counts[o] for o in OUTCOMES), (path, counts)
    assert report.total("rejected") == len(report.rejected)
    return True


def load(paths, **kwargs):
    writer = Collector()
    report = pipeline.run([str(p) for p in paths], writer, max_rejected_fraction=1.0, **kwargs)
    assert adds_up(report)
    return report, writer.records


def takeback(rid, **fields):
    return factories.site(rid, kind="takeback_site", **{
        "site_type": "law_enforcement", "address": MAIN_ST, "name": "Police Drop Box",
        **fields})


def naloxone(rid, **fields):
    return factories.site(rid, kind="naloxone_site", **{"address": MAIN_ST, **fields})


# --- Collisions -------------------------------------------------------------------------

def test_same_id_in_two_canonical_feeds_is_rejected_naming_both_rows(tmp_path):
    first = ndjson(tmp_path / "a.ndjson", [naloxone("x"), naloxone("y")])
    second = ndjson(tmp_path / "b.ndjson", [naloxone("x", name="Other name")])
    for dry_run in (True, False):
        report, records = load([first, second], dry_run=dry_run, dedupe=False)
        (rejected,) = report.rejected
        assert (rejected.file, rejected.row, rejected.record_id) == (second, 1, "test:x")
        assert f"already read at {first}:1" in " ".join(rejected.lines())
    assert records["test:x"]["name"] == "Site x"  # the first row stands, never overwritten


CSV_MAPPING = """kind: naloxone_site
prefix: county-nalox
source: {name: county-naloxone}
id_column: ID
columns: {name: Name, address.street: Street, address.city: City, address.state: State,
          address.postal_code: Zip, location.lat: Lat, location.lon: Lon}
defaults: {site_type: pharmacy}
"""


def test_one_mapping_over_two_csv_feeds_keeps_their_local_ids_apart(tmp_path):
    mapping = tmp_path / "county.mapping.yaml"
    mapping.write_text(CSV_MAPPING)
    header = "ID,Name,Street,City,State,Zip,Lat,Lon\n"
    (tmp_path / "dupage.csv").write_text(header + "1,Aurora Pharmacy,1 Oak St,Aurora,IL,"
                                         "60505,41.76,-88.32\n")
    (tmp_path / "will.csv").write_text(header + "1,Joliet Pharmacy,9 Elm St,Joliet,IL,"
                                       "60432,41.52,-88.08\n")
    report, records = load([tmp_path / "dupage.csv", tmp_path / "will.csv"],
                           options=ImportOptions(mapping=str(mapping)))
    assert report.rejected == []
    assert sorted(records) == ["county-nalox:dupage:1", "county-nalox:will:1"]
    assert records["county-nalox:will:1"]["source"]["id"] == "1"


def test_a_csv_line_pasted_twice_loads_once_and_a_real_collision_is_rejected(tmp_path):
    mapping = tmp_path / "county.mapping.yaml"
    mapping.write_text(CSV_MAPPING)
    header = "ID,Name,Street,City,State,Zip,Lat,Lon\n"
    line = "1,Aurora Pharmacy,1 Oak St,Aurora,IL,60505,41.76,-88.32\n"
    other = "1,Another Pharmacy,2 Oak St,Aurora,IL,60505,41.77,-88.32\n"
    (tmp_path / "dupage.csv").write_text(header + line + line + other)
    report, records = load([tmp_path / "dupage.csv"], options=ImportOptions(mapping=str(mapping)))
    assert list(records) == ["county-nalox:dupage:1"]
    counts = report.files[str(tmp_path / "dupage.csv")]
    assert (counts["loaded"], counts["warned"], counts["rejected"]) == (1, 1, 1)
    assert any(":3 csv:repeated-row: repeats row 2 exactly" in w for w in report.warnings)
    assert "was already read at" in " ".join(report.rejected[0].lines())


def test_same_meeting_slug_in_two_feeds_is_never_an_overwrite(tmp_path):
    meeting = {"slug": "monday-night", "name": "Monday Night", "day": 1, "time": "19:00",
               "types": ["O"], "latitude": 41.75, "longitude": -88.15,
               "address": "1 Main St", "city": "Naperville", "state": "IL",
               "postal_code": "60540"}
    for name in ("north", "south"):
        (tmp_path / f"{name}.json").write_text(json.dumps([meeting]))
    report, records = load([tmp_path / "north.json", tmp_path / "south.json"])
    # Either the ids carry the feed (both load) or the second is rejected naming the first:
    # what was counted as written is what was stored.
    assert len(records) == report.written
    assert report.written + len(report.rejected) == 2
    for rejected in report.rejected:
        assert "north.json:1" in " ".join(rejected.lines())


def test_hsds_ids_are_uuids_or_scoped_by_the_feed():
    from indexer.formats.hsds_records import hsds_id

    uuid = "3F1C8A52-0000-4000-8000-000000000001"
    assert hsds_id(uuid, "county") == f"hsds:{uuid}"
    assert hsds_id("12", "county") == "hsds:county:12"


def test_writers_refuse_a_repeated_id_or_alias(tmp_path):
    with SqliteIndexWriter(str(tmp_path / "s.sqlite")) as writer:
        writer.add(naloxone("a", aliases=["test:old"]))
        with pytest.raises(DuplicateId):
            writer.add(naloxone("a"))
        with pytest.raises(DuplicateId):
            writer.add(naloxone("b", aliases=["test:old"]))


# --- De-duplication of every kind -------------------------------------------------------

@pytest.mark.parametrize("make", [takeback, naloxone], ids=["takeback", "naloxone"])
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "real-run"])
def test_two_sites_of_the_same_place_merge_without_crashing(tmp_path, make, dry_run):
    first = ndjson(tmp_path / "city.ndjson", [make("city-1", active=False, name="Site One",
                                                   phones={"main": "(630) 555-0100"})])
    second = ndjson(tmp_path / "state.ndjson", [make(
        "state-7", name="The Site One", address={**MAIN_ST, "street": "100 Main St"},
        source={"name": "state", "id": "7"}, languages=["es"], description="Kiosk inside.")])
    store_path = tmp_path / "s.sqlite"
    report = pipeline.run([first, second], SqliteIndexWriter(str(store_path)),
                          dry_run=dry_run)
    assert adds_up(report) and report.rejected == []
    assert report.files[second]["merged"] == 1 and report.files[first]["loaded"] == 1
    assert [(m.into, m.id, m.outcome) for m in report.merged] == [
        ("test:city-1", "test:state-7", "merged")]
    assert report.written == 1 and report.swapped is not dry_run
    if dry_run:
        assert not store_path.exists()
        return
    store = SqliteStore(str(store_path))
    site = store.get("test:city-1")
    assert "beds" not in site and site["aliases"] == ["test:state-7"]
    assert site["active"] is True  # any source active: the site is active
    assert site["languages"] == ["en", "es"] and site["description"] == "Kiosk inside."
    assert [s["name"] for s in site["sources"]] == ["unknown", "state"]
    assert store.resolve_alias("test:state-7") == "test:city-1"


def test_merge_rules_any_active_united_lists_precise_place_and_beds_only_for_facilities():
    a = naloxone("a", active=False, location_precision="city", fentanyl_test_strips=False)
    b = naloxone("b", active=False, location={"lat": 41.7509, "lon": -88.1536},
                 fentanyl_test_strips=True, hours={"open_24_7": False, "intervals": []})
    both_closed = merge(a, b)
    assert both_closed["active"] is False and both_closed["fentanyl_test_strips"] is True
    assert both_closed["location"] == b["location"]
    assert both_closed["location_precision"] == "exact"
    assert both_closed["hours"] == a["hours"]  # a's open 24/7 is information, b's is none
    assert "beds" not in both_closed
    men = factories.bed() | {"population": "adult_men"}
    women = factories.bed() | {"population": "adult_women"}
    fac = merge(factories.facility("f", beds=[men], payment=["medicaid"]),
                factories.facility("g", beds=[men, women], payment=["self_pay"]))
    assert [b["population"] for b in fac["beds"]] == ["adult_men", "adult_women"]
    assert fac["payment"] == ["medicaid", "self_pay"]


def test_meetings_at_one_venue_are_not_merged(tmp_path):
    same = dict(address=MAIN_ST, name="Monday Group")
    report, records = load([ndjson(tmp_path / "m.ndjson", [
        factories.meeting("m1", **same), factories.meeting("m2", **same)])])
    assert sorted(records) == ["test:m1", "test:m2"] and report.merged == []


# --- Counts ------------------------------------------------------------------------------

def test_counts_add_up_with_skipped_rows_and_repeated_ids():
    from tests.test_import_formats import FIXTURES
    import os

    page = os.path.join(FIXTURES, "samhsa", "page.json")
    report, _records = load([page])
    counts = report.files[page]
    assert counts["warned"] >= 1  # the mental-health-only row: skipped with a warning
    assert counts["warnings"] > counts["warned"]  # unknown codes warn about loaded rows too
    assert counts["read"] == counts["loaded"] + counts["warned"] + counts["rejected"]


def test_cli_prints_counts_and_merges(tmp_path):
    import os

    from tests.test_indexer import run_cli

    first = ndjson(tmp_path / "a.ndjson", [takeback("a")])
    second = ndjson(tmp_path / "b.ndjson", [takeback("b"), takeback("a")])
    env = {**os.environ, "AVAILABILITY_PATH": str(tmp_path / "availability.sqlite")}
    result = run_cli(first, second, "--store", str(tmp_path / "s.sqlite"),
                     "--max-rejected-fraction", "0.9", env=env)
    assert result.returncode == 1  # the repeated id is a rejected row
    assert f"{second}: 2 read = 0 loaded + 0 replaced + 1 merged + 1 rejected + 0 warned" \
        in result.stdout
    assert "merged test:b (row 1) into test:a" in result.stdout
    assert f"rejected {second}:2 (test:a) id: test:a was already read at {first}:1" \
        in result.stderr


# --- Elasticsearch: the same id rules, without a server ----------------------------------

class AliasSearchDouble:
    """Records the body of `search` and answers in the server's format."""

    def __init__(self, hits):
        self.hits, self.bodies = hits, []

    def info(self):
        from tests.es_golden import load as load_fixture

        return load_fixture("es_responses", "info_8.json")

    def search(self, index, body):
        self.bodies.append((index, body))
        return {"took": 1, "timed_out": False, "hits": {"total": {"value": len(self.hits),
                "relation": "eq"}, "max_score": None, "hits": [
                {"_index": "directory-20261116t180000000000", "_id": h, "_score": None,
                 "_source": {"id": h}} for h in self.hits]}}


def test_elasticsearch_store_resolves_an_alias_with_one_terms_query():
    from directory_service.config import Settings
    from directory_service.search.elastic.query import build_alias_body
    from directory_service.search.elastic.store import ElasticsearchStore

    client = AliasSearchDouble(["test:kept"])
    store = ElasticsearchStore(client, Settings(elasticsearch_url="http://unused"))
    assert store.resolve_alias("test:merged") == "test:kept"
    assert client.bodies == [("directory", build_alias_body("test:merged"))]
    assert ElasticsearchStore(AliasSearchDouble([]), Settings(
        elasticsearch_url="http://unused")).resolve_alias("test:nothing") is None


def test_elasticsearch_writer_refuses_a_repeated_id_or_alias():
    from directory_service.config import Settings
    from directory_service.search.elastic.writer import ElasticsearchIndexWriter
    from tests.test_es_writer import OLD, NOW, RecordingClientDouble, RecordingIndicesDouble

    indices = RecordingIndicesDouble(OLD, alias_on=[OLD[1]])
    settings = Settings(elasticsearch_url="http://unused")
    with ElasticsearchIndexWriter(RecordingClientDouble(indices), settings, now=NOW) as writer:
        writer.add(naloxone("a", aliases=["test:old"]))
        with pytest.raises(DuplicateId):
            writer.add(naloxone("a"))
        with pytest.raises(DuplicateId):
            writer.add(naloxone("b", aliases=["test:old"]))
    assert OLD[1] in indices.aliases and "directory" in indices.aliases[OLD[1]]
