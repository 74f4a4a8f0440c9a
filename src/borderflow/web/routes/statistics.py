"""The statistics page: trucks and value by month, top commodities, perishable share, crossing
times; each chart drawn on the node (SVG, or PNG with ?format=png) with its table under it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from borderflow.domain import statistics as st
from borderflow.domain.errors import DomainError
from borderflow.services import jwg_report, reconciliation, statistics, statistics_series
from borderflow.web import i18n
from borderflow.web.pages import LoginRequired, WrongRole, finish, principal, render, web
from borderflow.web.labels import N_

router = APIRouter(prefix="/statistics", include_in_schema=False)
CHARTS = ("trucks", "value", "top", "perishable", "crossing_times")
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


def _reader(request: Request):  # noqa: ANN202
    who = principal(request)
    if who is None:
        raise LoginRequired()
    if not who.may("statistics.read"):
        raise WrongRole(who)
    return who


def _query(request: Request, who) -> tuple[st.TradeQuery | None, list]:  # noqa: ANN001
    ctx = web(request).ctx
    gate = next(iter(ctx.node.gates.values()))
    today = ctx.clock.now().astimezone(ZoneInfo(gate.timezone)).date()
    first, last = statistics_series.last_months(today)
    start = request.query_params.get("from") or first.isoformat()
    end = request.query_params.get("to") or last.isoformat()
    try:
        return statistics.parse(who, "month", start, end, None), []
    except DomainError as exc:
        return None, getattr(exc, "problems", [])


def _series(request: Request, q: st.TradeQuery) -> dict:
    ctx = web(request).ctx
    statistics.prepare(ctx, q)
    with ctx.uow(write=False) as uow:
        return statistics_series.monthly(ctx, uow, q)


@router.get("")
def page(request: Request) -> Response:
    who = _reader(request)
    q, problems = _query(request, who)
    data = _series(request, q) if q else None
    lang = i18n.choose(request)
    group_name = lambda code: web(request).ctx.commodity_groups.name(code, lang)  # noqa: E731
    return render(request, "statistics.html", q=q, problems=problems, data=data, charts=CHARTS, group_name=group_name,
                  query=request.url.query, start=q.start.isoformat() if q else "", end=q.end.isoformat() if q else "")


@router.get("/charts/{name}.{fmt}")
def chart(request: Request, name: str, fmt: str) -> Response:
    who = _reader(request)
    q, _ = _query(request, who)
    if name not in CHARTS or fmt not in FORMATS or q is None:
        return finish(request, Response(status_code=404))
    from borderflow.web import statistics_charts  # matplotlib: loaded by the first chart, not by every start
    lang = i18n.choose(request)
    words = i18n.translations(lang).gettext
    data = _series(request, q)
    names = {code: g.names.get(lang) or g.name for code, g in web(request).ctx.node.gates.items()}
    direction = {"export": words("Export"), "import": words("Import")}.get
    if name == "trucks":
        body = statistics_charts.by_gate(data["by_gate"], "trucks", words("Trucks per month by gate and direction"),
                                         names, direction, fmt)
    elif name == "value":
        body = statistics_charts.by_gate(data["by_gate"], "value_usd",
                                         words("Declared value per month (USD) by gate and direction"), names,
                                         direction, fmt)
    elif name == "top":
        for row in data["top"]:
            row["commodity_group_name"] = web(request).ctx.commodity_groups.name(row["commodity_group"], lang)
        body = statistics_charts.top_groups(data["top"], words("Top commodities by declared value (USD)"), fmt)
    elif name == "perishable":
        body = statistics_charts.line(data["perishable"], "share", words("Perishable share of gross weight, in per cent"),
                                      percent=True, fmt=fmt)
    else:
        body = statistics_charts.line(data["crossing_times"], "median_min",
                                      words("Median crossing time, arrival to exit (minutes)"), fmt=fmt)
    return finish(request, Response(body, media_type=FORMATS[fmt], headers={"Cache-Control": "private, max-age=60"}))


@router.get("/report")
def report(request: Request) -> Response:
    """The joint working group's report for a period, as a printable page or a PDF (the page's button)."""
    who = _reader(request)
    if who.role == "declarant":
        raise WrongRole(who)
    ctx, lang = web(request).ctx, i18n.choose(request)
    params = request.query_params
    try:
        jwg_report.prepare(ctx)
        with ctx.uow(write=False) as uow:
            built = jwg_report.build(ctx, uow, params.get("period", ""), gate_pair=params.get("gate_pair") or None,
                                     province=params.get("province") or None)
    except DomainError as exc:
        return render(request, "statistics_reconciliation.html", status=422, problems=exc.problems, result=None,
                      partners=list(ctx.node.partners), period=params.get("period", ""), partner="")
    from borderflow.web import jwg_render  # fpdf and matplotlib: loaded by the first report
    if params.get("format") == "pdf":
        body = jwg_render.pdf(ctx, built, lang)
        name = f"jwg-{built['period']}-{built['scope']}.pdf".replace(" ", "_")
        return finish(request, Response(body, media_type="application/pdf",
                                        headers={"Content-Disposition": f'attachment; filename="{name}"'}))
    return finish(request, Response(jwg_render.html(ctx, built, lang), media_type="text/html; charset=utf-8"))


@router.get("/reconciliation")
def mirror(request: Request) -> Response:
    """Both sides' figures for a month, the differences and the crossings behind them."""
    who = _reader(request)
    if who.role == "declarant":
        raise WrongRole(who)
    ctx = web(request).ctx
    partners = list(ctx.node.partners)
    today = ctx.clock.now().astimezone(ZoneInfo(next(iter(ctx.node.gates.values())).timezone)).date()
    period = request.query_params.get("period") or f"{today:%Y-%m}"
    partner = request.query_params.get("partner") or (partners[0] if partners else "")
    result, problems = None, []
    try:
        with ctx.uow(write=False) as uow:
            result = reconciliation.reconcile(ctx, uow, who, partner, period)
    except DomainError as exc:
        problems = getattr(exc, "problems", [])
    words = i18n.translations(i18n.choose(request)).gettext
    return render(request, "statistics_reconciliation.html", result=result, problems=problems, partners=partners,
                  period=period, partner=partner, kinds={kind: words(text) for kind, text in KIND_WORDS.items()})


KIND_WORDS = {"crossed_here_only": N_("Crossed on this side only"),
              "crossed_there_only": N_("Crossed on the partner's side only"),
              "other_period": N_("Counted in another month there"), "gross_weight": N_("Gross weight differs"),
              "hs_subheading": N_("HS subheading differs"), "value_usd": N_("Declared value differs")}
