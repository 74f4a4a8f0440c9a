"""Typed access to the values of an operator's TOML file (node files, scenarios).

The person reading an error is editing their own copy of a file, so every failure
names the file, the key path and what was expected.
"""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar, NoReturn

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class FileError(ValueError):
    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source, self.key, self.problem = source, key, problem
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")


def child(key: str, name: str) -> str:
    """The TOML key path of `name` inside `key`, quoted when TOML would quote it."""
    name = name if _BARE_KEY.fullmatch(name) else f'"{name}"'
    return f"{key}.{name}" if key else name


def kind(value: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(type(value), repr(value))


class TomlReader:
    error: ClassVar[type[FileError]] = FileError

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> NoReturn:
        raise self.error(self.source, key, problem)

    def keys(self, table: dict, key: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        for name in required:
            if name not in table:
                self.fail(child(key, name), "missing")
        for name in table:
            if name not in required and name not in optional:
                known = ", ".join(sorted(set(required + optional)))
                self.fail(child(key, name), f"unknown key; expected one of {known}")

    def table(self, value: Any, key: str) -> dict:
        if not isinstance(value, dict):
            self.fail(key, f"expected a table, got {kind(value)}")
        return value

    def array(self, value: Any, key: str, *, non_empty: bool = True) -> list:
        if not isinstance(value, list):
            self.fail(key, f"expected an array, got {kind(value)}")
        if non_empty and not value:
            self.fail(key, "expected at least one entry")
        return value

    def text(self, value: Any, key: str, pattern: re.Pattern | None = None, expected: str = "") -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"expected a non-empty string, got {kind(value)}")
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(key, f"expected {expected}, got {value!r}")
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {kind(value)} {value!r}")
        return value

    def integer(self, value: Any, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(key, f"expected a whole number from {low} to {high}, got {value!r}")
        return value

    def number(self, value: Any, key: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not low <= value <= high:
            self.fail(key, f"expected a number from {low:g} to {high:g}, got {value!r}")
        return float(value)
