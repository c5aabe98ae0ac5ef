"""Searches that keep running while something else happens (a re-index, a swap): each
client thread cycles through its share of the queries and records every latency."""
import threading
import time

import requests


def searcher(url, paths, stop, slow, errors, lock):
    session, i = requests.Session(), 0
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status = session.get(url + paths[i % len(paths)], timeout=60).status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            slow.append(elapsed)
            if status != 200:
                errors.append(status)
        i += 1


def reindex_under_load(url, paths, n, store_path, shared, threads=4):
    """Index `n` records into `store_path` (bench.run.index, niced) while `threads` clients
    search; the figures of the searches over the whole run and 3 s after the swap."""
    from bench.run import REINDEX_NICE, index, pct

    stop, lock, slow, errors = threading.Event(), threading.Lock(), [], []
    workers = [threading.Thread(target=searcher, daemon=True,
                                args=(url, paths[i::threads], stop, slow, errors, lock))
               for i in range(threads)]
    for worker in workers:
        worker.start()
    figures = index(n, store_path, shared, timeout=3600, nice=REINDEX_NICE)
    time.sleep(3)  # searches after the swap
    stop.set()
    for worker in workers:
        worker.join(timeout=90)
    return {"index_s": figures["index_s"], "searches": len(slow),
            "slowest_ms": round(max(slow), 1), "p99_ms": round(pct(slow, 0.99), 1),
            "over_100ms": sum(s > 100 for s in slow), "errors": len(errors)}
