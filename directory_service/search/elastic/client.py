"""The one module that imports the `elasticsearch` client package.

Everything else in the service reaches the cluster through what this module exports, so
a client upgrade (or a swap to another transport) is reviewed in one place, and a test
can assert no other module imports the package (tests/test_search_layout.py).
"""
import os
import threading
from contextlib import contextmanager

from elastic_transport import Transport
from elasticsearch import (
    ApiError, AuthenticationException, AuthorizationException, ConflictError, ConnectionError,
    Elasticsearch, NotFoundError, TransportError, UnsupportedProductError, helpers)

from directory_service.search.elastic.settings import client_options, nodes
from directory_service.search.store import StoreUnavailable

__all__ = [
    "ApiError", "AuthenticationException", "AuthorizationException", "ConflictError",
    "ConnectionError", "Elasticsearch", "NotFoundError", "TransportError",
    "UnsupportedProductError", "engine_errors", "helpers", "make_client", "PoolBusy",
    "CLIENT_MAJOR"]

# The client's major version: the 8.x client speaks to 8.x and 9.x servers (a 9.x server
# answers 8.x clients through REST API compatibility); a 9.x client needs a 9.x server.
CLIENT_MAJOR = int(__import__("elasticsearch").__versionstr__.split(".")[0])


class PoolBusy(TransportError):
    """No request slot came free within ELASTICSEARCH_POOL_WAIT_S (a fast 503)."""


class BoundedTransport(Transport):
    """A transport with at most `limit` requests in flight per process, each waiting at
    most `wait_s` for a slot.

    The pool of each node blocks without a deadline when all its connections are busy
    (under 1,000 greenlets, 30 calls with a 1 s timeout took up to 3 s). Here a request
    that cannot start within `wait_s` fails at once with PoolBusy, and the pools hold as
    many connections as there are slots, so they never block. The semaphore is made in
    the process and thread library that first uses it (after a fork, after gevent's
    patching), and is shared by every `client.options(...)` copy of the client.
    """

    limit, wait_s = None, None
    _slots, _pid = None, None

    def bound(self, limit, wait_s):
        self.limit, self.wait_s = limit, wait_s
        return self

    def _semaphore(self):
        if self._pid != os.getpid():
            self._slots, self._pid = threading.BoundedSemaphore(self.limit), os.getpid()
        return self._slots

    def perform_request(self, *args, **kwargs):
        if self.limit is None:
            return super().perform_request(*args, **kwargs)
        slots = self._semaphore()
        if not slots.acquire(timeout=self.wait_s):
            raise PoolBusy(f"all {self.limit} Elasticsearch request slots busy for "
                           f"{self.wait_s} s")
        try:
            return super().perform_request(*args, **kwargs)
        finally:
            slots.release()


def make_client(settings, timeout_s, role="api"):
    """A client that does not connect until its first request: the nodes (a host list or
    a cloud id), TLS and credentials from elastic/settings.py, and requests in flight
    bounded as BoundedTransport says. `role` "sync" takes the live-bed credentials."""
    where, cloud = nodes(settings)
    client = Elasticsearch(where, transport_class=BoundedTransport, **cloud,
                           **client_options(settings, timeout_s, role))
    client.transport.bound(settings.elasticsearch_max_concurrency,
                           settings.elasticsearch_pool_wait_s)
    return client


@contextmanager
def engine_errors(action):
    """Turn the cluster's "cannot answer now" into StoreUnavailable; other errors pass.

    A server that is not Elasticsearch, refused credentials (401) and a missing privilege
    (403) are configuration faults the caller cannot fix by retrying: they are named so
    an operator can, and answered 503 (the indexer exits 2), never 500.
    """
    try:
        yield
    except PoolBusy as exc:
        raise StoreUnavailable(f"Elasticsearch busy during {action}: {exc}") from None
    except TransportError as exc:
        raise StoreUnavailable(f"Elasticsearch unreachable during {action}: "
                               f"{type(exc).__name__}") from None
    except UnsupportedProductError:
        raise StoreUnavailable(
            f"the server at ELASTICSEARCH_URL is not Elasticsearch, or a proxy removed its "
            f"X-Elastic-Product header (during {action})") from None
    except AuthenticationException:
        raise StoreUnavailable(
            f"Elasticsearch refused the credentials (401) during {action}: check "
            f"ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/PASSWORD") from None
    except AuthorizationException as exc:
        raise StoreUnavailable(
            f"the Elasticsearch user lacks a privilege (403) to {action}: "
            f"{_reason(exc)}; see the roles in docs/elasticsearch.md") from None
    except ApiError as exc:
        if exc.meta.status >= 500 or exc.meta.status == 429 or exc.error in (
                "index_not_found_exception", "product_check_exception"):
            raise StoreUnavailable(f"Elasticsearch cannot {action}: {exc.error}") from None
        raise


def _reason(exc):
    """The server's reason for a refusal, without the request or credentials."""
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    return error.get("reason") or str(exc.error)
