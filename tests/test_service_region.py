"""Places near the directory (issue 21, item 6): a city named alone is the one nearest the
directory's own records, learnt at index time and kept in both stores' metadata, or set by
SERVICE_REGION; with no region known the population rule stands."""
import json
import re
import sqlite3

import pytest

from directory_service import create_app, geo
from directory_service.config import ConfigError, Settings
from directory_service.search.elastic import writer as es_writer
from directory_service.search.elastic.writer import ElasticsearchIndexWriter
from directory_service.search.embedded.store import SqliteStore
from directory_service.search.embedded.writer import SqliteIndexWriter
from directory_service.service_region import (
    META_KEY, RegionBuilder, ServiceRegion, from_meta, parse_setting)
from tests.test_es_writer import NOW, OLD, RecordingClientDouble, RecordingIndicesDouble


def site(i, lat, lon, state):
    return {"id": f"t:s{i:03d}", "kind": "naloxone_site", "name": f"Pharmacy {i}",
            "location": {"lat": lat, "lon": lon}, "site_type": "pharmacy",
            "timezone": "America/Denver" if state == "CO" else "America/Chicago",
            "address": {"city": "Somewhere", "state": state}}


# Aurora, CO and its neighbours; Aurora, IL and its neighbours.
COLORADO = [site(i, 39.70 + i / 100, -104.85 + i / 100, "CO") for i in range(5)]
ILLINOIS = [site(50 + i, 41.76 + i / 100, -88.30 + i / 100, "IL") for i in range(5)]


def store_of(tmp_path, records, name="s.sqlite", keep_region=True):
    path = str(tmp_path / name)
    with SqliteIndexWriter(path) as writer:
        for record in records:
            writer.add(record)
        writer.commit()
    if not keep_region:
        # An index built before regions were kept: its meta table has no such row.
        with sqlite3.connect(path) as db:
            db.execute("DELETE FROM meta WHERE key = ?", (META_KEY,))
    return path


def app_over(path, tmp_path, **overrides):
    app = create_app(Settings(store_path=path, availability_path=str(tmp_path / "a.sqlite"),
                              **overrides))
    app.config["TESTING"] = True
    return app


def origin(client, near):
    response = client.get("/v1/search", query_string={"near": near})
    return response.status_code, response.get_json()


# ---- the seed directory (Chicago area) --------------------------------------------------

def test_aurora_alone_is_aurora_illinois_on_the_seed_and_colorado_is_named(client):
    status, body = origin(client, "Aurora")
    assert status == 200
    assert body["origin"]["label"] == "Aurora, IL"
    assert "Aurora, CO" in body["origin"]["alternatives"]
    # Aurora, IL has records around it; Aurora, CO had none.
    assert body["total"] > 0


@pytest.mark.parametrize("near, label", [("Springfield", "Springfield, IL"),
                                         ("Naperville", "Naperville, IL"),
                                         ("aurora", "Aurora, IL")])
def test_other_bare_names_take_the_place_in_the_served_state(client, near, label):
    status, body = origin(client, near)
    assert status == 200 and body["origin"]["label"] == label


def test_a_city_with_its_state_is_never_overruled(client):
    status, body = origin(client, "Aurora, CO")
    assert status == 200 and body["origin"]["label"] == "Aurora, CO"
    assert body["total"] == 0 and "alternatives" not in body["origin"]


def test_service_region_setting_overrides_what_the_data_says(seed_app_factory):
    client = seed_app_factory(service_region="CO").test_client()
    assert origin(client, "Aurora")[1]["origin"]["label"] == "Aurora, CO"
    client = seed_app_factory(service_region="39.7,-104.8").test_client()
    assert origin(client, "Aurora")[1]["origin"]["label"] == "Aurora, CO"
    client = seed_app_factory(service_region="Illinois, WI").test_client()
    assert origin(client, "Springfield")[1]["origin"]["label"] == "Springfield, IL"


