"""With Elasticsearch configured but down, the app starts and answers 503 problem+json.

http://127.0.0.1:9 is the loopback discard port: nothing listens, so every request is
refused at once, which is exactly "server unreachable".
"""
import pytest

from directory_service import create_app
from directory_service.config import Settings
from directory_service.search.elastic.store import ElasticsearchStore
from directory_service.search.store import SearchQuery, StoreUnavailable

DOWN = "http://127.0.0.1:9"


@pytest.fixture
def down_client(tmp_path):
    settings = Settings.from_env(elasticsearch_url=DOWN,
                                 availability_path=str(tmp_path / "availability.sqlite"))
    # Building the app must not connect: it starts while the cluster is down.
    app = create_app(settings)
    assert isinstance(app.extensions["store"], ElasticsearchStore)
    app.config["TESTING"] = True
    yield app.test_client()
    app.extensions["store"].close()


def test_readyz_says_not_ready_and_why(down_client):
    response = down_client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready" and body["store"] == "elasticsearch"
    assert "unreachable" in body["detail"]


def test_search_is_503_problem_json_without_a_stack_trace(down_client):
    response = down_client.get("/v1/search?lat=41.75&lon=-88.15")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 503 and body["title"] == "Service Unavailable"
    assert "Traceback" not in response.get_data(as_text=True)


def test_record_lookup_is_503_too(down_client):
    response = down_client.get("/v1/resources/seed:fac-001")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


def test_store_calls_raise_store_unavailable():
    store = ElasticsearchStore.from_settings(Settings(elasticsearch_url=DOWN))
    try:
        with pytest.raises(StoreUnavailable):
            store.search(SearchQuery(lat=41.75, lon=-88.15))
        with pytest.raises(StoreUnavailable):
            list(store.scan())
        assert store.health()["ok"] is False
    finally:
        store.close()
