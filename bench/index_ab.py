"""Indexing N synthetic records, an old commit and this tree alternated in one run
(issue 25 item 3): wall time, CPU time, time spent waiting for a CPU, peak RSS, and
whether the two index files hold the same content.

    .venv/bin/python bench/index_ab.py --against <commit> [--size 100000] [--rounds 2]
        [--no-compare]

Each side runs the bench's index child (bench/run.py `index_child`: synthetic rows →
`canonical` → `RecordSchema.load` → `SqliteIndexWriter`) in a process of its own, the old
commit as a `git archive` put first on PYTHONPATH (as bench/served_ab.py does), old then
new in every round. Bed reports carry one pinned time, so the two files can be compared:
their SQL dumps (every table, the FTS and R*Tree shadow tables included), but the
`built_at` line, hashed. On a shared machine the wall time is mostly the other work's:
the CPU time (the load and rows processes included, and shown apart) and the main
process's wait for a CPU (/proc/self/schedstat) are printed beside it, with the 1-minute
load average; only ratios of one run mean anything. Peak RSS is each process's own.
"""
import argparse
import hashlib
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
STAMP = "2026-12-07T12:00:00Z"


def child(n, path, stamp, shared):
    """One indexing run in this process, as bench/run.py's index child; prints JSON."""
    sys.path.insert(0, os.path.join(os.path.abspath(shared), "bench"))
    import synthetic

    from bench.search_bench import canonical
    from directory_service.schemas.records import RecordSchema
    from directory_service.search.embedded.writer import SqliteIndexWriter

    schema = RecordSchema()
    waited = _runqueue_s()
    started, cpu = time.perf_counter(), cpu_s()
    try:  # rows validated and encoded in a second process (load_apart.py), where it exists
        from directory_service.search.embedded.load_apart import load_rows
    except ImportError:
        load_rows = None
    loader = {}
    with SqliteIndexWriter(path) as writer:
        rows = (canonical(row, stamp) for row in synthetic.records(n))
        if load_rows is None:
            for row in rows:
                writer.add(schema.load(row))
        else:
            with closing(load_rows(schema, rows, stats=loader)) as loaded_rows:
                for loaded in loaded_rows:
                    if loaded.messages:
                        raise ValueError(f"invalid row: {loaded.messages}")
                    writer.add_encoded(loaded.key, loaded.doc)
        writer.commit()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The child's own VmHWM: getrusage's children maxrss keeps this process's RSS from
    # before the child's exec.
    child_peak = getattr(writer, "rows_peak_rss_mb", None) or 0
    print(json.dumps({"wall_s": round(time.perf_counter() - started, 2),
                      "cpu_s": round(cpu_s() - cpu, 2),
                      "child_cpu_s": round(children.ru_utime + children.ru_stime, 2),
                      "wait_cpu_s": round(_runqueue_s() - waited, 2),
                      "peak_rss_mb": round(resource.getrusage(
                          resource.RUSAGE_SELF).ru_maxrss / 1024),
                      "child_peak_rss_mb": child_peak,
                      "loader_peak_rss_mb": loader.get("peak_rss_mb") or 0}))


def cpu_s():
    """CPU seconds of this process and of the children it waited for (the load and rows
    processes, when it has them)."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _runqueue_s():
    """Seconds this process has waited, runnable, for a CPU (Linux schedstat)."""
    try:
        with open("/proc/self/schedstat") as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def run_side(pythonpath, n, path, timeout):
    env = {**os.environ, "PYTHONPATH": pythonpath}
    load = os.getloadavg()[0]
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", str(n), path],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode:
        raise RuntimeError(f"indexing failed: {out.stderr[-2000:]}")
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "load_1m": round(load, 1)}


def content_hash(path):
    """SHA-256 of the file's SQL dump, the meta table's `built_at` and `column_file` rows
    (each build's own) left out, then of its column file's bytes (schema 5 and later)."""
    digest = hashlib.sha256()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for line in db.iterdump():
            if line.startswith(("INSERT INTO \"meta\" VALUES('built_at'",
                                "INSERT INTO \"meta\" VALUES('column_file'")):
                continue
            digest.update(line.encode("utf-8", "surrogatepass") + b"\n")
        row = db.execute("SELECT value FROM meta WHERE key = 'column_file'").fetchone()
        if row:
            with open(os.path.join(os.path.dirname(path), row[0]), "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    finally:
        db.close()
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", default="main")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds, each side")
    parser.add_argument("--no-compare", action="store_true",
                        help="skip the dump comparison (slow at 1M)")
    parser.add_argument("--child", nargs=2, metavar=("N", "PATH"))
    parser.add_argument("--shared", default=SHARED)
    args = parser.parse_args()
    if args.child:
        return child(int(args.child[0]), args.child[1], STAMP, args.shared)
    sys.path.insert(0, ROOT)
    from bench.loopback import old_tree

    base = tempfile.mkdtemp(prefix="index-ab-")
    try:
        old = old_tree(base, args.against)
        sides = {f"old ({args.against})": f"{old}:{ROOT}", "new (this tree)": ROOT}
        figures = {name: [] for name in sides}
        paths = {}
        for round_no in range(1, args.rounds + 1):
            for name, pythonpath in sides.items():
                path = os.path.join(base, f"{len(paths)}.sqlite")
                got = run_side(pythonpath, args.size, path, args.timeout)
                figures[name].append(got)
                print(f"round {round_no} {name:22s} wall {got['wall_s']:7.2f} s  cpu "
                      f"{got['cpu_s']:7.2f} s (other processes {got['child_cpu_s']:5.2f} s)  "
                      f"waiting for a cpu {got['wait_cpu_s']:7.2f} s  peak RSS "
                      f"{got['peak_rss_mb']:5d} MB (rows process "
                      f"{got['child_peak_rss_mb']:4d} MB, load process "
                      f"{got.get('loader_peak_rss_mb', 0):4d} MB)  load {got['load_1m']}",
                      flush=True)
                if round_no == 1:
                    paths[name] = path
                else:
                    os.remove(path)
        old_name, new_name = sides
        for key in ("wall_s", "cpu_s"):
            ratios = [o[key] / n[key] for o, n in zip(figures[old_name], figures[new_name])]
            print(f"old / new {key}: " + ", ".join(f"{r:.2f}x" for r in ratios))
        print(f"load (1 min) at the end: {os.getloadavg()[0]:.1f}")
        if not args.no_compare:
            hashes = {name: content_hash(path) for name, path in paths.items()}
            same = len(set(hashes.values())) == 1
            print("index files' content (SQL dump but built_at):",
                  "identical" if same else f"DIFFERENT {hashes}")
            return 0 if same else 1
        return 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
