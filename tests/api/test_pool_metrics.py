"""`/metrics` shows the node's database pool: its size, the connections in use, the overflow."""

from __future__ import annotations

from contextlib import ExitStack

from tests.api.test_hardening import sample


def test_the_pool_gauges_follow_connections_taken_and_given_back(node):
    with node.client("metrics") as monitor:
        idle = monitor.get("/metrics").text
        with ExitStack() as held:
            for _ in range(3):  # the node under test runs in this process: the same pool
                held.enter_context(node.ctx.engine.connect())
            busy = monitor.get("/metrics").text
        after = monitor.get("/metrics").text
    assert sample(idle, "borderflow_db_pool_size") == node.ctx.engine.pool.size() == 20
    assert sample(busy, "borderflow_db_pool_checked_out") >= sample(idle, "borderflow_db_pool_checked_out") + 3
    assert sample(after, "borderflow_db_pool_checked_out") <= sample(busy, "borderflow_db_pool_checked_out") - 3
    assert "borderflow_db_pool_overflow" in busy
