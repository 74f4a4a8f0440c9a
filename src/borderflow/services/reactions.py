"""What follows from what happened: run once per unit of work, just before it commits, over
the events its use case recorded on crossings (never from a reason string).

Nothing happened, nothing follows: three weighings of an unchanged truck send no message,
a held truck weighed again is not told again. Each crossing's events are taken together,
so one plate read that arrives, releases and lets a truck out is one status message.
"""

from __future__ import annotations

from collections.abc import Callable

from borderflow.domain import lifecycle
from borderflow.domain.crossing import CrossingEvent
from borderflow.services import notify, partner, yard
from borderflow.services.context import NodeContext
from borderflow.store.repositories import CrossingRecord
from borderflow.store.unit_of_work import UnitOfWork

# Moves the partner hears about (the last of them, per unit of work and crossing).
NEWS = frozenset({"arrive", "hold", "fail_inspection", "release", "exit", "cancel", "refuse"})
Reaction = Callable[[NodeContext, UnitOfWork, CrossingRecord, list[CrossingEvent]], None]


def tell_partner(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, events: list[CrossingEvent]) -> None:
    actions = [e.action for e in events]
    if "declare" in actions:
        if record.crossing.direction == "export":
            partner.pre_arrival(ctx, uow, record, "declared")
        elif "origin_node" in record.partner:  # tell the announcing side our counterpart exists
            partner.status_news(ctx, uow, record, events[actions.index("declare")])
    elif "amend" in actions:
        partner.pre_arrival(ctx, uow, record, "amended")
    news = [e for e in events if e.action in NEWS]
    if news:
        partner.status_news(ctx, uow, record, news[-1])


def tell_driver(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, events: list[CrossingEvent]) -> None:
    crossing = record.crossing
    if crossing.status == lifecycle.HELD and any(e.to_status == lifecycle.HELD and e.from_status != lifecycle.HELD
                                                 for e in events):
        notify.tell(ctx, uow, crossing.id, "held", f"Stopped: {crossing.hold_reason}",
                    {"hold_reason": crossing.hold_reason})
    elif crossing.status == lifecycle.RELEASED and any(e.action == "release" for e in events):
        notify.tell(ctx, uow, crossing.id, "released", "Cleared: drive through the barrier", {})


def tidy_yard(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, events: list[CrossingEvent]) -> None:
    if any(e.to_status in yard.DONE and e.from_status != e.to_status for e in events):
        yard.tidy(ctx, uow, record.crossing.id, record.crossing.status)


REACTIONS: tuple[Reaction, ...] = (tell_partner, tell_driver, tidy_yard)


def run(ctx: NodeContext, uow: UnitOfWork) -> None:
    recorded = uow.crossings.recorded
    while recorded:
        batch = recorded[:]
        recorded.clear()
        by_crossing: dict[str, list[CrossingEvent]] = {}
        for crossing_id, event in batch:
            by_crossing.setdefault(crossing_id, []).append(event)
        for crossing_id, events in by_crossing.items():
            record = uow.crossings.get(crossing_id)
            for react in REACTIONS:
                react(ctx, uow, record, events)
