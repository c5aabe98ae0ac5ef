"""Where an HTTP search spends its time: the 200 fixed queries through Flask's test client
under pyinstrument (or timed only, with --no-profile).

    .venv/bin/python bench/profile_search.py [--size 100000] [--repeat 5] [--html out.html]
        [--distinct 2000] [--store path]

The store is built fast (bench/loopback.build_store); the app is the real one
(create_app, rate limits off), so the profile is the request path a worker runs, less
gunicorn and the socket.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.loopback import build_store  # noqa: E402
from bench.run import SHARED, now_stamp, search_paths, synthetic  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--html")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--distinct", type=int, default=0,
                        help="profile this many distinct searches (bench/distinct_queries.py) "
                             "instead of the 200 fixed ones")
    parser.add_argument("--store", help="store file to use (built there when absent)")
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="profile-")
    store = args.store or os.path.join(base, "directory.sqlite")
    if not os.path.exists(store):
        build_store(args.size, store, SHARED, now_stamp().isoformat().replace("+00:00", "Z"))
    os.environ.update(STORE_PATH=store, AVAILABILITY_PATH=os.path.join(base, "a.sqlite"),
                      RATE_LIMIT_ENABLED="false", LOG_LEVEL="WARNING")
    from directory_service import create_app

    client = create_app().test_client()
    if args.distinct:
        from bench.distinct_queries import paths as distinct_paths

        paths = distinct_paths(synthetic(SHARED).METROS, args.distinct)
    else:
        paths = search_paths(list(synthetic(SHARED).queries()))
    for path in paths[:20]:
        assert client.get(path).status_code == 200
    profiler = None
    if not args.no_profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    times = []
    for _ in range(args.repeat):
        for path in paths:
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
    if profiler:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=os.environ.get("SHOW_ALL") == "1"))
        if args.html:
            with open(args.html, "w") as fh:
                fh.write(profiler.output_html())
    times.sort()
    print(f"{len(times)} requests: median {statistics.median(times):.2f} ms, "
          f"p99 {times[int(len(times) * 0.99) - 1]:.2f} ms")


if __name__ == "__main__":
    main()
