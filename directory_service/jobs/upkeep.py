"""The runner's own upkeep: the outbox pruned behind its slowest consumer, old claims gone.

An outbox row may go once EVERY registered consumer (registry.CONSUMERS: Elasticsearch,
webhooks, watches, …) has passed it, i.e. at or below the smallest of their positions,
and once it is older than OUTBOX_RETENTION_H (kept that long for a rollback to an older
index or a consumer added late, docs/jobs.md). A consumer that does not apply to this
deployment (no Elasticsearch) has no position and does not hold rows back.

Webhook deliveries that were delivered or cancelled go after the same retention (dead
letters stay until an admin sends them again; docs/webhooks.md).
"""
import logging
from datetime import timedelta

from directory_service.availability import outbox
from directory_service.availability.db import iso
from directory_service.jobs import claims
from directory_service.webhooks import store as webhook_store

log = logging.getLogger(__name__)


def prune(app, now):
    """Delete what every consumer of the app's runner has passed (registry.CONSUMERS
    unless a test gave it others) and old claims; returns the counts."""
    adb, settings = app.extensions["availability"], app.config["SETTINGS"]
    positions = {}
    for consumer in app.extensions["jobs"].consumers:
        at = consumer.position(app)
        if at is not None:
            positions[consumer.name] = at
    upto = min(positions.values()) if positions else outbox.last_seq(adb.read())
    pruned = outbox.prune(adb, upto, settings.outbox_retention_h * 3600, now=now)
    if pruned:
        log.info("pruned %d outbox rows up to %d (slowest of %s)", pruned, upto,
                 ", ".join(sorted(positions)) or "no consumer")
    with adb.write() as db:
        deliveries = webhook_store.prune(
            db, iso(now - timedelta(hours=settings.outbox_retention_h)))
    return {"outbox_pruned": pruned, "upto": upto, "deliveries_pruned": deliveries,
            "claims_pruned": claims.prune(adb, now, claims.RETENTION),
            "positions": positions}
