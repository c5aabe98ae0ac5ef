"""Background jobs (issue 23, item 1; docs/jobs.md): one runner, built on huey.

- `init_app(app)` gives the app its `Jobs` (runner.py) and the `flask jobs` command.
- `after_write(app)` is what a write path calls once its change committed: it queues the
  outbox consumers at once (coalesced, one small insert) and never fails the request.
- The periodic jobs and the outbox consumers are listed once, in registry.py.
- The runner is its own process: `python -m directory_service.jobs` (or `flask jobs`),
  started by `make run` beside gunicorn and by compose's `jobs` service.
"""
import logging

log = logging.getLogger(__name__)


def init_app(app):
    from directory_service.jobs import cli
    from directory_service.jobs.runner import Jobs

    app.extensions["jobs"] = Jobs(app)
    app.cli.add_command(cli.jobs)


def after_write(app):
    """Queue the outbox consumers after a committed write. Never raises: the change is
    in the outbox, and every runner's minute tick queues the consumers anyway."""
    try:
        app.extensions["jobs"].enqueue_consumers()
        return True
    except Exception as exc:  # committed already: log the class only, answer the write
        log.warning("outbox consumers not queued after a write (the runner's tick will "
                    "queue them): %s", type(exc).__name__)
        return False
