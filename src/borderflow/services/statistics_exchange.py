"""The periodic statistics report to the partner, and what a partner's report leaves here.

A month's report for one gate is cut into parts (messages.StatisticsReport): the totals by
direction and commodity group and the rates used in part 1, the crossings it counted, a few
per part, in every part. It goes at the end of each month from the node's clockwork
(`send_due`) and whenever a supervisor asks (`send`). A partner's parts are kept whole in
`statistics_reports` and its crossings in `partner_trade_crossings`, the newest report of a
crossing winning, for the reconciliation (services/reconciliation).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select

from borderflow.domain import statistics as st
from borderflow.domain.errors import Forbidden, Problem, ValidationFailed
from borderflow.domain.roles import Principal
from borderflow.exchange import messages as m
from borderflow.services import partner, statistics, trade_months
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

log = logging.getLogger("borderflow.statistics")
L, C, R = t.trade_lines.c, t.crossings.c, t.statistics_reports.c


def month_days(period: str) -> tuple[date, date]:
    start = date.fromisoformat(f"{period}-01")
    following = date(start.year + 1, 1, 1) if start.month == 12 else date(start.year, start.month + 1, 1)
    return start, following - timedelta(days=1)


def crossings_of(uow: UnitOfWork, gate: str, start: date, end: date) -> list[dict[str, Any]]:
    """Each crossing counted at `gate` in the days given, as the statistics hold it."""
    rows = uow.conn.execute(
        select(L.crossing_id, L.direction, L.exited_at, L.gross_kg, L.value_usd, L.hs_subheading, L.month,
               C.reference, C.partner_crossing_id)
        .join(t.crossings, C.id == L.crossing_id)
        .where(L.gate == gate, L.day >= start.isoformat(), L.day <= end.isoformat())
        .order_by(L.exited_at, L.crossing_id, L.line_no)).all()
    found: dict[str, dict[str, Any]] = {}
    for r in rows:
        c = found.setdefault(r.crossing_id, {"crossing_id": r.crossing_id, "counterpart_id": r.partner_crossing_id,
                                             "reference": r.reference, "direction": r.direction,
                                             "exited_at": r.exited_at, "period": r.month, "gross_kg": 0.0,
                                             "value_usd": 0.0, "hs_subheadings": []})
        c["gross_kg"] += r.gross_kg
        c["value_usd"] = None if r.value_usd is None or c["value_usd"] is None else c["value_usd"] + r.value_usd
        if r.hs_subheading not in c["hs_subheadings"]:
            c["hs_subheadings"].append(r.hs_subheading)
    return list(found.values())


def send(ctx: NodeContext, uow: UnitOfWork, principal: Principal, period: str, gate_code: str) -> tuple[int, dict]:
    if not principal.may("statistics.report"):
        raise Forbidden(f"role {principal.role} may not send statistics reports")
    gate = ctx.node.gate(gate_code.upper())
    problems = []
    if gate is None:
        problems.append(Problem("gate", f"gate {gate_code!r} is not operated by node {ctx.node.id}; expected one of "
                                        f"{', '.join(ctx.node.gates)}", "gate.unknown"))
    try:
        month_days(period)
    except ValueError:
        problems.append(Problem("period", f"{period!r} is not a month; expected YYYY-MM", "statistics.period_month"))
    if problems:
        raise ValidationFailed(problems)
    recipient = ctx.partner_for(gate.code)
    if recipient is None:
        raise ValidationFailed([Problem("gate", f"no partner node is configured for {gate.code}",
                                        "partner.none")])
    return 201, queue(ctx, uow, gate.code, period, recipient, actor=principal.actor)


def queue(ctx: NodeContext, uow: UnitOfWork, gate: str, period: str, recipient: str, *, actor: str) -> dict:
    """The report's parts, in the outbox (one stream: the partner applies them in order)."""
    start, end = month_days(period)
    q = st.TradeQuery("year", start, end, ("direction", "commodity_group"), gates=(gate,))
    figures = statistics.trade(ctx, uow, q)
    totals = [{k: row[k] for k in ("direction", "commodity_group", *st.MEASURES)} for row in figures["rows"]]
    counted = crossings_of(uow, gate, start, end)
    size = m.STATISTICS_CROSSINGS_PER_PART
    chunks = [counted[i:i + size] for i in range(0, len(counted), size)] or [[]]
    report_id, now = str(uuid.uuid4()), ctx.clock.now()
    message_ids = []
    for number, chunk in enumerate(chunks, start=1):
        payload = m.StatisticsReport(
            report_id=report_id, period=period, gate=gate, part=number, parts=len(chunks), generated_at=now,
            totals=totals if number == 1 else [], rates=figures["rates"] if number == 1 else [],
            crossings=[{**{k: c[k] for k in ("crossing_id", "counterpart_id", "reference", "direction",
                                             "gross_kg", "value_usd", "hs_subheadings")},
                        "exited_at": c["exited_at"]} for c in chunk]).model_dump(mode="json")
        message_id = partner.send(ctx, uow, type_="statistics_report", recipient=recipient, stream="statistics",
                                  payload=payload)
        uow.conn.execute(insert(t.statistics_reports).values(
            message_id=message_id, report_id=report_id, direction="sent", partner=recipient, gate=gate,
            period=period, part=number, parts=len(chunks), payload=payload, at=now))
        message_ids.append(message_id)
    uow.log_action(at=now, actor=actor, action="statistics.report_sent", subject=report_id,
                   data={"gate": gate, "period": period, "partner": recipient, "parts": len(chunks),
                         "crossings": len(counted)})
    return {"report_id": report_id, "gate": gate, "period": period, "partner": recipient, "parts": len(chunks),
            "crossings": len(counted), "message_ids": message_ids, "totals": totals}


