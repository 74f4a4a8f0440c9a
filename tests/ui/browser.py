"""What the UI tests do in a browser: sign in, fill a declaration, take screenshots, be a camera."""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from borderflow.web import forms

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
DECLARANT_TAX_ID = "5300123456"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
WALL = {"width": 1920, "height": 1080}
UI = [pytest.mark.slow, pytest.mark.xdist_group("ui")]


def sign_in(page, node, role: str, declarant: str | None = None) -> None:
    page.goto(node.url + "/login")
    page.get_by_label(re.compile("Access key|Khóa truy cập|访问密钥")).fill(node.key(role, declarant))
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(console|portal)"))


def fill_declaration(page, body: dict) -> None:
    """Type a declaration into the portal's form, field by field (names are the API's JSON paths)."""
    values = forms.flatten(body)
    values["expected_arrival"] = datetime.fromisoformat(body["expected_arrival"]).strftime("%Y-%m-%dT%H:%M")
    for name, value in values.items():
        field = page.locator(f'[name="{name}"]')
        if field.count() == 0:
            page.locator(f'button[data-add="{name.split("[")[0]}"]').click()
        tag = field.evaluate("el => el.tagName + ':' + el.type")
        if tag.startswith("SELECT"):
            field.select_option(value)
        elif tag.endswith("checkbox"):
            field.check()
        elif not field.evaluate("el => el.readOnly"):
            field.fill(value)


def shoot(page, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("BORDERFLOW_DOC_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)
    return path


def camera(node) -> httpx.Client:
    return node.client("device")


def plate_read(node, plate: str, *, lane: str = "OUT-1", kind: str = "plate_read", confidence: float = 0.93) -> dict:
    """A camera at Kim Thanh reports a plate (at a lane, or at the yard entrance)."""
    with camera(node) as device:
        response = device.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": lane, "kind": kind,
                                                            "plate": plate, "confidence": confidence})
    assert response.status_code == 201, response.text
    return response.json()


def open_gate_now(node, trucks_per_hour: int = 20) -> None:
    """Capacity for the next hours whatever the time of day (goods hours are 07–19 at the gate)."""
    start = node.clock.now() - timedelta(hours=1)
    end = start + timedelta(hours=4)
    with node.client("supervisor") as supervisor:
        response = supervisor.post("/api/v1/gates/KIMTHANH/capacity-overrides", json={
            "direction": "outbound", "starts_at": start.isoformat(), "ends_at": end.isoformat(),
            "trucks_per_hour": trucks_per_hour, "reason": "UI test: gate open"})
    assert response.status_code == 201, response.text
