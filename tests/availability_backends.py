"""The availability database on both backends: SQLite files and a throwaway PostgreSQL.

`availability_backend` is parametrised ("sqlite", "postgresql"): for PostgreSQL it gives
the test a database of its own (copied from a migrated template) and sets
AVAILABILITY_URL, so every app, key and AvailabilityDB the test makes uses it.

The server: TEST_POSTGRES_URL (an existing server whose user may create databases), or a
cluster started here with Debian's initdb/pg_ctl in a temporary directory (as an
unprivileged user when run as root, since initdb refuses root) on 127.0.0.1 and a free
port, stopped at the end of the session. When it cannot start, the PostgreSQL tests skip
with the reason, except under CI=true, where they fail.
"""
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import pytest

from tests.needs import missing

TEMPLATE = "availability_template"
_names = itertools.count(1)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin():
    found = shutil.which("pg_ctl")
    if found:
        return os.path.dirname(os.path.realpath(found))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return os.path.dirname(versions[-1]) if versions else None


class Cluster:
    """initdb + pg_ctl in a temporary directory; `url` is its superuser's URL."""

    def __init__(self, durable=False):
        self.durable = durable
        self.bin = _pg_bin()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL server binaries (pg_ctl): run "
                               "scripts/install_postgres.sh (Debian's postgresql package)")
        self.dir = tempfile.mkdtemp(prefix="availability-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = "nobody"
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args):
        command = [os.path.join(self.bin, args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")

    def start(self):
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        return self.resume()

    def halt(self):
        """Stop the server (its files kept; every connection cut): an outage to recover
        from. `fast`, not `immediate`: without fsync (tests) a crash may lose the schema."""
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def resume(self):
        """Start the server on its files and port (after `start`'s initdb, or `halt`)."""
        # Enough connections for two nodes of gunicorn workers. Tests need no fsync; a
        # benchmark (`durable`) keeps PostgreSQL's defaults, as SQLite keeps FULL.
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=300")
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l",
                  os.path.join(self.dir, "log"), "-w", "-t", "60", "start")
        return self

    def stop(self):
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """Creates databases on a PostgreSQL server through its admin URL."""

    def __init__(self, admin_url):
        from sqlalchemy import create_engine

        self.admin_url = admin_url
        url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)
        self.template = False

    def url(self, name):
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"

    def sql(self, statement):
        from sqlalchemy import text

        with self.engine.connect() as conn:
            conn.execute(text(statement))

    def create(self, name=None, migrated=True):
        """A new empty database (migrated to head when `migrated`); returns its URL."""
        name = name or f"avail_{os.getpid()}_{next(_names)}"
        if migrated and not self.template:
            from directory_service.availability.db import AvailabilityDB

            self.sql(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            self.sql(f"CREATE DATABASE {TEMPLATE}")
            AvailabilityDB(url=self.url(TEMPLATE)).close()
            self.template = True
        # FILE_COPY: twice as fast as the default WAL_LOG for a small template.
        self.sql(f"CREATE DATABASE {name}" + (
            f" TEMPLATE {TEMPLATE} STRATEGY FILE_COPY" if migrated else ""))
        return self.url(name)

    def drop(self, url):
        self.sql(f"DROP DATABASE IF EXISTS {url.rpartition('/')[2]} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the session, or a skip (a failure under CI=true)."""
    cluster = None
    try:
        if os.environ.get("TEST_POSTGRES_URL"):
            server = Server(os.environ["TEST_POSTGRES_URL"])
        else:
            cluster = Cluster().start()
            server = Server(cluster.url)
        server.sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any reason it cannot start is reported
        if cluster is not None:
            cluster.stop()
        missing(f"PostgreSQL could not start: {exc}")
    yield server
    server.engine.dispose()
    if cluster is not None:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def availability_backend(request, monkeypatch):
    """"sqlite" (AVAILABILITY_PATH files, as each test makes them) or "postgresql" (a
    fresh database of this test's own in AVAILABILITY_URL)."""
    from directory_service.availability.db import AvailabilityDB

    # Every pool the test opens is closed at its end (apps are not always closed).
    engines, create = [], AvailabilityDB._create_engine
    monkeypatch.setattr(AvailabilityDB, "_create_engine",
                        lambda self: engines.append(create(self)) or engines[-1])
    if request.param == "sqlite":
        monkeypatch.delenv("AVAILABILITY_URL", raising=False)
        yield "sqlite"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create()
        monkeypatch.setenv("AVAILABILITY_URL", url)
        yield "postgresql"
    for engine in engines:
        engine.dispose()
    if request.param == "postgresql":
        server.drop(url)


def open_adb(path):
    """An AvailabilityDB on the test's backend: AVAILABILITY_URL when set, else `path`."""
    from directory_service.availability.db import AvailabilityDB

    return AvailabilityDB(str(path), url=os.environ.get("AVAILABILITY_URL") or None)
