"""docker-compose.yml against the Compose Specification's JSON schema.

`docker compose config` needs the compose plugin, which this machine's docker CLI lacks
(and there is no daemon), so the file is validated here instead, with the schema Debian's
docker-compose 1.29.2 ships (tests/fixtures/compose_spec.json, Apache-2.0, unchanged).
That schema predates top-level secrets read from the environment (`environment:`, Compose
2.23), which docker-compose.yml uses for Prometheus's token: the one addition below."""
import copy
import json
import os

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def validator():
    with open(os.path.join(ROOT, "tests", "fixtures", "compose_spec.json")) as handle:
        schema = json.load(handle)
    schema["definitions"]["secret"]["properties"]["environment"] = {"type": "string"}
    return jsonschema.Draft201909Validator(schema)


@pytest.fixture(scope="module")
def compose():
    with open(os.path.join(ROOT, "docker-compose.yml")) as handle:
        return yaml.safe_load(handle)


def test_docker_compose_yml_follows_the_compose_spec(validator, compose):
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_catches_a_misplaced_key(validator, compose):
    """The check is not vacuous: a restart policy written as swarm's, at service level, fails."""
    broken = copy.deepcopy(compose)
    broken["services"]["api"]["restart_policy"] = {"condition": "on-failure"}
    broken["services"]["proxy"]["stop_grace_period"] = {"seconds": 30}
    messages = " ".join(e.message for e in validator.iter_errors(broken))
    assert "restart_policy" in messages and "seconds" in messages
