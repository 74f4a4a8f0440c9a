"""`borderflow device add` prints the device's key alone; `device list` shows it; `retire` stops it."""

from __future__ import annotations

from typer.testing import CliRunner

from borderflow.cli import app


def test_device_add_list_retire(tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BORDERFLOW_DB_URL", raising=False)
    runner = CliRunner()
    added = runner.invoke(app, ["device", "add", "--vendor", "hikvision", "--gate", "KIMTHANH", "--lane", "OUT-1",
                                "--camera-lane", "2=OUT-2"])
    assert added.exit_code == 0, added.output
    key = added.stdout.strip().splitlines()[-1]
    assert key.startswith("bf_") and f"/api/v1/devices/k/{key}/hikvision/events" in added.stderr
    listed = runner.invoke(app, ["device", "list"])
    assert "hikvision-kimthanh-out-1\thikvision\tcamera\tKIMTHANH\tOUT-1\tnever\twaiting" in listed.stdout
    wrong = runner.invoke(app, ["device", "add", "--vendor", "hikvision", "--gate", "KIMTHANH", "--lane", "OUT-9"])
    assert wrong.exit_code == 2 and "has no lane 'OUT-9'" in wrong.stderr
    relay = runner.invoke(app, ["device", "add", "--vendor", "relay", "--gate", "KIMTHANH", "--lane", "OUT-1"])
    assert relay.exit_code == 2 and "--url" in relay.stderr
    retired = runner.invoke(app, ["device", "retire", "hikvision-kimthanh-out-1"])
    assert retired.exit_code == 0, retired.output
    assert "hikvision-kimthanh-out-1" not in runner.invoke(app, ["device", "list"]).stdout
