"""Shared fixtures: a real node per database backend, and the people who use it."""

from __future__ import annotations

import pytest

from tests.support.nodes import running_on

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
DECLARANT_TAX_ID = "5300123456"
OTHER_TAX_ID = "0100109106"


@pytest.fixture(scope="session", params=BACKENDS)
def node(request, tmp_path_factory):
    """One running VN node per backend, shared by the API tests (they use fresh plates)."""
    with running_on(request.param, tmp_path_factory.mktemp(f"node-{request.param}")) as running:
        yield running


@pytest.fixture(scope="session")
def declarant(node):
    with node.client("declarant", DECLARANT_TAX_ID) as client:
        yield client


@pytest.fixture(scope="session")
def other_declarant(node):
    with node.client("declarant", OTHER_TAX_ID) as client:
        yield client


def _persona(role):
    @pytest.fixture(scope="session")
    def fixture(node):
        with node.client(role) as client:
            yield client
    return fixture


customs = _persona("customs")
border_guard = _persona("border_guard")
quarantine = _persona("quarantine")
gate_operator = _persona("gate_operator")
supervisor = _persona("supervisor")
device = _persona("device")
partner = _persona("partner")
driver = _persona("driver")


@pytest.fixture(scope="session")
def anonymous(node):
    with node.client() as client:
        yield client
