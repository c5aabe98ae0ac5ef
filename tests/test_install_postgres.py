"""scripts/install_postgres.sh (called by `make test`): a missing PostgreSQL server is a
skip reason on a developer's machine and a failure under CI=true."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "install_postgres.sh")


def run(tmp_path, pg_ctl, ci):
    env = {**os.environ, "PG_CTL": str(pg_ctl), "CI": ci}
    return subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("ci, status", [("", 0), ("true", 1)])
def test_a_missing_server_skips_locally_and_fails_in_ci(tmp_path, ci, status):
    done = run(tmp_path, tmp_path / "no" / "pg_ctl", ci)
    assert done.returncode == status
    assert "no PostgreSQL server" in done.stderr


def test_a_present_server_is_reported(tmp_path):
    pg_ctl = tmp_path / "pg_ctl"
    pg_ctl.write_text("#!/bin/sh\n")
    pg_ctl.chmod(0o755)
    done = run(tmp_path, pg_ctl, "true")
    assert done.returncode == 0 and f"present ({pg_ctl})" in done.stdout
