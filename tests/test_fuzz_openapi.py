"""Fuzz the API from its own OpenAPI document (DESIGN §9): no 5xx, and responses that
match their documented schema. GET endpoints only: writes are covered by the live-bed
suites with real keys, and a fuzzer without keys only meets the 401 gate."""
import atexit
import shutil
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from directory_service import create_app
from directory_service.config import Settings
from directory_service.search.sqlite_writer import SqliteIndexWriter
from indexer import pipeline
from tests.conftest import SEED

pytestmark = pytest.mark.slow


def _seed_app():
    """The app over the seed directory, built once when the module is collected."""
    base = tempfile.mkdtemp(prefix="fuzz-")
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    pipeline.run([SEED], SqliteIndexWriter(f"{base}/directory.sqlite"))
    return create_app(Settings(store_path=f"{base}/directory.sqlite",
                               availability_path=f"{base}/availability.sqlite"))


APP = _seed_app()
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP).include(method="GET")


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_documented_shapes(case):
    response = case.call()
    case.validate_response(response, checks=[schemathesis.checks.not_a_server_error,
                                             schemathesis.checks.response_schema_conformance])
