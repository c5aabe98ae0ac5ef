"""What each outbox row says happened, for partners' webhooks (issue 23, item 3).

The write paths (reports.py, holds.py, the indexer) name their event and its figures in the
transaction of the change (db.mark_changed / db.add_event); webhooks/ sends them. Payloads
hold figures and ids only: no reporter, no note, no coach key (notes may hold personal data).
"""
BEDS_UPDATED = "beds.updated"
HOLD_CREATED = "hold.created"
HOLD_DECIDED = "hold.decided"
HOLD_EXPIRED = "hold.expired"
RECORD_CHANGED = "record.changed"
EVENTS = (BEDS_UPDATED, HOLD_CREATED, HOLD_DECIDED, HOLD_EXPIRED, RECORD_CHANGED)
DESCRIPTIONS = {
    BEDS_UPDATED: "A facility reported (or confirmed) bed figures, or an admission changed them.",
    HOLD_CREATED: "A coach placed a hold on an open bed.",
    HOLD_DECIDED: "A hold was confirmed (admitted), declined, cancelled or released, with "
                  "the reason.",
    HOLD_EXPIRED: "A hold reached its expiry undecided; the bed is free again.",
    RECORD_CHANGED: "An index run, or a facility's profile save, changed directory records.",
}
BED_FIELDS = ("level_of_care", "population", "capacity", "available", "status", "reported_at")
HOLD_FIELDS = ("facility_id", "level_of_care", "population", "state", "created_at",
               "expires_at", "decided_at", "reason")


def beds(facility_id, version, rows, how="report", released=()):
    """beds.updated: the rows just written (public figures only)."""
    return {"facility_id": facility_id, "version": version, "how": how,
            "rows": [{f: row.get(f) for f in BED_FIELDS} for row in rows],
            "released_holds": list(released)}


def hold(row, **changes):
    """hold.*: the hold's public facts (never its note or coach key)."""
    merged = {**dict(row), **changes}
    return {"hold_id": merged["id"], **{f: merged.get(f) for f in HOLD_FIELDS}}
