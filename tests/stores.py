"""Build a search store from records, for each store kind the behavioural suite covers.

The same tests run on every store returned here: the embedded SQLite file always, and
Elasticsearch whenever ELASTICSEARCH_URL points at a real cluster.
"""
import os
import uuid

import pytest

from directory_service.config import Settings
from directory_service.search.embedded.store import SqliteStore
from directory_service.search.embedded.writer import SqliteIndexWriter

ES_URL = os.environ.get("ELASTICSEARCH_URL", "")
ES_SKIP = "set ELASTICSEARCH_URL to a real Elasticsearch 8 cluster to run the suite on it"

STORE_KINDS = [
    "embedded",
    pytest.param("elasticsearch", marks=[pytest.mark.es,
                                         pytest.mark.skipif(not ES_URL, reason=ES_SKIP)]),
]


def build_embedded(records, tmp_path):
    path = str(tmp_path / f"store-{uuid.uuid4().hex[:8]}.sqlite")
    with SqliteIndexWriter(path) as writer:
        for record in records:
            writer.add(record)
        writer.commit()
    return SqliteStore(path)


def build_elasticsearch(records, tmp_path):
    from directory_service.search.elastic.store import ElasticsearchIndexWriter, ElasticsearchStore

    settings = Settings.from_env(elasticsearch_url=ES_URL,
                                 elasticsearch_index_prefix=f"test-{uuid.uuid4().hex[:8]}")
    with ElasticsearchIndexWriter.from_settings(settings) as writer:
        for record in records:
            writer.add(record)
        writer.commit()
    return ElasticsearchStore.from_settings(settings)


BUILDERS = {"embedded": build_embedded, "elasticsearch": build_elasticsearch}
