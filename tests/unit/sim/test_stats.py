"""Statistics without SciPy: Student t quantiles, intervals, percentiles, Erlang C; service-time samplers."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from borderflow.sim.distributions import DistributionError, parse_distribution
from borderflow.sim.stats import erlang_c, estimate, mmc_wait, percentile, t_quantile


@pytest.mark.parametrize(("df", "expected"), [(1, 12.7062), (2, 4.3027), (4, 2.7764), (9, 2.2622), (29, 2.0452),
                                              (120, 1.9799)])
def test_t_quantiles_match_the_tables(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)
    assert t_quantile(0.025, df) == pytest.approx(-expected, abs=1e-4)


def test_estimate_is_the_student_interval():
    est = estimate([1.0, 2.0, 3.0, 4.0, 5.0])
    assert est.mean == 3.0
    assert est.half_width == pytest.approx(2.7764 * statistics.stdev([1, 2, 3, 4, 5]) / math.sqrt(5), rel=1e-4)
    assert est.contains(1.1) and not est.contains(0.9)
    assert math.isnan(estimate([7.0]).half_width) and estimate([7.0]).format() == "7.0"
    assert estimate([]).n == 0


def test_percentile_interpolates_like_numpy():
    values = list(range(1, 11))  # numpy.percentile(range(1, 11), 95) == 9.55
    assert percentile(values, 95) == pytest.approx(9.55)
    assert percentile(values, 0) == 1 and percentile(values, 100) == 10
    assert math.isnan(percentile([], 50))


def test_erlang_c_known_values():
    # M/M/1: P(wait) = rho; Wq = rho / (mu - lambda).
    assert erlang_c(0.5, 1.0, 1) == pytest.approx(0.5)
    assert mmc_wait(0.5, 1.0, 1) == pytest.approx(1.0)
    # M/M/3, a = 2: C = 4/9 (textbook value), Wq = C / (3 - 2).
    assert erlang_c(2.0, 1.0, 3) == pytest.approx(4 / 9)
    assert mmc_wait(2.0, 1.0, 3) == pytest.approx(4 / 9)
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(3.0, 1.0, 3)


@pytest.mark.parametrize("table", [
    {"kind": "lognormal", "mean": 5.0, "sd": 2.0},
    {"kind": "erlang", "k": 3, "mean": 45.0},
    {"kind": "exponential", "mean": 4.0},
    {"kind": "uniform", "low": 2.0, "high": 6.0},
    {"kind": "triangular", "low": 2.0, "high": 8.0, "mean": 4.0},
])
def test_samplers_have_the_configured_mean(table):
    dist = parse_distribution(table, "service.x")
    rng = random.Random(3)
    samples = [dist.sample(rng) for _ in range(40_000)]
    assert statistics.fmean(samples) == pytest.approx(dist.mean, rel=0.03)
    assert min(samples) >= 0
    if table["kind"] == "lognormal":
        assert statistics.stdev(samples) == pytest.approx(2.0, rel=0.08)


def test_a_number_is_a_constant_and_bad_tables_say_what_is_expected():
    assert parse_distribution(4, "x").sample(random.Random(1)) == 4.0
    with pytest.raises(DistributionError, match=r"x\.sd: unknown key for a exponential"):
        parse_distribution({"kind": "exponential", "mean": 3, "sd": 1}, "x")
    with pytest.raises(DistributionError, match=r"x\.high: expected more than low"):
        parse_distribution({"kind": "uniform", "low": 3, "high": 1}, "x")
    with pytest.raises(DistributionError, match=r"x\.mean"):
        parse_distribution({"kind": "triangular", "low": 0, "high": 3, "mean": 2.9}, "x")
