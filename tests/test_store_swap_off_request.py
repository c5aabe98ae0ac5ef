"""Issue 25 item 5: a swap of the store file costs the requests nothing.

A renamed-in file is opened in a background thread, its columns read and its live state
prepared there (every live facility known then applied: LiveOverlay.warm); searches meanwhile
are answered by the old file without waiting for the load; the first search after the load
installs the new file and applies only what changed since the background copy."""
import sqlite3
import threading
import time

import pytest

from directory_service.search import live_overlay
from directory_service.search.embedded import store as store_module
from directory_service.search.embedded.store import Pacer, SqliteStore
from directory_service.search.embedded.writer import SqliteIndexWriter
from directory_service.search.store import SearchQuery
from tests import factories
from tests.factories import NAPERVILLE, NOW, facility
from tests.test_live_overlay import put_row
from tests.test_live_support import bearer, directory, make_app, search_open
from tests.test_store_swap_background import Later


def build(path, names):
    with SqliteIndexWriter(path) as writer:
        for name in names:
            writer.add(facility(name))
        writer.commit()


def found(store):
    query = SearchQuery(lat=NAPERVILLE[0], lon=NAPERVILLE[1], radius_m=50_000, now=NOW)
    return sorted(h.record["id"] for h in store.search(query).hits)


def in_a_thread(fn, *args):
    """The background runner of a gevent worker, as a plain native thread."""
    thread = threading.Thread(target=fn, args=args, daemon=True)
    thread.start()
    in_a_thread.threads.append(thread)


in_a_thread.threads = []

SLOW_S = 0.1  # each column read of the new file takes this long (a slowed load)


def test_no_search_waits_for_a_slowed_load(tmp_path, monkeypatch):
    path = str(tmp_path / "directory.sqlite")
    build(path, ["old"])
    store = SqliteStore(path, spawn=in_a_thread)
    assert found(store) == ["test:old"]  # the first file, opened inline

    real_read = store_module._read_column
    loading = threading.Event()

    def slow_read(*args):
        loading.set()
        time.sleep(SLOW_S)
        return real_read(*args)

    monkeypatch.setattr(store_module, "_read_column", slow_read)
    build(path, ["new", "newer"])
    started = time.perf_counter()
    during = []
    while not in_a_thread.threads or in_a_thread.threads[-1].is_alive():
        t0 = time.perf_counter()
        answer = found(store)
        during.append((time.perf_counter() - t0, answer))
        time.sleep(0.01)
    load_s = time.perf_counter() - started
    assert loading.is_set()
    # The load took seconds (one slowed read per column); searches went on meanwhile...
    assert load_s > 10 * SLOW_S and len(during) > 20
    # ...answered by the old file, none waiting for any part of the load.
    assert {tuple(a) for _, a in during} == {("test:old",)}
    assert max(s for s, _ in during) < SLOW_S
    # The next search installs the loaded file: the new answer.
    assert found(store) == ["test:new", "test:newer"]
    store.close()


def test_the_live_state_is_prepared_in_the_background(tmp_path, monkeypatch):
    """Reports known before the swap are applied off the request path; a report taken
    after the background copy is applied by the request that installs the file."""
    store_path = build_directory(tmp_path)
    app = make_app(tmp_path, store_path=store_path)
    store = app.extensions["store"]
    later = Later()
    store._spawn = later
    client, admin = app.test_client(), bearer(app, "admin")
    put_row(client, admin, "test:b", available=8)
    put_row(client, admin, "test:c", available=6)
    assert search_open(client, "test:b")["open"] == 8
    first = store.build_id()

    rebuild(store_path)
    assert search_open(client, "test:b")["open"] == 8  # the old file, its live state
    assert store.build_id() == first and len(later.pending) == 1

    applied = []
    real_apply = live_overlay._SnapshotState.apply

    def counting(self, facility_id, *args):
        applied.append((threading.current_thread().name, facility_id))
        return real_apply(self, facility_id, *args)

    monkeypatch.setattr(live_overlay._SnapshotState, "apply", counting)
    later.run()  # the background open: both live facilities applied there
    assert sorted(f for _, f in applied) == ["test:b", "test:c"]
    applied.clear()
    # A report after the background copy: the installing request applies it, and only it.
    put_row(client, admin, "test:b", available=2)
    assert search_open(client, "test:b")["open"] == 2  # the installing request
    assert store.build_id() != first
    assert [f for _, f in applied] == ["test:b"]
    assert search_open(client, "test:c")["open"] == 8  # applied in the background: 6 + 2


