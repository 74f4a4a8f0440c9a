"""Summary statistics for replications: means with Student-t 95 % intervals, paired differences,
percentiles, Erlang C.

No SciPy: the t quantile comes from the regularized incomplete beta function
(continued fraction, Lentz's method), which is exact to ~1e-12 and runs once per
distinct sample size.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean over replications with its 95 % confidence interval (half-width 0 for one replication)."""

    mean: float
    half_width: float
    n: int

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def format(self, digits: int = 1, scale: float = 1.0) -> str:
        if self.n < 2 or not math.isfinite(self.half_width):
            return f"{self.mean * scale:.{digits}f}"
        return f"{self.mean * scale:.{digits}f} ± {self.half_width * scale:.{digits}f}"


def _betacf(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


@functools.cache
def t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t with df degrees of freedom (bisection on the CDF)."""
    if not 0.0 < p < 1.0 or df < 1:
        raise ValueError(f"need 0 < p < 1 and df >= 1, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        mid = (low + high) / 2.0
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2.0


def estimate(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """Mean and Student-t confidence half-width across independent replications."""
    n = len(values)
    if n == 0:
        return Estimate(math.nan, math.nan, 0)
    mean = math.fsum(values) / n
    if n == 1:
        return Estimate(mean, math.nan, 1)
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return Estimate(mean, t_quantile(0.5 + confidence / 2.0, n - 1) * math.sqrt(var / n), n)


@dataclass(frozen=True, slots=True)
class Difference:
    """One policy against a baseline on one metric, paired by replication.

    Replication i of both ran the same trucks with the same service times (common random
    numbers), so d_i = other_i − base_i is the policy's effect in that replication; `diff`
    is the mean of the d_i with its Student-t 95 % interval (the paired t-interval). The
    relative change and its interval are `diff` over the baseline's mean.
    """

    base: float  # the baseline's mean over the paired replications
    other: float  # the policy's mean over the same replications
    diff: Estimate

    @property
    def n(self) -> int:
        return self.diff.n

    @property
    def tested(self) -> bool:
        """Whether there is an interval at all (two or more paired replications)."""
        return self.diff.n >= 2 and math.isfinite(self.diff.half_width)

    @property
    def significant(self) -> bool:
        """The 95 % interval of the mean difference excludes 0."""
        return self.tested and (self.diff.low > 0 or self.diff.high < 0)

    @property
    def relative(self) -> float:
        return self.diff.mean / self.base if self.base else math.nan

    @property
    def relative_interval(self) -> tuple[float, float]:
        if not self.base or not self.tested:
            return math.nan, math.nan
        low, high = self.diff.low / self.base, self.diff.high / self.base
        return (low, high) if low <= high else (high, low)


def paired_difference(base: Sequence[float], other: Sequence[float], confidence: float = 0.95) -> Difference:
    """`other` − `base`, replication by replication (both in replication order); pairs where either
    value is NaN (e.g. no perishable truck in that replication) are left out."""
    pairs = [(b, o) for b, o in zip(base, other, strict=True) if not (math.isnan(b) or math.isnan(o))]
    if not pairs:
        return Difference(math.nan, math.nan, Estimate(math.nan, math.nan, 0))
    n = len(pairs)
    return Difference(math.fsum(b for b, _ in pairs) / n, math.fsum(o for _, o in pairs) / n,
                      estimate([o - b for b, o in pairs], confidence))


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (q in 0..100) of already sorted values; NaN when empty."""
    n = len(sorted_values)
    if n == 0:
        return math.nan
    if n == 1:
        return float(sorted_values[0])
    rank = (q / 100.0) * (n - 1)
    low = int(math.floor(rank))
    high = min(low + 1, n - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def erlang_c(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Probability that an arriving customer waits in an M/M/c queue (the Erlang C formula)."""
    a = arrival_rate / service_rate
    rho = a / servers
    if not 0 < rho < 1:
        raise ValueError(f"the queue is unstable or empty: utilisation {rho:.3f}; expected 0 < rho < 1")
    term, total = 1.0, 1.0  # a^k / k! summed for k < c
    for k in range(1, servers):
        term *= a / k
        total += term
    last = term * a / servers / (1 - rho)  # a^c / c! / (1 - rho)
    return last / (total + last)


def mmc_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue Wq of an M/M/c queue: C(c, a) / (c·mu − lambda)."""
    return erlang_c(arrival_rate, service_rate, servers) / (servers * service_rate - arrival_rate)
