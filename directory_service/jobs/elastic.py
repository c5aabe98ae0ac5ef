"""The Elasticsearch outbox consumer: the runner's one pusher of live changes.

It replaces each API worker's polling thread and the push each write made (issue 23):
a write enqueues this consumer (jobs.after_write), the runner runs it, and the outbox
lease (availability/outbox.py) keeps two nodes' runners from pushing the same rows at
once. Each run takes the lease under a token of its own (two worker threads of one
runner are two holders) and gives it up when caught up, so another node's run waits
at most one batch. A run that finds the lease taken answers `busy` and is retried
shortly; a cluster that refuses raises, and the runner retries with backoff.
"""
import random

from directory_service.availability import outbox
from directory_service.search.elastic import sync


def _outbox_sync(app):
    make = getattr(app.extensions["store"], "outbox_sync", None)
    return make() if make is not None else None


def push(app, now):
    """Push every pending change to the serving index; the catch-up's counts. Nothing
    to do for the embedded store (it reads the availability database itself)."""
    consumer = _outbox_sync(app)
    if consumer is None:
        return {"skipped": "embedded store"}
    consumer.holder = random.SystemRandom().randrange(1, 2 ** 62)
    try:
        return consumer.catch_up()
    finally:
        consumer.release_lease()


def position(app):
    """How far the serving index has been synced (0 before the first index run), or None
    when this deployment has no engine copy to keep (the embedded store)."""
    consumer = _outbox_sync(app)
    if consumer is None:
        return None
    index = consumer.serving_index()
    if index is None:
        return 0
    return outbox.position(app.extensions["availability"].read(), sync.target(index))
