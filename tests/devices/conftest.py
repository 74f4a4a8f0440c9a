"""A node of their own for the device tests (per backend): its clock is moved forward to make
devices silent and barrier confirmations late, which the shared node's tests must not see."""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS
from tests.support.nodes import running_on

CONFIRM_S = 1.0
SILENT_S = 60


@pytest.fixture(scope="session", params=BACKENDS)
def device_node(request, tmp_path_factory):
    with running_on(request.param, tmp_path_factory.mktemp(f"devices-{request.param}"),
                    barrier_confirm_seconds=CONFIRM_S, device_silent_seconds=SILENT_S,
                    device_max_image_bytes=64 * 1024) as running:
        yield running
