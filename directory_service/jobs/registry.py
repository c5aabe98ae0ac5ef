"""The ONE list of periodic jobs and the ONE list of outbox consumers.

Every job is a plain function `run(app, now) -> dict of counts` (app: the Flask app, for
its settings and `app.extensions["availability"]`; now: an aware UTC datetime). Nothing
here imports huey: the runner (runner.py) turns these lists into tasks.

- PERIODIC: run once per schedule slot across all nodes (claims.py). A job raising is
  logged and its slot recorded as failed; the next slot runs it again.
- CONSUMERS: read the outbox after their own position (`sync_positions` under their
  target name) and advance it. Each runs right after every committed write
  (jobs.after_write) and every minute on every node, so it must be safe when two nodes
  run it at once (take an outbox lease, availability/outbox.py). Return {"busy": True}
  when another node holds it (retried in a second); raise to be retried with backoff.
  `position(app)` says how far it got (None: not used by this deployment); the outbox is
  pruned behind the slowest (upkeep.py).
"""
from dataclasses import dataclass
from typing import Callable

from directory_service.availability import outbox
from directory_service.availability.db import parse_iso
from directory_service import nudges, outcomes, watches, webhooks
from directory_service.jobs import elastic, upkeep
from directory_service.jobs.schedules import DailyAt, Every  # noqa: F401 (for entries)
from directory_service.webhooks import store as webhook_store


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    schedule: object  # schedules.Every / schedules.DailyAt: .slot(now, settings)
    run: Callable


@dataclass(frozen=True)
class OutboxConsumer:
    name: str
    run: Callable
    position: Callable


def target_position(target):
    """`position` of a consumer that keeps one `sync_positions` row named `target`."""
    def position(app):
        return outbox.position(app.extensions["availability"].read(), target)
    return position


def partner_webhooks(app, now):
    """Expire due holds (their `hold.expired` events), queue the outbox's new events per
    subscription, then send what is due: one run, so a report reaches partners in seconds
    and a retry at most a minute after its time (the runner ticks consumers each minute)."""
    counts = {**webhooks.dispatch(app, now), **webhooks.deliver_due(app, now)}
    # A retry due before the next tick is run at its time, not up to a minute late.
    due = webhook_store.next_due_at(app.extensions["availability"].read())
    if due is not None:
        counts["again_in_s"] = max(0.0, (parse_iso(due) - now).total_seconds())
    return counts


def coach_watches(app, now):
    """Fire the watches newly opened beds fit; send the fires' webhooks at once."""
    counts = watches.check(app, now)
    if counts.get("fired"):
        counts["webhooks"] = webhooks.deliver_due(app, now)
    return counts


CONSUMERS = (
    OutboxConsumer("elasticsearch", elastic.push, elastic.position),
    # Partner webhooks (webhooks/delivery.py): new outbox events become one delivery per
    # subscription (idempotent), then every due delivery is sent (retries by their time).
    OutboxConsumer("webhooks", partner_webhooks, target_position("webhooks")),
    # Coach watches (watches/job.py): a bed that newly opens fires the watches it fits;
    # a fire's webhook is queued with it and sent at once.
    OutboxConsumer("watches", coach_watches, target_position("watches")),
)

PERIODIC = (
    PeriodicJob("outbox.prune", Every(60), upkeep.prune),
    # Every minute; nudges/due.py decides per facility (its intake hours, NUDGE_TIMES in
    # its own zone, one nudge per staleness episode).
    PeriodicJob("nudges.run_due", Every(1), nudges.run_due),
    # The share of facilities fresh at each nudge time (in the site's zone), for the
    # outcomes page's "freshness over time".
    PeriodicJob("outcomes.record_freshness",
                DailyAt(lambda s: s.nudge_times, lambda s: s.site_timezone),
                outcomes.record_freshness),
)


def consumer(name, consumers=None):
    return next(c for c in (consumers or CONSUMERS) if c.name == name)


def periodic(name, jobs=None):
    return next(j for j in (jobs or PERIODIC) if j.name == name)
