"""Pages with no account: the driver's status page and the public wait board."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import dates
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from borderflow.domain.errors import DomainError, NotFound
from borderflow.services import waits, yard, yard_views
from borderflow.web import chart, i18n, optional, qr
from borderflow.web.pages import finish, fragment, render, web

router = APIRouter(include_in_schema=False)


WAY = {"outbound": "export", "inbound": "import"}  # lane direction -> crossing direction, for the words


class LocalTimes:
    """Times on the driver's page and the board: the gate's local time on a 24-hour clock in
    every language, with "tomorrow" or the date (in the language's own form) when it is not
    today at the gate. m.at_gate joins them ("10:40" / "10:40 ngày mai" / "12月4日 10:40")."""

    def __init__(self, lang: str, now: datetime, timezone: str):
        self.locale, self.now, self.timezone = i18n.locale(lang), now, timezone

    def _local(self, value: datetime | str | None, timezone: str | None) -> datetime | None:
        at = i18n.parse_time(value)
        return at.astimezone(ZoneInfo(timezone or self.timezone)) if at is not None else None

    def clock(self, value: datetime | str | None, timezone: str | None = None) -> str:
        at = self._local(value, timezone)
        return dates.format_time(at, "HH:mm", tzinfo=at.tzinfo, locale=self.locale) if at else "—"

    def day(self, value: datetime | str | None, timezone: str | None = None) -> str:
        """The date, or "" when it is today at the gate."""
        at = self._local(value, timezone)
        if at is None or at.date() == self.now.astimezone(at.tzinfo).date():
            return ""
        return dates.format_skeleton("MMMd", at, tzinfo=at.tzinfo, locale=self.locale)

    def days_ahead(self, value: datetime | str | None, timezone: str | None = None) -> int | None:
        """Days from today at the gate: 0 says the clock alone, 1 "tomorrow" (shorter on a wall
        screen than a date), anything else the date."""
        at = self._local(value, timezone)
        return (at.date() - self.now.astimezone(at.tzinfo).date()).days if at is not None else None


def _times(request: Request) -> LocalTimes:
    state = web(request)
    return LocalTimes(i18n.choose(request), state.ctx.clock.now(), str(state.tz))


def _timezone(request: Request, gate: str) -> str:
    found = web(request).ctx.node.gate(gate)
    return found.timezone if found is not None else str(web(request).tz)


def _driver_status(request: Request, reference: str, plate: str) -> dict | None:
    try:
        view = optional.read(web(request).ctx, yard_views.driver_view, reference, plate)
    except NotFound:
        return None
    return {**view, "direction": WAY.get(view.get("direction"), view.get("direction")),
            "timezone": _timezone(request, view["gate"])}


def _asked(request: Request) -> tuple[str, str]:
    return (request.query_params.get("reference", "").strip().upper()[:16],
            request.query_params.get("plate", "").strip()[:32])


def _link(request: Request, found: dict) -> str:
    """The page's full address for the truck found, as drivers reach the node (BORDERFLOW_PUBLIC_URL)."""
    settings = web(request).ctx.settings
    base = settings.public_url if settings is not None and settings.public_url else str(request.base_url)
    return qr.driver_link(base, found["reference"], found["plate"])


@router.get("/driver")
def driver(request: Request) -> Response:
    reference, plate = _asked(request)
    found = _driver_status(request, reference, plate) if reference and plate else None
    values = dict(reference=reference, plate=plate, found=found, asked=bool(reference and plate),
                  times=_times(request), calendar_hours=yard.CALENDAR_HOURS)
    if request.query_params.get("partial") == "1":
        return finish(request, HTMLResponse(fragment(request, "driver/_status.html", **values)))
    if found is not None:
        values["link"] = _link(request, found)
        values["qr"] = qr.svg(values["link"], i18n.translations(i18n.choose(request)).gettext(
            "QR code of this page's address"))
    return render(request, "driver/index.html", status=404 if values["asked"] and found is None else 200,
                  **values)


@router.get("/driver/qr.png")
def driver_qr(request: Request) -> Response:
    """The QR code of a truck's page, to send in a message; only for a reference and plate that match."""
    reference, plate = _asked(request)
    found = _driver_status(request, reference, plate) if reference and plate else None
    if found is None:
        return render(request, "not_found.html", status=404)
    return finish(request, Response(qr.png(_link(request, found)), media_type="image/png", headers={
        "Content-Disposition": f'inline; filename="{found["reference"]}.png"'}))


def _board(request: Request) -> dict:
    ctx = web(request).ctx
    only = request.query_params.get("gate", "").upper()
    try:
        current = optional.read(ctx, waits.current)
    except DomainError:
        current = optional.UNAVAILABLE
    shown = {"times": _times(request), "calendar_hours": yard.CALENDAR_HOURS}
    if current is optional.UNAVAILABLE:
        return {**shown, "available": False, "rows": [{"gate": code, "direction": d} for code in ctx.node.gates
                                                      for d in ("export", "import") if not only or code == only]}
    rows = [dict(r) for r in current if not only or r["gate"] == only]
    for row in rows:
        try:
            history = optional.read(ctx, waits.history, row["gate"], row["direction"], 24)
        except DomainError:
            history = optional.UNAVAILABLE
        row["chart"] = chart.hourly(list(history)) if history is not optional.UNAVAILABLE else None
        row["direction"] = WAY.get(row["direction"], row["direction"])
        row["timezone"] = _timezone(request, row["gate"])
    return {**shown, "available": True, "rows": rows}


@router.get("/board")
def board(request: Request) -> Response:
    values = _board(request)
    if request.query_params.get("partial") == "1":
        return finish(request, HTMLResponse(fragment(request, "board/_rows.html", **values)))
    return render(request, "board/index.html", **values)
