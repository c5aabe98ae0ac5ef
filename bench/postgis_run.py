"""The PostGIS peer of `make bench`, run in a throwaway PostgreSQL cluster of its own.

The peer (../shared/bench/postgis_peer.py, run from there, never copied) answers the same
200 fixed queries by the same formula from a GiST index. It needs a database to load into;
the bench starts its own cluster in a temporary directory (tests/availability_backends.py:
Debian's initdb/pg_ctl, loopback, a free port), creates `bench` with PostGIS in it, points
the peer there with libpq's PG* variables and removes the cluster after, so nothing on the
machine is touched and no system cluster is needed. When the server binaries, PostGIS or
psycopg2 are missing it says which, and the run goes on without the peer.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

INSTALL = "apt-get install postgresql-15-postgis-3"


def parse(out):
    """The peer's printed figures, or None when it printed none (it failed)."""
    found = re.search(r"median ([\d.]+) ms, p99 ([\d.]+) ms", out)
    if not found:
        return None
    load = re.search(r"load\+index: ([\d.]+) s", out)
    top = re.search(r"last query top 3: \[(.*)\]", out)
    return {"median_ms": float(found.group(1)), "p99_ms": float(found.group(2)),
            "load_s": float(load.group(1)) if load else None,
            "last_top3": re.findall(r"'([^']*)'", top.group(1)) if top else None}


def run_peer(shared, jsonl, timeout):
    """(figures, "") from the peer in its own cluster, or (None, why it was not run)."""
    try:
        import psycopg2
    except ImportError:
        return None, "psycopg2 is not installed (pip install psycopg2-binary)"
    from tests.availability_backends import Cluster

    try:
        cluster = Cluster(durable=True).start()
    except RuntimeError as exc:
        return None, f"no PostgreSQL server: {exc}"
    try:
        admin = psycopg2.connect(host="127.0.0.1", port=cluster.port, user="postgres",
                                 dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute("create database bench")
        admin.close()
        db = psycopg2.connect(host="127.0.0.1", port=cluster.port, user="postgres",
                              dbname="bench")
        db.autocommit = True
        try:
            db.cursor().execute("create extension postgis")
        except psycopg2.Error as exc:
            return None, f"PostGIS is not installed ({INSTALL}): {str(exc).strip()}"
        finally:
            db.close()
        env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(cluster.port),
               "PGUSER": "postgres"}
        done = subprocess.run([sys.executable, "postgis_peer.py", jsonl], env=env,
                              capture_output=True, text=True, timeout=timeout,
                              cwd=os.path.join(shared, "bench"))
        figures = parse(done.stdout)
        if figures is None:
            return None, f"the peer failed: {(done.stdout + done.stderr)[-300:]}"
        return figures, ""
    finally:
        cluster.stop()
