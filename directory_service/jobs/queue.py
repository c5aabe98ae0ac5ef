"""The huey instance: a SQLite queue file by default, Redis when JOBS_URL says so.

SQLite needs no server: the API workers and the runner of one node share the file
(jobs.sqlite beside the availability database). Across nodes the queues stay apart on
purpose: whatever must happen once across them is decided in the shared availability
database (periodic claims, outbox leases), not by the queue. A shared Redis
(JOBS_URL=redis://…) works the same way, with one queue for every node.
"""
import os

from huey import RedisHuey, SqliteHuey

from directory_service.jobs.settings import queue_path

NAME = "directory-jobs"


def make_huey(settings):
    """A new huey instance for these settings (no task registered, nothing connected)."""
    if settings.jobs_url:
        # read_timeout: a worker's blocking pop returns this often to see a stop.
        return RedisHuey(NAME, url=settings.jobs_url, results=False, read_timeout=1)
    path = queue_path(settings)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return SqliteHuey(NAME, filename=path, results=False, timeout=10)
