"""What serving installs (issue 24): exact versions with hashes from requirements.lock,
covering everything setup.cfg requires; a two-stage image installing them with
--require-hashes; `make run` installing only what serving needs and binding loopback,
`make test` still installing the test tools."""
import configparser
import os
import re
import shutil
import subprocess

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT


def _read(name):
    with open(os.path.join(ROOT, name)) as handle:
        return handle.read()


def _requirements(text):
    return [Requirement(line.split("#")[0].strip()) for line in text.splitlines()
            if line.split("#")[0].strip()]


def _setup_cfg():
    parser = configparser.ConfigParser()
    parser.read(os.path.join(ROOT, "setup.cfg"))
    return parser


def _locked(name):
    """{canonical name: (version, [hashes])} of a pip-compile --generate-hashes file."""
    pins = {}
    current = None
    for line in _read(name).splitlines():
        pin = re.match(r"^([A-Za-z0-9._-]+)==(\S+)", line)
        if pin:
            current = canonicalize_name(pin.group(1))
            pins[current] = (pin.group(2), [])
        for digest in re.findall(r"--hash=sha256:([0-9a-f]{64})", line):
            pins[current][1].append(digest)
    return pins


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-build.lock"])
def test_every_pin_is_exact_and_hashed(lock):
    pins = _locked(lock)
    assert pins
    for name, (version, hashes) in pins.items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+-]*", version), (name, version)
        assert hashes, f"{name} has no hash in {lock}"
    # Nothing but pins, hashes, comments and blank lines (no index or unpinned lines).
    for line in _read(lock).splitlines():
        stripped = line.strip()
        assert (not stripped or stripped.startswith(("#", "--hash=sha256:"))
                or re.match(r"^[A-Za-z0-9._-]+==\S+( \\)?$", stripped)), line


def test_the_lock_covers_setup_cfg_and_the_redis_extra():
    """A dependency added to setup.cfg but not locked would be missing from the image
    (pip --require-hashes refuses it) or, worse, be installed unpinned elsewhere."""
    setup = _setup_cfg()
    wanted = _requirements(setup["options"]["install_requires"])
    extras = _requirements(setup["options.extras_require"]["redis"])
    pins = _locked("requirements.lock")
    for requirement in wanted + extras:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} (setup.cfg) is not in requirements.lock"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), \
            f"requirements.lock pins {name}=={pins[name][0]}, outside setup.cfg's {requirement}"
        for extra in requirement.extras:          # psycopg[binary], limits[redis]
            extra_name = {"binary": "psycopg-binary", "redis": "redis"}[extra]
            assert extra_name in pins, f"{requirement}: {extra_name} is not locked"
    # requirements.in says the same as setup.cfg, so a refresh starts from the same ranges.
    declared = {canonicalize_name(r.name): r.specifier for r in wanted + extras}
    inputs = {canonicalize_name(r.name): r.specifier for r in _requirements(_read("requirements.in"))}
    assert inputs == declared


def test_the_lock_holds_no_test_tools():
    pins = _locked("requirements.lock")
    for tool in ("pytest", "playwright", "schemathesis", "hypothesis", "jsonschema"):
        assert tool not in pins


def test_the_build_backend_is_locked():
    pins = _locked("requirements-build.lock")
    pyproject = _read("pyproject.toml")
    for requirement in re.search(r"requires = \[(.*?)\]", pyproject).group(1).split(","):
        requirement = Requirement(requirement.strip().strip('"'))
        name = canonicalize_name(requirement.name)
        assert name in pins and requirement.specifier.contains(pins[name][0])


def _stages(dockerfile):
    return re.split(r"^FROM ", dockerfile, flags=re.M)[1:]


def test_the_image_is_built_in_two_stages_from_the_hashed_lock():
    dockerfile = _read("Dockerfile")
    stages = _stages(dockerfile)
    assert len(stages) == 2
    build, final = stages
    assert build.startswith("python:3.11-slim AS build")
    assert "--require-hashes -r requirements.lock" in build
    assert "--require-hashes -r requirements-build.lock" in build
    # The project's own wheel goes in without dependencies and without any index.
    assert "--no-deps --no-index /wheels/*.whl" in build
    # Every pip install in the file is hash-checked or installs the local wheel only.
    for command in re.findall(r"pip install ([^\n&]*)", dockerfile):
        assert "--require-hashes" in command or "--no-index" in command, command
    # The served image copies the environment; it installs nothing from an index itself.
    assert "COPY --from=build /opt/venv /opt/venv" in final
    assert "pip install" not in final
    assert "USER app" in final
    assert re.search(r'^CMD \["gunicorn", "-c", "gunicorn.conf.py"\]', final, re.M)


def test_the_build_context_leaves_out_secrets_and_local_environments():
    ignored = _read(".dockerignore").split()
    for entry in (".venv", ".venv-serve", ".env", "deploy/tls", "tests"):
        assert entry in ignored


def _dry_run(target):
    """The commands `make TARGET` would run from scratch (make -n -B runs none of them)."""
    result = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "BIND": ""})
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed here")
def test_make_run_installs_only_what_serving_needs_and_binds_loopback():
    commands = _dry_run("run")
    installs = [line for line in commands.splitlines() if "pip install" in line]
    assert installs
    assert any("--require-hashes -r requirements-build.lock -r requirements.lock" in line
               for line in installs)
    for line in installs:
        assert "[test]" not in line and "[test," not in line and "playwright" not in line
        assert "--require-hashes" in line or "--no-deps" in line, line
    serve = [line for line in commands.splitlines() if "gunicorn -c gunicorn.conf.py" in line]
    assert len(serve) == 1
    assert "--bind ${BIND:-127.0.0.1:8000}" in serve[0]
    assert "0.0.0.0" not in commands
    # It serves from its own environment, not the test environment `make install` makes,
    # with the background job runner beside gunicorn (scripts/serve.sh stops both).
    assert serve[0].startswith("bash scripts/serve.sh .venv-serve/bin/python -m "
                               "directory_service.jobs -- .venv-serve/bin/gunicorn ")


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed here")
def test_make_run_binds_what_bind_says():
    result = subprocess.run(
        ["sh", "-c", 'eval "echo $(make -n run | grep "gunicorn -c" | sed "s/.*--bind //")"'],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "BIND": "0.0.0.0:9000"})
    assert result.stdout.strip() == "0.0.0.0:9000"


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed here")
def test_make_test_still_installs_the_test_tools():
    commands = _dry_run("test")
    assert "pip install --quiet -e '.[test]'" in commands
    assert "scripts/install_browser.sh" in commands
    # nginx for the proxy's configuration tests (tests/test_proxy_tls.py).
    assert "scripts/install_nginx.sh" in commands
