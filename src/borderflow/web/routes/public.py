"""Pages with no account: the driver's status page and the public wait board."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from borderflow.domain.errors import DomainError, NotFound
from borderflow.services import waits, yard_views
from borderflow.web import chart, optional
from borderflow.web.pages import finish, fragment, render, web

router = APIRouter(include_in_schema=False)


WAY = {"outbound": "export", "inbound": "import"}  # lane direction -> crossing direction, for the words


def _driver_status(request: Request, reference: str, plate: str) -> dict | None:
    try:
        view = optional.read(web(request).ctx, yard_views.driver_view, reference, plate)
    except NotFound:
        return None
    return {**view, "direction": WAY.get(view.get("direction"), view.get("direction"))}


@router.get("/driver")
def driver(request: Request) -> Response:
    reference = request.query_params.get("reference", "").strip().upper()[:16]
    plate = request.query_params.get("plate", "").strip()[:32]
    found = _driver_status(request, reference, plate) if reference and plate else None
    values = dict(reference=reference, plate=plate, found=found, asked=bool(reference and plate))
    if request.query_params.get("partial") == "1":
        return finish(request, HTMLResponse(fragment(request, "driver/_status.html", **values)))
    return render(request, "driver/index.html", status=404 if values["asked"] and found is None else 200,
                  **values)


def _board(request: Request) -> dict:
    ctx = web(request).ctx
    only = request.query_params.get("gate", "").upper()
    try:
        current = optional.read(ctx, waits.current)
    except DomainError:
        current = optional.UNAVAILABLE
    if current is optional.UNAVAILABLE:
        return {"available": False, "rows": [{"gate": code, "direction": d} for code in ctx.node.gates
                                             for d in ("export", "import") if not only or code == only]}
    rows = [dict(r) for r in current if not only or r["gate"] == only]
    for row in rows:
        try:
            history = optional.read(ctx, waits.history, row["gate"], row["direction"], 24)
        except DomainError:
            history = optional.UNAVAILABLE
        row["chart"] = chart.hourly(list(history)) if history is not optional.UNAVAILABLE else None
        row["direction"] = WAY.get(row["direction"], row["direction"])
    return {"available": True, "rows": rows}


@router.get("/board")
def board(request: Request) -> Response:
    values = _board(request)
    if request.query_params.get("partial") == "1":
        return finish(request, HTMLResponse(fragment(request, "board/_rows.html", **values)))
    return render(request, "board/index.html", **values)
