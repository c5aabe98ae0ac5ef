"""`flask webhooks run`: dispatch the outbox and send what is due, once, by hand (the job
runner does the same every minute and after every write)."""
import json

import click
from flask import current_app
from flask.cli import with_appcontext

from directory_service.webhooks.delivery import deliver_due, dispatch


@click.group(help="Partner webhooks (docs/webhooks.md).")
def webhooks():
    pass


@webhooks.command("run")
@with_appcontext
def run():
    """Queue deliveries for new outbox events, then send every due one; prints counts."""
    app = current_app._get_current_object()
    click.echo(json.dumps({"dispatch": dispatch(app), "deliver": deliver_due(app)}))
