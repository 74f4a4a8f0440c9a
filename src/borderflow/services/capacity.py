"""How many trucks a gate takes per hour and direction: lanes and opening hours, a supervisor's
overrides, and (outbound) the partner's latest announced acceptance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from borderflow.domain import capacity as cap
from borderflow.domain.errors import Forbidden, NotFound, Problem, ValidationFailed
from borderflow.domain.gates import Gate
from borderflow.domain.queueing import QueuePolicy, policy_from_name
from borderflow.domain.roles import Principal
from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

DIRECTIONS = ("inbound", "outbound")
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class YardRules:
    """The operator's choices for slots, the yard and call-forward (BORDERFLOW_* settings)."""

    queue_policy: str = "priority"
    call_pattern: tuple[str, ...] = ("perishable", "trusted") + ("ordinary",) * 5
    max_wait: timedelta = timedelta(hours=6)
    per_lane_per_hour: int = 12
    called_per_lane: int = 2
    call_timeout: timedelta = timedelta(minutes=20)
    bookable_share: float = 0.8
    booking_horizon: timedelta = timedelta(days=14)
    early: timedelta = timedelta(minutes=30)
    late: timedelta = timedelta(minutes=30)
    max_reschedules: int = 2
    no_show_limit: int = 2
    no_show_window: timedelta = timedelta(days=30)
    no_show_ban: timedelta = timedelta(days=7)
    trusted_after: int = 20

    @classmethod
    def from_settings(cls, s) -> YardRules:  # noqa: ANN001
        return cls(queue_policy=s.queue_policy, call_pattern=tuple(p.strip() for p in s.call_pattern.split(",")),
                   max_wait=timedelta(hours=s.max_wait_hours), per_lane_per_hour=s.per_lane_per_hour,
                   called_per_lane=s.called_per_lane, call_timeout=timedelta(minutes=s.call_timeout_minutes),
                   bookable_share=s.bookable_share, booking_horizon=timedelta(days=s.booking_horizon_days),
                   early=timedelta(minutes=s.early_minutes), late=timedelta(minutes=s.late_minutes),
                   max_reschedules=s.max_reschedules, no_show_limit=s.no_show_limit,
                   no_show_window=timedelta(days=s.no_show_window_days),
                   no_show_ban=timedelta(days=s.no_show_ban_days), trusted_after=s.trusted_after)

    def policy(self) -> QueuePolicy:
        options = {"priority": {"pattern": self.call_pattern, "max_wait": self.max_wait},
                   "booked_first": {"early": self.early, "late": self.late}}.get(self.queue_policy, {})
        return policy_from_name(self.queue_policy, **options)


def rules(ctx: NodeContext) -> YardRules:
    if "yard_rules" not in ctx.extras:
        settings = ctx.extras.get("settings")
        ctx.extras["yard_rules"] = YardRules.from_settings(settings) if settings is not None else YardRules()
    return ctx.extras["yard_rules"]


def floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def gate_or_problem(ctx: NodeContext, code: str, field: str = "gate") -> Gate:
    gate = ctx.node.gate(code.upper())
    if gate is None:
        raise ValidationFailed([Problem(field, f"gate {code!r} is not operated by node {ctx.node.id}; expected one "
                                               f"of {', '.join(ctx.node.gates)}", "gate.unknown")])
    return gate