@pytest.mark.parametrize("value", ["Narnia", "95,-88", "IL,Atlantis"])
def test_a_service_region_that_names_no_place_stops_the_start(value):
    with pytest.raises(ConfigError, match="SERVICE_REGION"):
        Settings(service_region=value).check()


# ---- other directories -----------------------------------------------------------------

def test_a_directory_in_colorado_chooses_aurora_colorado(tmp_path):
    client = app_over(store_of(tmp_path, COLORADO), tmp_path).test_client()
    status, body = origin(client, "Aurora")
    assert body["origin"]["label"] == "Aurora, CO" and body["total"] == len(COLORADO)
    assert "Aurora, IL" in body["origin"]["alternatives"]
    # No Springfield near the records: the one in the served state, not the biggest.
    assert origin(client, "Springfield")[1]["origin"]["label"] == "Springfield, CO"


def test_where_both_are_served_the_population_rule_decides_among_them(tmp_path):
    client = app_over(store_of(tmp_path, COLORADO + ILLINOIS), tmp_path).test_client()
    assert origin(client, "Aurora")[1]["origin"]["label"] == "Aurora, CO"


@pytest.mark.parametrize("records", [[], ILLINOIS], ids=["empty", "built-without-region"])
def test_with_no_region_known_the_population_rule_stands(tmp_path, records):
    path = store_of(tmp_path, records, keep_region=False)
    client = app_over(path, tmp_path).test_client()
    assert origin(client, "Aurora")[1]["origin"]["label"] == "Aurora, CO"
    status, body = origin(client, "Springfield")
    assert status == 422 and "Springfield, IL" in body["candidates"]


# ---- what the index keeps --------------------------------------------------------------

def test_the_embedded_index_keeps_the_states_and_points_of_its_records(tmp_path):
    store = SqliteStore(store_of(tmp_path, ILLINOIS))
    kept = json.loads(store.service_region_meta())
    assert kept["states"] == ["IL"]
    assert [41.8, -88.3] in kept["points"] and all(p[1] < -88 for p in kept["points"])
    store.close()


def test_the_elasticsearch_writer_keeps_the_region_in_the_index_meta(monkeypatch, tmp_path):
    def bulk(client, actions, **kwargs):
        return [(True, {"index": {"_id": a["_id"]}}) for a in actions]

    monkeypatch.setattr(es_writer.helpers, "streaming_bulk", bulk)
    indices = RecordingIndicesDouble(OLD, alias_on=[OLD[1]])
    settings = Settings(elasticsearch_url="http://unused", availability_path=str(tmp_path / "a.db"))
    client = RecordingClientDouble(indices, count=len(COLORADO))
    with ElasticsearchIndexWriter(client, settings, now=NOW) as writer:
        for record in COLORADO:
            writer.add(record)
        writer.commit()
    (meta,) = [kw["meta"] for call, kw in indices.calls if call == "put_mapping"]
    region = from_meta(meta[META_KEY])
    assert region.states == {"CO"}
    assert geo.resolve_near("Aurora", served=region).label == "Aurora, CO"


