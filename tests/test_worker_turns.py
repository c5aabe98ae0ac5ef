"""Between two requests of a keep-alive connection the gevent worker lets every connection
whose request waits on its socket go first (gunicorn.conf.py `post_request`,
directory_service/worker_turns.py), but never waits without bound for the loop to idle."""
import gevent
from gevent import socket as gsocket

from directory_service import worker_turns


def turns_before_the_waiting_connection(yield_between_requests, requests=500):
    """One greenlet serves `requests` back to back (its client always has the next one
    ready), yielding between them as given; another waits for a request on its socket,
    which has already arrived. How many requests the busy one served first."""
    ours, theirs = gsocket.socketpair()
    served = [0]
    seen_at = []

    def waiting_connection():
        ours.recv(1)
        seen_at.append(served[0])

    def busy_connection():
        for _ in range(requests):
            served[0] += 1
            yield_between_requests()

    waiting = gevent.spawn(waiting_connection)
    gevent.sleep(0.01)  # it is now blocked reading its socket
    theirs.send(b"G")
    busy = gevent.spawn(busy_connection)
    gevent.joinall([waiting, busy], timeout=30)
    ours.close()
    theirs.close()
    return seen_at[0]


def test_a_request_on_the_socket_goes_before_the_busy_connections_next():
    assert turns_before_the_waiting_connection(
        worker_turns.let_waiting_connections_go_first) <= 1


def test_sleep_zero_let_the_busy_connection_keep_the_worker():
    """What it replaces: gevent runs callbacks (sleep(0) is one) in batches of at least 50
    before it polls sockets, so the waiting connection came after dozens of requests (one
    of the first 50 callbacks starts the busy greenlet: on a box so busy that gevent ends
    the batch at its first check, 49 requests)."""
    assert turns_before_the_waiting_connection(lambda: gevent.sleep(0)) >= 40


def test_a_worker_that_never_idles_still_serves_the_busy_connection():
    """Another greenlet keeps the loop busy for ever: the idle wait gives up after its
    bound and the busy connection's requests go on."""
    stop = []

    def spinner():
        while not stop:
            gevent.sleep(0)

    spinning = gevent.spawn(spinner)
    done = []

    def busy():
        for _ in range(5):
            worker_turns.let_waiting_connections_go_first(wait_s=0.01)
        done.append(True)

    served = gevent.spawn(busy)
    served.join(timeout=20)
    stop.append(True)
    spinning.join(timeout=5)
    assert done == [True]
    # Without the bound it would wait for an idle loop that never comes.
    blocked = gevent.spawn(gevent.idle)
    again = gevent.spawn(spinner)
    stop.clear()
    blocked.join(timeout=0.2)
    assert not blocked.ready()
    stop.append(True)
    again.join(timeout=5)
    blocked.join(timeout=5)


def test_a_started_worker_keeps_what_it_holds_out_of_the_collectors_sight(tmp_path):
    """gunicorn.conf.py `post_worker_init` freezes the worker's heap after opening the
    store: a full garbage collection in a later request no longer walks the app's objects."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    probe = (
        "import gc, runpy, types\n"
        "hooks = runpy.run_path('gunicorn.conf.py')\n"
        "assert gc.get_freeze_count() == 0\n"
        "held = [[i] for i in range(50000)]\n"
        "worker = types.SimpleNamespace(wsgi=types.SimpleNamespace(extensions={}), log=None)\n"
        "hooks['post_worker_init'](worker)\n"
        "print(gc.get_freeze_count() >= 50000)\n")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True"], done.stderr[-2000:]
