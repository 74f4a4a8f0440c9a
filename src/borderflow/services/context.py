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
from borderflow.domain.statistics import CommodityGroups
from borderflow.domain.designations import Designations
from borderflow.domain.yard_rules import YardRules
from borderflow.domain.validation import ValidationContext
from borderflow.exchange.config import ExchangeConfig
from borderflow.reference import commodity_groups, designations
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
    barrier_sender: Any = None  # devices/barrier/sender.py, made on first use
    # trade statistics and gate designations (reference/commodity_groups.toml, designations.toml,
    # or the operator's files named by BORDERFLOW_COMMODITY_GROUPS / BORDERFLOW_DESIGNATIONS)
    commodity_groups: CommodityGroups = field(default_factory=lambda: commodity_groups.load())
    designations: Designations | None = None

    def __post_init__(self) -> None:
        """Read the operator's reference files now, so a bad one stops the node at start-up."""
        if self.settings is not None and self.settings.commodity_groups:
            self.commodity_groups = commodity_groups.load(self.settings.commodity_groups)
        if self.designations is None:
            self.designations = designations.load(self.settings.designations if self.settings else None,
                                                  self.commodity_groups)

    def uow(self, *, write: bool = True) -> UnitOfWork:
        """A unit of work whose commit first runs the reactions to what its use case recorded."""
        from borderflow.services import reactions
        return UnitOfWork(self.engine, write=write, before_commit=lambda uow: reactions.run(self, uow))

    def validation(self) -> ValidationContext:
        return ValidationContext(node=self.node, now=self.clock.now(), hs_subheadings=self.hs_subheadings,
                                 countries=self.countries, currencies=self.currencies, phone_ok=self.phone_ok,
                                 max_days_ahead=self.max_days_ahead, past_grace=timedelta(minutes=30),
                                 designations=self.designations, commodity_groups=self.commodity_groups)

    def partner_for(self, gate_code: str) -> str | None:
        """The partner node that operates the gate facing `gate_code`, if one is configured."""
        return next(iter(self.node.partners), None)
