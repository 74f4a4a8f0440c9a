"""Wire a node together from settings: the one place adapters meet the core."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from borderflow.domain.clock import AcceleratedClock, Clock, SystemClock
from borderflow.domain.yard_rules import YardRules
from borderflow.exchange.config import ExchangeConfig, KeyRing, Partner
from borderflow.exchange.messages import LATEST_VERSION
from borderflow.reference import codes
from borderflow.reference.hscodes import hs2022_subheadings
from borderflow.reference.region import NodeFile, load_node
from borderflow.reference.rules_loader import load_rule_files
from borderflow.services.context import NodeContext
from borderflow.settings import Settings
from borderflow.store import migrate
from borderflow.store.db import make_engine


def build_context(settings: Settings, *, clock: Clock | None = None, upgrade: bool = True) -> NodeContext:
    node_file: NodeFile = load_node(settings.node)
    engine = make_engine(settings.database_url(), sqlite_synchronous=settings.sqlite_synchronous)
    if upgrade:
        migrate.upgrade(engine)
    rules_source = settings.rules or (None if node_file.rules == "default" else node_file.rules)
    selectivity, signoffs = load_rule_files(rules_source)
    from borderflow.services.notify import notifier_for
    return NodeContext(
        node=node_file.node, engine=engine, clock=clock or node_clock(settings), rules=selectivity,
        signoff_rules=signoffs,
        yard=YardRules.from_settings(settings), settings=settings, node_file=node_file,
        notifier=notifier_for(settings.notify_webhook),
        secret=settings.node_secret(), hs_subheadings=hs2022_subheadings(), countries=codes.countries(),
        currencies=codes.currencies(), phone_ok=codes.phone_ok, min_read_confidence=settings.min_read_confidence,
        max_days_ahead=settings.max_days_ahead,
        exchange=exchange_config(settings, node_file),
    )


def node_clock(settings: Settings) -> Clock:
    """The node's time: the system clock, or the accelerated clock BORDERFLOW_CLOCK_START/SPEED ask for.

    An accelerated clock is anchored to a real moment (BORDERFLOW_CLOCK_ANCHOR, default: now),
    so that nodes, workers and the demo's drivers given the same three values share one
    timeline, and a node restarted with them carries on where its time had got to.
    """
    if settings.clock_start is None and settings.clock_speed == 1:
        return SystemClock()
    real_now = datetime.now(UTC)
    return AcceleratedClock.anchored(settings.clock_start or real_now, settings.clock_speed,
                                     settings.clock_anchor or real_now)


def exchange_config(settings: Settings, node_file: NodeFile) -> ExchangeConfig:
    partners = {}
    for partner_id, link in node_file.node.partners.items():
        key_file = link.get("api_key_file")
        api_key = Path(key_file).read_text().strip() if key_file and Path(key_file).is_file() else None
        partners[partner_id] = Partner(partner_id, link["url"], dict(link["public_keys"]), api_key,
                                       link.get("message_version") or LATEST_VERSION)
    return ExchangeConfig(keys=KeyRing(settings.data_dir), partners=partners,
                          replay_window=timedelta(hours=settings.exchange_replay_window_hours),
                          batch_size=settings.exchange_batch_size, batch_bytes=settings.exchange_batch_bytes,
                          max_backoff=settings.exchange_max_backoff_seconds)


def settle_heap() -> None:
    """Once the node is up: what start-up built (reference data, rules, routes, statements built
    once; ~170,000 objects) lives as long as the process, yet every full collection walked it
    again, ~100 ms with every thread stopped, every few seconds under load: the barrier's p99.
    Frozen, the collector walks only what came after. Garbage among it is still freed by its
    reference count; only a cycle made at start-up would stay."""
    gc.collect()
    gc.freeze()
