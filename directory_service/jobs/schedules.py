"""When a periodic job is due: a schedule maps an instant to the slot it falls in.

A slot is the start of the period a run belongs to (an aware UTC datetime); the runner
claims (job, slot) once across all nodes (claims.py), so a job runs once per slot
however many nodes tick. `None` means no run is due now. Schedules are plain values, so
the registry stays one readable list and tests pass their own `now`.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def _resolve(value, settings):
    return value(settings) if callable(value) else value


@dataclass(frozen=True)
class Every:
    """Every `minutes` minutes, slots aligned on the UTC epoch (every 5: :00, :05, …)."""

    minutes: int = 1

    def slot(self, now, settings=None):
        step = self.minutes * 60
        start = int(now.timestamp()) // step * step
        return datetime.fromtimestamp(start, timezone.utc)

    def __str__(self):
        return f"every {self.minutes} min"


@dataclass(frozen=True)
class DailyAt:
    """At local times of day ("08:00", …) in a zone, each due for `within` after it.

    `times` and `zone` may be callables of the settings (a configurable list, e.g. the
    nudge times in SITE_TIMEZONE). A run missed by more than `within` (every node was
    down) is skipped rather than made late under that slot's name."""

    times: object
    zone: object = "UTC"
    within: timedelta = timedelta(minutes=15)

    def slot(self, now, settings=None):
        zone = ZoneInfo(_resolve(self.zone, settings))
        local = now.astimezone(zone)
        best = None
        for day in (local.date(), local.date() - timedelta(days=1)):
            for text in _resolve(self.times, settings):
                hour, minute = (int(part) for part in text.split(":"))
                at = datetime.combine(day, time(hour, minute), zone)
                if at <= local and (best is None or at > best):
                    best = at
        if best is None or local - best > self.within:
            return None
        return best.astimezone(timezone.utc)

    def __str__(self):
        return f"daily at {self.times} {self.zone}"
