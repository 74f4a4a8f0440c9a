"""`borderflow demo --headless`: two real nodes, simulated trucks, one summary line."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.support.nodes import free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]


def test_the_demo_crosses_trucks_and_both_nodes_tell_the_same_story(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "borderflow", "demo", "--headless", "--duration", "40", "--speed", "30",
         "--scale", "0.05", "--data-dir", str(tmp_path / "demo"), "--port", str(free_port())],
        capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"demo: (\d+) trucks crossed, (\d+) waiting, nodes agree: (yes|no)", summary)
    assert match, summary
    assert int(match[1]) >= 1 and match[3] == "yes", summary
    assert (tmp_path / "demo" / "vn" / "node.toml").is_file() and (tmp_path / "demo" / "cn" / "keys").is_dir()
