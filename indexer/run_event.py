"""Tell partners that an index run changed the directory: one `record.changed` outbox row
per swapped-in run (issue 23, item 3), sent by the webhooks like every other event.

Which records' content changed is not known (a run rewrites every record it reads), so
the event carries the run's counts and the ids it dropped; a partner that mirrors the
directory re-reads it (`GET /v1/export?modified_after=`). The run has already swapped in
when this is written, so a database that cannot be reached is a warning, not a failure.
"""
import logging
import os

from directory_service.availability import events
from directory_service.availability.db import AvailabilityDB, add_event, iso, utcnow

log = logging.getLogger(__name__)
MAX_IDS = 500


def run_data(report, now):
    """The event's figures from an ImportReport."""
    dropped = sorted(report.not_kept)
    return {"source": "index_run", "finished_at": iso(now), "written": report.written,
            "new": report.loaded, "replaced": report.total("replaced"),
            "merged": report.total("merged"), "dropped": len(dropped),
            "dropped_ids": dropped[:MAX_IDS], "record_ids": None}


def announce(settings, report, now=None):
    """Write the run's record.changed row; returns None, or why it could not be written.
    Where no availability database exists yet, nobody can have subscribed: nothing is
    written (and no file is made)."""
    now = now or utcnow()
    if not settings.availability_url and not os.path.exists(settings.availability_path):
        return None  # no availability database yet: no subscription to tell
    adb = AvailabilityDB.from_settings(settings)
    try:
        with adb.write() as db:
            add_event(db, "", events.RECORD_CHANGED, run_data(report, now))
    except Exception as exc:  # noqa: BLE001 — the run has swapped in; partners learn later
        log.warning("index run event not recorded: %s", type(exc).__name__)
        return f"partners were not told of this run ({type(exc).__name__})"
    finally:
        adb.close()
    return None
