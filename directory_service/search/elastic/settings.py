"""How this service connects to an Elasticsearch cluster, from `Settings`.

A default Elasticsearch 8 cluster serves TLS with its own CA and wants credentials: the
CA (a PEM file, or the SHA-256 fingerprint it prints at first start) and an API key or
a user and password come from the environment (config.py), are checked at start-up and
become client options here. Nothing here connects, and no secret is ever logged.
"""
import os
import re

from directory_service.config import ConfigError

FINGERPRINT = re.compile(r"^[0-9a-fA-F]{2}(:?[0-9a-fA-F]{2}){31}$")
REPLICAS = re.compile(r"^(\d+|\d+-(\d+|all))$")
# Composable templates of equal priority may not match the same index name. Patterns of
# two prefixes of the same length never overlap; of different lengths, the longer is
# the more specific and wins. So the priority grows with the prefix's length.
BASE_PRIORITY = 500
# A search body's server-side `timeout`: a number and a time unit (Elasticsearch's
# duration units the service needs).
DURATION = re.compile(r"^\d+(ms|s|m)$")
SWAP_HEALTH = ("green", "yellow")


def hosts(settings):
    """The nodes of ELASTICSEARCH_URL: one URL or several, comma-separated."""
    return [url.strip() for url in settings.elasticsearch_url.split(",") if url.strip()]


def check(settings):
    """ConfigError for Elasticsearch settings that cannot work (checked at start-up)."""
    s = settings
    _check_nodes(s)
    _check_credentials(s.elasticsearch_sync_api_key, s.elasticsearch_sync_username,
                       s.elasticsearch_sync_password, "ELASTICSEARCH_SYNC_")
    if not DURATION.match(s.elasticsearch_search_timeout):
        raise ConfigError("ELASTICSEARCH_SEARCH_TIMEOUT must be a duration such as 3s or "
                          f"500ms, got {s.elasticsearch_search_timeout!r}")
    if s.elasticsearch_max_concurrency < 1 or not s.elasticsearch_pool_wait_s > 0:
        raise ConfigError("ELASTICSEARCH_MAX_CONCURRENCY must be at least 1 and "
                          "ELASTICSEARCH_POOL_WAIT_S positive")
    if s.elasticsearch_swap_health not in SWAP_HEALTH:
        raise ConfigError("ELASTICSEARCH_SWAP_HEALTH must be green or yellow, "
                          f"got {s.elasticsearch_swap_health!r}")
    if s.elasticsearch_api_key and (s.elasticsearch_username or s.elasticsearch_password):
        raise ConfigError("set ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/PASSWORD, "
                          "not both")
    if bool(s.elasticsearch_username) != bool(s.elasticsearch_password):
        raise ConfigError("ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD go together")
    if s.elasticsearch_ca_certs and s.elasticsearch_ca_fingerprint:
        raise ConfigError("set ELASTICSEARCH_CA_CERTS or ELASTICSEARCH_CA_FINGERPRINT, "
                          "not both")
    if s.elasticsearch_ca_certs and not os.path.isfile(s.elasticsearch_ca_certs):
        raise ConfigError(f"ELASTICSEARCH_CA_CERTS: no file at {s.elasticsearch_ca_certs}")
    if s.elasticsearch_ca_fingerprint and not FINGERPRINT.match(s.elasticsearch_ca_fingerprint):
        raise ConfigError("ELASTICSEARCH_CA_FINGERPRINT must be a SHA-256 fingerprint: "
                          "64 hex digits, colons allowed")
    if (s.elasticsearch_ca_certs or s.elasticsearch_ca_fingerprint) and \
            any(not url.startswith("https://") for url in hosts(s)):
        raise ConfigError("a CA certificate or fingerprint needs an https:// ELASTICSEARCH_URL "
                          "(every node)")
    if not (s.elasticsearch_timeout_s > 0 and s.elasticsearch_indexer_timeout_s > 0):
        raise ConfigError("ELASTICSEARCH_TIMEOUT_S and ELASTICSEARCH_INDEXER_TIMEOUT_S "
                          "must be positive")
    if s.elasticsearch_shards < 1:
        raise ConfigError("ELASTICSEARCH_SHARDS must be at least 1")
    if not REPLICAS.match(s.elasticsearch_replicas):
        raise ConfigError("ELASTICSEARCH_REPLICAS must be a number or a range such as 0-1, "
                          f"got {s.elasticsearch_replicas!r}")


def _check_nodes(s):
    """ELASTICSEARCH_URL (one or more nodes) or ELASTICSEARCH_CLOUD_ID, not both."""
    if s.elasticsearch_url and s.elasticsearch_cloud_id:
        raise ConfigError("set ELASTICSEARCH_URL or ELASTICSEARCH_CLOUD_ID, not both")
    for url in hosts(s):
        if not url.startswith(("http://", "https://")):
            raise ConfigError("ELASTICSEARCH_URL: every node must be an http:// or https:// "
                              f"URL, got {url!r}")
    if s.elasticsearch_url and not hosts(s):
        raise ConfigError("ELASTICSEARCH_URL names no node")


def _check_credentials(api_key, username, password, prefix):
    """One kind of credentials, complete."""
    if api_key and (username or password):
        raise ConfigError(f"set {prefix}API_KEY or {prefix}USERNAME/PASSWORD, not both")
    if bool(username) != bool(password):
        raise ConfigError(f"{prefix}USERNAME and {prefix}PASSWORD go together")


def nodes(settings):
    """The first argument and keywords that say where the cluster is: the host list, or
    `cloud_id` (the client decodes the deployment's https URL from it)."""
    if settings.elasticsearch_cloud_id:
        return None, {"cloud_id": settings.elasticsearch_cloud_id}
    return hosts(settings), {}


def client_options(settings, timeout_s, role="api"):
    """Keyword arguments of `Elasticsearch(hosts, ...)` for this deployment.

    `role` "sync" uses the live-bed pushes' own credentials (ELASTICSEARCH_SYNC_*) when
    set: the API's role may only read the directory. Each node's pool holds as many
    connections as requests may be in flight (client.py bounds those), so a request
    never waits for a pooled connection without a deadline.
    """
    s = settings
    options = {"request_timeout": timeout_s, "max_retries": 1, "retry_on_timeout": False,
               "connections_per_node": s.elasticsearch_max_concurrency}
    if s.elasticsearch_ca_certs:
        options["ca_certs"] = s.elasticsearch_ca_certs
    if s.elasticsearch_ca_fingerprint:
        options["ssl_assert_fingerprint"] = s.elasticsearch_ca_fingerprint.replace(":", "")
    api_key, username, password = (
        s.elasticsearch_api_key, s.elasticsearch_username, s.elasticsearch_password)
    if role == "sync" and (s.elasticsearch_sync_api_key or s.elasticsearch_sync_username):
        api_key, username, password = (s.elasticsearch_sync_api_key,
                                       s.elasticsearch_sync_username,
                                       s.elasticsearch_sync_password)
    if api_key:
        options["api_key"] = api_key
    elif username:
        options["basic_auth"] = (username, password)
    return options


def index_settings(settings):
    """Shards and replicas of each new index: a fixed number, or auto-expanded replicas."""
    replicas = settings.elasticsearch_replicas
    out = {"number_of_shards": settings.elasticsearch_shards}
    if replicas.isdigit():
        out["number_of_replicas"] = int(replicas)
    else:
        out["auto_expand_replicas"] = replicas
    return out


def template_priority(prefix):
    """A priority two deployments on one cluster never share unless their patterns
    cannot overlap (see BASE_PRIORITY)."""
    return BASE_PRIORITY + len(prefix)
