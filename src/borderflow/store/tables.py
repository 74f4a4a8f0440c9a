"""The node's tables. SQLAlchemy Core: the domain never sees these.

Times are stored as aware UTC datetimes; JSON columns hold the declaration as
submitted, so amendments keep every version whole.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (JSON, BigInteger, Column, DateTime, Float, ForeignKey, Index, Integer, MetaData, SmallInteger, String,
                        Table, Text, TypeDecorator, UniqueConstraint, text)


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite would otherwise drop the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

UTC_TIME = UtcDateTime()
ID = String(36)
AUTO_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY

crossings = Table(
    "crossings", metadata,
    Column("id", ID, primary_key=True),
    Column("reference", String(16), nullable=False, unique=True),
    Column("direction", String(8), nullable=False),
    Column("gate", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("risk_lane", String(8), nullable=False),
    Column("risk_reasons", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("hold_reason", Text),
    Column("checks_passed", JSON, nullable=False),
    Column("signoffs", JSON, nullable=False, server_default=text("'[]'")),  # each agency's say, see domain/signoffs
    Column("declarant_tax_id", String(32), nullable=False),
    Column("plate", String(32), nullable=False),
    Column("plate_key", String(32), nullable=False),
    Column("trailer_plate", String(32)),
    Column("expected_arrival", UTC_TIME, nullable=False),
    Column("customs_declaration_no", String(32)),
    Column("declaration", JSON, nullable=False),
    Column("created_at", UTC_TIME, nullable=False),
    Column("updated_at", UTC_TIME, nullable=False),
    # The partner's side of the story: who announced an import crossing, and the
    # counterpart crossing's id, reference, latest status and clearance outcome.
    Column("origin_node", String(64)),
    Column("partner_crossing_id", String(64)),
    Column("partner_reference", String(32)),
    Column("partner_status", String(16)),
    Column("partner_status_at", UTC_TIME),
    Column("partner_outcome", JSON),
    Column("anonymised_at", UTC_TIME),  # the driver's personal data removed (services/prune.py)
    Index("ix_crossings_gate_status", "gate", "status"),
    Index("ix_crossings_retention", "status", "updated_at"),
    Index("ix_crossings_partner", "origin_node", "partner_crossing_id"),
    Index("ix_crossings_plate_key", "plate_key"),
    Index("ix_crossings_declarant", "declarant_tax_id", "created_at"),
)

declaration_versions = Table(
    "declaration_versions", metadata,
    Column("crossing_id", ID, ForeignKey("crossings.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("declaration", JSON, nullable=False),
    Column("risk_lane", String(8), nullable=False),
    Column("risk_reasons", JSON, nullable=False),
    Column("actor", String(160), nullable=False),
    Column("created_at", UTC_TIME, nullable=False),
)

crossing_events = Table(
    "crossing_events", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("crossing_id", ID, ForeignKey("crossings.id"), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("at", UTC_TIME, nullable=False),
    Column("actor", String(160), nullable=False),
    Column("cause", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_crossing_events_crossing", "crossing_id", "id"),
)

# Which crossing carries which container, by the number's compact form (upper case, letters and
# digits only): a second active declaration of one container is found by an index, not by reading
# every declaration's JSON.
crossing_containers = Table(
    "crossing_containers", metadata,
    Column("number", String(40), primary_key=True),
    Column("crossing_id", ID, ForeignKey("crossings.id"), primary_key=True),
    Index("ix_crossing_containers_crossing", "crossing_id"),
)

# A crossing's plate key and its one-character deletions (domain/identifiers/plates.key_variants), by
# gate, for as long as the crossing has not ended (a plate read can belong to it: lifecycle.EXPECTED_AT_GATE):
# a read finds the crossings whose plates it could be by this index alone, never by reading every truck
# the gate expects. A crossing's gate never changes; its rows go when it ends.
crossing_plate_keys = Table(
    "crossing_plate_keys", metadata,
    Column("gate", String(16), primary_key=True),
    Column("variant", String(32), primary_key=True),
    Column("crossing_id", ID, ForeignKey("crossings.id"), primary_key=True),
    Index("ix_crossing_plate_keys_crossing", "crossing_id"),
)

# A declarant's counts in DECLARANT_SHARDS rows, summed when read: a busy declarant's declarations
# each add to one row picked at random, so they seldom wait on each other's lock (store/repositories).
DECLARANT_SHARDS = 8
declarant_stats = Table(
    "declarant_stats", metadata,
    Column("tax_id", String(32), primary_key=True),
    Column("shard", SmallInteger, primary_key=True, server_default=text("0")),
    Column("crossings", Integer, nullable=False, default=0),
    Column("refused", Integer, nullable=False, default=0),
    Column("inspections_failed", Integer, nullable=False, default=0),
    Column("red_lanes", Integer, nullable=False, default=0),
)

gate_events = Table(
    "gate_events", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("gate", String(16), nullable=False),
    Column("lane", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("plate", String(32)),
    Column("confidence", Float),
    Column("gross_kg", Float),
    Column("barrier", String(16)),
    Column("at", UTC_TIME, nullable=False),
    Column("received_at", UTC_TIME, nullable=False),
    Column("device", String(160), nullable=False),
    Column("crossing_id", ID, ForeignKey("crossings.id")),
    Column("decision", String(8)),
    Column("reason", Text),
    Column("match", String(16)),  # exact | fuzzy | ambiguous | none | low_confidence
    Column("candidates", JSON, nullable=False),
    Column("review", String(12), nullable=False),  # none | pending | resolved | dismissed
    Column("resolved_by", String(160)),
    Column("images", JSON),  # evidence: [{"sha256": …, "role": "plate" | "scene"}], see devices/evidence.py
    Index("ix_gate_events_review", "review", "id"),
    Index("ix_gate_events_crossing", "crossing_id", "kind", "id"),
    Index("ix_gate_events_at", "at"),  # retention
)

inspections = Table(
    "inspections", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("crossing_id", ID, ForeignKey("crossings.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("result", String(8), nullable=False),
    Column("notes", Text, nullable=False),
    Column("officer", String(160), nullable=False),
    Column("role", String(16), nullable=False),
    Column("at", UTC_TIME, nullable=False),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", ID, primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("role", String(16), nullable=False),
    Column("declarant_tax_id", String(32)),
    Column("name", String(128), nullable=False),
    Column("created_at", UTC_TIME, nullable=False),
    Column("revoked_at", UTC_TIME),
    Column("expires_at", UTC_TIME),  # optional: the key stops working at this (wall-clock) time
    Index("ix_api_keys_revoked_at", "revoked_at"),  # the cheap "anything revoked since?" check
)

# A signed-in screen session, ended server-side by sign-out, its key's revocation or expiry.
# `id` is the SHA-256 of the random session id the signed cookie carries.
web_sessions = Table(
    "web_sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("api_key_id", ID, ForeignKey("api_keys.id"), nullable=False),
    Column("created_at", UTC_TIME, nullable=False),
    Column("expires_at", UTC_TIME, nullable=False),
    Column("ended_at", UTC_TIME),
    Index("ix_web_sessions_api_key_id", "api_key_id"),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("principal", ID, primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UTC_TIME, nullable=False),
    Index("ix_idempotency_keys_created_at", "created_at"),  # retention
)

# The audit log (store/audit.py): writers only insert rows without `seq`; the sequencer numbers
# them, stores each leaf's hash, the complete subtrees proofs are built from, and signed checkpoints.
UNSEQUENCED = text("seq IS NULL")
audit_log = Table(
    "audit_log", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("at", UTC_TIME, nullable=False),
    Column("actor", String(160), nullable=False),
    Column("action", String(48), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("data", JSON, nullable=False),
    Column("seq", BigInteger, unique=True),  # 1, 2, …: the entry's place in the Merkle tree (leaf seq - 1)
    Column("leaf_hash", String(64)),  # hex SHA-256(0x00 || canonical entry), set with seq
    Index("ix_audit_log_unsequenced", "id", sqlite_where=UNSEQUENCED, postgresql_where=UNSEQUENCED),
)

# Complete subtrees of 2**level leaves (level a multiple of audit.CACHED_EVERY), so a proof or a root
# never reads more than a few rows per level.
audit_nodes = Table(
    "audit_nodes", metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
)

# Signed tree heads: (tree size, root hash, time) signed with the node's Ed25519 key.
audit_checkpoints = Table(
    "audit_checkpoints", metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", String(64), nullable=False),
    Column("issued_at", UTC_TIME, nullable=False),
    Column("document", JSON, nullable=False),  # the checkpoint exactly as signed, with key_id and signature
)

# The partner's checkpoints as it sent them, each checked for consistency with the one before.
audit_witnessed = Table(
    "audit_witnessed", metadata,
    Column("partner", String(64), primary_key=True),
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", String(64), nullable=False),
    Column("issued_at", UTC_TIME, nullable=False),
    Column("document", JSON, nullable=False),
    Column("received_at", UTC_TIME, nullable=False),
)

outbox = Table(
    "outbox", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("message_id", ID, nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    Column("recipient", String(32), nullable=False),
    Column("stream", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTC_TIME, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTC_TIME),
    Column("claimed_at", UTC_TIME),
    Column("delivered_at", UTC_TIME),
    Column("last_error", Text),
    Column("state", String(12), nullable=False, server_default="pending"),  # pending | delivered | rejected
    Column("receipt", JSON),  # the partner's signed receipt, kept as proof of delivery
    # The envelope fields of the send the receipt answers, so its digest can be rebuilt offline.
    Column("sent_at", String(40)),
    Column("sent_key_id", String(80)),
    UniqueConstraint("recipient", "stream", "seq", name="uq_outbox_stream_seq"),
    Index("ix_outbox_pending", "delivered_at", "id"),
    Index("ix_outbox_recipient_state", "recipient", "state", "id"),
)

# Every message a partner delivered, kept whole: the dedup record, the hold queue for
# out-of-order messages, and what an auditor reads.
inbox = Table(
    "inbox", metadata,
    Column("message_id", ID, primary_key=True),
    Column("sender", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("stream", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("envelope", JSON, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("state", String(12), nullable=False),  # held | applied | rejected
    Column("reason", Text),
    Column("received_at", UTC_TIME, nullable=False),
    Column("applied_at", UTC_TIME),
    Index("ix_inbox_stream", "sender", "stream", "seq"),
    Index("ix_inbox_received", "received_at"),
)

inbox_streams = Table(
    "inbox_streams", metadata,
    Column("sender", String(64), primary_key=True),
    Column("stream", String(64), primary_key=True),
    Column("last_seq", Integer, nullable=False),
)

# Messages refused before they could be trusted (bad signature, unknown sender, replay).
exchange_rejections = Table(
    "exchange_rejections", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("message_id", String(64)),
    Column("claimed_sender", String(64)),
    Column("principal", String(160), nullable=False),
    Column("reason", Text, nullable=False),
    Column("envelope", JSON),
    Column("at", UTC_TIME, nullable=False),
)

partner_links = Table(
    "partner_links", metadata,
    Column("partner", String(64), primary_key=True),
    Column("last_contact_at", UTC_TIME),
    Column("last_error", Text),
    Column("last_error_at", UTC_TIME),
    Column("lease_owner", String(64)),
    Column("lease_until", UTC_TIME),
)

# Who runs a named piece of the node's background work (store/leases.py); the row is its heartbeat.
worker_leases = Table(
    "worker_leases", metadata,
    Column("name", String(32), primary_key=True),
    Column("owner", String(64)),
    Column("until", UTC_TIME),
    Column("renewed_at", UTC_TIME),
)

# The partner's latest acceptance capacity per gate it operates (newest notice wins).
partner_capacity = Table(
    "partner_capacity", metadata,
    Column("partner", String(64), primary_key=True),
    Column("gate", String(16), primary_key=True),  # the partner's gate
    Column("facing_gate", String(16), nullable=False),  # ours, across from it
    Column("issued_at", UTC_TIME, nullable=False),
    Column("notice", JSON, nullable=False),
    Column("received_at", UTC_TIME, nullable=False),
)

# Incident reports and hazard alerts, both directions.
exchange_reports = Table(
    "exchange_reports", metadata,
    Column("message_id", ID, primary_key=True),
    Column("kind", String(32), nullable=False),  # incident_report | hazard_alert
    Column("direction", String(8), nullable=False),  # sent | received
    Column("partner", String(64), nullable=False),
    Column("gate", String(16), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("at", UTC_TIME, nullable=False),
    Index("ix_exchange_reports_kind", "kind", "at"),
)

node_state = Table(
    "node_state", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# --- slots, yard and call-forward ----------------------------------------------

ACTIVE = text("status = 'active'")

# A supervisor's change to a gate's capacity: a closure (trucks_per_hour NULL) or extra hours.
capacity_overrides = Table(
    "capacity_overrides", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("gate", String(16), nullable=False),
    Column("direction", String(8), nullable=False),  # inbound | outbound
    Column("starts_at", UTC_TIME, nullable=False),
    Column("ends_at", UTC_TIME, nullable=False),
    Column("trucks_per_hour", Integer),
    Column("reason", Text, nullable=False),
    Column("created_by", String(160), nullable=False),
    Column("created_at", UTC_TIME, nullable=False),
    Column("withdrawn_at", UTC_TIME),
    Index("ix_capacity_overrides_gate", "gate", "direction", "starts_at"),
)

# Booked count per one-hour slot: the conditional UPDATE on this row is the booking lock.
slot_counts = Table(
    "slot_counts", metadata,
    Column("gate", String(16), primary_key=True),
    Column("direction", String(8), primary_key=True),
    Column("slot_start", UTC_TIME, primary_key=True),
    Column("booked", Integer, nullable=False),
)

bookings = Table(
    "bookings", metadata,
    Column("id", ID, primary_key=True),
    Column("crossing_id", ID, ForeignKey("crossings.id"), nullable=False),
    Column("gate", String(16), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("slot_start", UTC_TIME, nullable=False),
    Column("plate_key", String(32), nullable=False),
    Column("declarant_tax_id", String(32), nullable=False),
    Column("status", String(12), nullable=False),  # active | cancelled | used | no_show
    Column("reschedules", Integer, nullable=False),
    Column("created_at", UTC_TIME, nullable=False),
    Column("updated_at", UTC_TIME, nullable=False),
    # One active booking per crossing and per vehicle, whatever the timing of two requests.
    Index("uq_bookings_active_crossing", "crossing_id", unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE),
    Index("uq_bookings_active_plate", "plate_key", unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE),
    Index("ix_bookings_slot", "gate", "direction", "slot_start", "status"),
    Index("ix_bookings_plate_status", "plate_key", "status", "updated_at"),
)

# Trucks in the waiting yard: checked in by a plate read at the yard entrance.
yard = Table(
    "yard", metadata,
    Column("crossing_id", ID, ForeignKey("crossings.id"), primary_key=True),
    Column("gate", String(16), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("priority", String(12), nullable=False),  # perishable | trusted | ordinary
    Column("state", String(8), nullable=False),  # waiting | called | served | left
    Column("checked_in_at", UTC_TIME, nullable=False),
    Column("queued_at", UTC_TIME, nullable=False),  # = check-in, or the moment a missed call sent it back
    Column("booked_from", UTC_TIME),
    Column("booked_until", UTC_TIME),
    Column("called_at", UTC_TIME),
    Column("call_deadline", UTC_TIME),
    Column("lane", String(16)),
    Column("bay", Integer),
    Column("missed_calls", Integer, nullable=False),
    Column("served_at", UTC_TIME),
    Column("call_reason", Text),  # set when a supervisor called this truck out of turn
    Index("ix_yard_gate_state", "gate", "direction", "state", "queued_at"),
    Index("ix_yard_called", "gate", "direction", "called_at"),
)

# Where the call-up pattern stands per gate and direction (and the step's lock row).
call_state = Table(
    "call_state", metadata,
    Column("gate", String(16), primary_key=True),
    Column("direction", String(8), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("last_run_at", UTC_TIME),
)

bay_assignments = Table(
    "bay_assignments", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("gate", String(16), nullable=False),
    Column("bay", Integer, nullable=False),
    Column("crossing_id", ID, ForeignKey("crossings.id"), nullable=False),
    Column("assigned_at", UTC_TIME, nullable=False),
    Column("released_at", UTC_TIME),
    Index("ix_bay_assignments_open", "gate", "released_at", "bay"),
    # The last line of defence behind the bay pool's lock: a bay is held by one truck at a time.
    Index("uq_bay_assignments_held", "gate", "bay", unique=True, sqlite_where=text("released_at IS NULL"),
          postgresql_where=text("released_at IS NULL")),
)

# One row per gate: the lock every call-forward step (either direction) takes before giving out a bay.
bay_pools = Table(
    "bay_pools", metadata,
    Column("gate", String(16), primary_key=True),
)

# What drivers were told (call-forward, hold, release), kept for the driver page and audits.
notifications = Table(
    "notifications", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("crossing_id", ID, ForeignKey("crossings.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # called | held | released | requeued
    Column("message", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Column("at", UTC_TIME, nullable=False),
    Index("ix_notifications_crossing", "crossing_id", "id"),
    Index("ix_notifications_at", "at"),  # retention
)

# --- devices at the gate: cameras and barriers, evidence images, barrier commands -----------

# A camera or barrier at one lane of a gate, speaking with its own API key (role device).
devices = Table(
    "devices", metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("vendor", String(16), nullable=False),  # hikvision | dahua | snapshot | relay | simulated
    Column("kind", String(8), nullable=False),  # camera | barrier
    Column("gate", String(16), nullable=False),
    Column("lane", String(16), nullable=False),
    Column("api_key_id", ID, ForeignKey("api_keys.id"), nullable=False, unique=True),
    Column("config", JSON, nullable=False),  # camera lane numbers to node lanes; a relay's URL
    Column("created_at", UTC_TIME, nullable=False),
    Column("last_contact_at", UTC_TIME),
    Column("last_contact_kind", String(16)),  # event | heartbeat | barrier_state
    Column("retired_at", UTC_TIME),
    Index("ix_devices_gate_lane", "gate", "lane", "kind"),
)

# Plate and scene images, content-addressed files under the data directory; a row per image.
evidence_images = Table(
    "evidence_images", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content_type", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("stored_at", UTC_TIME, nullable=False),
    Column("keep_until", UTC_TIME, nullable=False),
    Column("purged_at", UTC_TIME),
    Index("ix_evidence_images_keep_until", "keep_until"),
)

# What the node told a barrier to do, and whether the barrier said it did.
barrier_commands = Table(
    "barrier_commands", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("device_id", ID, ForeignKey("devices.id"), nullable=False),
    Column("gate", String(16), nullable=False),
    Column("lane", String(16), nullable=False),
    Column("gate_event_id", BigInteger, ForeignKey("gate_events.id")),
    Column("crossing_id", ID, ForeignKey("crossings.id")),
    Column("command", String(8), nullable=False),  # open
    Column("state", String(12), nullable=False),  # pending | sent | confirmed | failed
    Column("issued_at", UTC_TIME, nullable=False),
    Column("confirm_by", UTC_TIME, nullable=False),
    Column("sent_at", UTC_TIME),
    Column("confirmed_at", UTC_TIME),
    Column("reported_state", String(16)),
    Column("error", Text),
    Column("acknowledged_by", String(160)),
    Column("acknowledged_at", UTC_TIME),
    Index("ix_barrier_commands_gate_state", "gate", "state", "id"),
    Index("ix_barrier_commands_device", "device_id", "id"),
)

# --- trade statistics ----------------------------------------------------------

# One row per goods line of a crossing the barrier let out, every reporting key derived at
# the exit (domain/statistics.fact_rows), so statistics are one GROUP BY with no JSON.
trade_lines = Table(
    "trade_lines", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    Column("crossing_id", ID, ForeignKey("crossings.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("exited_at", UTC_TIME, nullable=False),
    Column("day", String(10), nullable=False),  # the gate's local calendar
    Column("week", String(8), nullable=False),
    Column("month", String(7), nullable=False),
    Column("quarter", String(7), nullable=False),
    Column("year", String(4), nullable=False),
    Column("gate", String(16), nullable=False),
    Column("gate_pair", String(40), nullable=False),
    Column("province", String(64), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("risk_lane", String(8), nullable=False),
    Column("declarant_tax_id", String(32), nullable=False),
    Column("hs_code", String(16), nullable=False),
    Column("hs_chapter", String(2), nullable=False),
    Column("hs_heading", String(4), nullable=False),
    Column("hs_subheading", String(6), nullable=False),
    Column("commodity_group", String(32), nullable=False),
    Column("origin", String(2), nullable=False),
    Column("containers", Integer, nullable=False),
    Column("gross_kg", Float, nullable=False),
    Column("net_kg", Float, nullable=False),
    Column("value", Float, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("value_usd", Float),  # NULL: no rate for the currency on that day (counted apart)
    Column("firsts", BigInteger, nullable=False),  # 32 bits: see domain/statistics
    Column("crossing_minutes", Float),  # first arrival at the gate → exit (line 0 only)
    Column("yard_minutes", Float),  # yard check-in → called forward (line 0 only)
    UniqueConstraint("crossing_id", "line_no", name="uq_trade_lines_crossing_line"),
    Index("ix_trade_lines_day", "day"),
    Index("ix_trade_lines_declarant", "declarant_tax_id", "day"),
    Index("ix_trade_lines_currency", "currency", "day"),
    Index("ix_trade_lines_unpriced", "currency", "day", sqlite_where=text("value_usd IS NULL"),
          postgresql_where=text("value_usd IS NULL")),  # the few lines still waiting for a rate
)

# Whole past months of trade_lines, summed once (services/trade_months.py): a year's monthly
# statistics read twelve months of these instead of every goods line. Grouped by every
# dimension and by `firsts`, so that trucks still count with SUM over the firsts bit.
TRADE_MONTH_KEYS = ("month", "quarter", "year", "gate", "gate_pair", "province", "direction", "risk_lane",
                    "hs_chapter", "hs_heading", "hs_subheading", "commodity_group", "origin", "currency", "firsts")
trade_months = Table(
    "trade_months", metadata,
    Column("month", String(7), primary_key=True),
    Column("lines", Integer, nullable=False),  # goods lines summed in
    Column("built_at", UTC_TIME, nullable=False),
)
trade_month_sums = Table(
    "trade_month_sums", metadata,
    Column("id", AUTO_ID, primary_key=True, autoincrement=True),
    *(Column(name, String(64) if name not in ("month", "quarter", "year") else String(7), nullable=False)
      for name in TRADE_MONTH_KEYS if name != "firsts"),
    Column("firsts", BigInteger, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("containers", BigInteger, nullable=False),  # summed over lines: weighted by the firsts bit when read
    Column("gross_kg", Float, nullable=False),
    Column("net_kg", Float, nullable=False),
    Column("value_usd", Float),
    Column("unpriced_lines", Integer, nullable=False),
    Index("ix_trade_month_sums_month", "month"),
)

# Reference exchange rates the operator imported (`borderflow rates import`), one per currency and day.
exchange_rates = Table(
    "exchange_rates", metadata,
    Column("currency", String(3), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("units_per_usd", Float, nullable=False),
    Column("source", String(200), nullable=False),
    Column("imported_at", UTC_TIME, nullable=False),
)

# Periodic statistics reports, both directions: each part of a statistics_report message.
statistics_reports = Table(
    "statistics_reports", metadata,
    Column("message_id", ID, primary_key=True),
    Column("report_id", ID, nullable=False),
    Column("direction", String(8), nullable=False),  # sent | received
    Column("partner", String(64), nullable=False),
    Column("gate", String(16), nullable=False),  # the sender's gate
    Column("period", String(8), nullable=False),
    Column("part", Integer, nullable=False),
    Column("parts", Integer, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("at", UTC_TIME, nullable=False),
    Index("ix_statistics_reports_period", "partner", "period", "direction"),
)

# The partner's figures per crossing, from the statistics reports it sent (the newest wins).
partner_trade_crossings = Table(
    "partner_trade_crossings", metadata,
    Column("partner", String(64), primary_key=True),
    Column("crossing_id", String(64), primary_key=True),  # the partner's crossing
    Column("counterpart_id", String(64)),  # ours, when the partner knows it
    Column("reference", String(32), nullable=False),
    Column("gate", String(16), nullable=False),  # the partner's gate
    Column("direction", String(8), nullable=False),  # as the partner sees it
    Column("period", String(8), nullable=False),  # the partner's month
    Column("exited_at", UTC_TIME, nullable=False),
    Column("gross_kg", Float, nullable=False),
    Column("value_usd", Float),
    Column("hs_subheadings", String(200), nullable=False),  # sorted, comma-separated
    Column("report_id", ID, nullable=False),
    Column("received_at", UTC_TIME, nullable=False),
    Index("ix_partner_trade_crossings_counterpart", "partner", "counterpart_id"),
    Index("ix_partner_trade_crossings_period", "partner", "period"),
)
