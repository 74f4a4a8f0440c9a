"""The mirror reconciliation's findings, truck by truck, and what they say in each language."""

from __future__ import annotations

from datetime import UTC, datetime

from borderflow.i18n.localize import localize
from borderflow.services import reconciliation


def row(crossing_id: str, reference: str, period: str, *, gross_kg: float = 20_000, hs: str = "071410",
        value_usd: float | None = 6000, at: datetime = datetime(2026, 6, 30, 16, 50, tzinfo=UTC)) -> dict:
    return {"crossing_id": crossing_id, "reference": reference, "period": period, "gross_kg": gross_kg,
            "hs_subheadings": hs, "value_usd": value_usd, "direction": "export", "exited_at": at}


def test_a_truck_out_before_midnight_on_the_last_day_and_in_after_it_is_counted_in_two_months():
    """Out of Huu Nghi at 23:50 on 30 June (Hanoi), into Youyiguan at 00:10 on 1 July (Beijing): each
    side's month is right, and the finding says why the June figures differ."""
    ours = [row("vn-1", "HN-1", "2026-06")]
    theirs_july = row("cn-1", "YY-1", "2026-07", at=datetime(2026, 6, 30, 16, 10, tzinfo=UTC))
    result = reconciliation._compare(ours, [], {"vn-1": theirs_july})
    assert result["matched"] == 0 and result["counts"]["other_period"] == 1
    (finding,) = result["discrepancies"]
    assert (finding["kind"], finding["params"]) == ("other_period", {"reference": "HN-1", "ours": "2026-06",
                                                                     "theirs": "2026-07"})
    assert finding["msg"] == "HN-1 is counted in 2026-06 here and 2026-07 there"
    assert finding["msg"].code == "reconciliation.other_period"


def test_findings_are_said_in_the_callers_language():
    ours = [row("vn-1", "HN-1", "2026-06"), row("vn-2", "HN-2", "2026-06", gross_kg=20_000)]
    linked = {"vn-1": None, "vn-2": row("cn-2", "YY-2", "2026-06", gross_kg=17_000)}
    result = reconciliation._compare(ours, [], linked)
    answers = {lang: {d["kind"]: d["msg"] for d in localize(result, lang)["discrepancies"]} for lang in ("vi", "zh")}
    assert answers["vi"]["crossed_here_only"].startswith("HN-1 đã qua cửa khẩu bên này")
    assert "毛重本方" in answers["zh"]["gross_weight"] and "17000" in answers["zh"]["gross_weight"].replace(",", "")
    assert all("here" not in text for found in answers.values() for text in found.values())
