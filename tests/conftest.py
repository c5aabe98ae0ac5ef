"""Shared fixtures: stores built from records, and the Flask app over the seed data."""
import os
import shutil

import pytest

from directory_service import create_app
from directory_service.config import Settings
from indexer import pipeline
from directory_service.search.embedded.writer import SqliteIndexWriter
from tests.stores import BUILDERS, STORE_KINDS
from tests.availability_backends import availability_backend, pg_server  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "seed_data")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared"))


@pytest.fixture(params=STORE_KINDS)
def make_store(request, tmp_path):
    """make_store(records) → a SearchStore of that kind holding exactly those records."""
    built = []

    def make(records):
        store = BUILDERS[request.param](records, tmp_path)
        built.append(store)
        return store

    yield make
    for store in built:
        store.close()


@pytest.fixture(scope="session")
def seed_store_path(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("seed") / "directory.sqlite")
    report = pipeline.run([SEED], SqliteIndexWriter(path))
    assert report.rejected == []
    return path


@pytest.fixture
def settings(seed_store_path, tmp_path):
    return Settings.from_env(store_path=seed_store_path,
                             availability_path=str(tmp_path / "availability.sqlite"))


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["store"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def shared_dir():
    """../shared/, or a clear skip where this clone has no shared folder beside it."""
    if not os.path.isdir(SHARED):
        pytest.skip(f"{SHARED} is absent: these tests read the shared samples")
    return SHARED


def copy_seed(tmp_path):
    """A copy of seed_data/ that a test may break."""
    target = tmp_path / "seed"
    shutil.copytree(SEED, target)
    return target


@pytest.fixture
def seed_app_factory(seed_store_path, tmp_path):
    """seed_app_factory(**settings) → an app over the seed store with its own availability DB."""
    def make(**overrides):
        settings = Settings.from_env(store_path=seed_store_path,
                                     availability_path=str(tmp_path / "availability.sqlite"),
                                     **overrides)
        app = create_app(settings)
        app.config["TESTING"] = True
        return app
    return make