def test_a_national_directory_is_kept_small_on_a_coarser_grid():
    builder = RegionBuilder()
    for i in range(30_000):
        lat, lon = 25 + (i % 200) * 0.12, -124 + (i // 200) * 0.38
        builder.add({"location": {"lat": lat, "lon": lon}, "address": {"state": "TX"}})
    text = builder.meta()[META_KEY]
    assert len(json.loads(text)["points"]) <= 2000 and len(text) < 40_000
    assert RegionBuilder().meta() == {}


def test_far_namesakes_fall_back_to_the_population_rule():
    # Nothing of that name near a Chicago-only directory nor in its states: nearness to
    # it means nothing ("Portland" is not Portland, MI), so the population rule decides.
    chicago = ServiceRegion(points=[(41.88, -87.63)])
    place = geo.resolve_near("Columbus", served=chicago)
    assert place.label == "Columbus, OH" and "Columbus, GA" in place.alternatives
    illinois = ServiceRegion(points=[(41.88, -87.63)], states={"IL"})
    assert geo.resolve_near("Portland", served=illinois).label == "Portland, OR"
    # One in a served state still wins over a bigger one elsewhere.
    assert geo.resolve_near("Peoria", served=illinois).label == "Peoria, IL"
    # A state list that holds none of them says nothing: the population rule.
    assert geo.resolve_near("Columbus", served=parse_setting("AK")).label == "Columbus, OH"


# ---- the public page's advice after nothing --------------------------------------------

def page_text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_nothing_near_aurora_colorado_offers_aurora_illinois_before_a_larger_distance(client):
    response = client.get("/?near=Aurora, CO&start=naloxone")
    assert response.status_code == 200
    html, words = response.get_data(as_text=True), page_text(response)
    assert "0 places near Aurora, CO" in words
    link = re.search(r'id="nearer-places">[^<]*<a href="([^"]+)">Aurora, IL</a>', html)
    assert link and "start=naloxone" in link.group(1) and "near=Aurora,+IL" in link.group(1)
    assert words.index("Nothing near Aurora, CO, but this search finds places near: Aurora, IL") \
        < words.index("Try a larger distance")
    chosen = client.get(link.group(1).replace("&amp;", "&"))
    assert "places near Aurora, IL" in page_text(chosen) and "nearer-places" not in \
        chosen.get_data(as_text=True)


def test_the_advice_in_spanish_and_when_the_setting_chose_the_far_one(seed_app_factory):
    client = seed_app_factory(service_region="CO").test_client()
    words = page_text(client.get("/?near=Aurora&start=naloxone&lang=es"))
    assert "0 lugares cerca de Aurora, CO" in words
    assert "Nada cerca de Aurora, CO, pero esta búsqueda encuentra lugares cerca de: " \
           "Aurora, IL" in words


@pytest.mark.parametrize("near", ["Columbus, OH", "80012", "39.73,-104.83"])
def test_no_advice_where_no_namesake_has_places_or_the_origin_is_no_city(client, near):
    response = client.get("/", query_string={"near": near, "start": "naloxone"})
    assert response.status_code == 200 and "0 places" in page_text(response)
    assert "nearer-places" not in response.get_data(as_text=True)


def test_no_namesake_advice_where_the_place_itself_is_served(tmp_path):
    # Naloxone around Aurora, IL; one take-back kiosk in Aurora, CO. Nothing to drop off
    # medicines near Aurora, IL is about the kiosks, not the place: no detour to Colorado.
    kiosk = dict(site(99, 39.73, -104.83, "CO"), kind="takeback_site", site_type="law_enforcement")
    client = app_over(store_of(tmp_path, ILLINOIS + [kiosk]), tmp_path).test_client()
    served = client.get("/?near=Aurora, IL&start=takeback")
    assert "0 places near Aurora, IL" in page_text(served)
    assert "nearer-places" not in served.get_data(as_text=True)
    # From Aurora, NE (no record near it) the kiosk's Aurora is offered.
    words = page_text(client.get("/?near=Aurora, NE&start=takeback"))
    assert "Nothing near Aurora, NE, but this search finds places near: Aurora, CO" in words


def test_the_elasticsearch_store_reads_the_region_and_a_cluster_down_is_no_region():
    from directory_service.search.elastic.store import ElasticsearchStore
    from directory_service.service_region import for_search
    from tests.es_doubles import VersionedIndexDouble

    double = VersionedIndexDouble()
    kept = RegionBuilder()
    for record in COLORADO:
        kept.add(record)
    double.indices_get_mapping = lambda index: {double.index: {"mappings": {"_meta": {
        "zones": ["America/Denver"], **kept.meta()}}}}
    settings = Settings(elasticsearch_url="http://unused")
    store = ElasticsearchStore(double, settings)
    assert geo.resolve_near("Aurora", served=for_search(settings, store)).label == "Aurora, CO"
    down = VersionedIndexDouble()
    down.down = True
    assert for_search(settings, ElasticsearchStore(down, settings)) is None
