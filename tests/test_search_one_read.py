"""A search reads the availability database once when nothing changed (issue 25): the
ETag's read of the change sequence tells the live overlay there is nothing new, so its
poll asks nothing; a change since makes the poll read it, and the answer shows it."""
from directory_service.availability import changes, db
from tests import factories
from tests.test_live_support import bearer, etag, make_app, row, search_open

FACILITY_SEARCH = "/v1/search?lat=41.7508&lon=-88.1535&radius=20&kind=treatment_facility"
MEETING_SEARCH = "/v1/search?lat=41.7508&lon=-88.1535&radius=20&kind=meeting"


def test_one_availability_read_per_search_until_something_changes(tmp_path, monkeypatch):
    app = make_app(tmp_path, [factories.facility("a", km=1, beds=[row(available=1)]),
                              factories.meeting("m", km=1)])
    client = app.test_client()
    # Another worker (its own overlay) over the same store and database takes the report.
    other = make_app(tmp_path, store_path=app.config["SETTINGS"].store_path)
    writer, admin = other.test_client(), bearer(other, "admin")
    assert client.get(FACILITY_SEARCH).status_code == 200  # the worker's first look
    reads, polls = [], []
    rows, changed_since = db.Reader.rows, changes.changed_since
    monkeypatch.setattr(db.Reader, "rows",
                        lambda self, *a, **k: reads.append(a[0]) or rows(self, *a, **k))
    monkeypatch.setattr(changes, "changed_since",
                        lambda *a: polls.append(a[1]) or changed_since(*a))
    for path in (FACILITY_SEARCH, MEETING_SEARCH, FACILITY_SEARCH):
        assert client.get(path).status_code == 200
    assert (len(reads), polls) == (3, [])
    put = writer.put("/v1/facilities/test:a/beds",
                     headers={**admin, "If-Match": etag(writer, "test:a")},
                     json={"rows": [{"level_of_care": "3.7-WM", "population": "adult_men",
                                     "capacity": 10, "available": 7}]})
    assert put.status_code == 200, put.get_json()
    polls.clear()
    assert search_open(client, "test:a")["open"] == 7
    assert polls == [0]  # asked for what changed since the last applied sequence
    polls.clear()
    assert search_open(client, "test:a")["open"] == 7
    assert polls == []


def test_warm_opens_the_store_and_the_overlay_before_the_first_search(tmp_path, monkeypatch):
    """gunicorn's post_worker_init warms the store: the first search then neither opens
    the file nor copies the overlay's arrays (work that held the worker, issue 25)."""
    from directory_service.search import live_overlay
    from directory_service.search.embedded import store as embedded

    app = make_app(tmp_path, [factories.facility("a", km=1, beds=[row(available=1)])])
    store = app.extensions["store"]
    store.warm()
    opened, copied = [], []
    monkeypatch.setattr(embedded, "_Snapshot", lambda *a: opened.append(a))
    state = live_overlay._SnapshotState
    monkeypatch.setattr(live_overlay, "_SnapshotState",
                        lambda *a: copied.append(a) or state(*a))
    assert app.test_client().get(FACILITY_SEARCH).get_json()["total"] == 1
    assert (opened, copied) == ([], [])


def test_gunicorn_warms_the_store_of_each_worker():
    import ast
    import os

    from tests.conftest import ROOT

    with open(os.path.join(ROOT, "gunicorn.conf.py")) as handle:
        tree = ast.parse(handle.read())
    hook = next(n for n in tree.body if isinstance(n, ast.FunctionDef)
                and n.name == "post_worker_init")
    assert "store.warm()" in ast.unparse(hook)
