"""Searches that keep running while something else happens (a re-index, a swap): each
client thread cycles through its share of the queries and records every latency.

With a rate the clients are paced (each thread sends on its own schedule and never
catches up on a missed slot), so the server has headroom and a slow search is the
re-index's or the swap's doing, not a queue of requests the machine could not serve
anyway; without one they send back to back (the most pressure)."""
import threading
import time

import requests

# The searches/s sent during `make bench`'s re-index (four clients together).
REINDEX_RATE = 60
CONTROL_S = 10


def searcher(url, paths, stop, slow, errors, lock, interval=0.0):
    session, i = requests.Session(), 0
    next_at = time.perf_counter()
    while not stop.is_set():
        if interval:
            wait = next_at - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            next_at = max(next_at + interval, time.perf_counter())
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
    session.close()


def _searching(url, paths, threads, rate, during):
    """Latencies and errors of `threads` clients searching while `during()` runs."""
    stop, lock, slow, errors = threading.Event(), threading.Lock(), [], []
    interval = threads / rate if rate else 0.0
    clients = [threading.Thread(target=searcher, daemon=True,
                                args=(url, paths[i::threads], stop, slow, errors, lock, interval))
               for i in range(threads)]
    for client in clients:
        client.start()
    result = during()
    stop.set()
    for client in clients:
        client.join(timeout=90)
    return slow, errors, result


def _figures(slow, errors):
    from bench.run import pct

    return {"searches": len(slow), "slowest_ms": round(max(slow), 1),
            "p99_ms": round(pct(slow, 0.99), 1), "over_100ms": sum(s > 100 for s in slow),
            "errors": len(errors)}


def reindex_under_load(url, paths, n, store_path, shared, threads=4, rate=REINDEX_RATE):
    """Index `n` records into `store_path` (bench.run.index, niced) while `threads` clients
    search at `rate` searches/s together; the figures of the searches over the whole run and
    3 s after the swap, and of the same load for CONTROL_S before it (the machine's own
    tail, nothing being indexed)."""
    from bench.run import REINDEX_NICE, index

    control = _figures(*_searching(url, paths, threads, rate, lambda: time.sleep(CONTROL_S))[:2])

    def reindex():
        figures = index(n, store_path, shared, timeout=3600, nice=REINDEX_NICE)
        time.sleep(3)  # searches after the swap
        return figures

    slow, errors, figures = _searching(url, paths, threads, rate, reindex)
    return {"index_s": figures["index_s"], **_figures(slow, errors), "rate": rate,
            "control": control}