def previous_month(ctx: NodeContext, gate_code: str) -> str:
    today = ctx.clock.now().astimezone(ZoneInfo(ctx.node.gate(gate_code).timezone)).date()
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last:%Y-%m}"


def send_due(ctx: NodeContext) -> None:
    """The clockwork's step: last month's report for every gate with a partner, once (a month in
    which nothing crossed a gate sends nothing)."""
    for gate in ctx.node.gates.values():
        recipient = ctx.partner_for(gate.code)
        if recipient is None:
            continue
        period = previous_month(ctx, gate.code)
        if not _due(ctx, gate.code, period):  # looked at without the writer's lock: most rounds stop here
            continue
        trade_months.build(ctx, *month_days(period))  # the month is over: sum it once, for every report after
        with ctx.uow() as uow:
            if _due(ctx, gate.code, period, uow):
                report = queue(ctx, uow, gate.code, period, recipient, actor="node:clockwork")
                uow.commit()
                log.info("statistics report %s for %s sent to %s (%d parts)", period, gate.code, recipient,
                         report["parts"])


def _due(ctx: NodeContext, gate: str, period: str, uow: UnitOfWork | None = None) -> bool:
    """Something crossed `gate` in `period` and no report for it has been sent yet."""
    if uow is None:
        with ctx.uow(write=False) as reader:
            return _due(ctx, gate, period, reader)
    start, end = month_days(period)
    sent = uow.conn.execute(select(R.message_id).where(R.direction == "sent", R.gate == gate,
                                                       R.period == period).limit(1)).first()
    crossed = uow.conn.execute(select(L.id).where(L.gate == gate, L.day >= start.isoformat(),
                                                  L.day <= end.isoformat()).limit(1)).first()
    return sent is None and crossed is not None


def receive(ctx: NodeContext, uow: UnitOfWork, sender: str, p: m.StatisticsReport, message_id: str) -> None:
    """Keep the part, and the partner's figures of each crossing it lists (newest report wins)."""
    now = ctx.clock.now()
    uow.conn.execute(insert(t.statistics_reports).values(
        message_id=message_id, report_id=p.report_id, direction="received", partner=sender, gate=p.gate,
        period=p.period, part=p.part, parts=p.parts, payload=p.model_dump(mode="json"), at=now))
    x = t.partner_trade_crossings.c
    for c in p.crossings:
        uow.conn.execute(delete(t.partner_trade_crossings).where(x.partner == sender, x.crossing_id == c.crossing_id))
        uow.conn.execute(insert(t.partner_trade_crossings).values(
            partner=sender, crossing_id=c.crossing_id, counterpart_id=c.counterpart_id, reference=c.reference,
            gate=p.gate, direction=c.direction, period=p.period, exited_at=c.exited_at, gross_kg=c.gross_kg,
            value_usd=c.value_usd, hs_subheadings=",".join(sorted(c.hs_subheadings)), report_id=p.report_id,
            received_at=now))
