"""The availability database itself, on SQLite and PostgreSQL: history is append-only,
an old SQLite file is adopted without losing a row, a deployment's file is copied to
PostgreSQL with one command, and an unreachable database is a 503 and a not-ready
`/readyz` that recover without a restart."""
import os
import sqlite3
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from directory_service.availability import holds, keys, migrate, outbox, reports
from directory_service.availability.db import AvailabilityDB, sqlite_url
from directory_service.availability.schema import bed_history
from directory_service.availability.schema import holds as holds_table
from directory_service.cli import main
from tests.availability_backends import free_port, open_adb
from tests.test_live_support import bearer, make_app, row

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "availability")
BEDS = [{**row(available=2), "population": "adult_men"}]


def _report(adb, facility_id="test:a", available=2, **extra):
    return reports.apply_report(adb, facility_id, [{
        "level_of_care": "3.7-WM", "population": "adult_men", "capacity": 10,
        "available": available, "status": "open" if available else "full", **extra}],
        "key:t", BEDS)


@pytest.mark.parametrize("change", ["update", "delete"])
def test_history_is_append_only(tmp_path, availability_backend, change):
    adb = open_adb(tmp_path / "availability.sqlite")
    _report(adb)
    statement = (bed_history.update().values(available=99) if change == "update"
                 else bed_history.delete())
    with pytest.raises(sa_exc.DBAPIError, match="append-only"):
        with adb.write() as db:
            db.execute(statement)
    with adb.read() as db:
        assert db.execute(select(bed_history.c.available)).scalars().all() == [2, 2]
    adb.close()


def test_the_outbox_row_commits_with_its_change_or_not_at_all(tmp_path, availability_backend):
    adb = open_adb(tmp_path / "availability.sqlite")
    _report(adb)
    before = outbox.last_seq(adb.read())
    with pytest.raises(reports.StaleVersion):
        reports.apply_report(adb, "test:a", [BEDS[0]], "key:t", BEDS, expected={0})
    assert outbox.last_seq(adb.read()) == before
    _report(adb, available=1)
    assert [r["facility_id"] for r in outbox.pending(adb.read(), before)] == ["test:a"]
    adb.close()


def test_holds_made_in_one_second_are_released_newest_first(tmp_path, availability_backend):
    adb = open_adb(tmp_path / "availability.sqlite")
    _report(adb, available=3)
    made = [holds.create(adb, "test:a", "3.7-WM", "adult_men", f"k_{i}", None, 60, BEDS)["id"]
            for i in range(3)]
    applied = _report(adb, available=1)
    assert applied.released == {0: [made[2], made[1]]}
    adb.close()


def _old_file(path, schema_file, with_reason=True):
    """An availability file as an older release left it, with a few rows."""
    db = sqlite3.connect(path)
    with open(os.path.join(FIXTURES, schema_file)) as handle:
        db.executescript(handle.read())
    db.execute("INSERT INTO api_keys (id, hash, role, created_at) "
               "VALUES ('k_old', 'abc', 'coach', '2026-01-01T00:00:00Z')")
    db.execute("INSERT INTO bed_reports VALUES ('test:a', '3.7-WM', 'adult_men', 10, 3, "
               "'open', '2026-01-01T00:00:00Z', 'key:k_old', NULL, 1)")
    db.execute("INSERT INTO facility_versions VALUES ('test:a', 1)")
    db.execute("INSERT INTO bed_history (facility_id, event, level_of_care, population, "
               "capacity, available, status, version, recorded_at) VALUES ('test:a', "
               "'report', '3.7-WM', 'adult_men', 10, 3, 'open', 1, '2026-01-01T00:00:00Z')")
    columns = "id, facility_id, level_of_care, population, coach_key_id, created_at, " \
              "expires_at, state"
    for hold_id in ("h_second", "h_first"):
        db.execute(f"INSERT INTO holds ({columns}) VALUES ('{hold_id}', 'test:a', '3.7-WM', "
                   "'adult_men', 'k_old', '2026-01-01T00:00:00Z', '2026-01-01T02:00:00Z', "
                   "'expired')")
    db.execute("INSERT INTO facility_changes VALUES ('test:a', 4)")
    db.commit()
    db.close()


