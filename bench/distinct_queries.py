"""10,000 distinct /v1/search requests for the HTTP figures, so no cache can carry them.

The 200 fixed queries (../shared/bench/synthetic.py) repeat every 200 requests: a cache
of answers would make the req/s figure without making search any faster (issue 25).
These are deterministic (seeded), spread over the synthetic metros by their weights, and
mix kinds, levels of care, payment, radius, unit, page size and the bed filter; no two
paths are equal. bench/run.py writes them to a file that bench/cycle.lua cycles through.
"""
import random

KIND_SETS = [("treatment_facility",)] * 4 + [
    ("meeting",), ("naloxone_site",), ("takeback_site",),
    ("treatment_facility", "meeting"), ("naloxone_site", "takeback_site"), ()]
PAYMENTS = ["medicaid", "medicare", "private", "self_pay", "sliding_fee", "va",
            "state_funded", "uninsured"]
LEVELS = ["3.7-WM", "3.5", "3.1", "2.1", "1", "4-WM", "3.2-WM", "0.5"]


def paths(metros, n=10_000, seed=25):
    """`n` distinct search paths around `metros` ((lat, lon, weight) triples)."""
    r, seen, out = random.Random(seed), set(), []
    weights = [m[2] for m in metros]
    while len(out) < n:
        lat, lon, _ = r.choices(metros, weights)[0]
        params = [("lat", f"{lat + r.gauss(0, 0.3):.5f}"), ("lon", f"{lon + r.gauss(0, 0.4):.5f}")]
        unit = r.choice(["km", "mi"])
        params += [("radius", str(r.choice([10, 15, 25, 40, 50, 80]))), ("unit", unit)]
        kinds = r.choice(KIND_SETS)
        if kinds:
            params.append(("kind", ",".join(kinds)))
        if not kinds or "treatment_facility" in kinds:
            if r.random() < 0.7:
                params.append(("level_of_care", r.choice(LEVELS)))
            if r.random() < 0.7:
                payment = sorted(r.sample(PAYMENTS, r.randint(1, 2)))
                params.append(("payment", ",".join(payment)))
            if r.random() < 0.3:
                params.append(("has_open_beds", "true"))
        params.append(("per_page", str(r.choice([10, 10, 20]))))
        path = "/v1/search?" + "&".join(f"{k}={v}" for k, v in params)
        if path not in seen:
            seen.add(path)
            out.append(path)
    return out
