"""UI tests: a real node in-thread and Debian's headless Chromium driven by Playwright.

Chromium comes from `tests/ui/install_browser.sh` (apt); Playwright never downloads a
browser. Without the browser the tests are skipped locally and fail under CI=true.
Screenshots go to test-artifacts/screenshots/; with BORDERFLOW_DOC_SCREENSHOTS=1 they
are also copied to docs/screenshots/ for the documentation.
"""

from __future__ import annotations

import os

import pytest

from tests.support.nodes import start_node
from tests.ui.browser import CHROMIUM, DESKTOP


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not CHROMIUM.exists():
        why = "UI tests need the playwright package and /usr/bin/chromium (run tests/ui/install_browser.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    return sync_playwright


@pytest.fixture(scope="session")
def ui_node(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ui-node")
    running = start_node(data_dir, f"sqlite:///{data_dir / 'node.sqlite'}")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser(ui_node):  # after the node: closed first, so no event stream holds the server open
    sync_playwright = _playwright()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser):
    """`open_page(viewport=…, lang=…)`: a fresh browser context (own cookies) and its page."""
    contexts = []

    def make(viewport: dict = DESKTOP, lang: str = "en-US"):
        context = browser.new_context(viewport=viewport, locale=lang, extra_http_headers={"Accept-Language": lang})
        context.set_default_timeout(8000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
