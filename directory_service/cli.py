"""`flask keys create|revoke|list`: API keys for writers (admin, coach, facility).
`flask sync`: push live bed changes from the outbox to Elasticsearch.

Run as `flask --app directory_service keys create --role facility --facility seed:fac-001`.
The key is printed once; only its hash is stored, so a lost key is revoked and replaced.
`python -m directory_service.cli sync` is the same as `flask --app directory_service sync`.
"""
import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from directory_service.availability import keys as api_keys
from directory_service.search.store import StoreUnavailable

keys = AppGroup("keys", help="Create, revoke and list API keys.")


@keys.command("create")
@click.option("--role", type=click.Choice(api_keys.ROLES), required=True)
@click.option("--facility", "facility_id", default=None,
              help="The facility id a facility key may report for.")
@click.option("--label", default=None, help="Who holds the key (no personal data needed).")
@click.option("--group", "coach_group", default=None,
              help="A coach key's team, the group outcomes are reported by.")
def create(role, facility_id, label, coach_group):
    """Create a key and print it once."""
    if facility_id:
        try:
            record = current_app.extensions["store"].get(facility_id)
        except StoreUnavailable as exc:
            click.echo(f"warning: cannot check the facility id ({exc})", err=True)
        else:
            if record is None or record.get("kind") != "treatment_facility":
                raise click.UsageError(f"no treatment facility {facility_id!r} in the directory")
    try:
        key_id, key = api_keys.create(current_app.extensions["availability"], role,
                                      facility_id, label, coach_group)
    except api_keys.InvalidKeyRequest as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"key id: {key_id}", err=True)
    click.echo("store it now; it is not shown again:", err=True)
    click.echo(key)


@keys.command("revoke")
@click.argument("key_id")
def revoke(key_id):
    """Revoke a key by its id (the part before the dot)."""
    if not api_keys.revoke(current_app.extensions["availability"], key_id):
        raise click.ClickException(f"no active key {key_id}")
    click.echo(f"revoked {key_id}")


@keys.command("list")
def list_():
    """Every key's id, role, facility and dates (never the key)."""
    for row in api_keys.list_keys(current_app.extensions["availability"]):
        click.echo(f"{row['id']}\t{row['role']}\t{row['facility_id'] or '-'}\t"
                   f"created {row['created_at']}\t"
                   f"{'revoked ' + row['revoked_at'] if row['revoked_at'] else 'active'}\t"
                   f"{row['label'] or ''}")


# Availability database commands that need no app (python -m directory_service.cli …).
@click.command("migrate-availability")
@click.option("--from", "source", required=True,
              help="The deployment's SQLite file (AVAILABILITY_PATH) or a database URL.")
@click.option("--to", "target", required=True,
              help="postgresql://user:password@host/db, an empty database.")
def migrate_availability(source, target):
    """Copy every key, report, history entry, hold and outbox row into an empty database."""
    import os

    from directory_service.availability import migrate

    if "://" not in source and not os.path.isfile(source):
        raise click.UsageError(f"no availability file at {source}")
    try:
        copied = migrate.copy(migrate.to_url(source), migrate.to_url(target))
    except migrate.TargetNotEmpty as exc:
        raise click.UsageError(f"{exc}; nothing was copied") from None
    for table, rows in copied.items():
        click.echo(f"{table}\t{rows}")
    click.echo("copied; set AVAILABILITY_URL to the target and restart the API", err=True)


@click.command("upgrade-availability")
@click.option("--url", default=None, help="Database URL (default: AVAILABILITY_URL, "
              "else the file at AVAILABILITY_PATH).")
def upgrade_availability(url):
    """Bring the availability database's schema to the newest revision."""
    from directory_service.availability import migrate
    from directory_service.availability.db import AvailabilityDB
    from directory_service.config import Settings

    adb = (AvailabilityDB(url=migrate.to_url(url)) if url
           else AvailabilityDB.from_settings(Settings.from_env()))
    try:
        with adb.read() as conn:
            click.echo(f"availability schema at revision {migrate.current(conn)}")
    finally:
        adb.close()


@click.command("sync")
@click.option("--attempts", default=5, show_default=True, type=click.IntRange(1, 20),
              help="Tries before giving up (exponential backoff between them).")
@with_appcontext
def sync(attempts):
    """Push pending live bed changes (the outbox) to Elasticsearch, oldest first, now
    (the job runner, `flask jobs`, does it continuously).

    Prints the totals and the lag left as JSON; exits 2 when the cluster cannot take
    them (they stay pending, nothing is lost)."""
    store = current_app.extensions["store"]
    outbox_sync = getattr(store, "outbox_sync", lambda: None)()
    if outbox_sync is None:
        click.echo("nothing to sync: the embedded store reads the availability database "
                   "itself", err=True)
        return
    try:
        done = outbox_sync.catch_up_with_retries(attempts=attempts)
        lag = outbox_sync.lag()
    except StoreUnavailable as exc:
        click.echo(f"sync failed, changes stay pending: {exc}", err=True)
        sys.exit(2)
    click.echo(json.dumps({"synced": done, "lag": lag}))


def _create_app():
    from directory_service import create_app

    return create_app()


# `python -m directory_service.cli …`: the app's flask commands (keys, sync) and the
# availability database commands that need no app.
main = FlaskGroup(create_app=_create_app,
                  help="Flask commands of the app and the availability database commands "
                       "that need no app (docs/operations.md).")
main.add_command(migrate_availability)
main.add_command(upgrade_availability)


if __name__ == "__main__":
    main(prog_name="python -m directory_service.cli")
