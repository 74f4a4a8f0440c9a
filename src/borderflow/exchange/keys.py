"""The node's own signing keys, kept as PEM files in `<data dir>/keys/`.

The newest key signs; older ones stay on disk so receipts made with them can
still be checked. Rotation = generate a new key, give its public half to the
partner (node file `public_keys`), and keep the old one listed there until its
messages have drained.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption, PrivateFormat,
                                                          load_pem_private_key)

from borderflow.exchange.envelope import SigningKey


def key_dir(data_dir: Path) -> Path:
    return data_dir / "keys"


def generate(data_dir: Path, node_id: str, at: datetime) -> SigningKey:
    folder = key_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    key_id = f"{node_id}-{at:%Y%m%dT%H%M%S}"
    path = folder / f"{key_id}.pem"
    if path.exists():
        raise FileExistsError(f"{path} exists already; wait a second and generate again")
    private = Ed25519PrivateKey.generate()
    path.write_bytes(private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    path.chmod(0o600)
    return SigningKey(key_id, private)


def all_keys(data_dir: Path) -> list[SigningKey]:
    """Oldest first; the id of a key is its file name."""
    keys = []
    for path in sorted(key_dir(data_dir).glob("*.pem")):
        private = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        keys.append(SigningKey(path.stem, private))
    return keys


def current(data_dir: Path) -> SigningKey | None:
    keys = all_keys(data_dir)
    return keys[-1] if keys else None
