"""A real server and Debian's chromium, driven by Playwright, for the public page.

The app runs under werkzeug's threaded server on a free loopback port over the seed data.
Chromium and axe-core are installed by scripts/install_browser.sh (run by `make test`);
where they could not be installed the tests skip and say why.
"""
import os
import threading

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from directory_service import create_app
from directory_service.config import Settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = "/usr/bin/chromium"
AXE = os.path.join(ROOT, "node_modules", "axe-core", "axe.min.js")
ARTIFACTS = os.path.join(ROOT, "test-artifacts")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}


class QuietHandler(WSGIRequestHandler):
    """Logs no request lines: like gunicorn.conf.py, keep query strings out of logs."""

    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture(scope="session")
def live_url(seed_store_path, tmp_path_factory):
    settings = Settings.from_env(
        store_path=seed_store_path,
        availability_path=str(tmp_path_factory.mktemp("avail") / "availability.sqlite"))
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()
    app.extensions["store"].close()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: run scripts/install_browser.sh "
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
        pytest.skip(f"{AXE} is missing: run scripts/install_browser.sh (npm ci) "
                    "to run the accessibility check")
    return AXE


def screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name)
    page.screenshot(path=path, full_page=True)
    return path
