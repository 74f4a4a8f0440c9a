"""The yard rules a simulated node runs: built the way the live node builds them.

The node reads its settings (`borderflow.settings.Settings`, the BORDERFLOW_* variables)
and turns them into one `YardRules` (`YardRules.from_settings`). The twin does the same
with the same class, so every default is the node's own and lives in one place; a
scenario's `[yard]` table (and a policy's table) names the settings it changes, by the
node's own names (`per_lane_per_hour`, `called_per_lane`, `max_wait_hours`, …), and the
node's own checks refuse a bad value.

The shell's BORDERFLOW_* variables do not reach a scenario: a result depends on the
scenario file alone, whoever runs it. To mirror a node configured through them, write the
same values in `[yard]`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from borderflow.domain.yard_rules import YardRules
from borderflow.settings import Settings

CALL_EVERY = "call_forward_seconds"  # how often the node's scheduler runs a call-forward step


class NodeSettings(Settings):
    """The node's settings without the environment: defaults and what the scenario says, nothing else."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,  # noqa: ANN001, ANN206
                                   dotenv_settings, file_secret_settings):
        return (init_settings,)


class _Reads:
    """Records which settings `YardRules.from_settings` reads, so the yard keys are exactly those."""

    def __init__(self, settings: Settings) -> None:
        self._settings, self.names = settings, []

    def __getattr__(self, name: str) -> Any:
        self.names.append(name)
        return getattr(self._settings, name)


@functools.cache
def yard_keys() -> tuple[str, ...]:
    """The settings a scenario may change: those the yard rules are built from, and the step interval."""
    reads = _Reads(NodeSettings())
    YardRules.from_settings(reads)
    return (*dict.fromkeys(reads.names), CALL_EVERY)


class YardSettingError(ValueError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key, self.problem = key, problem


def _value(key: str, value: Any) -> Any:
    if key == "call_pattern" and isinstance(value, list):  # the node takes "a,b,c"; a file reads better as a list
        if not all(isinstance(v, str) for v in value):
            raise YardSettingError(key, "expected a list of priority classes, e.g. [\"perishable\", \"ordinary\"]")
        return ",".join(value)
    return value


@functools.lru_cache(maxsize=256)
def _build(changes: tuple[tuple[str, Any], ...]) -> tuple[YardRules, float]:
    try:
        settings = NodeSettings(**dict(changes))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or changes[0][0]
        raise YardSettingError(key, f"{error['msg']} (the node's BORDERFLOW_{key.upper()})") from None
    try:
        return YardRules.from_settings(settings), float(settings.call_forward_seconds)
    except ValueError as exc:
        raise YardSettingError(changes[0][0] if changes else "", str(exc)) from None


def node_rules(changes: Mapping[str, Any] | None = None) -> tuple[YardRules, float]:
    """(yard rules, seconds between call-forward steps) of a node with the node's defaults, changed
    by `changes` (setting name → value). Unknown names raise `YardSettingError` naming the key."""
    items = []
    for key, value in (changes or {}).items():
        if key not in yard_keys():
            raise YardSettingError(key, f"unknown yard setting; expected one of {', '.join(yard_keys())}")
        value = _value(key, value)
        if isinstance(value, (dict, list)):
            raise YardSettingError(key, f"expected a single value, got {value!r}")
        items.append((key, value))
    return _build(tuple(items))


def default_rules() -> YardRules:
    """The node's yard rules with every setting at its default."""
    return node_rules()[0]


def default_call_seconds() -> float:
    """The node's default interval between call-forward steps."""
    return node_rules()[1]


__all__ = ["CALL_EVERY", "NodeSettings", "YardSettingError", "default_call_seconds", "default_rules", "node_rules",
           "yard_keys"]
