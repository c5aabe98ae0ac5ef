"""Whose turn it is in a gevent worker, between one request of a keep-alive connection and
its next (gunicorn.conf.py `post_request`).

A client that sends its next request at once finds it already readable, so without a yield
gevent never switches and one busy connection keeps the worker (issue 15). `gevent.sleep(0)`
was that yield, but it queues the greenlet as a loop callback, and gevent runs callbacks —
new ones included — in batches of 50 before it looks at sockets again: under load the busy
connections took turns among themselves, ~50 searches of 2 ms at a time, while a connection
whose request had to be read from the socket waited: a p99 of 0.7–1.2 s at 16 connections,
with the same shape for a bare page burning 2 ms of CPU (issue 25 §2 and §5).

Here the greenlet waits until the loop has nothing else ready (an idle watcher), so every
connection with a request waiting goes first, but at most IDLE_WAIT_S: a worker that is
never idle still serves the busy connection as an ordinary timer, in turn with the others.
Measured in one run, same 16 connections: p99 1.16 / 1.07 / 0.72 s → 0.30 / 0.23 / 0.32 s
(docs/performance-history.md, "The tail, found").
"""
import gevent

IDLE_WAIT_S = 0.02


def let_waiting_connections_go_first(wait_s=IDLE_WAIT_S):
    """Yield until the worker's loop is idle or `wait_s` has passed, whichever is first."""
    with gevent.Timeout(wait_s, False):
        gevent.idle()
