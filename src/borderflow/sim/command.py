"""`borderflow simulate SCENARIO`: run replications of each policy, print a table, write the report.

The function is Typer-annotated so the CLI can register it as it is
(`app.command()(simulate)`); it can also be called directly from Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from borderflow.sim.scenario import ScenarioError, load_scenario, shipped_scenarios

CONSOLE_ROWS = (
    ("total_wait.perishable.p95", "perishable wait p95 (h)", 1),
    ("total_wait.perishable.mean", "perishable wait mean (h)", 1),
    ("perishable_over_threshold", "perishable over threshold", 0),
    ("total_wait.trusted.p95", "trusted wait p95 (h)", 1),
    ("total_wait.ordinary.p95", "ordinary wait p95 (h)", 1),
    ("total_wait.ordinary.max", "ordinary wait max (h)", 1),
    ("yard_wait.all.mean", "yard wait mean, all (h)", 2),
    ("line_wait.all.mean", "border-line wait mean (h)", 2),
    ("throughput_per_hour", "crossings per open hour", 1),
    ("throughput_ratio", "throughput / capacity bound", 4),
    ("lane_utilisation", "lane utilisation", 3),
    ("bay_utilisation", "bay utilisation", 3),
    ("max_line", "most trucks at a border line", 0),
    ("arrived", "trucks per replication", 0),
)


def simulate(
    scenario: Annotated[str, typer.Argument(help="a shipped scenario (" + ", ".join(shipped_scenarios())
                                                 + ") or the path of a scenario TOML file")],
    policy: Annotated[list[str] | None, typer.Option(
        "--policy", "-p", help="policy to run, repeatable: one the scenario file defines, or fifo, priority, "
                               "booked_first, send_all (default: the scenario's compare list)")] = None,
    replications: Annotated[int, typer.Option(min=1, max=10_000, help="replications per policy")] = 5,
    seed: Annotated[int, typer.Option(help="base seed; the same seed gives the same results")] = 1,
    out: Annotated[Path | None, typer.Option(help="folder for report.html, summary.csv and trucks.csv "
                                                  "(default: ./sim-SCENARIO)")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="parallel processes (default: one per core)")] = None,
) -> None:
    """Simulate a scenario: replications of each policy in parallel, means with 95 % CIs, an HTML report."""
    from borderflow.sim.report import write_report
    from borderflow.sim.run import run_experiment

    console, err = Console(), Console(stderr=True)
    try:
        loaded = load_scenario(scenario)
        specs = [loaded.policy(name) for name in (policy or loaded.compare)]
    except ScenarioError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        err.print(f"[red]a policy is listed twice: {', '.join(names)}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    console.print(f"[bold]{loaded.title}[/bold] — {len(loaded.flows)} flows, ~{loaded.expected_trucks():,.0f} trucks "
                  f"per replication; policies: {', '.join(names)}; {replications} replication(s), seed {seed}",
                  highlight=False, soft_wrap=True)
    # auto_refresh=False: no refresh thread, so the worker processes can be forked safely.
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, auto_refresh=False) as bar:
        task = bar.add_task("simulating", total=len(specs) * replications)
        bar.refresh()

        def advance(done: int, total: int, result) -> None:  # noqa: ANN001
            bar.update(task, completed=done, description=f"{result.policy} #{result.replication + 1}")
            bar.refresh()

        experiment = run_experiment(loaded, specs, replications=replications, seed=seed, workers=workers,
                                    progress=advance)
    table = Table(title=f"{loaded.name}: mean ± 95 % CI over {replications} replication(s)")
    table.add_column("metric", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right")
    for metric, label, digits in CONSOLE_ROWS:
        table.add_row(label, *(experiment.estimate(n, metric).format(digits) for n in names))
    console.print(table)
    base = names[0]
    p95 = experiment.estimate(base, "total_wait.perishable.p95").mean
    for name in names[1:]:
        other = experiment.estimate(name, "total_wait.perishable.p95").mean
        if p95 and p95 == p95 and other == other:
            console.print(f"{name} vs {base}: perishable p95 wait {(other - p95) / p95:+.0%}", highlight=False,
                          soft_wrap=True)
    folder = out or Path(f"sim-{loaded.name}")
    paths = write_report(experiment, folder)
    console.print(f"report: {paths['html']}  summary: {paths['summary']}  trucks: {paths['trucks']} "
                  f"({experiment.elapsed:.1f} s, {experiment.workers} worker(s))", highlight=False, soft_wrap=True)