def test_prepared_in_the_background_equals_prepared_inline(tmp_path):
    """The same answers whichever way the new file's live state was made."""
    bodies = {}
    for way in ("inline", "background"):
        base = tmp_path / way
        base.mkdir()
        store_path = build_directory(base)
        app = make_app(base, store_path=store_path)
        store = app.extensions["store"]
        later = Later()
        if way == "background":
            store._spawn = later
        client, admin = app.test_client(), bearer(app, "admin")
        put_row(client, admin, "test:b", available=8)
        put_row(client, admin, "test:a", status="unknown")
        put_row(client, admin, "test:d", available=0)
        search = (f"/v1/search?lat={NAPERVILLE[0]}&lon={NAPERVILLE[1]}&radius=20"
                  f"&kind=treatment_facility&per_page=50")
        client.get(search)
        rebuild(store_path)
        client.get(search)
        later.run()
        put_row(client, admin, "test:d", available=3)
        got = client.get(search).get_json()
        bodies[way] = [(h["id"], h["beds_open"]["open"], h["beds_open"]["freshness"])
                       for h in got["results"]]
    assert bodies["inline"] == bodies["background"]
    assert ("test:d" in {i for i, _, _ in bodies["inline"]})


def test_the_pacer_sleeps_after_each_slice_of_work():
    """Its own clock, stepped (units exact in binary): half a unit of work between calls,
    a rest of 0.125 after every 2 units of work, and none before (no timing of the
    machine's)."""
    now, slept = [0.0], []
    pace = Pacer(work=2.0, rest=0.125, sleep=slept.append, clock=lambda: now[0])
    seen = []
    for _ in range(20):
        now[0] += 0.5
        pace()
        seen.append(len(slept))
    assert seen[:4] == [0, 0, 0, 1]  # the fourth half unit reaches 2
    assert len(slept) == 5 and set(slept) == {0.125}


def build_directory(tmp_path):
    path = str(tmp_path / "directory.sqlite")
    rebuild(path)
    return path


def rebuild(path):
    with SqliteIndexWriter(path) as writer:
        for record in directory():
            writer.add(record)
        writer.add(factories.facility("z", km=6))
        writer.commit()


def test_the_old_file_is_closed_and_let_go_in_the_background(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "RETIRE_AFTER_S", 0)
    store_path = build_directory(tmp_path)
    app = make_app(tmp_path, store_path=store_path)
    store = app.extensions["store"]
    later = Later()
    store._spawn = later
    client = app.test_client()
    assert search_open(client, "test:b")["open"] == 3
    old = store._snap
    rebuild(store_path)
    assert search_open(client, "test:b")["open"] == 3  # the old file; the open spawned
    later.run()  # the background open
    assert search_open(client, "test:b")["open"] == 3  # installs the new file...
    assert store._snap is not old
    old.db.execute("SELECT 1")  # ...and the request left the old one open
    assert old.live is not None
    later.run()  # the background retire
    assert old.live is None  # the cycle snap.live.snap broken: freed by its refcount
    with pytest.raises(sqlite3.ProgrammingError):
        old.db.execute("SELECT 1")


# The store file itself, swapped out or not (the column files beside it are mapped).
STORE_FILE = ("directory.sqlite", "directory.sqlite (deleted)")


