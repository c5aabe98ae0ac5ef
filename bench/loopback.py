"""Helpers the benchmark scripts share: a real gunicorn on 127.0.0.1, its workers' memory,
and a large synthetic store built fast.

Only loopback: the server binds 127.0.0.1 on a free port and is stopped on exit, so a
bench never listens on a public interface or outlives its run.
"""
import copy
import os
import socket
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py` (the served settings) with `env` on a loopback port."""

    def __init__(self, env, workers=None, extra_args=(), health="/healthz"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "BIND": f"127.0.0.1:{self.port}"}
        if workers:
            self.env["WEB_CONCURRENCY"] = str(workers)
        self.extra_args = list(extra_args)
        self.health = health
        self.proc = None

    def __enter__(self):
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py", *self.extra_args],
                                     cwd=ROOT, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.output()}")
            try:
                if requests.get(self.url + self.health, timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("gunicorn did not start within 90 s")

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None) is not None:
            self.log.close()  # output() is read inside the `with`, never after

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def cpu_seconds(self):
        """CPU time the workers have used so far: live workers' own, plus what the master
        has collected from workers that exited (max_requests restarts)."""
        ticks = _stat_fields(self.proc.pid)
        total = int(ticks[13]) + int(ticks[14]) if ticks else 0
        for pid in self.worker_pids():
            fields = _stat_fields(pid)
            if fields:
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def worker_pids(self):
        """The master's children (its workers), from /proc."""
        pids = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    pids.append(int(name))
        return sorted(pids)


def _stat_fields(pid):
    """/proc/<pid>/stat after the command name (field 3 onwards), or None when gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def rss_mb(pid):
    """Resident memory of one process in MB (VmRSS), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def pss_mb(pid):
    """Proportional set size of one process in MB (Pss in /proc/<pid>/smaps_rollup): pages
    shared with other processes (a memory-mapped file both workers read) count once, split
    between them, where RSS counts them in each. None when the process is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def workers_memory(server):
    """The workers' memory together: PSS (the honest sum) and RSS (shared pages counted
    in each), in MB."""
    pids = server.worker_pids()
    pss = [pss_mb(pid) for pid in pids]
    rss = [rss_mb(pid) for pid in pids]
    return {"workers": len(pids), "pss_mb": round(sum(v for v in pss if v), 1),
            "rss_mb": round(sum(v for v in rss if v), 1)}


def copy_store(source, target):
    """A store file copied with the column file its meta names (schema 5 and later), which
    must lie in the same directory as the copy."""
    import shutil
    import sqlite3

    shutil.copyfile(source, target)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'column_file'").fetchone()
    if row:
        shutil.copyfile(os.path.join(os.path.dirname(source), row[0]),
                        os.path.join(os.path.dirname(target), row[0]))


def synthetic_rows(n, shared):
    sys.path.insert(0, os.path.join(os.path.abspath(shared), "bench"))
    import synthetic

    return synthetic.records(n)


def build_store(n, path, shared, reported_at):
    """An embedded store of `n` synthetic records (../shared/bench/synthetic.py).

    One record per kind and level set is validated with the record schema; the rest are
    copies of a validated record with their own id, name, point and beds, so a million
    records build in minutes rather than the quarter hour per-row validation takes (the
    indexer's own speed is bench/search_bench.py's business, not this one's)."""
    from bench.search_bench import canonical
    from directory_service.schemas.records import RecordSchema
    from directory_service.search.embedded.writer import SqliteIndexWriter

    schema, validated = RecordSchema(), {}
    with SqliteIndexWriter(path) as writer:
        for row in synthetic_rows(n, shared):
            record = canonical(row, reported_at)
            key = (record["kind"], tuple(record.get("levels_of_care") or ()),
                   tuple(record.get("payment") or ()))
            template = validated.get(key)
            if template is None:
                template = validated[key] = schema.load(record)
                writer.add(template)
                continue
            clone = copy.deepcopy(template)
            clone.update(id=record["id"], name=record["name"], timezone=record["timezone"])
            clone["location"] = dict(template["location"], **record["location"])
            if record.get("beds"):
                clone["beds"] = [dict(template["beds"][0], **record["beds"][0])]
            writer.add(clone)
        writer.commit()
    return path


def old_tree(base, commit):
    """`commit`'s files, extracted from git into `base`/old, to put first on PYTHONPATH
    (the old side of every A/B script here)."""
    old = os.path.join(base, "old")
    os.makedirs(old)
    archive = subprocess.run(["git", "-C", ROOT, "archive", commit],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
    return old
