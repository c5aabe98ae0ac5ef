"""Issue 24: the API reads the directory with its own credentials and pushes live beds
with separate ones (ELASTICSEARCH_SYNC_*). Client options are checked exactly; the push
path through recording doubles at the client seam (tests/es_doubles.py), NOT
Elasticsearch: every write lands on the sync client, none on the API's.
"""
import base64

from directory_service import create_app
from directory_service.config import Settings
from directory_service.jobs.registry import CONSUMERS as ALL_CONSUMERS
from directory_service.search.elastic.store import ElasticsearchStore
from tests.es_doubles import VersionedIndexDouble
from tests.test_es_sync import FULL, OTHER, put_beds
from tests.test_live_support import bearer

# One queued run per outbox consumer (Elasticsearch, webhooks, watches) after a write.
CONSUMERS = len(ALL_CONSUMERS)


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_sync_client_carries_the_sync_credentials():
    s = Settings(elasticsearch_url="https://es:9200", elasticsearch_username="directory_api",
                 elasticsearch_password="api-pw", elasticsearch_sync_username="directory_sync",
                 elasticsearch_sync_password="sync-pw")
    store = ElasticsearchStore.from_settings(s)
    assert store.client._headers["authorization"] == basic("directory_api", "api-pw")
    assert store.sync_client()._headers["authorization"] == basic("directory_sync", "sync-pw")
    assert store.sync_client() is store.sync_client()
    store.close()


def test_without_sync_credentials_the_api_client_pushes():
    store = ElasticsearchStore.from_settings(Settings(elasticsearch_url="https://es:9200"))
    assert store.sync_client() is store.client


def test_a_live_bed_push_writes_only_through_the_sync_client(tmp_path):
    settings = Settings.from_env(elasticsearch_url="http://es.invalid:9200",
                                 elasticsearch_sync_api_key="c3luYzprZXk=",
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    app.config["TESTING"] = True
    store = app.extensions["store"]
    reader, writer = VersionedIndexDouble([FULL, OTHER]), VersionedIndexDouble([FULL, OTHER])
    store.client, store._sync_client = reader, writer
    response = put_beds(app.test_client(), bearer(app, "facility", "test:full"), "test:full", 3)
    assert response.status_code == 200, response.get_json()
    assert app.extensions["jobs"].run_queued() == CONSUMERS  # the job runner pushes, not the API
    assert "bulk" in [name for name, _ in writer.calls]
    assert not {"bulk", "index", "update"} & {name for name, _ in reader.calls}
