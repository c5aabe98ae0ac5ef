"""The PostgreSQL connection budget (directory_service/connection_budget.py): gunicorn
refuses to start when workers x replicas x (pool + overflow) could pass it, and says which
numbers; the graceful timeout and worker count are settings (issue 24)."""
import os
import subprocess
import sys

import pytest

from directory_service import connection_budget
from directory_service.config import ConfigError, Settings
from tests.conftest import ROOT

PG = "postgresql://directory:secret@db.invalid:5432/availability"


def _settings(**values):
    return Settings(availability_url=PG, **values)


def test_pools_within_the_budget_start():
    settings = _settings(api_replicas=2, availability_pool_size=5,
                         availability_max_overflow=5, availability_max_connections=90)
    assert connection_budget.connections_needed(settings, 4) == 80
    connection_budget.check(settings, 4)


def test_pools_past_the_budget_are_refused_with_the_numbers():
    settings = _settings(api_replicas=2, availability_pool_size=5,
                         availability_max_overflow=5, availability_max_connections=90)
    with pytest.raises(ConfigError) as refused:
        connection_budget.check(settings, 16)
    message = str(refused.value)
    for words in ("320 PostgreSQL connections", "AVAILABILITY_MAX_CONNECTIONS=90",
                  "16 workers (WEB_CONCURRENCY)", "2 replicas (API_REPLICAS)",
                  "5 pooled (AVAILABILITY_POOL_SIZE)", "5 overflow (AVAILABILITY_MAX_OVERFLOW)"):
        assert words in message


def test_sqlite_and_a_budget_of_zero_are_not_counted():
    connection_budget.check(Settings(availability_max_connections=1), 64)
    connection_budget.check(_settings(availability_max_connections=0), 64)


def test_the_settings_are_read_and_checked(monkeypatch):
    for name, value in {"AVAILABILITY_MAX_OVERFLOW": "2", "AVAILABILITY_MAX_CONNECTIONS": "40",
                        "API_REPLICAS": "3", "WEB_CONCURRENCY": "6",
                        "GRACEFUL_TIMEOUT_S": "25"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert (settings.availability_max_overflow, settings.availability_max_connections,
            settings.api_replicas, settings.web_concurrency,
            settings.graceful_timeout_s) == (2, 40, 3, 6, 25)
    assert connection_budget.worker_count(settings) == 6
    monkeypatch.setenv("API_REPLICAS", "0")
    with pytest.raises(ConfigError, match="API_REPLICAS"):
        Settings.from_env()


def test_the_pool_overflow_reaches_the_engine():
    from directory_service.availability.db import AvailabilityDB

    db = AvailabilityDB.from_settings(_settings(availability_max_overflow=2), migrate=False)
    assert db.engine.pool._max_overflow == 2


def _gunicorn_check(env):
    """`gunicorn --check-config`: reads gunicorn.conf.py as a start does, starts no worker."""
    full = {k: v for k, v in os.environ.items()
            if not k.startswith(("AVAILABILITY_", "WEB_CONCURRENCY", "API_REPLICAS",
                                 "GRACEFUL_TIMEOUT_S"))}
    full.update(env)
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    return subprocess.run([gunicorn, "--check-config", "-c", "gunicorn.conf.py"], cwd=ROOT,
                          env=full, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_gunicorn_refuses_to_start_past_the_budget():
    result = _gunicorn_check({"AVAILABILITY_URL": PG, "WEB_CONCURRENCY": "16",
                              "API_REPLICAS": "2", "AVAILABILITY_MAX_CONNECTIONS": "90"})
    assert result.returncode != 0
    assert ("directory-service refuses to start: the availability pools could open 320 "
            "PostgreSQL connections, more than AVAILABILITY_MAX_CONNECTIONS=90") in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_gunicorn_takes_workers_and_graceful_timeout_from_the_settings():
    result = _gunicorn_check({"AVAILABILITY_URL": PG, "WEB_CONCURRENCY": "4",
                              "API_REPLICAS": "2", "GRACEFUL_TIMEOUT_S": "25"})
    assert result.returncode == 0, result.stderr
    probe = subprocess.run(
        [sys.executable, "-c",
         "from gunicorn.config import Config; c = Config(); "
         "[c.set(k, v) for k, v in __import__('runpy').run_path('gunicorn.conf.py').items() "
         "if k in ('workers', 'graceful_timeout')]; print(c.workers, c.graceful_timeout)"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "WEB_CONCURRENCY": "3", "GRACEFUL_TIMEOUT_S": "25"})
    assert probe.stdout.split() == ["3", "25"], probe.stderr


@pytest.mark.slow
def test_workers_given_on_the_command_line_are_counted_too():
    """`gunicorn -w 12` overrides WEB_CONCURRENCY=4: the real count is refused before any
    socket is bound or worker started."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVAILABILITY_")}
    env.update({"AVAILABILITY_URL": PG, "WEB_CONCURRENCY": "4", "API_REPLICAS": "2",
                "BIND": "127.0.0.1:0"})
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    result = subprocess.run([gunicorn, "-c", "gunicorn.conf.py", "-w", "12"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "could open 240 PostgreSQL connections" in result.stderr
    assert "Listening at" not in result.stderr and "Booting worker" not in result.stderr
