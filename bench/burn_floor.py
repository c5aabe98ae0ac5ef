"""A control for the served search's tail (issue 25 §5): the bare Flask floor's page
(../shared/bench/flask_floor.py) after BURN_MS milliseconds of CPU.

    BURN_MS=1.8 gunicorn -c gunicorn.conf.py bench.burn_floor:app   (PYTHONPATH: ../shared/bench)

Served like the search (same gunicorn settings, workers, wrk), it costs about as much
CPU per request as a search but does none of the search's work: no store, no SQLite, no
JSON of any size. If its p99 is as long as the search's, the tail belongs to serving
CPU-heavy requests this way on this machine, not to anything a search does
(bench/served_ab.py --burn).
"""
import os
import time

from flask import jsonify
from flask_floor import PAGE, app

BURN_S = float(os.environ.get("BURN_MS", "2")) / 1000


def _burn_then_page():
    end = time.process_time() + BURN_S
    while time.process_time() < end:
        pass
    return jsonify(PAGE)


app.view_functions["search"] = _burn_then_page
