"""`flask jobs` / `python -m directory_service.jobs`: the runner's process."""
import json
import logging
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

log = logging.getLogger(__name__)


def serve(app, workers=None):
    """Run the consumer until SIGTERM or SIGINT; running tasks finish first."""
    jobs = app.extensions["jobs"]
    # huey logs two lines per task run; ours say what matters (failures, prunes).
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("huey").setLevel(logging.WARNING)
    consumer = jobs.consumer(workers)
    log.info("job runner started: %d workers, queue %s", consumer.workers,
             "redis" if app.config["SETTINGS"].jobs_url else "sqlite")
    consumer.run()
    log.info("job runner stopped")


@click.command("jobs")
@click.option("--once", is_flag=True,
              help="Tick once (queue due periodic jobs and the consumers), run what is "
                   "queued, print the count and exit, instead of running until stopped.")
@click.option("--workers", type=click.IntRange(1, 32), default=None,
              help="Worker threads (default JOBS_WORKERS).")
@with_appcontext
def jobs(once, workers):
    """Run the background jobs: outbox consumers (Elasticsearch, …) and periodic jobs."""
    app = current_app._get_current_object()
    if once:
        runner = app.extensions["jobs"]
        due = runner.tick()
        ran = runner.run_queued()
        click.echo(json.dumps({"due": due, "ran": ran}))
        return
    serve(app, workers)


def main(argv=None):
    """`python -m directory_service.jobs [--once] [--workers N]`."""
    from directory_service import create_app

    app = create_app()
    with app.app_context():
        jobs.main(args=argv if argv is not None else sys.argv[1:],
                  prog_name="python -m directory_service.jobs", standalone_mode=True)
