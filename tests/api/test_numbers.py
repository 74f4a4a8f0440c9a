"""Numbers in the API's answers are JSON numbers, never strings: a declaration's weights and
values as the declarant sent them, the wait-time feed's counts and minutes."""

from __future__ import annotations

from tests.support.declarations import green_cargo


def numbers_in(goods: dict) -> tuple:
    return goods["gross_kg"], goods["net_kg"], goods["value"], goods["packages"]


def test_a_declarations_weights_and_values_come_back_as_numbers(declarant):
    body = green_cargo()
    body["goods"][0].update(gross_kg=20000, net_kg="19800.5", value=6000.25)
    created = declarant.post("/api/v1/crossings", json=body)
    assert created.status_code == 201, created.text
    for answer in (created.json(), declarant.get(f"/api/v1/crossings/{created.json()['id']}").json()):
        goods = answer["declaration"]["goods"][0]
        assert numbers_in(goods) == (20000, 19800.5, 6000.25, 800)
        assert all(type(n) in (int, float) for n in numbers_in(goods)), goods
    [version] = declarant.get(f"/api/v1/crossings/{created.json()['id']}/versions").json()
    assert numbers_in(version["declaration"]["goods"][0]) == (20000, 19800.5, 6000.25, 800)


def test_the_wait_feed_counts_and_minutes_are_numbers(anonymous):
    for row in anonymous.get("/api/v1/wait-times").json():
        for key in ("trucks_waiting", "lanes_open", "max_lanes", "capacity_per_hour", "crossed_trucks",
                    "wait_if_arriving_now_min", "current_median_wait_min", "typical_wait_now_min"):
            assert row[key] is None or type(row[key]) in (int, float), (key, row[key])
