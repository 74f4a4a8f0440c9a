"""The operator's rules for slots, the yard and call-forward, in one place.

Pure and validated: the node builds one `YardRules` at start-up from its settings
(a bad value stops it there, naming the setting), and the yard service, the booking
service and the simulator all read their numbers and choices from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from borderflow.domain.queueing import ORDINARY, PERISHABLE, PRIORITIES, TRUSTED, QueuePolicy, policy_from_name

BAY_LANES = frozenset({"yellow", "red"})  # risk lanes whose trucks are sent to an inspection bay
CANCELLATION_WINDOW = timedelta(days=7)  # max_cancellations_per_week counts over this window
CANCELLED = "cancelled"  # a booking's status once its declarant (or an officer for it) cancelled it


@dataclass(frozen=True)
class YardRules:
    queue_policy: str = "priority"
    call_pattern: tuple[str, ...] = (PERISHABLE, TRUSTED) + (ORDINARY,) * 5
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
    max_cancellations_per_week: int = 10
    trusted_after: int = 20
    # The partner's announced acceptance: how old a notice may be before it no longer counts,
    # and the trucks per hour assumed where no current notice speaks (never "unlimited").
    partner_notice_max_age: timedelta = timedelta(minutes=45)
    partner_fallback_per_hour: int = 0
    # How far ahead and how often this node announces its own acceptance capacity.
    announce_hours: int = 48
    announce_every: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        object.__setattr__(self, "call_pattern", tuple(self.call_pattern))
        self.policy()  # an unknown policy or pattern class fails here, at start-up
        for name in ("per_lane_per_hour", "called_per_lane", "max_reschedules", "no_show_limit", "trusted_after",
                     "partner_fallback_per_hour", "announce_hours"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if self.max_cancellations_per_week < 1:
            raise ValueError(f"max_cancellations_per_week must be 1 or more, got {self.max_cancellations_per_week}")
        if not 0 <= self.bookable_share <= 1:
            raise ValueError(f"bookable_share must be between 0 and 1, got {self.bookable_share}")

    @classmethod
    def from_settings(cls, s) -> YardRules:  # noqa: ANN001
        """From the node's typed settings (BORDERFLOW_*)."""
        return cls(queue_policy=s.queue_policy, call_pattern=tuple(p.strip() for p in s.call_pattern.split(",")),
                   max_wait=timedelta(hours=s.max_wait_hours), per_lane_per_hour=s.per_lane_per_hour,
                   called_per_lane=s.called_per_lane, call_timeout=timedelta(minutes=s.call_timeout_minutes),
                   bookable_share=s.bookable_share, booking_horizon=timedelta(days=s.booking_horizon_days),
                   early=timedelta(minutes=s.early_minutes), late=timedelta(minutes=s.late_minutes),
                   max_reschedules=s.max_reschedules, no_show_limit=s.no_show_limit,
                   no_show_window=timedelta(days=s.no_show_window_days),
                   no_show_ban=timedelta(days=s.no_show_ban_days),
                   max_cancellations_per_week=s.max_cancellations_per_week, trusted_after=s.trusted_after,
                   partner_notice_max_age=timedelta(minutes=s.partner_notice_max_age_minutes),
                   partner_fallback_per_hour=s.partner_fallback_per_hour,
                   announce_every=timedelta(minutes=s.announce_every_minutes))

    def may_book_again(self, *, moves: int, last_status: str | None) -> bool:
        """Whether a crossing may take a new booking, given the moves it made (`moves_made`) and
        how its latest earlier booking ended (None: it never had one). Booking again after the
        declarant's cancellation completes a move, so once the moves reach the limit it is refused;
        after a booking ended any other way (used, no-show, released for another vehicle) it is not
        a move the declarant chose."""
        return last_status != CANCELLED or moves < self.max_reschedules

    def cancellations_block_until(self, cancelled_at: Iterable[datetime], now: datetime) -> datetime | None:
        """When a declarant whose bookings were cancelled at these times may book again; None if now.

        Only cancellations of the last 7 days count. At the limit, booking is refused until enough
        of them are 7 days old for the count to fall below it: with exactly the limit, until the
        oldest one is."""
        recent = sorted(at for at in cancelled_at if at > now - CANCELLATION_WINDOW)
        over = len(recent) - self.max_cancellations_per_week
        return None if over < 0 else recent[over] + CANCELLATION_WINDOW

    def policy(self) -> QueuePolicy:
        options = {"priority": {"pattern": self.call_pattern, "max_wait": self.max_wait,
                                "early": self.early, "late": self.late},
                   "booked_first": {"early": self.early, "late": self.late}}.get(self.queue_policy, {})
        return policy_from_name(self.queue_policy, **options)

    def call_budget(self, *, places_left: int, lanes: int, in_flight: int) -> int:
        """Trucks one call-forward step may call: what the hour still has room for, and no more
        than the lanes can take while `in_flight` trucks are already on their way."""
        return max(0, min(places_left, lanes * self.called_per_lane - in_flight))

    def priority_of(self, *, perishable: bool, crossings: int, refused: int, inspections_failed: int) -> str:
        """Perishable goods first; then traders with a clean record; then everyone else."""
        if perishable:
            return PERISHABLE
        clean = refused == 0 and inspections_failed == 0
        return TRUSTED if clean and crossings >= self.trusted_after else ORDINARY


def needs_bay(risk_lane: str) -> bool:
    return risk_lane in BAY_LANES


def moves_made(earlier: Iterable[tuple[str, int]]) -> int:
    """The moves a crossing's bookings made, from its earlier bookings as (status, reschedules).

    A booking starts with the moves its crossing made before it and counts each reschedule on
    top; a cancellation is one move more. So the crossing's count is the largest of its bookings'."""
    return max((reschedules + (status == CANCELLED) for status, reschedules in earlier), default=0)


__all__ = ["BAY_LANES", "CANCELLATION_WINDOW", "CANCELLED", "PRIORITIES", "YardRules", "moves_made", "needs_bay"]
