"""The node's web screens (officer console, declarant portal, driver page, public board).

`mount` adds them to the node's HTTP application; it is the UI adapter's one entry point.
The screens call the same use cases as the JSON API; every asset is served from this
package (border networks are often cut off: no CDN).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

if TYPE_CHECKING:
    from fastapi import FastAPI

    from borderflow.services.context import NodeContext

STATIC = Path(__file__).with_name("static")


def mount(app: FastAPI, ctx: NodeContext) -> None:
    """Add the web screens to `app`."""
    from borderflow.web.pages import FormExpired, LoginRequired, Web, WrongRole, home_for, redirect, render
    from borderflow.web.routes import auth, console, console_actions, portal, portal_actions, public
    from borderflow.web.routes import devices as device_screens
    from borderflow.web.routes import statistics as statistics_screens

    app.state.web = Web(ctx)
    for module in (auth, console, console_actions, portal, portal_actions, public, device_screens,
                   statistics_screens):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(LoginRequired)
    async def _sign_in(request: Request, _: LoginRequired) -> Response:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(request, "/login?next=" + quote(wanted, safe=""))

    @app.exception_handler(FormExpired)
    async def _expired(request: Request, _: FormExpired) -> Response:
        return render(request, "expired.html", status=403)

    @app.exception_handler(WrongRole)
    async def _elsewhere(request: Request, exc: WrongRole) -> Response:
        return render(request, "wrong_role.html", status=403, home=home_for(exc.principal))
