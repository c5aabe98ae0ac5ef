"""Issue 24: where the cluster is (a host list or a cloud id), what each search asks of
it (a server-side timeout; prefixes answered from `index_prefixes`, never an expensive
prefix query), and which server versions the client accepts.

Exact client options and request bodies only: no cluster is involved.
"""
import base64

import pytest

from directory_service.config import ConfigError, Settings
from directory_service.search.elastic.client import make_client
from directory_service.search.elastic.mapping import MAPPING
from directory_service.search.elastic.query import build_search_body, text_filters
from directory_service.search.elastic.store import check_version
from directory_service.search.store import StoreUnavailable
from tests.test_es_query import query

CLOUD_ID = "directory:" + base64.b64encode(b"us-east-1.aws.found.io:443$abc123$def456").decode()


def node_hosts(client):
    return sorted((n.config.scheme, n.config.host, n.config.port)
                  for n in client.transport.node_pool.all())


def test_a_comma_separated_url_is_one_node_each():
    s = Settings(elasticsearch_url="https://es1.internal:9200, https://es2.internal:9201")
    s.check()
    assert node_hosts(make_client(s, 5.0)) == [("https", "es1.internal", 9200),
                                               ("https", "es2.internal", 9201)]


def test_a_cloud_id_names_the_deployment():
    s = Settings(elasticsearch_cloud_id=CLOUD_ID, elasticsearch_api_key="a2V5")
    s.check()
    assert s.uses_elasticsearch
    assert node_hosts(make_client(s, 5.0)) == [("https", "abc123.us-east-1.aws.found.io", 443)]


@pytest.mark.parametrize("settings, message", [
    ({"elasticsearch_url": "https://es:9200", "elasticsearch_cloud_id": CLOUD_ID},
     "ELASTICSEARCH_URL or ELASTICSEARCH_CLOUD_ID, not both"),
    ({"elasticsearch_url": "https://es1:9200,es2:9200"}, "every node must be an http"),
    ({"elasticsearch_url": " , "}, "names no node"),
    ({"elasticsearch_url": "https://es:9200", "elasticsearch_search_timeout": "3 seconds"},
     "ELASTICSEARCH_SEARCH_TIMEOUT"),
    ({"elasticsearch_url": "https://es:9200", "elasticsearch_swap_health": "red"},
     "ELASTICSEARCH_SWAP_HEALTH"),
    ({"elasticsearch_url": "https://es:9200", "outbox_retention_h": 0},
     "OUTBOX_RETENTION_H"),
    ({"elasticsearch_url": "https://es:9200", "elasticsearch_sync_username": "sync"},
     "ELASTICSEARCH_SYNC_USERNAME and ELASTICSEARCH_SYNC_PASSWORD go together"),
    ({"elasticsearch_url": "https://es:9200", "elasticsearch_sync_api_key": "k",
      "elasticsearch_sync_username": "u", "elasticsearch_sync_password": "p"},
     "ELASTICSEARCH_SYNC_API_KEY or"),
])
def test_settings_that_cannot_work_stop_start_up(settings, message):
    with pytest.raises(ConfigError, match=message):
        Settings(**settings).check()


def test_every_search_body_carries_the_server_side_timeout():
    body = build_search_body(query(), Settings(elasticsearch_search_timeout="750ms"))
    assert body["timeout"] == "750ms"
    assert build_search_body(query(), Settings())["timeout"] == "3s"


def test_text_fields_index_prefixes_so_prefix_queries_are_cheap():
    for field in ("name", "description", "place"):
        assert MAPPING["properties"][field]["index_prefixes"] == {"min_chars": 1,
                                                                  "max_chars": 19}


def test_a_word_longer_than_the_indexed_prefixes_matches_whole_words():
    short, long_word = text_filters("detox " + "x" * 20)
    assert short["multi_match"]["type"] == "bool_prefix"
    assert short["multi_match"]["query"] == "detox"
    assert long_word["multi_match"] == {"query": "x" * 20, "type": "best_fields",
                                        "fields": short["multi_match"]["fields"],
                                        "operator": "and"}
    assert text_filters("y" * 19)[0]["multi_match"]["type"] == "bool_prefix"


def info(number):
    return {"version": {"number": number}}


def test_the_8_client_accepts_8_and_9_servers_and_refuses_others():
    assert check_version(info("8.15.3"), client_major=8) == "8.15.3"
    assert check_version(info("9.1.0"), client_major=8) == "9.1.0"
    for number in ("7.17.9", "10.0.0"):
        with pytest.raises(StoreUnavailable, match=f"{number} is not supported.*8.x or 9.x"):
            check_version(info(number), client_major=8)


def test_the_9_client_needs_a_9_server():
    assert check_version(info("9.0.2"), client_major=9) == "9.0.2"
    with pytest.raises(StoreUnavailable, match=r"client 9.x\) needs 9.x"):
        check_version(info("8.19.0"), client_major=9)


def test_a_search_the_server_timed_out_answers_its_hits_and_warns(tmp_path, caplog):
    """The double (tests/es_doubles.py, not Elasticsearch) answers as a cluster whose
    search `timeout` ran out: `timed_out: true` with the hits gathered by then."""
    from directory_service import create_app
    from tests import factories
    from tests.es_doubles import VersionedIndexDouble

    settings = Settings.from_env(elasticsearch_url="http://es.invalid:9200",
                                 availability_path=str(tmp_path / "availability.sqlite"))
    app = create_app(settings)
    double = VersionedIndexDouble([factories.facility("a", km=1)])
    search = double.search
    double.search = lambda **kw: {**search(**kw), "timed_out": True}
    app.extensions["store"].client = double
    response = app.test_client().get("/v1/search?lat=41.7508&lon=-88.1535")
    assert response.status_code == 200
    assert [h["record"]["id"] for h in response.get_json()["results"]] == ["test:a"]
    warned = [r.getMessage() for r in caplog.records if "timed out" in r.getMessage()]
    assert warned == ["a search timed out on the cluster after 3s; answered with the hits "
                      "gathered by then"]
    assert "41.75" not in warned[0]
