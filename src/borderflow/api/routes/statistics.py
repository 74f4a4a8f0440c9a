"""Trade statistics over HTTP: JSON, CSV and XLSX of the same query."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from borderflow.api.deps import ContextDep, IdempotencyKey, May
from borderflow.api.routes import ERRORS, Route, answer
from borderflow.schemas import NoNul, NulFree
from borderflow.services.idempotency import run_once
from borderflow.services import reconciliation, statistics, statistics_exchange, statistics_export

router = APIRouter(route_class=Route, prefix="/statistics", tags=["statistics"],
                   responses={k: ERRORS[k] for k in (401, 403, 422)})
Period = Annotated[str, Query(max_length=8, description="day, week, month, quarter or year (the gate's calendar)")]
Day = Annotated[str | None, Query(alias="from", max_length=10, description="first gate-local day, YYYY-MM-DD"), NoNul]
End = Annotated[str | None, Query(alias="to", max_length=10, description="last gate-local day, YYYY-MM-DD"), NoNul]
By = Annotated[str | None, Query(max_length=200, description="comma-separated groupings, e.g. gate,hs_chapter,direction"),
               NoNul]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _result(ctx, principal, period, start, end, by, *, per_dimension=False):  # noqa: ANN001, ANN202
    query = statistics.parse(principal, period, start, end, by)
    statistics.prepare(ctx, query)
    with ctx.uow(write=False) as uow:
        return statistics.trade(ctx, uow, query, per_dimension=per_dimension)


@router.get("/trade")
def trade(ctx: ContextDep, principal: May("statistics.read"), period: Period = "month", start: Day = None,
          end: End = None, by: By = None) -> dict:
    """Trucks, containers, goods lines, weights and value in USD of what crossed (the barrier's exit),
    by period and the groupings asked for; a declarant sees its own crossings only."""
    return _result(ctx, principal, period, start, end, by)


@router.get("/trade.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "the grouping's rows, then the totals"}})
def trade_csv(ctx: ContextDep, principal: May("statistics.read"), period: Period = "month", start: Day = None,
              end: End = None, by: By = None) -> Response:
    result = _result(ctx, principal, period, start, end, by)
    return Response(statistics_export.to_csv(result), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="trade-statistics.csv"'})


@router.get("/trade.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "one sheet per grouping, with totals"}})
def trade_xlsx(ctx: ContextDep, principal: May("statistics.read"), period: Period = "month", start: Day = None,
               end: End = None, by: By = None) -> Response:
    result = _result(ctx, principal, period, start, end, by, per_dimension=True)
    return Response(statistics_export.to_xlsx(result), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="trade-statistics.xlsx"'})


class ReportIn(NulFree):
    model_config = ConfigDict(extra="forbid")
    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="the month, YYYY-MM, on the gate's calendar")
    gate: str = Field(min_length=1, max_length=16, description="this node's gate (its pair is reported)")


@router.post("/reports", status_code=201)
def send_report(ctx: ContextDep, principal: May("statistics.report"), body: ReportIn,
                idempotency_key: IdempotencyKey = None):
    """Send a month's statistics for one gate pair to the partner now, as signed statistics_report
    messages (the node also sends each month's by itself once the month is over)."""
    status_code, view, replayed = run_once(
        ctx, principal, idempotency_key, body.model_dump(),
        lambda uow: statistics_exchange.send(ctx, uow, principal, body.period, body.gate))
    return answer(status_code, view, replayed)


@router.get("/reconciliation")
def reconcile(ctx: ContextDep, principal: May("statistics.read"),
              period: Annotated[str, Query(max_length=7, description="the month, YYYY-MM")],
              partner: Annotated[str | None, Query(max_length=64), NoNul] = None) -> dict:
    """Both sides' figures for a month through the gate pairs shared with `partner`, the differences,
    and the crossings behind them."""
    with ctx.uow(write=False) as uow:
        return reconciliation.reconcile(ctx, uow, principal, partner, period)
