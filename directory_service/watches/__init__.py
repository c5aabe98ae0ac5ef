"""Coach watches (issue 23, item 4): "tell me when a bed opens" for a match's needs.

`check(app, now)` is the job (after every write and every minute): it fires the watches
a newly opened bed fits and notifies the coaches who chose e-mail or a webhook. The API
(api/watches.py) and the coach page (web/staff/watches.py) save, list and cancel them.
"""
from directory_service.watches.job import check

__all__ = ["check"]