@pytest.mark.parametrize("schema_file", ["schema_first_release.sql",
                                         "schema_outbox_release.sql"])
def test_an_old_sqlite_file_is_adopted_without_losing_rows(tmp_path, schema_file):
    path = str(tmp_path / "availability.sqlite")
    _old_file(path, schema_file)
    adb = AvailabilityDB(path)
    with adb.read() as db:
        assert migrate.current(db) == migrate.head()
        order = db.execute(select(holds_table.c.id).order_by(holds_table.c.created_seq))
        assert order.scalars().all() == ["h_second", "h_first"]  # rowid order kept
    assert migrate.counts(adb) == {
        "api_keys": 1, "facility_versions": 1, "bed_reports": 1, "bed_history": 1,
        "holds": 2, "facility_changes": 1, "outbox": 0, "sync_positions": 0,
        "facility_profiles": 0, "profile_history": 0, "record_verifications": 0,
        "facility_invitations": 0, "public_reports": 0, "public_report_changes": 0,
        "staff_sessions": 0, "jobs_claims": 0, "nudge_contacts": 0, "nudge_sends": 0,
        "nudge_links": 0, "watches": 0, "watch_open_beds": 0, "watch_fires": 0,
        "watch_checks": 0, "outcomes_freshness": 0, "webhook_subscriptions": 0,
        "webhook_deliveries": 0}
    assert reports.facility_version(adb.read(), "test:a") == 1
    assert _report(adb, available=2).version == 2  # reason, outbox: all there now
    adb.close()


def test_workers_starting_together_migrate_once(tmp_path, availability_backend):
    url = os.environ.get("AVAILABILITY_URL")
    if url:  # a database with nothing in it yet, not the migrated template
        from tests.availability_backends import Server

        server = Server(url.rpartition("/")[0] + "/postgres")
        url = server.create(migrated=False)
    errors, opened = [], []

    def start():
        try:
            opened.append(AvailabilityDB(str(tmp_path / "availability.sqlite"), url=url))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with opened[0].read() as db:
        assert migrate.current(db) == migrate.head()
    for adb in opened:
        adb.close()
    if url:
        server.drop(url)
        server.engine.dispose()


def test_one_command_copies_a_sqlite_deployment_to_postgresql(tmp_path, pg_server):
    path = str(tmp_path / "availability.sqlite")
    _old_file(path, "schema_outbox_release.sql")
    old = AvailabilityDB(path)
    _report(old, available=5)
    key_id, key = keys.create(old, "admin")
    from directory_service.webhooks import deliver_to_url
    from directory_service.webhooks.store import new_secret
    deliver_to_url(old, "https://93.184.215.14/hook", new_secret(), "t.test", {}, "k")
    old.close()
    target = pg_server.create(migrated=False)
    runner = CliRunner()
    done = runner.invoke(main, ["migrate-availability", "--from", path, "--to", target])
    assert done.exit_code == 0, done.output
    assert "bed_history\t2" in done.output and "api_keys\t2" in done.output
    new = AvailabilityDB(url=target)
    assert migrate.counts(new) == migrate.counts(AvailabilityDB(path))
    assert keys.verify(new, key).key_id == key_id
    # Sequences continue after the copied numbers: the next entry is not a duplicate.
    assert _report(new, available=4).version == 3
    total, entries = reports.history(new, "test:a", 1, 10)
    assert total == 3 and entries[0]["seq"] == 3
    assert deliver_to_url(new, "https://93.184.215.14/hook", new_secret(), "t.test", {}, "k")
    again = runner.invoke(main, ["migrate-availability", "--from", path, "--to", target])
    assert again.exit_code != 0 and "already has rows" in again.output
    new.close()
    pg_server.drop(target)


