"""What every use case needs to know about the node it runs in, built once at start-up."""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from borderflow.domain.clock import Clock
from borderflow.domain.gates import Node
from borderflow.domain.selectivity import RuleSet
from borderflow.domain.signoffs import SignoffRules
from borderflow.domain.yard_rules import YardRules
from borderflow.domain.validation import ValidationContext
from borderflow.exchange.config import ExchangeConfig
from borderflow.reference.region import NodeFile
from borderflow.settings import Settings
from borderflow.store.unit_of_work import UnitOfWork


@dataclass
class NodeContext:
    node: Node
    engine: Engine
    clock: Clock
    rules: RuleSet
    secret: bytes
    hs_subheadings: Container[str]
    countries: Container[str]
    currencies: Container[str]
    phone_ok: Callable[[str], bool]
    min_read_confidence: float = 0.5
    max_days_ahead: int = 14
    yard: YardRules = field(default_factory=YardRules)
    signoff_rules: SignoffRules = field(default_factory=SignoffRules)
    settings: Settings | None = None
    node_file: NodeFile | None = None
    notifier: Callable[[dict[str, Any]], None] | None = None
    exchange: ExchangeConfig | None = None
    outbox_listener: Callable[[], None] | None = None  # wakes the dispatcher after a commit

    def uow(self, *, write: bool = True) -> UnitOfWork:
        """A unit of work whose commit first runs the reactions to what its use case recorded."""
        from borderflow.services import reactions
        return UnitOfWork(self.engine, write=write, before_commit=lambda uow: reactions.run(self, uow))

    def validation(self) -> ValidationContext:
        return ValidationContext(node=self.node, now=self.clock.now(), hs_subheadings=self.hs_subheadings,
                                 countries=self.countries, currencies=self.currencies, phone_ok=self.phone_ok,
                                 max_days_ahead=self.max_days_ahead, past_grace=timedelta(minutes=30))

    def partner_for(self, gate_code: str) -> str | None:
        """The partner node that operates the gate facing `gate_code`, if one is configured."""
        return next(iter(self.node.partners), None)
