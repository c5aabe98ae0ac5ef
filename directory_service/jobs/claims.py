"""Once per schedule slot across all nodes: a periodic job's run is a row (job, slot).

Every node's runner ticks and may try to run the same job for the same slot; the first
to insert the row (INSERT … ON CONFLICT DO NOTHING RETURNING, atomic on SQLite and
PostgreSQL alike) runs it, the others see no row inserted and skip. The row then records when the
run ended and its counts (or the error class), for an operator; rows older than the
retention are pruned by the runner's own prune job.
"""
import json
import os
import socket
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from directory_service.availability.db import iso, utcnow
from directory_service.availability.schema import jobs_claims

C = jobs_claims.c
RETENTION = timedelta(days=7)


def node_name():
    """This process, as claims name it: host and pid (no personal data)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(adb, job, slot, node=None, now=None):
    """Take (job, slot) for this node; True when this call inserted the row."""
    values = {"job": job, "slot": iso(slot), "node": node or node_name(),
              "claimed_at": iso(now or utcnow())}
    with adb.write() as db:
        insert = postgresql.insert if db.dialect.name == "postgresql" else sqlite.insert
        taken = db.execute(insert(jobs_claims).values(**values)
                           .on_conflict_do_nothing(index_elements=["job", "slot"])
                           .returning(C.node)).first()
    return taken is not None


def finish(adb, job, slot, outcome, now=None):
    """Record the end of a claimed run: its counts (a dict) or an error's class name."""
    text = json.dumps(outcome, sort_keys=True, default=str) if isinstance(outcome, dict) \
        else str(outcome)
    with adb.write() as db:
        db.execute(update(jobs_claims).where(C.job == job, C.slot == iso(slot))
                   .values(finished_at=iso(now or utcnow()), outcome=text[:2000]))


def runs(db, job):
    """[{"slot", "node", "finished_at", "outcome"}] of one job, oldest slot first."""
    query = (select(C.slot, C.node, C.finished_at, C.outcome).where(C.job == job)
             .order_by(C.slot))
    return [dict(row) for row in db.execute(query).mappings()]


def prune(adb, now=None, retention=RETENTION):
    """Delete claims made more than `retention` ago; returns how many went."""
    cutoff = iso((now or utcnow()) - retention)
    with adb.write() as db:
        gone = db.execute(delete(jobs_claims).where(C.claimed_at < cutoff)
                          .returning(C.job)).all()
    return len(gone)
