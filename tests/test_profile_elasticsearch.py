"""A facility's profile reaches Elasticsearch documents through the outbox, like a bed
change: the searchable fields are the merged ones, the stored record stays the source's,
and every record read back is merged with the same provenance as the embedded store's.

Through VersionedIndexDouble (tests/es_doubles.py), a recording test double at the
client seam, NOT Elasticsearch.
"""
import pytest

from directory_service import create_app
from directory_service.availability import profiles
from directory_service.config import Settings
from tests import factories
from tests.es_doubles import VersionedIndexDouble
from tests.test_es_swap_catch_up import FAC, run  # noqa: F401 (fixture)
from tests.test_es_writer import NEW
from tests.test_live_support import bearer

BARE = factories.facility("bare", km=1, levels_of_care=[], payment=["medicaid"],
                          phones={"intake": "(630) 555-0101"})


@pytest.fixture
def es_app(tmp_path):
    settings = Settings.from_env(elasticsearch_url="http://es.invalid:9200",
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    app.config["TESTING"] = True
    app.extensions["store"].client = VersionedIndexDouble([BARE])
    return app


def test_profile_fields_are_searchable_in_the_document_and_merged_on_read(es_app):
    client, double = es_app.test_client(), es_app.extensions["store"].client
    key = bearer(es_app, "facility", BARE["id"])
    path = f"/v1/facilities/{BARE['id']}/profile"
    etag = client.get(path, headers=key).headers["ETag"]
    saved = client.put(path, headers={**key, "If-Match": etag}, json={"fields": {
        "levels_of_care": ["3.7-WM"], "payment": ["medicaid", "sliding_fee"],
        "beds": [{"level_of_care": "3.7-WM", "population": "adult_women", "capacity": 6}]}})
    assert saved.status_code == 200, saved.get_json()
    es_app.extensions["jobs"].run_queued()  # the job runner's push (directory_service/jobs/)

    source = double.source(BARE["id"])
    assert source["levels_of_care"] == ["3.7-WM"]
    assert source["payment"] == ["medicaid", "sliding_fee"]
    assert source["record"]["levels_of_care"] == []  # the source's, merged on every read
    record = client.get(f"/v1/resources/{BARE['id']}").get_json()
    assert record["levels_of_care"] == ["3.7-WM"]
    assert record["provenance"]["payment"]["origin"] == "facility"
    assert record["provenance"]["phones.intake"]["origin"] == "source"

    etag = client.get(f"/v1/facilities/{BARE['id']}/beds").headers["ETag"]
    reported = client.put(f"/v1/facilities/{BARE['id']}/beds",
                          headers={**key, "If-Match": etag},
                          json={"rows": [{"level_of_care": "3.7-WM",
                                          "population": "adult_women", "available": 2}]})
    assert reported.status_code == 200, reported.get_json()
    es_app.extensions["jobs"].run_queued()
    assert double.source(BARE["id"])["beds_by_level"]["3_7-WM__women"]["open"] == 2


def test_a_new_index_gets_the_profile_before_its_alias_moves(run):
    """An index run rebuilds every document from the source files; the profile (like live
    beds) is applied to the new index before the swap, so search never loses it."""
    adb, client, _, index_run = run
    profiles.save(adb, FAC, {"levels_of_care": ["3.7-WM", "3.5"], "payment": ["free"]})
    index_run()
    source = client.store.source(FAC["id"], NEW)
    assert source["levels_of_care"] == ["3.7-WM", "3.5"] and source["payment"] == ["free"]
    assert source["record"]["levels_of_care"] == ["3.7-WM"]