def direction_or_problem(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ValidationFailed([Problem("direction", f"{direction!r}: expected inbound or outbound",
                                        "direction.unknown")])
    return direction


def _overrides(uow: UnitOfWork, gate: str, direction: str, start: datetime, end: datetime) -> list[cap.Override]:
    o = t.capacity_overrides.c
    rows = uow.conn.execute(select(t.capacity_overrides).where(
        o.gate == gate, o.direction == direction, o.withdrawn_at.is_(None), o.starts_at < end, o.ends_at > start)
        .order_by(o.starts_at, o.id))
    return [cap.Override(r.starts_at, r.ends_at, r.trucks_per_hour, r.reason) for r in rows]


def _partner_notice(uow: UnitOfWork, gate: str) -> tuple[list, list, str | None]:
    row = uow.conn.execute(select(t.partner_capacity).where(t.partner_capacity.c.facing_gate == gate)
                           .order_by(t.partner_capacity.c.issued_at.desc())).first()
    if row is None:
        return [], [], None
    hours = [(datetime.fromisoformat(h["start"]), h["trucks"]) for h in row.notice["hours"]]
    closures = [(datetime.fromisoformat(c["start"]), datetime.fromisoformat(c["end"]) if c.get("end") else None)
                for c in row.notice["closures"]]
    return hours, closures, row.partner


def hours(ctx: NodeContext, uow: UnitOfWork, gate: Gate, direction: str, start: datetime,
          count: int) -> list[dict]:
    """Capacity per hour from `start`, with why: own lanes and hours, overrides, the partner's cap."""
    first = floor_hour(start)
    r = rules(ctx)
    overrides = _overrides(uow, gate.code, direction, first, first + count * HOUR)
    partner_hours, closures, partner = _partner_notice(uow, gate.code) if direction == "outbound" else ([], [], None)
    answer = []
    for i in range(count):
        hour = first + i * HOUR
        partner_cap = cap.partner_cap_for(partner_hours, closures, hour) if partner else None
        own = cap.hourly_capacity(gate, direction, hour, per_lane_per_hour=r.per_lane_per_hour, overrides=overrides)
        answer.append({"start": hour, "end": hour + HOUR, "own": own, "partner_cap": partner_cap,
                       "capacity": own if partner_cap is None else min(own, partner_cap),
                       "override": next((o.reason for o in reversed(overrides) if o.covers(hour)), None)})
    return answer


def capacity_now(ctx: NodeContext, uow: UnitOfWork, gate: Gate, direction: str, now: datetime) -> int:
    return hours(ctx, uow, gate, direction, now, 1)[0]["capacity"]


def calendar(ctx: NodeContext, uow: UnitOfWork, principal: Principal, gate_code: str, direction: str,
             count: int) -> list[dict]:
    if not principal.may("slots.read"):
        raise Forbidden(f"role {principal.role} may not read gate capacity")
    gate = gate_or_problem(ctx, gate_code)
    return [{**h, "start": iso(h["start"]), "end": iso(h["end"])}
            for h in hours(ctx, uow, gate, direction_or_problem(direction), ctx.clock.now(), count)]


def add_override(ctx: NodeContext, uow: UnitOfWork, principal: Principal, gate_code: str, body) -> tuple[int, dict]:  # noqa: ANN001
    if not principal.may("capacity.manage"):
        raise Forbidden(f"role {principal.role} may not change gate capacity")
    gate = gate_or_problem(ctx, gate_code)
    if body.ends_at <= body.starts_at:
        raise ValidationFailed([Problem("ends_at", "must be after starts_at", "time.order")])
    now = ctx.clock.now()
    row_id = uow.conn.execute(insert(t.capacity_overrides).values(
        gate=gate.code, direction=body.direction, starts_at=body.starts_at, ends_at=body.ends_at,
        trucks_per_hour=body.trucks_per_hour, reason=body.reason, created_by=principal.actor, created_at=now)
        .returning(t.capacity_overrides.c.id)).scalar_one()
    uow.log_action(at=now, actor=principal.actor, action="capacity.override", subject=str(row_id),
                   data={"gate": gate.code, "direction": body.direction, "trucks_per_hour": body.trucks_per_hour,
                         "from": iso(body.starts_at), "until": iso(body.ends_at), "reason": body.reason})
    return 201, {"id": row_id, "gate": gate.code, "direction": body.direction, "starts_at": iso(body.starts_at),
                 "ends_at": iso(body.ends_at), "trucks_per_hour": body.trucks_per_hour, "reason": body.reason}


def withdraw_override(ctx: NodeContext, uow: UnitOfWork, principal: Principal, override_id: int) -> tuple[int, dict]:
    if not principal.may("capacity.manage"):
        raise Forbidden(f"role {principal.role} may not change gate capacity")
    o = t.capacity_overrides.c
    now = ctx.clock.now()
    done = uow.conn.execute(update(t.capacity_overrides).where(o.id == override_id, o.withdrawn_at.is_(None))
                            .values(withdrawn_at=now)).rowcount
    if not done:
        raise NotFound(f"active capacity override {override_id}")
    uow.log_action(at=now, actor=principal.actor, action="capacity.withdraw", subject=str(override_id))
    return 200, {"id": override_id, "withdrawn_at": iso(now)}
