"""Issue 12, finding 9: a default Elasticsearch 8 cluster (TLS with its own CA, API keys
or users) can be reached, timeouts are sensible, shards and replicas are settings, and
two deployments on one cluster get template priorities that cannot collide.
Nothing here connects: the client is built and inspected, as it is before any request."""
import pytest

from directory_service.config import ConfigError, Settings
from directory_service.search.elastic.mapping import index_template
from directory_service.search.elastic.settings import client_options, index_settings
from directory_service.search.elastic.client import make_client
from directory_service.search.elastic.writer import ElasticsearchIndexWriter
from tests.test_es_writer import NOW, RecordingClientDouble, RecordingIndicesDouble

FINGERPRINT = ":".join(["A3"] * 32)
URL = "https://es.example:9200"


def test_environment_names_every_connection_setting(monkeypatch):
    for name, value in {"ELASTICSEARCH_URL": URL, "ELASTICSEARCH_CA_FINGERPRINT": FINGERPRINT,
                        "ELASTICSEARCH_API_KEY": "ZGlyOnNlY3JldA==",
                        "ELASTICSEARCH_TIMEOUT_S": "3", "ELASTICSEARCH_SHARDS": "2",
                        "ELASTICSEARCH_REPLICAS": "1"}.items():
        monkeypatch.setenv(name, value)
    s = Settings.from_env()
    assert (s.elasticsearch_ca_fingerprint, s.elasticsearch_api_key, s.elasticsearch_timeout_s,
            s.elasticsearch_shards, s.elasticsearch_replicas) == (
        FINGERPRINT, "ZGlyOnNlY3JldA==", 3.0, 2, "1")
    # Secrets stay out of the settings' repr (and so out of any log line that shows it).
    assert "ZGlyOnNlY3JldA==" not in repr(s)


def test_defaults_ride_out_tail_latency_and_expand_replicas_with_the_cluster():
    s = Settings()
    assert s.elasticsearch_timeout_s >= 5 and s.elasticsearch_indexer_timeout_s >= 30
    assert index_settings(s) == {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
    assert index_settings(Settings(elasticsearch_shards=3, elasticsearch_replicas="2")) == {
        "number_of_shards": 3, "number_of_replicas": 2}


def test_api_key_and_fingerprint_reach_the_client():
    s = Settings(elasticsearch_url=URL, elasticsearch_ca_fingerprint=FINGERPRINT,
                 elasticsearch_api_key="ZGlyOnNlY3JldA==")
    assert client_options(s, 5.0) == {
        "request_timeout": 5.0, "max_retries": 1, "retry_on_timeout": False,
        "connections_per_node": 10,
        "ssl_assert_fingerprint": "A3" * 32, "api_key": "ZGlyOnNlY3JldA=="}
    client = make_client(s, 5.0)
    node = next(iter(client.transport.node_pool.all()))
    assert node.config.ssl_assert_fingerprint == "A3" * 32
    assert client._headers["authorization"] == "ApiKey ZGlyOnNlY3JldA=="


def test_basic_auth_and_a_ca_file_reach_the_client(tmp_path):
    ca = tmp_path / "http_ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    s = Settings(elasticsearch_url=URL, elasticsearch_ca_certs=str(ca),
                 elasticsearch_username="directory_api", elasticsearch_password="pw")
    s.check()
    options = client_options(s, 30.0)
    assert options["ca_certs"] == str(ca)
    assert options["basic_auth"] == ("directory_api", "pw") and "api_key" not in options


@pytest.mark.parametrize("fields, words", [
    (dict(elasticsearch_api_key="k", elasticsearch_username="u", elasticsearch_password="p"),
     "not both"),
    (dict(elasticsearch_username="u"), "go together"),
    (dict(elasticsearch_ca_fingerprint="abc"), "SHA-256"),
    (dict(elasticsearch_ca_certs="/nonexistent/ca.crt"), "no file"),
    (dict(elasticsearch_url="http://es:9200", elasticsearch_ca_fingerprint=FINGERPRINT), "https"),
    (dict(elasticsearch_replicas="some"), "ELASTICSEARCH_REPLICAS"),
    (dict(elasticsearch_shards=0), "ELASTICSEARCH_SHARDS"),
    (dict(elasticsearch_timeout_s=0), "positive"),
])
def test_settings_that_cannot_work_stop_the_start(fields, words):
    with pytest.raises(ConfigError, match=words):
        Settings(**{"elasticsearch_url": URL, **fields}).check()


def test_two_prefixes_on_one_cluster_never_share_a_priority_when_patterns_overlap():
    staging, prod = index_template("directory-staging"), index_template("directory")
    # "directory-*" also matches directory-staging-…: the longer prefix must win.
    assert staging["priority"] > prod["priority"] >= 500
    assert index_template("directory")["priority"] == prod["priority"]


def test_the_writer_creates_indices_with_the_configured_shape():
    class Indices(RecordingIndicesDouble):
        def put_index_template(self, name, **template):
            self.template = template

    indices = Indices([], alias_on=[])
    s = Settings(elasticsearch_url=URL, elasticsearch_shards=2, elasticsearch_replicas="1",
                 elasticsearch_index_prefix="dir-prod")
    with ElasticsearchIndexWriter(RecordingClientDouble(indices), s, now=NOW):
        pass
    settings = indices.template["template"]["settings"]
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == (2, 1)
    assert indices.template["priority"] == index_template("dir-prod")["priority"]
