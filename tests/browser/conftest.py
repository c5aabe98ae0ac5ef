"""A real server and Debian's chromium, driven by Playwright, for the public page.

The app runs under werkzeug's threaded server on a free loopback port: one over the seed
data, one over the night scenario (tests/browser/night.py) with the page's clock at 11 p.m.
Chromium and axe-core are installed by scripts/install_browser.sh (run by `make test`).
Where they are missing the tests skip and say why, except under CI=true: there a missing
browser fails the run, so a green CI always means the page was tested in a browser.
"""
import os
import threading

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from directory_service import create_app
from directory_service.config import Settings
from tests import mixed_ages, needs
from tests.browser import night

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = os.path.join(ROOT, "node_modules", "axe-core", "axe.min.js")
ARTIFACTS = os.path.join(ROOT, "test-artifacts")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# The phone of issue 13: a small Android phone held upright.
PHONE = {"width": 360, "height": 740}


def missing(reason):
    """Skip for a developer without the browser; fail under CI=true, never a silent pass."""
    needs.missing(f"the browser tests need it: {reason}")


class QuietHandler(WSGIRequestHandler):
    """Logs no request lines: like gunicorn.conf.py, keep query strings out of logs."""

    def log_request(self, *args, **kwargs):
        pass


def serve(app):
    """Serve `app` on a free loopback port: yields (base URL, app)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        app.extensions["store"].close()


@pytest.fixture(scope="session")
def live_url(seed_store_path, tmp_path_factory):
    settings = Settings.from_env(
        store_path=seed_store_path,
        availability_path=str(tmp_path_factory.mktemp("avail") / "availability.sqlite"))
    yield from serve(create_app(settings))


@pytest.fixture(scope="session")
def night_server(tmp_path_factory):
    """(URL, app) over the night scenario, the page's clock at Monday 11 p.m."""
    directory = tmp_path_factory.mktemp("night-browser")
    settings = Settings.from_env(store_path=night.build_store(directory),
                                 availability_path=str(directory / "availability.sqlite"))
    app = create_app(settings)
    app.config["PAGE_NOW"] = night.NIGHT
    for url in serve(app):
        yield url, app


@pytest.fixture(scope="session")
def mixed_server(tmp_path_factory):
    """(URL, app) over tests/mixed_ages.py: bed figures of two levels and two ages in one
    facility, the page's clock at the scenario's moment."""
    directory = tmp_path_factory.mktemp("mixed-browser")
    settings = Settings.from_env(store_path=mixed_ages.build_store(directory),
                                 availability_path=str(directory / "availability.sqlite"))
    app = create_app(settings)
    app.config["PAGE_NOW"] = mixed_ages.NOW
    for url in serve(app):
        yield url, app


@pytest.fixture
def night_url(night_server):
    url, app = night_server
    app.config["PAGE_NOW"] = night.NIGHT
    return url


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed: pip install -e '.[test]'")
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is missing: run scripts/install_browser.sh "
                "(apt-get install chromium) to run the browser tests")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """new_page(**context_options) → a page in a fresh context (no shared cookies)."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", PHONE)
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def axe_path():
    if not os.path.exists(AXE):
        missing(f"{AXE} is missing: run scripts/install_browser.sh (npm ci) "
                "to run the accessibility check")
    return AXE


def screenshot(page, name, full_page=True):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name)
    page.screenshot(path=path, full_page=full_page)
    return path
