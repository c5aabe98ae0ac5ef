"""The one module that imports the `elasticsearch` client package.

Everything else in the service reaches the cluster through what this module exports, so
a client upgrade (or a swap to another transport) is reviewed in one place, and a test
can assert no other module imports the package (tests/test_search_layout.py).
"""
from contextlib import contextmanager

from elasticsearch import (
    ApiError, AuthenticationException, AuthorizationException, ConflictError, ConnectionError,
    Elasticsearch, NotFoundError, TransportError, UnsupportedProductError, helpers)

from directory_service.search.elastic.settings import client_options
from directory_service.search.store import StoreUnavailable

__all__ = [
    "ApiError", "AuthenticationException", "AuthorizationException", "ConflictError",
    "ConnectionError", "Elasticsearch", "NotFoundError", "TransportError",
    "UnsupportedProductError", "engine_errors", "helpers", "make_client"]


def make_client(settings, timeout_s):
    """A client that does not connect until its first request (TLS and credentials from
    elastic/settings.py)."""
    return Elasticsearch(settings.elasticsearch_url, **client_options(settings, timeout_s))


@contextmanager
def engine_errors(action):
    """Turn the cluster's "cannot answer now" into StoreUnavailable; other errors pass.

    A server that is not Elasticsearch, refused credentials (401) and a missing privilege
    (403) are configuration faults the caller cannot fix by retrying: they are named so
    an operator can, and answered 503 (the indexer exits 2), never 500.
    """
    try:
        yield
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
