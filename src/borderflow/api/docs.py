"""The API documentation pages, /docs (Swagger UI) and /redoc, with every asset served by the node.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, which an isolated border network
cannot reach. The scripts and styles come from the `fastapi-offline` distribution (kept up
to date with both projects' releases), so nothing third-party is copied into this repository.
The pages' Content-Security-Policy keeps the browser on the node: ReDoc's sidebar would
otherwise fetch its vendor's logo from the internet, and it has no option to stop that.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(str(files("fastapi_offline") / "static"))
PREFIX = "/docs-assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# Both tools start from an inline script and style themselves inline; ReDoc searches in a blob: worker.
POLICY = {"Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                                     "style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; "
                                     "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"}


def _on_the_node(page: HTMLResponse) -> HTMLResponse:
    page.headers.update(POLICY)
    return page


def install(app: FastAPI) -> None:
    """Serve /docs and /redoc on `app`, which was made with `docs_url=None, redoc_url=None`."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")
    favicon = f"{PREFIX}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _on_the_node(get_swagger_ui_html(
            openapi_url=app.openapi_url, title=f"{app.title} — API", oauth2_redirect_url=OAUTH2_REDIRECT,
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js", swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=favicon,
            # no online validator badge: it would send the document to a public service
            swagger_ui_parameters={"validatorUrl": None}))

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return _on_the_node(get_swagger_ui_oauth2_redirect_html())

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _on_the_node(get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title} — API",
                                           redoc_js_url=f"{PREFIX}/redoc.standalone.js", redoc_favicon_url=favicon,
                                           with_google_fonts=False))
