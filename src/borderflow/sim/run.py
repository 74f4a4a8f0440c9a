"""Replications in parallel processes, and their means with 95 % confidence intervals.

Each (policy, replication) is one task; its random streams depend only on (seed,
replication, flow, purpose), never on the worker that runs it or the order tasks
finish in, so the same seed gives the same numbers with 1 worker or 16. Policies
share the replication's streams (common random numbers): the same trucks arrive
with the same service times under every policy, so differences are the policy's.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from borderflow.sim.model import ReplicationResult, simulate_once
from borderflow.sim.scenario import PolicySpec, Scenario
from borderflow.sim.stats import Estimate, estimate

Progress = Callable[[int, int, ReplicationResult], None]


@dataclass
class Experiment:
    """Every replication of every compared policy, with the estimates a report needs."""

    scenario: Scenario
    policies: list[PolicySpec]
    replications: int
    seed: int
    results: dict[str, list[ReplicationResult]]  # by policy name, in replication order
    elapsed: float = 0.0
    workers: int = 1
    _cache: dict = field(default_factory=dict, repr=False)

    def estimate(self, policy: str, metric: str) -> Estimate:
        key = (policy, metric)
        if key not in self._cache:
            values = [r.metrics[metric] for r in self.results[policy]]
            values = [v for v in values if not math.isnan(v)]
            self._cache[key] = estimate(values)
        return self._cache[key]

    def metric_names(self) -> list[str]:
        first = next(iter(self.results.values()))[0]
        return list(first.metrics)

    def trucks(self) -> list[tuple]:
        """Per-truck rows kept by the replications that kept them (replication 0 by default)."""
        return [row for runs in self.results.values() for r in runs if r.trucks for row in r.trucks]


def _task(scenario: Scenario, spec: PolicySpec, seed: int, replication: int, keep: bool) -> ReplicationResult:
    return simulate_once(scenario, spec, seed, replication, keep_trucks=keep)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_experiment(scenario: Scenario, policies: Sequence[str | PolicySpec] | None = None, *, replications: int = 5,
                   seed: int = 1, workers: int | None = None, keep_trucks: int = 1,
                   progress: Progress | None = None) -> Experiment:
    """Run every policy for `replications` replications; `keep_trucks` replications keep per-truck rows."""
    if replications < 1:
        raise ValueError(f"replications must be 1 or more, got {replications}")
    specs = [scenario.policy(p) if isinstance(p, str) else p for p in (policies or scenario.compare)]
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"a policy is listed twice: {', '.join(names)}")
    tasks = [(spec, rep) for rep in range(replications) for spec in specs]
    workers = max(1, min(workers or default_workers(), len(tasks)))
    results: dict[str, dict[int, ReplicationResult]] = {s.name: {} for s in specs}
    began = time.perf_counter()
    done = 0
    if workers == 1:
        for spec, rep in tasks:
            result = _task(scenario, spec, seed, rep, rep < keep_trucks)
            results[spec.name][rep] = result
            done += 1
            if progress:
                progress(done, len(tasks), result)
    else:
        # The platform's default start method: fork on Linux (no re-import, and scripts need no
        # `if __name__ == "__main__"` guard), spawn elsewhere (scripts then need the guard).
        # Callers should not run threads meanwhile: the command's progress bar refreshes by hand.
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context()) as pool:
            futures = {pool.submit(_task, scenario, spec, seed, rep, rep < keep_trucks): (spec.name, rep)
                       for spec, rep in tasks}
            for future in as_completed(futures):
                name, rep = futures[future]
                result = future.result()
                results[name][rep] = result
                done += 1
                if progress:
                    progress(done, len(tasks), result)
    ordered = {name: [runs[rep] for rep in sorted(runs)] for name, runs in results.items()}
    return Experiment(scenario, specs, replications, seed, ordered, time.perf_counter() - began, workers)
