"""A gevent worker opens a renamed-in store file off the request path (sqlite_store's
background runner): the old file answers until the new one is ready, then the new one;
a file that cannot be opened still reaches the caller as StoreUnavailable."""
import pytest

from directory_service.search.embedded.store import SqliteStore
from directory_service.search.embedded.writer import SqliteIndexWriter
from directory_service.search.store import SearchQuery, StoreUnavailable
from tests.factories import NAPERVILLE, NOW, facility


class Later:
    """A spawn that runs nothing until told: the background thread, stepped by hand."""

    def __init__(self):
        self.pending = []

    def __call__(self, fn, *args):
        self.pending.append((fn, args))

    def run(self):
        pending, self.pending = self.pending, []
        for fn, args in pending:
            fn(*args)


def build(path, names, meta=None):
    with SqliteIndexWriter(path) as writer:
        for name in names:
            writer.add(facility(name))
        writer.commit(meta)


def found(store):
    query = SearchQuery(lat=NAPERVILLE[0], lon=NAPERVILLE[1], radius_m=50_000, now=NOW)
    return sorted(h.record["id"] for h in store.search(query).hits)


def test_the_old_file_answers_until_the_new_one_is_opened(tmp_path):
    path = str(tmp_path / "directory.sqlite")
    build(path, ["old"])
    later = Later()
    store = SqliteStore(path, spawn=later)
    assert found(store) == ["test:old"]
    assert later.pending == []  # the first file is opened inline: nothing to answer with
    first_build = store.build_id()

    build(path, ["new", "newer"])
    assert found(store) == ["test:old"]
    assert found(store) == ["test:old"]
    assert len(later.pending) == 1  # one background open per new file, not per request
    assert store.build_id() == first_build

    later.run()
    assert found(store) == ["test:new", "test:newer"]
    assert store.build_id() != first_build
    assert store.get("test:old") is None
    store.close()


def test_a_file_replaced_again_while_opening_is_not_installed(tmp_path):
    path = str(tmp_path / "directory.sqlite")
    build(path, ["a"])
    later = Later()
    store = SqliteStore(path, spawn=later)
    assert found(store) == ["test:a"]
    build(path, ["b"])
    assert found(store) == ["test:a"]
    later.run()  # opened "b"...
    build(path, ["c"])  # ...but "c" replaced it before any request took it
    assert found(store) == ["test:a"]
    later.run()
    assert found(store) == ["test:c"]
    store.close()


def test_a_file_that_cannot_be_opened_is_reported_by_the_next_request(tmp_path):
    path = str(tmp_path / "directory.sqlite")
    build(path, ["a"])
    later = Later()
    store = SqliteStore(path, spawn=later)
    assert found(store) == ["test:a"]
    build(path, ["b"], meta={"schema_version": "0"})  # built by "another version"
    assert found(store) == ["test:a"]
    later.run()
    with pytest.raises(StoreUnavailable, match="another version"):
        found(store)
    assert store.health()["ok"] is False


def test_outside_gevent_a_new_file_is_opened_inline(tmp_path):
    path = str(tmp_path / "directory.sqlite")
    build(path, ["a"])
    store = SqliteStore(path)
    assert found(store) == ["test:a"]
    build(path, ["b"])
    assert found(store) == ["test:b"]
    store.close()
