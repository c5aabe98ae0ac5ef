"""Nudges to facilities (issue 23, item 2; DESIGN §13; docs/nudges.md).

A facility whose figures went stale is reminded, once per staleness episode, at its
local nudge times within its intake hours, by e-mail (directory_service/mail.py) and
optionally a webhook, with signed single-use "Still accurate" and "Update" links.
The job runner calls `run_due(app, now)` every minute.
"""


def run_due(app, now):
    """Send the nudges due at `now` (an aware datetime); returns a dict of counts."""
    from directory_service.nudges.run import run_due as run

    return run(app, now)
