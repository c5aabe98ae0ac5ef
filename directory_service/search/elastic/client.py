"""The one module that imports the `elasticsearch` client package.

Everything else in the service reaches the cluster through what this module exports, so
a client upgrade (or a swap to another transport) is reviewed in one place, and a test
can assert no other module imports the package (tests/test_search_layout.py).
"""
from elasticsearch import (
    ApiError, AuthenticationException, AuthorizationException, ConflictError, ConnectionError,
    Elasticsearch, NotFoundError, TransportError, UnsupportedProductError, helpers)

from directory_service.search.elastic.settings import client_options

__all__ = ["ApiError", "AuthenticationException", "AuthorizationException", "ConflictError",
           "ConnectionError", "Elasticsearch", "NotFoundError", "TransportError", "UnsupportedProductError",
           "helpers", "make_client"]


def make_client(settings, timeout_s):
    """A client that does not connect until its first request (TLS and credentials from
    elastic/settings.py)."""
    return Elasticsearch(settings.elasticsearch_url, **client_options(settings, timeout_s))
