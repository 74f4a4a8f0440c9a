"""Settings from the environment, typed and checked at start-up.

Secrets may come from a file (`BORDERFLOW_SECRET_FILE`), the usual way to hand a
container its secrets. A bad value stops the node with the setting's name.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from datetime import datetime
from typing import Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "borderflow"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BORDERFLOW_", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Field(default_factory=default_data_dir)
    db_url: str | None = None
    node: str = "vn"
    rules: str | None = None  # path to an operator's rules file; default: the node file's choice
    secret: str | None = None
    secret_file: Path | None = None
    max_body_bytes: int | None = Field(default=None, ge=1024, le=64 * 1024 * 1024)  # default: the node file's
    min_read_confidence: float = Field(default=0.5, ge=0, le=1)
    # a plate the node read itself from a snapshot (devices/ocr) is acted on only from this confidence
    # up; below it the read waits for review (bench/plate_ocr.py measures the trade-off)
    ocr_min_confidence: float = Field(default=0.6, ge=0, le=1)
    max_days_ahead: int = Field(default=14, ge=1, le=365)
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    exchange_replay_window_hours: float = Field(default=168, gt=0, le=24 * 90)
    exchange_max_backoff_seconds: float = Field(default=60, ge=0.1, le=3600)
    exchange_batch_size: int = Field(default=100, ge=1, le=1000)
    # The most one delivery's body holds: under the partner's max_body_bytes (262,144 unless its operator
    # changed it). A delivery the partner still finds too large is halved until one goes through.
    exchange_batch_bytes: int = Field(default=200_000, ge=4096, le=64 * 1024 * 1024)
    exchange: bool = True  # run the dispatcher that delivers the outbox to partners
    # slots, yard and call-forward
    queue_policy: Literal["fifo", "booked_first", "priority"] = "priority"
    call_pattern: str = "perishable,trusted,ordinary,ordinary,ordinary,ordinary,ordinary"
    max_wait_hours: float = Field(default=6, gt=0, le=72)  # aging: nobody waits longer for the pattern
    per_lane_per_hour: int = Field(default=12, ge=1, le=200)
    called_per_lane: int = Field(default=2, ge=1, le=20)  # trucks on their way to one lane at once
    call_timeout_minutes: float = Field(default=20, gt=0, le=240)
    call_forward_seconds: float = Field(default=15, ge=0.2, le=3600)
    bookable_share: float = Field(default=0.8, ge=0, le=1)  # of each hour's capacity; the rest is walk-in
    booking_horizon_days: int = Field(default=14, ge=1, le=90)
    early_minutes: float = Field(default=30, ge=0, le=240)
    late_minutes: float = Field(default=30, ge=0, le=240)
    max_reschedules: int = Field(default=2, ge=0, le=20)
    no_show_limit: int = Field(default=2, ge=1, le=20)
    no_show_window_days: int = Field(default=30, ge=1, le=365)
    no_show_ban_days: int = Field(default=7, ge=0, le=365)
    # cancelled bookings one declarant may have in the last 7 days; at that many, its new bookings wait
    max_cancellations_per_week: int = Field(default=10, ge=1, le=1000)
    trusted_after: int = Field(default=20, ge=1, le=10_000)  # clean crossings before a declarant is trusted
    notify_webhook: str | None = None  # POSTed JSON on call-forward, hold and release
    # where drivers open the node (the driver page's link and QR code); default: the address asked for
    public_url: str | None = None
    # devices at the gate (devices/): evidence images, barrier confirmation, device health
    evidence_retention_days: float = Field(default=90, gt=0, le=3650)  # plate and scene images kept this long
    device_max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=64 * 1024, le=64 * 1024 * 1024)  # one push
    device_max_image_bytes: int = Field(default=3 * 1024 * 1024, ge=16 * 1024, le=32 * 1024 * 1024)  # one image
    barrier_confirm_seconds: float = Field(default=5, gt=0, le=120)  # an open not confirmed by then is flagged
    # the public wait-time feed is computed again once this old (node time); 0: at every request
    wait_feed_seconds: float = Field(default=5, ge=0, le=300)
    device_silent_seconds: float = Field(default=300, ge=10, le=7 * 86400)  # no contact this long: an alert
    # the partner's announced acceptance capacity, and our own announcements
    partner_notice_max_age_minutes: float = Field(default=45, gt=0, le=24 * 60)
    partner_fallback_per_hour: int = Field(default=0, ge=0, le=10_000)  # where no current notice speaks
    announce_every_minutes: float = Field(default=15, gt=0, le=24 * 60)
    audit_sequence_seconds: float = Field(default=2, gt=0, le=3600)  # real seconds between sequencer rounds
    # trade statistics and gate designations: the operator's own reference files (default: the shipped ones)
    commodity_groups: str | None = None  # a commodity-group TOML file (HS ranges → groups)
    designations: str | None = None  # a gate-designation TOML file (which groups each gate may take)
    # retention (`borderflow prune`, services/prune.py): days after which each kind of data goes
    retain_personal_days: int = Field(default=180, ge=1, le=3650)  # driver data, after exit/cancel/refusal
    retain_outbox_days: int = Field(default=30, ge=1, le=3650)  # delivered messages, then to the archive file
    retain_idempotency_days: int = Field(default=7, ge=1, le=365)
    retain_gate_events_days: int = Field(default=365, ge=1, le=3650)  # pending reviews are kept
    retain_notifications_days: int = Field(default=90, ge=1, le=3650)
    prune_batch_size: int = Field(default=500, ge=1, le=10_000)  # rows per transaction
    # node time: an accelerated clock for the demo and the twin's live runs (domain/clock.py)
    clock_start: datetime | None = None  # ISO 8601 with offset; default: the system clock's time
    clock_speed: float = Field(default=1, ge=1, le=100_000, allow_inf_nan=False)  # node seconds per real second
    clock_anchor: datetime | None = None  # the real moment node time was clock_start; default: start-up

    @field_validator("clock_start", "clock_anchor")
    @classmethod
    def _aware(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("expected an ISO 8601 time with its UTC offset, e.g. 2026-06-15T06:00:00+07:00")
        if info.field_name == "clock_anchor" and value is not None and "clock_start" in info.data \
                and info.data["clock_start"] is None:
            raise ValueError("an anchor needs BORDERFLOW_CLOCK_START: it says when node time was that start")
        return value

    @field_validator("call_pattern")
    @classmethod
    def _known_classes(cls, value: str) -> str:
        from borderflow.domain.queueing import PRIORITIES
        classes = [part.strip() for part in value.split(",")]
        unknown = [c for c in classes if c not in PRIORITIES]
        if unknown or not classes:
            raise ValueError(f"unknown priority class {unknown[0] if unknown else ''!r}; expected a comma-separated "
                             f"list of {', '.join(PRIORITIES)}")
        return value

    @field_validator("db_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("expected a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected the node's address as drivers reach it, e.g. https://gate.example.vn")
        return value.rstrip("/") if value else value

    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'borderflow.sqlite'}"

    def node_secret(self) -> bytes:
        """The key behind reproducible random selection. Kept, so an auditor can re-derive lanes."""
        if self.secret_file is not None:
            return self.secret_file.read_bytes().strip()
        if self.secret:
            return self.secret.encode()
        if self.env == "production":
            raise SettingsError("BORDERFLOW_SECRET or BORDERFLOW_SECRET_FILE must be set in production")
        path = self.data_dir / "node-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_bytes().strip()


class SettingsError(RuntimeError):
    pass


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        lines = [f"BORDERFLOW_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()]
        raise SettingsError("bad configuration:\n  " + "\n  ".join(lines)) from None
