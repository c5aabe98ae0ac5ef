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


def check(settings):
    """ConfigError for Elasticsearch settings that cannot work (checked at start-up)."""
    s = settings
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
            s.elasticsearch_url and not s.elasticsearch_url.startswith("https://"):
        raise ConfigError("a CA certificate or fingerprint needs an https:// ELASTICSEARCH_URL")
    if not (s.elasticsearch_timeout_s > 0 and s.elasticsearch_indexer_timeout_s > 0):
        raise ConfigError("ELASTICSEARCH_TIMEOUT_S and ELASTICSEARCH_INDEXER_TIMEOUT_S "
                          "must be positive")
    if s.elasticsearch_shards < 1:
        raise ConfigError("ELASTICSEARCH_SHARDS must be at least 1")
    if not REPLICAS.match(s.elasticsearch_replicas):
        raise ConfigError("ELASTICSEARCH_REPLICAS must be a number or a range such as 0-1, "
                          f"got {s.elasticsearch_replicas!r}")


def client_options(settings, timeout_s):
    """Keyword arguments of `Elasticsearch(url, ...)` for this deployment."""
    s = settings
    options = {"request_timeout": timeout_s, "max_retries": 1, "retry_on_timeout": False}
    if s.elasticsearch_ca_certs:
        options["ca_certs"] = s.elasticsearch_ca_certs
    if s.elasticsearch_ca_fingerprint:
        options["ssl_assert_fingerprint"] = s.elasticsearch_ca_fingerprint.replace(":", "")
    if s.elasticsearch_api_key:
        options["api_key"] = s.elasticsearch_api_key
    elif s.elasticsearch_username:
        options["basic_auth"] = (s.elasticsearch_username, s.elasticsearch_password)
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