def test_an_unreachable_database_is_503_and_not_ready(tmp_path, monkeypatch):
    """A PostgreSQL nobody listens on: the API starts, says why it is not ready, and
    answers 503 problem+json where it needs the database."""
    monkeypatch.setenv("AVAILABILITY_URL", f"postgresql://nobody@127.0.0.1:{free_port()}/x")
    monkeypatch.setenv("AVAILABILITY_CONNECT_TIMEOUT_S", "2")
    app = make_app(tmp_path)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["availability"] == {
        "ok": False, "backend": "postgresql", "error": "OperationalError"}
    assert ready.get_json()["ok"] is True  # the search store itself is fine
    # Search degrades instead (tests/test_availability_outage.py): index figures, marked.
    search = client.get("/v1/search?near=Naperville,%20IL")
    assert search.status_code == 200 and search.get_json()["live_figures"] == "unavailable"
    for response in (client.get("/v1/facilities/test:a/beds"),
                     client.post("/v1/facilities/test:a/holds", json={},
                                 headers={"Authorization": "Bearer k_x.y"})):
        assert response.status_code == 503
        assert response.headers["Content-Type"] == "application/problem+json"
        assert "availability database" in response.get_json()["detail"]
        assert response.headers["Retry-After"] == "5"
    app.extensions["availability"].close()
    app.extensions["store"].close()


def test_a_database_outage_recovers_without_a_restart(tmp_path, pg_server, monkeypatch):
    url = pg_server.create()
    name = url.rpartition("/")[2]
    monkeypatch.setenv("AVAILABILITY_URL", url)
    app = make_app(tmp_path)
    client = app.test_client()
    coach = bearer(app, "coach")
    hold = {"level_of_care": "3.7-WM", "population": "adult_men"}
    assert client.get("/readyz").status_code == 200
    pg_server.sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
    pg_server.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  f"WHERE datname = '{name}'")
    assert client.get("/readyz").status_code == 503
    refused = client.post("/v1/facilities/test:a/holds", json=hold, headers=coach)
    assert refused.status_code == 503
    pg_server.sql(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    assert client.get("/readyz").get_json()["availability"]["ok"] is True
    assert client.post("/v1/facilities/test:a/holds", json=hold, headers=coach).status_code == 201
    app.extensions["availability"].close()
    app.extensions["store"].close()
    pg_server.drop(url)


def test_sqlite_stays_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("AVAILABILITY_URL", raising=False)
    app = make_app(tmp_path)
    adb = app.extensions["availability"]
    assert adb.url == sqlite_url(str(tmp_path / "availability.sqlite"))
    with adb.read() as db:
        assert db.dialect.name == "sqlite"
        assert db.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    ready = app.test_client().get("/readyz").get_json()["availability"]
    assert ready["ok"] is True and ready["backend"] == "sqlite" and ready["disk_free_mb"] > 0
    adb.close()
    app.extensions["store"].close()


def test_the_fast_read_path_answers_as_core_and_raises_sqlalchemy_errors(tmp_path):
    """`Reader.rows` (the two reads every search makes) gives what the Core query gives,
    and a driver error comes out as SQLAlchemy's OperationalError (a 503, not a 500)."""
    from directory_service.availability import changes
    from directory_service.availability.db import AvailabilityDB, mark_changed

    adb = AvailabilityDB(str(tmp_path / "a.sqlite"))
    for facility in ("x", "y", "x"):
        with adb.write() as db:
            mark_changed(db, facility)
    with adb.read() as conn:  # a Connection: the Core path
        assert changes.current_seq(conn) == changes.current_seq(adb.read()) == 3
        assert changes.changed_since(conn, 0) == changes.changed_since(adb.read(), 0) \
            == [("y", 2), ("x", 3)]
    with adb.write() as db:
        db.execute(text("DROP TABLE facility_changes"))
    with pytest.raises(sa_exc.OperationalError, match="facility_changes"):
        changes.current_seq(adb.read())
    adb.close()


def test_the_migrations_build_exactly_the_tables_the_code_declares(tmp_path,
                                                                   availability_backend):
    # A column added to schema.py without its migration (or the reverse) is a database
    # that differs between a fresh install and an upgraded one.
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from directory_service.availability import schema

    adb = open_adb(tmp_path / "availability.sqlite")
    migrate.upgrade(adb)
    with adb.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), schema.metadata) == []
