"""The background job settings, checked at start (config.Settings.check calls `check`)."""
import os


def check(settings):
    from directory_service.config import ConfigError

    url = settings.jobs_url
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("JOBS_URL must be empty (a SQLite queue file) or redis://…, "
                          "rediss://… or unix://…")
    if not 1 <= settings.jobs_workers <= 32:
        raise ConfigError("JOBS_WORKERS must be between 1 and 32")
    if not 0 < settings.jobs_poll_s <= 60:
        raise ConfigError("JOBS_POLL_S must be above 0 and at most 60")
    if settings.outbox_retention_h <= 0:
        raise ConfigError("OUTBOX_RETENTION_H must be positive")


def queue_path(settings):
    """The SQLite queue file: JOBS_PATH, else jobs.sqlite beside AVAILABILITY_PATH (the
    data directory), so every process of one node shares it."""
    if settings.jobs_path:
        return settings.jobs_path
    return os.path.join(os.path.dirname(settings.availability_path) or ".", "jobs.sqlite")
