"""Issue 12, findings 6 and 8: refused bulk items are named as they happen, and a server
that is not Elasticsearch, refused credentials or a missing privilege are 503 (with the
reason in /readyz and the log) and exit 2 in the indexer, never 500 or a traceback.

`RefusingClientDouble` is a test double at the client seam, not Elasticsearch: it raises
the client's own exception types, built as the client builds them.
"""
import pytest
from click.testing import CliRunner
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig

from directory_service import create_app
from directory_service.config import Settings
from directory_service.search.elastic.client import (
    AuthenticationException, AuthorizationException, ConnectionError, UnsupportedProductError)
from directory_service.search.elastic import writer as es_writer
from directory_service.search.elastic.store import engine_errors
from directory_service.search.elastic.writer import CHUNK, ElasticsearchIndexWriter
from directory_service.search.store import IndexRejected, StoreUnavailable
from tests.factories import facility
from tests.test_es_writer import NOW, OLD, RecordingClientDouble, RecordingIndicesDouble


def meta(status):
    return ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(),
                           duration=0.01, node=NodeConfig("https", "es.example", 9200))


FORBIDDEN = AuthorizationException(
    "security_exception", meta(403), {"error": {
        "type": "security_exception",
        "reason": "action [indices:data/read/search] is unauthorized for user [dir_api]"}})
UNAUTHENTICATED = AuthenticationException(
    "security_exception", meta(401), {"error": {"type": "security_exception",
                                                "reason": "unable to authenticate user"}})
NOT_ES = UnsupportedProductError(
    "The client noticed that the server is not Elasticsearch", meta(200), {})


@pytest.mark.parametrize("error, words", [
    (FORBIDDEN, ["lacks a privilege (403)", "indices:data/read/search", "dir_api"]),
    (UNAUTHENTICATED, ["refused the credentials (401)", "ELASTICSEARCH_API_KEY"]),
    (NOT_ES, ["not Elasticsearch", "X-Elastic-Product"]),
])
def test_configuration_faults_become_store_unavailable_with_the_reason(error, words):
    with pytest.raises(StoreUnavailable) as caught:
        with engine_errors("search"):
            raise error
    assert all(word in str(caught.value) for word in words)


class RefusingClientDouble:
    def __init__(self, error):
        self.error = error

    def info(self):
        raise self.error

    def close(self):
        pass


@pytest.mark.parametrize("error, why", [(FORBIDDEN, "(403)"), (UNAUTHENTICATED, "(401)"),
                                        (NOT_ES, "X-Elastic-Product")])
def test_the_api_answers_503_and_readyz_says_why(tmp_path, error, why):
    app = create_app(Settings.from_env(elasticsearch_url="https://es.example:9200",
                                       availability_path=str(tmp_path / "a.sqlite")))
    app.config["TESTING"] = True
    app.extensions["store"].client = RefusingClientDouble(error)
    client = app.test_client()
    search = client.get("/v1/search?lat=41.75&lon=-88.15")
    assert search.status_code == 503 and search.mimetype == "application/problem+json"
    assert client.get("/v1/resources/seed:fac-001").status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert why in ready.get_json()["detail"]


def test_a_record_refused_in_a_full_chunk_is_named_when_it_is_refused(monkeypatch, tmp_path):
    refused = {"index": {"_id": "test:f00007", "status": 400, "error": {
        "type": "document_parsing_exception", "reason": "failed to parse field [min_age]"}}}

    def streaming_bulk(client, actions, **_):
        for action in actions:
            if action["_id"] == "test:f00007":
                yield False, refused
            else:
                yield True, {"index": {"_id": action["_id"], "status": 201}}

    monkeypatch.setattr(es_writer.helpers, "streaming_bulk", streaming_bulk)
    indices = RecordingIndicesDouble(OLD, alias_on=[OLD[1]])
    settings = Settings(elasticsearch_url="http://unused", availability_path=str(tmp_path / "a.db"))
    with pytest.raises(IndexRejected, match="first test:f00007: document_parsing_exception"):
        with ElasticsearchIndexWriter(RecordingClientDouble(indices, count=CHUNK + 1),
                                      settings, now=NOW) as writer:
            for i in range(CHUNK + 1):
                writer.add(facility(f"f{i:05d}"))
            # Named as soon as its chunk was written, not only in the final count.
            assert writer.item_errors == [
                ("test:f00007", "document_parsing_exception: failed to parse field [min_age]")]
            writer.commit()
    assert "update_aliases" not in [name for name, _ in indices.calls]


def test_a_transport_error_in_a_mid_run_flush_stops_the_indexer_with_exit_2(monkeypatch, tmp_path):
    from indexer import cli

    def streaming_bulk(client, actions, **_):
        raise ConnectionError("connection reset")
        yield  # pragma: no cover

    class Writer(ElasticsearchIndexWriter):
        def __init__(self, settings):
            super().__init__(RecordingClientDouble(RecordingIndicesDouble(OLD, [OLD[1]])),
                             settings, now=NOW)

    monkeypatch.setattr(es_writer.helpers, "streaming_bulk", streaming_bulk)
    monkeypatch.setattr(es_writer, "CHUNK", 1)
    monkeypatch.setattr(cli, "open_writer", lambda settings: Writer(settings))
    monkeypatch.setenv("STORE_PATH", str(tmp_path / "store.sqlite"))
    monkeypatch.setenv("AVAILABILITY_PATH", str(tmp_path / "a.sqlite"))
    from tests.conftest import SEED
    result = CliRunner().invoke(cli.main, ["load", SEED, "--quiet"])
    assert result.exit_code == 2, result.output
    assert "unreachable during write records" in result.output
    assert "Traceback" not in result.output
