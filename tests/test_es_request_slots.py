"""Issue 24: a request waits a bounded time for a pooled connection, then is a fast 503.

Against a fake slow server on loopback (tests/slow_es_server.py, not Elasticsearch),
which holds every request until the test releases it: with 10 request slots per process
and 30 concurrent calls, 10 reach the server and the other 20 fail with StoreUnavailable
("busy") while those 10 are still held, instead of queueing for a connection without a
deadline. Nothing here is timed: the test waits for the 20 failures, then releases.
"""
import threading

import pytest

from directory_service.config import Settings
from directory_service.search.elastic.client import engine_errors, make_client
from directory_service.search.store import StoreUnavailable
from tests.slow_es_server import SlowServer


def concurrent_calls(client, n):
    outcomes, lock = [], threading.Lock()

    def call():
        try:
            with engine_errors("report its version"):
                client.info()
            result = "answered"
        except StoreUnavailable as exc:
            result = str(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=call) for _ in range(n)]
    for thread in threads:
        thread.start()
    return threads, outcomes


def test_thirty_calls_on_ten_slots_ten_reach_the_server_twenty_fail_fast():
    with SlowServer() as server:
        settings = Settings(elasticsearch_url=server.url, elasticsearch_max_concurrency=10,
                            elasticsearch_pool_wait_s=0.2, elasticsearch_timeout_s=20.0)
        client = make_client(settings, settings.elasticsearch_timeout_s)
        threads, outcomes = concurrent_calls(client, 30)
        # The 20 that found no slot fail while the server still holds the other 10.
        waited = threading.Event()
        for _ in range(200):
            if len(outcomes) >= 20 or waited.wait(0.05):
                break
        busy = [o for o in outcomes if "busy" in o]
        server.release.set()
        for thread in threads:
            thread.join(30)
        assert len(busy) == 20, outcomes
        assert server.reached == 10
        assert outcomes.count("answered") == 10
        assert busy[0].startswith("Elasticsearch busy during report its version: all 10 ")


def test_slots_are_shared_by_option_copies_and_pools_hold_as_many_connections():
    settings = Settings(elasticsearch_url="http://127.0.0.1:9", elasticsearch_max_concurrency=7)
    client = make_client(settings, 5.0)
    assert client.options(request_timeout=2.0).transport is client.transport
    assert client.transport.limit == 7
    node = next(iter(client.transport.node_pool.all()))
    assert node.config.connections_per_node == 7


@pytest.mark.parametrize("field, value", [("elasticsearch_max_concurrency", 0),
                                          ("elasticsearch_pool_wait_s", 0.0)])
def test_a_bound_that_cannot_work_stops_start_up(field, value):
    from directory_service.config import ConfigError

    with pytest.raises(ConfigError, match="ELASTICSEARCH_MAX_CONCURRENCY"):
        Settings(elasticsearch_url="http://es:9200", **{field: value}).check()
