"""Service-time distributions, in minutes, built from scenario tables.

A scenario names a distribution by its mean and spread (what an operator can
measure with a stopwatch), not by the textbook parameters; the conversion lives
here, once. Every sampler takes the caller's `random.Random`, so each replication
keeps its own reproducible stream.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

KINDS = ("constant", "exponential", "lognormal", "erlang", "uniform", "triangular")


class DistributionError(ValueError):
    """A distribution table that cannot be used; the message says which key and what is expected."""


@dataclass(frozen=True, slots=True)
class Distribution:
    """A non-negative random duration in minutes."""

    kind: str
    mean: float
    sd: float = 0.0  # lognormal only
    k: int = 1  # erlang shape
    low: float = 0.0  # uniform / triangular
    high: float = 0.0  # uniform / triangular

    def sample(self, rng: random.Random) -> float:
        kind = self.kind
        if kind == "lognormal":
            if self.sd == 0:
                return self.mean
            sigma2 = math.log1p((self.sd / self.mean) ** 2)
            return rng.lognormvariate(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2))
        if kind == "exponential":
            return rng.expovariate(1.0 / self.mean)
        if kind == "erlang":
            return rng.gammavariate(self.k, self.mean / self.k)
        if kind == "uniform":
            return rng.uniform(self.low, self.high)
        if kind == "triangular":
            mode = 3 * self.mean - self.low - self.high
            return rng.triangular(self.low, self.high, mode)
        return self.mean  # constant

    def describe(self) -> str:
        if self.kind == "constant":
            return f"constant {self.mean:g} min"
        if self.kind == "lognormal":
            return f"lognormal mean {self.mean:g} sd {self.sd:g} min"
        if self.kind == "erlang":
            return f"Erlang k={self.k} mean {self.mean:g} min"
        if self.kind in ("uniform", "triangular"):
            return f"{self.kind} {self.low:g}–{self.high:g} min (mean {self.mean:g})"
        return f"exponential mean {self.mean:g} min"


def _number(table: dict, name: str, where: str, *, positive: bool = True) -> float:
    value = table.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DistributionError(f"{where}.{name}: expected a number of minutes, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise DistributionError(f"{where}.{name}: expected a {'positive' if positive else 'non-negative'} "
                                f"number of minutes, got {value!r}")
    return float(value)


def parse_distribution(value: Any, where: str) -> Distribution:
    """A `{kind = "lognormal", mean = 4, sd = 1.5}` table, or a bare number for a constant."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_distribution({"kind": "constant", "mean": value}, where)
    if not isinstance(value, dict):
        raise DistributionError(f"{where}: expected a table such as {{ kind = \"lognormal\", mean = 4.0, "
                                f"sd = 1.5 }} or a number of minutes, got {value!r}")
    kind = value.get("kind")
    if kind not in KINDS:
        raise DistributionError(f"{where}.kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    allowed = {"constant": {"mean"}, "exponential": {"mean"}, "lognormal": {"mean", "sd"},
               "erlang": {"mean", "k"}, "uniform": {"low", "high"}, "triangular": {"low", "high", "mean"}}[kind]
    unknown = sorted(set(value) - allowed - {"kind"})
    if unknown:
        raise DistributionError(f"{where}.{unknown[0]}: unknown key for a {kind} distribution; "
                                f"expected {', '.join(sorted(allowed))}")
    if kind in ("uniform", "triangular"):
        low = _number(value, "low", where, positive=False)
        high = _number(value, "high", where)
        if high <= low:
            raise DistributionError(f"{where}.high: expected more than low ({low:g}), got {high:g}")
        mean = (low + high) / 2
        if kind == "triangular":
            mean = _number(value, "mean", where)
            mode = 3 * mean - low - high
            if not low <= mode <= high:
                raise DistributionError(f"{where}.mean: {mean:g} needs a mode outside {low:g}–{high:g}; "
                                        f"expected a mean between {(2 * low + high) / 3:g} and "
                                        f"{(low + 2 * high) / 3:g}")
        return Distribution(kind, mean, low=low, high=high)
    mean = _number(value, "mean", where, positive=kind != "constant")
    if kind == "lognormal":
        return Distribution(kind, mean, sd=_number(value, "sd", where, positive=False))
    if kind == "erlang":
        k = value.get("k")
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 100:
            raise DistributionError(f"{where}.k: expected a whole number of phases from 1 to 100, got {k!r}")
        return Distribution(kind, mean, k=k)
    return Distribution(kind, mean)
