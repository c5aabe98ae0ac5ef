"""Minutes from a bed opening to the hold placed on it, read from bed_history.

The opening of a hold's bed is the moment its (facility, level of care, population) row
last went from no open bed (full, closed, unknown, none available, or no row yet) to an
open bed, at or before the hold. A row that was open from the directory's baseline on,
never seen opening, has no known opening, so its holds are left out of this figure
rather than timed from the day the facility was first touched.
"""
from bisect import bisect_right

from sqlalchemy import select

from directory_service.availability.schema import bed_history, holds
from directory_service.outcomes.timing import minutes_between

B = bed_history.c


def _is_open(row):
    return row["status"] == "open" and (row["available"] or 0) > 0


def opening_runs(rows):
    """{(facility, level, population): ([recorded_at…], [run start or None…])}: at each
    history row, when the current open run began (None while not open, or when the run
    began with the baseline)."""
    runs, state = {}, {}
    for row in rows:
        key = (row["facility_id"], row["level_of_care"], row["population"])
        times, starts = runs.setdefault(key, ([], []))
        was_open, began = state.get(key, (False, None))
        if not _is_open(row):
            now_open, began = False, None
        elif was_open:
            now_open = True
        else:
            now_open = True
            began = None if row["event"] == "baseline" else row["recorded_at"]
        state[key] = (now_open, began)
        times.append(row["recorded_at"])
        starts.append(began if now_open else None)
    return runs


def minutes_since_opening(db, hold_rows, start_iso, end_iso):
    """{hold id: minutes from its bed's opening to the hold} for the holds whose opening
    is known; one history query over the facilities that had holds in the window."""
    if not hold_rows:
        return {}
    latest = max(r["created_at"] for r in hold_rows)
    with_holds = (select(holds.c.facility_id)
                  .where(holds.c.created_at >= start_iso, holds.c.created_at < end_iso)
                  .distinct())
    history = db.execute(
        select(B.facility_id, B.level_of_care, B.population, B.event, B.status, B.available,
               B.recorded_at)
        .where(B.facility_id.in_(with_holds), B.recorded_at <= latest)
        .order_by(B.recorded_at, B.seq)).mappings()
    runs = opening_runs(history)
    found = {}
    for hold in hold_rows:
        times, starts = runs.get(
            (hold["facility_id"], hold["level_of_care"], hold["population"]), ((), ()))
        at = bisect_right(times, hold["created_at"]) - 1
        if at >= 0 and starts[at] is not None:
            found[hold["id"]] = minutes_between(starts[at], hold["created_at"])
    return found
