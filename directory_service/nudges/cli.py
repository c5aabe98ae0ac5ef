"""`flask nudges run`: one run now (what the job runner does every minute), and
`flask nudges test-mail --to ADDRESS`: check SMTP_URL and MAIL_FROM with one message.

Run as `flask --app directory_service nudges run`; both print a JSON line.
"""
import json
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import AppGroup

from directory_service import mail
from directory_service.nudges.contacts import ADDRESS

nudges = AppGroup("nudges", help="Reminders to facilities whose bed figures went stale.")


@nudges.command("run")
def run():
    """Send the nudges due now; print the counts."""
    from directory_service.nudges import run_due

    counts = run_due(current_app._get_current_object(), datetime.now(timezone.utc))
    click.echo(json.dumps(counts))


@nudges.command("test-mail")
@click.option("--to", "address", required=True, help="Where the test message goes.")
def test_mail(address):
    """Send one short message through SMTP_URL (no facility involved)."""
    if not ADDRESS.match(address):
        raise click.UsageError("--to must be one e-mail address")
    try:
        message_id = mail.send_mail(current_app.config["SETTINGS"], [address],
                                    "directory-service: test message",
                                    "SMTP_URL and MAIL_FROM work: this message arrived.")
    except mail.MailError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({"sent": True, "message_id": message_id}))
