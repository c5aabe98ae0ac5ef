"""Issue 12, finding 9 / item 6: the compose file runs Elasticsearch with security on
(TLS with its own CA, passwords from .env, never inline), each process connects with its
own least-privilege user, and the roles the setup puts are those docs/elasticsearch.md
lists. Parsed here; nothing is started (no Docker daemon or compose plugin on these
machines)."""
import json
import os
import re
import subprocess

import pytest
import yaml

from directory_service.config import Settings
from directory_service.search.elastic.client import make_client
from tests.conftest import ROOT

REFERENCE = re.compile(r"^\$\{([A-Z_][A-Z0-9_]*)(:\?[^}]*)?\}$")
ROLES = ("directory_api", "directory_sync", "directory_indexer")


@pytest.fixture(scope="module")
def services():
    with open(os.path.join(ROOT, "docker-compose.yml")) as handle:
        return yaml.safe_load(handle)["services"]


def environment(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return env


def test_elasticsearch_runs_with_security_and_tls_on(services):
    env = environment(services["elasticsearch"])
    assert env["xpack.security.enabled"] == "true"
    assert env["xpack.security.http.ssl.enabled"] == "true"
    assert env["xpack.security.http.ssl.certificate_authorities"] == "certs/ca/ca.crt"
    assert "xpack.security.enabled=false" not in str(services)
    health = " ".join(services["elasticsearch"]["healthcheck"]["test"])
    assert "https://" in health and "--cacert" in health


def test_no_password_is_written_in_the_compose_file(services):
    secrets = {(name, key): value for name, service in services.items()
               for key, value in environment(service).items() if "PASSWORD" in key}
    assert secrets, "the compose file names its passwords"
    for where, value in secrets.items():
        assert REFERENCE.match(str(value)), f"{where} is inline, not ${{…}} from .env"


def test_every_required_variable_is_in_env_example_and_env_is_ignored(services):
    with open(os.path.join(ROOT, "docker-compose.yml")) as handle:
        required = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", handle.read()))
    with open(os.path.join(ROOT, ".env.example")) as handle:
        example = dict(line.strip().split("=", 1) for line in handle
                       if line.strip() and not line.startswith("#"))
    assert required == set(example)
    assert all(value.startswith("replace-me") for value in example.values())
    with open(os.path.join(ROOT, ".gitignore")) as handle:
        assert ".env" in handle.read().split()
    tracked = subprocess.run(["git", "ls-files", ".env"], cwd=ROOT, capture_output=True,
                             text=True).stdout
    assert tracked == ""


@pytest.mark.parametrize("service, user", [("api", "directory_api"),
                                           ("indexer", "directory_indexer")])
def test_each_process_connects_over_tls_with_its_own_user(services, service, user,
                                                          monkeypatch, tmp_path):
    env = environment(services[service])
    assert env["ELASTICSEARCH_URL"].startswith("https://")
    assert env["ELASTICSEARCH_USERNAME"] == user
    assert REFERENCE.match(env["ELASTICSEARCH_PASSWORD"])
    assert "ELASTIC_PASSWORD" not in env  # the superuser's password stays with the node
    ca_dir = os.path.dirname(os.path.dirname(env["ELASTICSEARCH_CA_CERTS"]))
    assert f"certs:{ca_dir}:ro" in services[service]["volumes"]
    # The settings the service gets pass the start-up checks and become client options.
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    for key in ("ELASTICSEARCH_URL", "ELASTICSEARCH_USERNAME"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("ELASTICSEARCH_PASSWORD", "from-dot-env")
    monkeypatch.setenv("ELASTICSEARCH_CA_CERTS", str(ca))
    settings = Settings.from_env()
    assert settings.elasticsearch_username == user
    client = make_client(settings, settings.elasticsearch_timeout_s)
    assert client.transport.node_pool.get().config.scheme == "https"
    client.close()


def test_the_setup_puts_the_roles_the_docs_list():
    with open(os.path.join(ROOT, "docs", "elasticsearch.md")) as handle:
        docs = handle.read()
    for role in ROLES:
        with open(os.path.join(ROOT, "deploy", "elasticsearch", f"role-{role}.json")) as fh:
            put = json.load(fh)
        block = re.search(rf"PUT _security/role/{role}\n(\{{.*?\n\}})\n", docs, re.S)
        assert block, f"docs/elasticsearch.md lists no role {role}"
        assert json.loads(block.group(1)) == put
    with open(os.path.join(ROOT, "deploy", "elasticsearch", "users.sh")) as handle:
        script = handle.read()
    assert all(f"/_security/user/{role}" in script for role in ROLES)
    # Every password the script sends is a variable from the environment.
    sent = re.findall(r'password\\": \\"([^\\]*)\\"', script)
    assert len(sent) == 3 and all(value.startswith("${") for value in sent)


def test_the_api_reads_the_directory_and_the_runner_pushes_live_beds_as_its_own_user(
        services):
    """Issue 24: the API's role may not write a document; live-bed pushes go in under
    directory_sync (ELASTICSEARCH_SYNC_*), whose role may index but not manage. Since
    issue 23 the job runner (`jobs`) pushes, and the API holds no write credential."""
    assert "ELASTICSEARCH_SYNC_USERNAME" not in environment(services["api"])
    env = environment(services["jobs"])
    assert env["ELASTICSEARCH_SYNC_USERNAME"] == "directory_sync"
    assert REFERENCE.match(env["ELASTICSEARCH_SYNC_PASSWORD"])
    assert env["ELASTICSEARCH_SYNC_PASSWORD"] != env["ELASTICSEARCH_PASSWORD"]
    roles = {}
    for role in ROLES:
        with open(os.path.join(ROOT, "deploy", "elasticsearch", f"role-{role}.json")) as fh:
            roles[role] = {p for block in json.load(fh)["indices"] for p in block["privileges"]}
    assert roles["directory_api"] == {"read", "view_index_metadata"}
    assert roles["directory_sync"] == {"read", "view_index_metadata", "index"}
    assert "ELASTICSEARCH_SYNC_USERNAME" not in environment(services["indexer"])
