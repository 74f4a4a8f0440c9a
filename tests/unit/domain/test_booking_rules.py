"""The rules against speculative booking, without a node: moves, cancellations per week, refusals."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI

from borderflow.api import problems
from borderflow.domain.errors import Conflict
from borderflow.domain.yard_rules import CANCELLATION_WINDOW, YardRules, moves_made
from borderflow.settings import Settings, SettingsError, load_settings

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("earlier", "moves"), [
    ([], 0),
    ([("active", 0)], 0),
    ([("cancelled", 0)], 1),  # a cancellation is a move
    ([("cancelled", 0), ("cancelled", 1)], 2),  # the second booking started with the first's move
    ([("cancelled", 2)], 3),  # two reschedules, then cancelled
    ([("cancelled", 0), ("released", 1)], 1),  # released for another vehicle: no move
    ([("no_show", 1)], 1),
    ([("used", 2)], 2),
])
def test_moves_are_the_crossings_not_one_bookings(earlier, moves):
    assert moves_made(earlier) == moves


@pytest.mark.parametrize(("moves", "last_status", "allowed"), [
    (0, None, True),  # a first booking
    (1, "cancelled", True),
    (2, "cancelled", False),  # booking again after cancelling, at the limit
    (3, "cancelled", False),
    (2, "released", True),  # the release was not the declarant's choice
    (2, "no_show", True),  # the no-show ban deals with that
])
def test_booking_again_after_cancelling_stops_at_the_reschedule_limit(moves, last_status, allowed):
    assert YardRules(max_reschedules=2).may_book_again(moves=moves, last_status=last_status) is allowed


def test_no_reschedules_means_no_booking_again_after_cancelling():
    rules = YardRules(max_reschedules=0)
    assert rules.may_book_again(moves=0, last_status=None)
    assert rules.may_book_again(moves=0, last_status="released")
    assert not rules.may_book_again(moves=1, last_status="cancelled")


def test_below_the_cancellation_limit_nothing_is_blocked():
    rules = YardRules(max_cancellations_per_week=3)
    assert rules.cancellations_block_until([], NOW) is None
    assert rules.cancellations_block_until([NOW - timedelta(hours=h) for h in (1, 2)], NOW) is None


def test_at_the_limit_booking_waits_until_the_oldest_cancellation_is_a_week_old():
    rules = YardRules(max_cancellations_per_week=3)
    times = [NOW - timedelta(hours=1), NOW - timedelta(days=6), NOW - timedelta(days=2)]
    assert rules.cancellations_block_until(times, NOW) == NOW - timedelta(days=6) + CANCELLATION_WINDOW


def test_over_the_limit_booking_waits_until_the_count_falls_below_it():
    rules = YardRules(max_cancellations_per_week=2)
    times = [NOW - timedelta(days=d) for d in (6, 5, 4, 1)]
    # four in the week, two allowed: three must be a week old before the count is one
    assert rules.cancellations_block_until(times, NOW) == NOW - timedelta(days=4) + CANCELLATION_WINDOW


def test_cancellations_older_than_a_week_do_not_count():
    rules = YardRules(max_cancellations_per_week=2)
    assert rules.cancellations_block_until([NOW - timedelta(days=7), NOW - timedelta(days=1)], NOW) is None
    assert rules.cancellations_block_until([NOW - timedelta(days=9), NOW - timedelta(days=8)], NOW) is None
    blocked = [NOW - timedelta(days=7) + timedelta(seconds=1), NOW]
    assert rules.cancellations_block_until(blocked, NOW) == NOW + timedelta(seconds=1)


def test_the_cancellation_limit_is_a_setting_with_bounds(monkeypatch, tmp_path):
    assert Settings(data_dir=tmp_path).max_cancellations_per_week == 10
    assert YardRules().max_cancellations_per_week == 10
    monkeypatch.setenv("BORDERFLOW_MAX_CANCELLATIONS_PER_WEEK", "4")
    settings = load_settings(data_dir=tmp_path)
    assert settings.max_cancellations_per_week == 4
    assert YardRules.from_settings(settings).max_cancellations_per_week == 4
    for bad in ("0", "1001", "many"):
        monkeypatch.setenv("BORDERFLOW_MAX_CANCELLATIONS_PER_WEEK", bad)
        with pytest.raises(SettingsError, match="BORDERFLOW_MAX_CANCELLATIONS_PER_WEEK"):
            load_settings(data_dir=tmp_path)
    with pytest.raises(ValueError, match="max_cancellations_per_week"):
        YardRules(max_cancellations_per_week=0)


def test_a_conflict_keeps_its_old_signature():
    plain = Conflict("no", current_status="held")
    assert (plain.detail, plain.current_status, plain.rule, plain.until) == ("no", "held", None, None)
    ruled = Conflict("later", rule="cancellation_limit", until=NOW)
    assert (ruled.rule, ruled.until, ruled.current_status) == ("cancellation_limit", NOW, None)


def problem_body(exc: Conflict) -> tuple[int, str, dict]:
    app = FastAPI()
    problems.install(app)
    # In a thread of its own: another test in this process may have left an event loop running here.
    with ThreadPoolExecutor(1) as pool:
        response = pool.submit(asyncio.run, app.exception_handlers[Conflict](None, exc)).result()
    return response.status_code, response.media_type, json.loads(response.body)


def test_the_problem_body_names_the_rule_and_when_it_ends():
    _, _, plain = problem_body(Conflict("plain", current_status="held"))
    assert plain["current_status"] == "held" and "rule" not in plain and "until" not in plain
    status, media_type, ruled = problem_body(Conflict("ruled", current_status="banned", rule="no_show_ban",
                                                      until=NOW))
    assert (status, media_type) == (409, "application/problem+json")
    assert ruled["rule"] == "no_show_ban" and ruled["until"] == NOW.isoformat() and ruled["detail"] == "ruled"
    assert datetime.fromisoformat(ruled["until"]) == NOW
    _, _, forever = problem_body(Conflict("forever", rule="reschedule_limit"))
    assert forever["rule"] == "reschedule_limit" and forever["until"] is None
