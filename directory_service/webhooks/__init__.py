"""Webhooks for partner systems (issue 23, item 3; DESIGN §13): 211 lines, dispatch
systems, registries and EHRs subscribe to bed, hold and record events and get each one,
signed per Standard Webhooks, at least once, in order per facility.

The job runner calls two plain functions (no job library here):
    dispatch(app, now)     outbox rows → queued deliveries (after every write, every minute)
    deliver_due(app, now)  queued deliveries → partners (after dispatch, every minute)
and coach watches queue to one URL with `deliver_to_url(db, url, secret, event_type,
payload, ordering_key)`.
"""
from directory_service.webhooks.delivery import deliver_due, deliver_to_url, dispatch

__all__ = ["dispatch", "deliver_due", "deliver_to_url", "init_app"]


def init_app(app, api):
    from directory_service.webhooks import api as webhook_api
    from directory_service.webhooks.cli import webhooks as command

    webhook_api.init_app(app, api)
    app.cli.add_command(command)
