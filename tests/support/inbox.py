"""A node that trusts a partner key the test holds, so tests can sign and deliver batches
themselves (as CN-BORDER), without a second node."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from borderflow.exchange import keys as keyfiles
from borderflow.exchange.config import Partner
from borderflow.exchange.envelope import SigningKey
from borderflow.services import apikeys
from tests.conftest import BACKENDS
from tests.support.nodes import RunningNode, running_on

PARTNER = "CN-BORDER"


@dataclass
class ReceivingNode:
    node: RunningNode
    partner_key: SigningKey
    headers: dict[str, str]

    def deliver(self, *messages: Any) -> httpx.Response:
        return httpx.post(self.node.url + "/api/v1/exchange/messages", json={"messages": list(messages)},
                          headers=self.headers, timeout=30)

    def deliver_raw(self, text: str) -> httpx.Response:
        return httpx.post(self.node.url + "/api/v1/exchange/messages", content=text.encode(),
                          headers={**self.headers, "Content-Type": "application/json"}, timeout=30)


@pytest.fixture(scope="module", params=BACKENDS)
def receiving_node(request, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp(f"inbox-{request.param}")
    with running_on(request.param, data_dir) as running:
        now = datetime.now(UTC)
        keyfiles.generate(data_dir, running.ctx.node.id, now)  # for the receipts
        partner_key = SigningKey(f"{PARTNER}-TEST", Ed25519PrivateKey.generate())
        link = running.ctx.exchange.partners[PARTNER]
        running.ctx.exchange.partners[PARTNER] = Partner(PARTNER, link.url, {partner_key.key_id:
                                                                             partner_key.public_b64()}, None)
        api_key = apikeys.create(running.ctx.engine, role="partner", name=PARTNER, declarant_tax_id=None, at=now)
        yield ReceivingNode(running, partner_key, {"Authorization": f"Bearer {api_key}"})


def incident(**overrides: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "gate": "YOUYIGUAN", "occurred_at": datetime.now(UTC).isoformat(),
            "category": "other", "severity": "info", "summary": "a test report", **overrides}


def unsigned(receiving: ReceivingNode, *, stream: str, seq: int, payload: dict | None = None) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"message_id": str(uuid.uuid4()), "type": "incident_report", "schema_version": 1, "sender": PARTNER,
            "recipient": receiving.node.ctx.node.id, "created_at": now, "sent_at": now, "stream": stream,
            "seq": seq, "payload": payload if payload is not None else incident()}


def envelope(receiving: ReceivingNode, *, stream: str, seq: int, payload: dict | None = None) -> dict[str, Any]:
    """An incident report from the partner, signed with the key the node trusts."""
    return receiving.partner_key.sign(unsigned(receiving, stream=stream, seq=seq, payload=payload))
