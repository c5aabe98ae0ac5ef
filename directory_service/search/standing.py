"""What public reports do to a record as search and `get` return it (DESIGN §12).

`with_standing` is the one merge, used by both stores: a record with unresolved reports
carries `reported_problems` (counts and reasons: "may be out of date — call first"), a
confirmed "closed" makes it inactive, and a newer verification moves `verified_at`.
`search_effects` is what the standings do to a search: the embedded store applies them to
its arrays (live_overlay.py), Elasticsearch to its request body (elastic/query.py).
"""
from directory_service.availability.db import parse_iso
from directory_service.availability.public_reports import shown


def with_standing(doc, standings):
    """`doc` with its standing (public_reports.standings) merged; unchanged without one."""
    standing = standings.get(doc.get("id")) if standings else None
    if not standing:
        return doc
    merged = dict(doc)
    public = shown(standing)
    if public:
        merged["reported_problems"] = public
    if standing["closed"]:
        merged["active"] = False
    verified = standing.get("verified_at")
    if verified and (not doc.get("verified_at") or _later(verified, doc["verified_at"])):
        merged["verified_at"] = verified
    return merged


def _later(a, b):
    try:
        return parse_iso(a) > parse_iso(b)
    except (TypeError, ValueError):
        return True


def search_effects(standings):
    """(sorted ids of records confirmed closed, {id: confirmed problems}) of `standings`."""
    closed = sorted(rid for rid, s in (standings or {}).items() if s["closed"])
    problems = {rid: s["confirmed_problems"] for rid, s in (standings or {}).items()
                if s["confirmed_problems"] and not s["closed"]}
    return closed, problems
