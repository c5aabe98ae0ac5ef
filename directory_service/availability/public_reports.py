"""Public "Something wrong?" reports about any record, and what they do to it (DESIGN §12).

Anyone may say a record is wrong, without an account: nothing about the reporter is
stored (no address, no cookie, no key), only the record, a reason and an optional short
text already checked for personal data. A report is `open` until an administrator
`confirm`s or `dismiss`es it; a confirmed one stays until it is `resolve`d (the record
was corrected, or a closed site reopened). While a record has open or confirmed reports
it shows "may be out of date — call first"; a confirmed `closed` hides it from search; a
confirmed other problem discounts its rank (ranking.py). Every change marks the record
changed (db.mark_changed), so every worker's live overlay and the Elasticsearch outbox
see it as they see a bed report.
"""
import secrets

from sqlalchemy import bindparam, func, select

from directory_service.availability import changes, verification
from directory_service.availability.db import (
    iso, lock, mark_changed, parse_iso, upsert, utcnow)
from directory_service.availability.schema import (
    public_report_changes, public_reports, record_verifications)

REASONS = ("closed", "phone", "hours", "address", "beds", "other")
STATES = ("open", "confirmed", "dismissed", "resolved")
# action → (the states it may act on, the state it leaves)
ACTIONS = {"confirm": (("open",), "confirmed"), "dismiss": (("open",), "dismissed"),
           "resolve": (("open", "confirmed"), "resolved")}
UNRESOLVED = ("open", "confirmed")
DETAIL_MAX = 280
STANDING_SLICE = 500
R, V = public_reports.c, record_verifications.c
CURRENT_VERSION = select(func.coalesce(func.max(public_report_changes.c.seq), 0))
# The availability change sequence and the reports' version in one round trip: what a
# search that can show facilities reads for its ETag.
BOTH_VERSIONS = select(changes.CURRENT_SEQ.scalar_subquery(),
                       CURRENT_VERSION.scalar_subquery())


class ReportConflict(Exception):
    """The report is not in a state the action applies to (already decided)."""


def create(adb, record_id, reason, detail=None, now=None):
    """Store one anonymous report; returns it as a dict."""
    report = {"id": "rep_" + secrets.token_hex(8), "record_id": record_id, "reason": reason,
              "detail": detail or None, "created_at": iso(now or utcnow()), "state": "open",
              "decided_at": None, "decided_by": None}
    with adb.write() as db:
        db.execute(public_reports.insert().values(**report))
        _changed(db, record_id)
    return report


def get(adb, report_id):
    row = adb.read().execute(select(public_reports).where(R.id == report_id)).mappings().first()
    return dict(row) if row else None


def listing(adb, page=1, per_page=50, state=None, record_id=None):
    """(total, reports) newest first, optionally one state and one record."""
    where = []
    if state:
        where.append(R.state == state)
    if record_id:
        where.append(R.record_id == record_id)
    with adb.read() as db:
        total = db.execute(select(func.count()).select_from(public_reports)
                           .where(*where)).scalar()
        rows = db.execute(select(public_reports).where(*where)
                          .order_by(R.created_at.desc(), R.id)
                          .limit(per_page).offset((page - 1) * per_page)).mappings()
        return total, [dict(r) for r in rows]


def decide(adb, report_id, action, by, now=None):
    """Apply `action` (confirm, dismiss, resolve) for `by`; returns the report.

    Resolving says the record is right again: its `verified_at` moves (mark_verified).
    Raises KeyError for an unknown report, ReportConflict when already decided."""
    allowed, state = ACTIONS[action]
    stamp = iso(now or utcnow())
    with adb.write() as db:
        found = db.execute(select(R.record_id).where(R.id == report_id)).first()
        if found is None:
            raise KeyError(report_id)
        record_id = found[0]
        lock(db, f"record:{record_id}")
        changed = db.execute(public_reports.update()
                             .where(R.id == report_id, R.state.in_(allowed))
                             .values(state=state, decided_at=stamp, decided_by=by)).rowcount
        if changed != 1:
            raise ReportConflict(f"report {report_id} is no longer {' or '.join(allowed)}")
        if state == "resolved":
            mark_verified(db, record_id, by, stamp)
        _changed(db, record_id)
    return get(adb, report_id)


def _changed(db, record_id):
    """The record changed (every overlay and the outbox see it), and so did the reports'
    version, which search ETags name (current_version)."""
    mark_changed(db, record_id)
    upsert(db, public_report_changes, {"id": 1, "seq": 1}, ["id"],
           update={"seq": public_report_changes.c.seq + 1})


def current_version(db):
    """The number that moves with every report and decision (0 before the first)."""
    if hasattr(db, "rows"):
        return db.rows(CURRENT_VERSION)[0][0]
    return db.execute(CURRENT_VERSION).scalar()


def versions(reader):
    """(availability change sequence, reports' version), read together."""
    return tuple(reader.rows(BOTH_VERSIONS)[0])


def mark_verified(db, record_id, by, at):
    """Record that `by` checked `record_id` was right at `at` (an ISO string), inside the
    caller's write transaction: the one writer of verifications (verification.py), as a
    resolved public report; the caller marks the record changed itself."""
    verification.mark_verified_in(db, record_id, "report", by, parse_iso(at),
                                  announce=False)


def standings(db, record_ids):
    """{record_id: standing} for those of `record_ids` with unresolved reports or a
    verification; `standing` is what a record shows (see `shown`)."""
    ids, found = list(record_ids), {}
    # In slices: a worker's first look covers every changed facility at once.
    for start in range(0, len(ids), STANDING_SLICE):
        _standings(db, ids[start:start + STANDING_SLICE], found)
    return found


# Built once: every worker runs them on each poll that finds changed records.
COUNTS = (select(R.record_id, R.reason, R.state, func.count())
          .where(R.record_id.in_(bindparam("ids", expanding=True)), R.state.in_(UNRESOLVED))
          .group_by(R.record_id, R.reason, R.state))
VERIFIED = select(V.record_id, V.verified_at).where(
    V.record_id.in_(bindparam("ids", expanding=True)))


def _standings(db, ids, found):
    for record_id, reason, state, n in db.execute(COUNTS, {"ids": ids}):
        entry = found.setdefault(record_id, _empty())
        entry[state] += n
        entry["reasons"].add(reason)
        if state == "confirmed" and reason == "closed":
            entry["closed"] = True
        elif state == "confirmed":
            entry["confirmed_problems"] += n
    for record_id, at in db.execute(VERIFIED, {"ids": ids}):
        found.setdefault(record_id, _empty())["verified_at"] = at


def _empty():
    return {"open": 0, "confirmed": 0, "confirmed_problems": 0, "closed": False,
            "reasons": set(), "verified_at": None}


def shown(standing):
    """The public part of a standing, as a record carries it in `reported_problems`
    (None when nothing is unresolved): counts and reasons, never the reports' text."""
    if not standing or not (standing["open"] or standing["confirmed"]):
        return None
    return {"open": standing["open"], "confirmed": standing["confirmed"],
            "closed": standing["closed"], "reasons": sorted(standing["reasons"]),
            "may_be_out_of_date": True}
