"""The API documentation works on an isolated border network: /docs and /redoc load their
scripts, styles and the OpenAPI document from the node, and no request leaves 127.0.0.1."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.ui.browser import DESKTOP, UI, shoot

pytestmark = UI
LOCAL = {"127.0.0.1"}


def offline(page) -> list[str]:
    """Every request the page makes; those to any other host are refused (and listed)."""
    elsewhere: list[str] = []

    def route(route) -> None:  # noqa: ANN001
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in LOCAL:
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", route)
    return elsewhere


@pytest.mark.parametrize(("path", "title", "operation"), [
    ("/docs", ".swagger-ui .info .title", ".opblock-summary-path[data-path='/api/v1/wait-times']"),
    ("/redoc", ".api-info h1", "[data-section-id='tag/public']"),
])
def test_the_api_docs_load_with_nothing_from_outside(ui_node, open_page, path, title, operation):
    page = open_page(viewport=DESKTOP)
    elsewhere = offline(page)
    loaded = []
    page.on("requestfinished", lambda request: loaded.append(request.url))
    response = page.goto(ui_node.url + path)
    assert response.status == 200
    # and the browser itself is told to ask nothing of any other host
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(title).first).to_contain_text(f"borderflow node {ui_node.ctx.node.id}", timeout=20_000)
    expect(page.locator(operation).first).to_be_attached(timeout=20_000)
    page.wait_for_load_state("networkidle")
    assert elsewhere == [], f"{path} asked for {elsewhere}"
    assert any(url.endswith("/openapi.json") for url in loaded), loaded  # the node's own document
    assert any("/docs-assets/" in url and url.endswith(".js") for url in loaded), loaded
    shoot(page, f"api{path.replace('/', '-')}", full_page=False)
