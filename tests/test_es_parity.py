"""Parity: the seed directory through both stores gives the same hits in the same order.

Runs only against a real cluster (ELASTICSEARCH_URL); without one it is skipped with the
reason. Scores may differ in the last places because Elasticsearch keeps `_score` as a
32-bit float, hence the 1e-4 tolerance; ids and order must be identical.
"""
import pytest

from directory_service.search.store import SearchQuery
from indexer import pipeline
from tests.conftest import SEED
from tests.factories import NAPERVILLE, NOW
from tests.stores import ES_SKIP, ES_URL, build_elasticsearch, build_embedded
from tests.test_es_mapping import CollectingWriter
from tests.test_es_query import SCENARIOS

pytestmark = [pytest.mark.es, pytest.mark.skipif(not ES_URL, reason=ES_SKIP)]


@pytest.fixture(scope="module")
def both_stores(tmp_path_factory):
    writer = CollectingWriter()
    pipeline.run([SEED], writer, now=NOW)
    tmp = tmp_path_factory.mktemp("parity")
    embedded, elastic = build_embedded(writer.records, tmp), build_elasticsearch(writer.records, tmp)
    yield embedded, elastic
    embedded.close()
    elastic.close()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_same_ids_same_order_same_scores(both_stores, scenario):
    query = SearchQuery(lat=NAPERVILLE[0], lon=NAPERVILLE[1], now=NOW, **SCENARIOS[scenario])
    embedded, elastic = (store.search(query) for store in both_stores)
    assert elastic.total == embedded.total
    assert [h.record["id"] for h in elastic.hits] == [h.record["id"] for h in embedded.hits]
    for mine, theirs in zip(elastic.hits, embedded.hits):
        assert mine.score == pytest.approx(theirs.score, abs=1e-4)
        assert mine.distance_m == pytest.approx(theirs.distance_m, abs=1.0)
        assert mine.components == pytest.approx(theirs.components, abs=1e-4)
        assert mine.capacity == theirs.capacity
