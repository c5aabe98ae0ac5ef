"""Compare data with a committed JSON fixture; `REGENERATE_GOLDEN=1` rewrites the fixture.

The comparison is the test: regeneration is a deliberate act whose diff is reviewed.
"""
import json
import os

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def load(folder, name):
    with open(os.path.join(FIXTURES, folder, name), encoding="utf-8") as fh:
        return json.load(fh)


def matches_golden(folder, name, data):
    """True when `data` equals fixtures/<folder>/<name> (after a JSON round trip)."""
    path = os.path.join(FIXTURES, folder, name)
    actual = json.loads(json.dumps(data))
    if os.environ.get("REGENERATE_GOLDEN"):
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(actual, fh, indent=2, sort_keys=True)
            fh.write("\n")
    return actual == load(folder, name)