def open_names(under):
    """Where this process's descriptors under the directory `under` point (Linux /proc)."""
    import os

    base, names = "/proc/self/fd", []
    for fd in os.listdir(base):
        try:
            name = os.readlink(os.path.join(base, fd))
        except OSError:
            continue
        if name.startswith(str(under)):
            names.append(name)
    return names


def test_sqlites_close_of_a_swapped_out_file_is_never_the_last(tmp_path):
    """The last close of a renamed-over file frees it (a gigabyte at 1M records); SQLite
    does its close holding its global file-system mutex, which every SQLite call of the
    worker needs: that close waited 0.2 s at 1M. So the snapshot keeps a descriptor of its
    own, and the file is freed by that one, in the background, with no SQLite lock held."""
    path = str(tmp_path / "directory.sqlite")
    build(path, ["old"])
    later = Later()
    store = SqliteStore(path, spawn=later)
    assert found(store) == ["test:old"]
    old = store._snap
    build(path, ["new"])  # renamed over: the old file now lives only while it is open
    found(store)
    later.run()  # the background open
    assert found(store) == ["test:new"]  # installed; the retire is pending
    assert any(n.endswith("directory.sqlite (deleted)") for n in open_names(tmp_path))
    old.db.close()  # SQLite's own close: the old file stays open through our descriptor
    assert any(n.endswith("directory.sqlite (deleted)") for n in open_names(tmp_path))
    assert old.file.fd is not None
    later.run()  # the retire: our descriptor goes, and the file with it
    assert old.file.fd is None
    assert not any(n.endswith("directory.sqlite (deleted)") for n in open_names(tmp_path))
    store.close()
    assert [n for n in open_names(tmp_path) if n.endswith(STORE_FILE)] == []


def test_an_export_lets_its_file_go_in_the_background(tmp_path):
    path = str(tmp_path / "directory.sqlite")
    build(path, ["a", "b"])
    later = Later()
    store = SqliteStore(path, spawn=later)
    found(store)
    before = sum(n.endswith(STORE_FILE) for n in open_names(tmp_path))
    rows = store.scan()
    assert next(rows)["id"] == "test:a"
    build(path, ["c"])  # swapped out during the export
    assert [r["id"] for r in rows] == ["test:b"]  # the export reads its own file to the end
    # Its connection closed in the request, its descriptor left for the background thread.
    assert sum(n.endswith(STORE_FILE) for n in open_names(tmp_path)) == before + 1
    later.run()
    assert sum(n.endswith(STORE_FILE) for n in open_names(tmp_path)) == before
    store.close()


def test_a_snapshot_names_the_file_its_descriptor_holds(tmp_path):
    """Taken from the descriptor: if the file is replaced while it is opened, the
    snapshot says it holds the older one, and the next request opens the newer."""
    import os

    path = str(tmp_path / "directory.sqlite")
    build(path, ["one"])
    store = SqliteStore(path, spawn=None)
    found(store)
    st = os.fstat(store._snap.file.fd)
    assert store._snap.identity == (st.st_ino, st.st_mtime_ns, st.st_size)
    assert store._snap.identity == store_module._identity(path)
    store.close()


def test_a_file_whose_live_state_fails_to_prepare_is_let_go(tmp_path):
    """The background open fails after the file was opened (its live state could not be
    prepared): the file is closed there, not kept open for the life of the worker; the
    next request opens it inline and reports the failure."""
    path = str(tmp_path / "directory.sqlite")
    build(path, ["old"])
    later = Later()
    store = SqliteStore(path, spawn=later)

    class Broken:
        def prepare(self, snap, now=None):
            return {}

        def warm(self, snap, pause=None):
            raise RuntimeError("the availability database is down")

        def standings(self):
            return {}

    found(store)
    store.set_live_overlay(Broken())
    build(path, ["new"])
    found(store)
    later.run()  # the background open fails in warm
    assert store._opened is None
    # Only the old file is open (SQLite's descriptor and ours), not the new one.
    assert {n for n in open_names(tmp_path) if n.endswith(STORE_FILE)} == {path + " (deleted)"}
    store.close()
