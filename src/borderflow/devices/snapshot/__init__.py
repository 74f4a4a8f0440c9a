"""Plain IP cameras that send only a snapshot: the node reads the plate itself (devices/ocr)."""

from borderflow.devices.snapshot.adapter import SnapshotAdapter

__all__ = ["SnapshotAdapter"]
