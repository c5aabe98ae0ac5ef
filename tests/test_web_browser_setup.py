"""Under CI=true a page that could not be tested in a browser fails the run.

scripts/install_browser.sh runs here against stub installers on PATH (nothing is
installed); the conftest's skip-or-fail rule is called directly.
"""
import os
import subprocess

import pytest

from tests.browser import conftest as browser_conftest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "install_browser.sh")


@pytest.fixture
def stubs(tmp_path):
    """A bin directory whose apt-get and npm log their calls and exit with `status`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.log"

    def make(status):
        for name in ("apt-get", "npm"):
            path = bin_dir / name
            path.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\nexit {status}\n')
            path.chmod(0o755)
        uid = bin_dir / "id"  # as root, so the apt-get branch is the one taken
        uid.write_text("#!/bin/sh\necho 0\n")
        uid.chmod(0o755)
        return str(bin_dir), calls

    return make


def run(bin_dir, ci, chromium="/nonexistent/chromium", axe="/nonexistent/axe.min.js"):
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CHROMIUM": chromium, "AXE": axe}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True,
                          timeout=60)


def test_ci_fails_when_chromium_and_axe_cannot_be_installed(stubs):
    bin_dir, calls = stubs(status=1)
    result = run(bin_dir, ci="true")
    assert result.returncode == 1
    assert "chromium" in result.stderr and "axe-core" in result.stderr
    assert " update" in calls.read_text() and "npm ci" in calls.read_text()


def test_ci_fails_when_an_installer_says_yes_but_nothing_was_installed(stubs):
    bin_dir, _ = stubs(status=0)
    result = run(bin_dir, ci="true")
    assert result.returncode == 1 and "still missing" in result.stderr


def test_a_developer_without_a_browser_is_told_and_not_failed(stubs):
    bin_dir, _ = stubs(status=1)
    result = run(bin_dir, ci=None)
    assert result.returncode == 0 and "will be skipped" in result.stderr


def test_ci_passes_when_everything_is_present(stubs, tmp_path):
    bin_dir, calls = stubs(status=1)
    axe = tmp_path / "axe.min.js"
    axe.write_text("/* axe */")
    result = run(bin_dir, ci="true", chromium="/bin/sh", axe=str(axe))
    assert result.returncode == 0, result.stderr
    assert not calls.exists()  # nothing to install


def test_missing_browser_skips_locally_and_fails_under_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        browser_conftest.missing("no chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        browser_conftest.missing("no chromium")


@pytest.fixture
def locked_apt(tmp_path):
    """An apt-get that reports the package lock held for its first `busy` calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls, count = tmp_path / "calls.log", tmp_path / "count"

    def make(busy):
        (bin_dir / "apt-get").write_text(
            "#!/bin/sh\n"
            f'echo "apt-get $*" >> "{calls}"\n'
            f'n=$(cat "{count}" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "{count}"\n'
            f'if [ "$n" -le {busy} ]; then\n'
            '  echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 42 (apt-get)" >&2\n'
            "  exit 100\nfi\nexit 0\n")
        (bin_dir / "id").write_text("#!/bin/sh\necho 0\n")
        for name in ("apt-get", "id"):
            (bin_dir / name).chmod(0o755)
        return str(bin_dir), calls

    return make


def run_locked(bin_dir, wait):
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CHROMIUM": "/nonexistent/chromium",
           "AXE": "/bin/sh", "CI": "true", "APT_LOCK_WAIT": str(wait), "APT_LOCK_RETRY": "0"}
    return subprocess.run(["bash", SCRIPT], env=env, capture_output=True, text=True,
                          timeout=60)


def test_a_busy_package_lock_is_waited_for_not_a_failure(locked_apt):
    bin_dir, calls = locked_apt(busy=3)
    result = run_locked(bin_dir, wait=60)
    assert "waiting" in result.stderr
    # three refused updates, then update + install: the install was really attempted
    assert calls.read_text().count("update") == 4
    assert "install -y -qq --no-install-recommends chromium" in calls.read_text()
    # the stub installs nothing, so CI still fails, on the missing browser, not the lock
    assert result.returncode == 1 and "still missing" in result.stderr


def test_a_lock_held_past_the_bound_gives_up_with_a_reason(locked_apt):
    bin_dir, calls = locked_apt(busy=10**6)
    result = run_locked(bin_dir, wait=0)
    assert result.returncode == 1
    assert "still held after 0 s" in result.stderr
    assert "install" not in calls.read_text()
