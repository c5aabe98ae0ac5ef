"""The served answers must be the in-process ones, compared at one moment (issue 25).

Ranking decays bed figures with the clock, so answers computed minutes apart may rightly
differ; bench/run.py computes its in-process answers at one moment and serves the store
with the search clock pinned there (bench/pinned_app.py), then requires every answer to
be the same: filter total and ids in order. Any difference then is the code's.
"""
import requests

from bench.loopback import Gunicorn
from bench.pinned_app import ENV


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def served_answers(url, paths):
    """(total, ids in order) of every path, as the server answers it."""
    answers = []
    with requests.Session() as session:
        for path in paths:
            body = session.get(url + path, timeout=30).json()
            answers.append((body["total"], [h["id"] for h in body["results"]]))
    return answers


def differences(ours, served):
    """Every query whose served answer is not the in-process one: the same filter total
    and the same ids in the same order, nothing looser. Both must be computed at one
    moment (bench/pinned_app.py): ranking moves with the clock, so answers minutes apart
    may rightly differ (issue 25)."""
    found = [f"query {i}: in process {a[0]} {list(a[1])}, served {b[0]} {list(b[1])}"
             for i, (a, b) in enumerate(zip(ours, served))
             if a[0] != b[0] or list(a[1]) != list(b[1])]
    if len(ours) != len(served):
        found.append(f"{len(ours)} answers in process, {len(served)} served")
    return found


def check_served(env, paths, ours, now, workers=2):
    """Serve the store with the search clock pinned at `now` (the in-process moment) and
    compare all the answers; the problems, none when they agree."""
    with Gunicorn({**env, ENV: iso(now)}, workers=workers,
                  extra_args=["bench.pinned_app:app"]) as pinned:
        found = differences(ours, served_answers(pinned.url, paths))
    for line in found[:5]:
        print(f"  differs: {line}")
    return [f"{len(found)} served answers differ from the in-process ones "
            f"at the same moment ({iso(now)})"] if found else []
