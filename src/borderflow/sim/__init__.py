"""The digital twin: a discrete-event simulator of gate pairs that reuses the live node's domain code.

Public API (what `borderflow simulate` and the live demo call):

* `load_scenario(name_or_path) -> Scenario`, `shipped_scenarios()`, `ScenarioError`
* `generate_arrivals(scenario, seed, replication) -> Iterator[SimTruck]` — the trucks, in arrival
  order; `declaration_body(truck, expected=None, side="sender"|"receiver")` turns one into an
  API v1 declaration body for the sending or the receiving node,
  `declaration_of(truck)` into the domain `Declaration`
* `simulate_once(scenario, policy, seed, replication) -> ReplicationResult`
* `run_experiment(scenario, policies, replications=, seed=, workers=) -> Experiment`
* `write_report(experiment, folder)` — report.html, summary.csv, trucks.csv
* `simulate(...)` in `borderflow.sim.command` — the Typer command
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use (PEP 562), so `borderflow --help` does not pay for SimPy and the model.
_EXPORTS = {
    "SimTruck": "arrivals", "declaration_body": "arrivals", "declaration_of": "arrivals",
    "flow_arrivals": "arrivals", "generate_arrivals": "arrivals",
    "ReplicationResult": "model", "simulate_once": "model",
    "Experiment": "run", "run_experiment": "run",
    "FlowSpec": "scenario", "PolicySpec": "scenario", "Scenario": "scenario", "ScenarioError": "scenario",
    "load_scenario": "scenario", "shipped_scenarios": "scenario",
    "write_report": "report",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'borderflow.sim' has no attribute {name!r}")
    return getattr(importlib.import_module(f"borderflow.sim.{module}"), name)
