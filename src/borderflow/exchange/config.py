"""What the exchange needs at run time: our signing keys, the partners, and the limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from borderflow.exchange import keys as keyfiles
from borderflow.exchange.envelope import SigningKey
from borderflow.exchange.messages import LATEST_VERSION
from borderflow.exchange.wording import say


class NoSigningKey(RuntimeError):
    def __init__(self, data_dir: Path):
        super().__init__(say("exchange.no_signing_key", path=str(keyfiles.key_dir(data_dir))))


class KeyRing:
    """Our keys on disk; re-read when the folder changes, so a rotation needs no restart."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._stamp: tuple | None = None
        self._keys: list[SigningKey] = []

    def _load(self) -> list[SigningKey]:
        folder = keyfiles.key_dir(self.data_dir)
        stamp = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.pem"))) if folder.is_dir() else ()
        if stamp != self._stamp:
            self._keys, self._stamp = keyfiles.all_keys(self.data_dir) if stamp else [], stamp
        return self._keys

    def current(self) -> SigningKey:
        keys = self._load()
        if not keys:
            raise NoSigningKey(self.data_dir)
        return keys[-1]

    def public_keys(self) -> dict[str, str]:
        return {key.key_id: key.public_b64() for key in self._load()}


@dataclass(frozen=True)
class Partner:
    id: str
    url: str
    public_keys: dict[str, str]
    api_key: str | None  # our key on the partner's node (role partner)
    message_version: int = LATEST_VERSION  # the newest message schema version the partner's node accepts


@dataclass
class ExchangeConfig:
    keys: KeyRing
    partners: dict[str, Partner] = field(default_factory=dict)
    replay_window: timedelta = timedelta(days=7)
    max_skew: timedelta = timedelta(minutes=5)
    batch_size: int = 100
    batch_bytes: int = 200_000  # the most one delivery's body holds (see settings.exchange_batch_bytes)
    max_backoff: float = 60.0
    timeout: float = 10.0
