"""`make fuzz`: schemathesis over every operation of the OpenAPI document, writes included,
with keys, and stateful along its links (tests/test_fuzz_openapi.py), long enough to
matter; then a summary: requests per operation and status, and a failure when fewer than
FUZZ_MIN_REQUESTS were generated (a fuzzer that silently ran nothing is not a pass).

    .venv/bin/python scripts/fuzz.py [pytest args]

FUZZ_EXAMPLES (per operation, default 150), FUZZ_STEPS (per stateful scenario,
default 10) and FUZZ_MIN_REQUESTS (default 1000) tune it. In process (WSGI): no port.
"""
import collections
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.chdir(ROOT)


def main(argv):
    os.environ.setdefault("FUZZ_EXAMPLES", "150")
    os.environ.setdefault("FUZZ_STEPS", "10")
    minimum = int(os.environ.get("FUZZ_MIN_REQUESTS", "1000"))
    import pytest

    started = time.monotonic()
    code = pytest.main(["-q", "-p", "no:cacheprovider", "tests/test_fuzz_openapi.py", *argv])
    from tests.fuzz_app import REQUESTS

    per_operation = collections.Counter((m, p) for m, p, _, _ in REQUESTS)
    statuses = collections.Counter(s for _, _, s, _ in REQUESTS)
    stateful = sum(1 for *_, chained in REQUESTS if chained)
    print(f"\nfuzz: {len(REQUESTS)} generated requests over {len(per_operation)} operations "
          f"({stateful} in stateful sequences) in {time.monotonic() - started:.0f} s")
    for (method, path), n in sorted(per_operation.items(), key=lambda kv: kv[0][1]):
        codes = collections.Counter(s for m, p, s, _ in REQUESTS if (m, p) == (method, path))
        print(f"  {n:5d}  {method:6} {path}  " + " ".join(
            f"{s}×{c}" for s, c in sorted(codes.items())))
    print("statuses: " + " ".join(f"{s}×{c}" for s, c in sorted(statuses.items())))
    errors = sum(c for s, c in statuses.items() if s >= 500)
    print(f"server errors: {errors}")
    if code != 0:
        return int(code)
    if len(REQUESTS) < minimum:
        print(f"fuzz FAILED: {len(REQUESTS)} requests, fewer than {minimum}")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
