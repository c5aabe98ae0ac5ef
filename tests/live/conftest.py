"""Live-bed tests run on a small directory of their own (tests/test_live_support.py)
with a fresh availability database per test, in place of the seed app: each test runs on
SQLite and on PostgreSQL (tests/availability_backends.py)."""
import pytest

from tests.test_live_support import make_app


@pytest.fixture(autouse=True)
def _both_backends(availability_backend):
    return availability_backend


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    app.extensions["store"].close()


@pytest.fixture
def client(app):
    return app.test_client()
