"""Bed figures as a response shows them: every figure carries its age and freshness.

Unknown stays unknown: a figure without a report is `open: null, freshness: unknown`,
never 0 and never open. The one freshness rule lives here (docs/ranking.md §5): a figure
is as fresh as its age says, and several figures together are as fresh as the oldest of
them, so one old row is never hidden behind a fresh one.
"""
import functools
from datetime import datetime

from directory_service import ranking
from directory_service.availability import outage
from directory_service.search.columns import allowed_groups, population_group


@functools.lru_cache(maxsize=8192)
def _moment(reported_at):
    """A report time's datetime, parsed once per text: every search hit's bed rows and
    figures ask for theirs, and the same reports come back search after search."""
    return datetime.fromisoformat(reported_at.replace("Z", "+00:00"))


def _age_seconds(reported_at, now):
    if not reported_at:
        return None
    return max(0, int((now - _moment(reported_at)).total_seconds()))


def row_age(row, now):
    """Seconds since a bed row's report; None when the row has no known figure."""
    known = row.get("status") != "unknown" and row.get("reported_at")
    return _age_seconds(row["reported_at"], now) if known else None


def oldest(ages, settings):
    """{"age_seconds", "freshness"} of figures with these ages (None = no figure).

    The freshness rule, defined once: the oldest known figure decides, because an answer
    built from several figures can be trusted no further than its oldest one. Every
    surface uses it: a search hit's and a match's `beds_open`, the cards, the coach list
    and the administrator's board (over all of a facility's rows).
    """
    known = [age for age in ages if age is not None]
    age = max(known) if known else None
    return {"age_seconds": age,
            "freshness": ranking.freshness(age, settings.fresh_hours, settings.stale_hours)}


def figure(open_beds, reported_at, now, settings, down=None):
    """{"open", "reported_at", "age_seconds", "freshness"} for one bed figure.

    A store's figure for a question already carries the oldest report time of the rows it
    counts (search/columns.py `bed_levels`), so this is `oldest` over those rows. `down`:
    outage.is_down() when the caller has it already (a search asks once, not per hit).
    """
    if outage.is_down() if down is None else down:
        # live figures unreadable: no number rather than an old one
        open_beds = None
    age = _age_seconds(reported_at, now) if open_beds is not None else None
    return {"open": open_beds, "reported_at": reported_at if open_beds is not None else None,
            **oldest([age], settings)}


def annotate_record(record, now, settings, down=None):
    """A copy of `record` whose bed rows carry age_seconds and freshness (all marked
    unavailable while the availability database is down: availability/outage.py; `down`
    as in `figure`)."""
    if outage.is_down() if down is None else down:
        return outage.unavailable_record(record)
    if not record.get("beds"):
        return record
    rows = [{**bed, **oldest([row_age(bed, now)], settings)} for bed in record["beds"]]
    return {**record, "beds": rows}


def usable(figures, include_stale=False):
    """Whether any figure has an open bed a person can count on now: open, and not stale
    unless asked. Judged figure by figure, so a fresh open 3.7-WM bed is never hidden by
    a stale 3.2-WM figure beside it (the public cards and the match agree)."""
    return any(f["open"] and (f["freshness"] != "stale" or include_stale) for f in figures)


def answering_rows(record, levels=(), gender=None, age=None):
    """The bed rows that answer a question: the asked levels (all when none), and the
    populations a person of this gender and age may take (search/columns.py groups)."""
    allowed = set(allowed_groups(gender, age))
    return [row for row in record.get("beds") or ()
            if (not levels or row["level_of_care"] in levels)
            and population_group(row.get("population")) in allowed]
