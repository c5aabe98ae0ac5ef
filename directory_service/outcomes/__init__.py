"""Outcomes for the program (issue 23, item 5; DESIGN §13): what deflection programs report
to their funders, from the availability database alone.

Holds placed, admitted, declined by reason and expired; minutes from a hold to its
decision and from the bed opening to the hold; per ISO week, facility or coach group; and
the share of facilities fresh at each nudge time (`record_freshness`, run by the job
runner). Counts and durations only: no note, no key id, no person is ever read out.
"""
from directory_service.outcomes.figures import GROUP_BYS, REASONS, compute, window
from directory_service.outcomes.freshness import record_freshness

__all__ = ["GROUP_BYS", "REASONS", "compute", "record_freshness", "window"]
