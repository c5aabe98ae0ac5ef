"""The PostgreSQL connection budget, checked before gunicorn starts a worker.

Why: every gunicorn worker keeps its own availability pool, so the connections one
deployment can open are workers x API replicas x (pool size + overflow). With workers
following the host's CPUs that product passes PostgreSQL's max_connections (100) on any
large host, and the failure shows only under load, as refused bed reports. Checked at
start, it is a refusal that names the numbers instead (gunicorn.conf.py).
"""
import os

from directory_service.config import ConfigError


def worker_count(settings):
    """WEB_CONCURRENCY, or the CPU count (at least 2) when it is 0."""
    return settings.web_concurrency or max(2, os.cpu_count() or 1)


def connections_needed(settings, workers):
    """The most connections every worker of every replica may hold at once."""
    per_worker = settings.availability_pool_size + settings.availability_max_overflow
    return workers * settings.api_replicas * per_worker


def check(settings, workers):
    """Raise ConfigError when PostgreSQL is used and the pools could exceed the budget.

    SQLite has no connection limit, and a budget of 0 means someone else counts (PgBouncer).
    """
    if not settings.availability_url.startswith("postgres"):
        return
    budget = settings.availability_max_connections
    needed = connections_needed(settings, workers)
    if budget and needed > budget:
        raise ConfigError(
            f"the availability pools could open {needed} PostgreSQL connections, more than "
            f"AVAILABILITY_MAX_CONNECTIONS={budget}: {workers} workers (WEB_CONCURRENCY) x "
            f"{settings.api_replicas} replicas (API_REPLICAS) x "
            f"({settings.availability_pool_size} pooled (AVAILABILITY_POOL_SIZE) + "
            f"{settings.availability_max_overflow} overflow (AVAILABILITY_MAX_OVERFLOW)); "
            f"lower one of them, or raise the server's max_connections and the budget")
