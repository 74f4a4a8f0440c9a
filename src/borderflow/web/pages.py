"""Rendering a screen: the template environment per language and what every page knows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from borderflow.domain.roles import OFFICERS, Principal
from borderflow.reference.region import load_gates
from borderflow.services.context import NodeContext
from borderflow.web import forms, i18n, labels, sessions

TEMPLATES = Path(__file__).with_name("templates")
SECURITY_HEADERS = {
    # Everything is served by the node itself: no CDN, no inline script.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    """Raised by screens that need a signed-in principal; answered with a redirect to /login."""


class FormExpired(Exception):
    """A form posted without this session's CSRF token (forged, or from a page of an old session)."""


class WrongRole(Exception):
    def __init__(self, principal: Principal):
        super().__init__(principal.role)
        self.principal = principal


def _environment(lang: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "svg"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    catalogue = i18n.translations(lang)
    env.install_gettext_translations(catalogue, newstyle=True)
    env.globals["label"] = lambda table, code: catalogue.gettext(labels.label(table, code)) if code else ""
    env.filters["zip_labels"] = lambda codes, table: [(c, catalogue.gettext(labels.label(table, c))) for c in codes]
    env.filters["zip_names"] = lambda codes, names: [(c, names.get(c, c)) for c in codes]
    return env


@dataclass
class Web:
    """The screens' shared state, kept on `app.state.web`."""

    ctx: NodeContext

    def __post_init__(self) -> None:
        self.codec = sessions.Codec(self.ctx.secret)
        self.envs = {lang: _environment(lang) for lang in i18n.LANGS}
        try:  # the partner's gates too, so their names read in every language
            self.all_gates = {**load_gates(), **self.ctx.node.gates}
        except Exception:  # noqa: BLE001 - an operator's own region may not ship the reference file
            self.all_gates = dict(self.ctx.node.gates)
        first = next(iter(self.ctx.node.gates.values()), None)
        self.tz = ZoneInfo(first.timezone if first else "UTC")


def web(request: Request) -> Web:
    return request.app.state.web


def principal(request: Request) -> Principal | None:
    session = sessions.of(request)
    if session.pid is None:
        return None
    if not hasattr(request.state, "web_principal"):
        request.state.web_principal = sessions.principal_by_id(web(request).ctx.engine, session.pid)
    return request.state.web_principal


def require(request: Request, kind: str) -> Principal:
    """The signed-in officer (`kind="officer"`) or declarant, or a redirect to sign in."""
    who = principal(request)
    if who is None:
        raise LoginRequired()
    if (kind == "officer") != (who.role in OFFICERS) or (kind == "declarant" and who.role != "declarant"):
        raise WrongRole(who)
    return who


async def posted_form(request: Request, kind: str) -> tuple[Principal, dict[str, str]]:
    """The signed-in officer or declarant and the form they posted, once its CSRF token checks out."""
    who = require(request, kind)
    form = await forms.read(request)
    if not sessions.csrf_ok(request, form):
        raise FormExpired()
    return who, form


def home_for(who: Principal | None) -> str:
    if who is None:
        return "/login"
    if who.role == "statistics":
        return "/statistics"
    return "/console" if who.role in OFFICERS else "/portal"


def url_with(request: Request, **params: str | None) -> str:
    query = {**request.query_params, **params}
    return request.url.path + "?" + urlencode({k: v for k, v in query.items() if v not in (None, "")})


def fragment(request: Request, template: str, **values: object) -> str:
    """A template rendered in the request's language, without touching the session (live panels)."""
    lang = i18n.choose(request)
    state, session = web(request), sessions.of(request)
    gate_names = {code: g.names.get(lang) or g.name for code, g in state.all_gates.items()}
    return state.envs[lang].get_template(template).render(
        request=request, lang=lang, langs=i18n.LANG_NAMES, fmt=i18n.Formats(lang, state.tz),
        now=state.ctx.clock.now(), node=state.ctx.node, gate_names=gate_names, me=principal(request),
        csrf=session.csrf, url_with=lambda **p: url_with(request, **p), **values)


def render(request: Request, template: str, status: int = 200, **values: object) -> HTMLResponse:
    page = fragment(request, template, flash=sessions.of(request).take_flash(), **values)
    return finish(request, HTMLResponse(page, status_code=status))


def redirect(request: Request, url: str) -> RedirectResponse:
    return finish(request, RedirectResponse(url, status_code=303))


def finish(request: Request, response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    asked = request.query_params.get("lang")
    if asked in i18n.LANGS:
        response.set_cookie(i18n.COOKIE, asked, max_age=365 * 86400, path="/", samesite="strict",
                            secure=request.url.scheme == "https")
    return sessions.store(request, response)
