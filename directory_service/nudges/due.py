"""When a facility is due a nudge: stale, in a nudge round, within its intake hours.

- Stale: the freshness rule of beds.py over all its rows (the oldest known figure
  decides); a facility past FRESH_HOURS ("aging" or "stale") is due. One with no figure
  at all is never nudged (there is nothing to confirm; the onboarding invitation asks).
- A round: the facility's local clock (its record's zone) has passed one of NUDGE_TIMES
  by less than NUDGE_WINDOW_MINUTES.
- Intake hours: open around the clock for intake (`intake_24_7`), else its hours say it
  is open now (api/open_hours.py, the search filter's rule); unknown hours leave the
  rounds alone to decide.
- One per episode: an episode is the time from going stale to the next time every figure
  is fresh again. A facility already nudged is in the same episode while its oldest
  figure is no newer than that nudge.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from directory_service import beds
from directory_service.api.open_hours import open_state
from directory_service.availability.db import parse_iso

DUE = ("aging", "stale")


def parse_times(times):
    """[(hour, minute)] of NUDGE_TIMES ("08:00", …); ValueError naming a bad one."""
    parsed = []
    for text in times:
        try:
            hour, minute = (int(part) for part in text.split(":"))
        except ValueError:
            raise ValueError(f"NUDGE_TIMES must be HH:MM times, got {text!r}") from None
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError(f"NUDGE_TIMES must be HH:MM times, got {text!r}")
        parsed.append((hour, minute))
    if not parsed:
        raise ValueError("NUDGE_TIMES must name at least one time")
    return sorted(set(parsed))


def zone_of(record):
    try:
        return ZoneInfo(record.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def current_round(record, now, settings):
    """The start (aware, local) of the nudge round `now` is in, or None."""
    local = now.astimezone(zone_of(record))
    window = timedelta(minutes=settings.nudge_window_minutes)
    for days_back in (0, 1):
        day = (local - timedelta(days=days_back)).date()
        for hour, minute in reversed(parse_times(settings.nudge_times)):
            start = datetime(day.year, day.month, day.day, hour, minute,
                             tzinfo=local.tzinfo)
            if start <= local < start + window:
                return start
    return None


def in_intake_hours(record, now):
    if record.get("intake_24_7"):
        return True
    is_open, _changes = open_state(record, now)
    return is_open is not False


def staleness(record, now, settings):
    """(freshness, oldest reported_at as a datetime or None) over the record's rows."""
    rows = record.get("beds") or ()
    ages = [beds.row_age(row, now) for row in rows]
    state = beds.oldest(ages, settings)
    known = [parse_iso(row["reported_at"]) for row, age in zip(rows, ages) if age is not None]
    return state["freshness"], (min(known) if known else None)


def same_episode(oldest, last_nudge_at):
    """Whether a facility whose oldest figure is `oldest` is still in the episode it was
    last nudged for at `last_nudge_at` (None: never nudged)."""
    return last_nudge_at is not None and oldest is not None and oldest <= last_nudge_at


def due(record, now, settings, last_nudge_at):
    """The oldest figure's time when the facility should be nudged now, else None."""
    if record is None or record.get("kind") != "treatment_facility":
        return None
    freshness, oldest = staleness(record, now, settings)
    if freshness not in DUE or same_episode(oldest, last_nudge_at):
        return None
    if current_round(record, now, settings) is None or not in_intake_hours(record, now):
        return None
    return oldest
