"""The engine reproduces queueing theory where it has an answer: M/M/c against Erlang C.

The node's own call-forward step runs in the path (`sim/validation.py`): with one truck on its
way per lane, no drive and a step at every event, the yard and the trucks on their way are one
first-come-first-served queue in front of the lanes, so arrival → start of lane service is Wq.
"""

from __future__ import annotations

from borderflow.sim.metrics import TRUCK_COLUMNS
from borderflow.sim.run import run_experiment
from borderflow.sim.stats import erlang_c, mmc_wait
from borderflow.sim.validation import mmc_scenario

LAMBDA, SERVICE_MINUTES, SERVERS = 7.2, 20.0, 3  # per hour; rho = 7.2 / (3 × 3) = 0.8


def test_mmc_waiting_time_matches_erlang_c():
    scenario = mmc_scenario(LAMBDA, SERVICE_MINUTES, SERVERS, days=20)
    experiment = run_experiment(scenario, ["fifo"], replications=10, seed=7, workers=2, keep_trucks=2)
    wq = mmc_wait(LAMBDA, 60 / SERVICE_MINUTES, SERVERS)  # hours
    est = experiment.estimate("fifo", "lane_wait.all.mean")
    assert est.n == 10 and est.contains(wq), (est, wq)
    assert est.half_width < 0.25 * wq  # tight enough to mean something (~3,500 trucks × 10 runs)
    # The lanes are busy rho of the time (over 20 days of arrivals and 1 day to drain), and the
    # share of trucks that wait is Erlang C itself.
    utilisation = experiment.estimate("fifo", "lane_utilisation")
    rho = LAMBDA / (SERVERS * 60 / SERVICE_MINUTES)
    assert abs(utilisation.mean - rho * 20 / 21) < 0.02
    rows = experiment.trucks()
    arrived, lane_start = TRUCK_COLUMNS.index("arrived"), TRUCK_COLUMNS.index("lane_start")
    waited = sum(1 for r in rows if r[lane_start] - r[arrived] > 1e-9) / len(rows)  # served later than arrived
    assert abs(waited - erlang_c(LAMBDA, 60 / SERVICE_MINUTES, SERVERS)) < 0.03
    assert experiment.estimate("fifo", "missed_calls").mean == 0  # nobody waits 20 minutes on the way
