"""`borderflow simulate SCENARIO`: run replications of each policy, print a table and the findings,
write the report; `borderflow simulate --from-node`: write a scenario calibrated from the node's history.

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

from borderflow.sim.calibrate import MIN_TRUCKS
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
    ("lane_utilisation", "lane use (open hours)", 3),
    ("bay_utilisation", "bay use (open hours)", 3),
    ("max_line", "most trucks at a border line", 0),
    ("arrived", "trucks per replication", 0),
)


def simulate(
    scenario: Annotated[str | None, typer.Argument(
        help="a shipped scenario (" + ", ".join(shipped_scenarios()) + ") or the path of a scenario TOML file; "
             "none with --from-node")] = None,
    policy: Annotated[list[str] | None, typer.Option(
        "--policy", "-p", help="policy to run, repeatable: one the scenario file defines, or fifo, priority, "
                               "booked_first, send_all (default: the scenario's compare list)")] = None,
    replications: Annotated[int, typer.Option(min=1, max=10_000, help="replications per policy")] = 5,
    seed: Annotated[int, typer.Option(help="base seed; the same seed gives the same results")] = 1,
    out: Annotated[Path | None, typer.Option(
        help="running a scenario: the report folder, as --report (default ./sim-SCENARIO); with --from-node: "
             "the scenario file to write (default ./calibrated.toml)")] = None,
    report: Annotated[Path | None, typer.Option(
        help="folder for report.html, summary.csv and trucks.csv (default: ./sim-SCENARIO)")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="parallel processes (default: one per core)")] = None,
    from_node: Annotated[bool, typer.Option(
        "--from-node", help="write a scenario calibrated from the node's own history (its database: "
                            "BORDERFLOW_DB_URL) instead of running one")] = False,
    node: Annotated[str, typer.Option(
        "--node", help="with --from-node: vn, cn (the shipped reference nodes) or a node file path")] = "vn",
    days: Annotated[int, typer.Option(min=1, max=3650, help="with --from-node: days of history to measure")] = 28,
    weekday: Annotated[str | None, typer.Option(
        help="with --from-node: measure only this weekday (mon … sun) and write a one-day scenario of the next "
             "one ('the last four Tuesdays')")] = None,
    until: Annotated[str | None, typer.Option(
        help="with --from-node: the history ends at the start of this day, YYYY-MM-DD (default: today)")] = None,
    min_trucks: Annotated[int, typer.Option(
        min=1, help="with --from-node: refuse a history with fewer trucks than this")] = MIN_TRUCKS,
) -> None:
    """Simulate a scenario: replications of each policy in parallel, findings with 95 % intervals, an
    HTML report. With --from-node, write a scenario measured from the node's own history instead."""
    err = Console(stderr=True)
    if from_node:
        if scenario is not None:
            _fail(err, f"--from-node writes a scenario; give no SCENARIO (got {scenario!r}), and run the file "
                       "it writes afterwards")
        if report is not None or policy:
            _fail(err, "--from-node writes a scenario file (--out FILE); --report and --policy are for running it")
        calibrate_from_node(node=node, days=days, weekday=weekday, until=until, out=out, min_trucks=min_trucks)
        return
    if scenario is None:
        _fail(err, "give a SCENARIO to run (" + ", ".join(shipped_scenarios()) + " or a file), or --from-node to "
                   "write one from the node's history")
    if out is not None and report is not None and out != report:
        _fail(err, f"--out and --report both name the report folder ({out} and {report}); give one")
    run_scenario(scenario, policy=policy, replications=replications, seed=seed, folder=report or out,
                 workers=workers)


def _fail(err: Console, message: str, code: int = 2) -> None:
    err.print(f"[red]{message}[/red]", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def run_scenario(scenario: str, *, policy: list[str] | None, replications: int, seed: int, folder: Path | None,
                 workers: int | None) -> None:
    from borderflow.sim.report import findings, write_report
    from borderflow.sim.run import run_experiment, standard_variants

    console, err = Console(), Console(stderr=True)
    try:
        loaded = load_scenario(scenario)
        specs = [loaded.policy(name) for name in (policy or loaded.compare)]
    except ScenarioError as exc:
        _fail(err, str(exc))
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        _fail(err, f"a policy is listed twice: {', '.join(names)}")
    variants = standard_variants(loaded)
    also = f"; also {', '.join(label for label, _ in variants)}" if variants else ""
    console.print(f"[bold]{loaded.title}[/bold] — {len(loaded.flows)} flows, ~{loaded.expected_trucks():,.0f} trucks "
                  f"per replication; policies: {', '.join(names)}; {replications} replication(s), seed {seed}{also}",
                  highlight=False, soft_wrap=True)
    # auto_refresh=False: no refresh thread, so the worker processes can be forked safely.
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, auto_refresh=False) as bar:
        task = bar.add_task("simulating", total=len(specs) * replications * (1 + len(variants)))
        bar.refresh()

        def advance(done: int, total: int, result) -> None:  # noqa: ANN001
            bar.update(task, completed=done, description=f"{result.policy} #{result.replication + 1}")
            bar.refresh()

        experiment = run_experiment(loaded, specs, replications=replications, seed=seed, workers=workers,
                                    progress=advance, variants=variants)
    table = Table(title=f"{loaded.name}: mean ± 95 % CI over {replications} replication(s)")
    table.add_column("metric", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right")
    for metric, label, digits in CONSOLE_ROWS:
        table.add_row(label, *(experiment.estimate(n, metric).format(digits) for n in names))
    console.print(table)
    for comparison in findings(experiment):
        console.print(f"{comparison.subject} vs {comparison.base}: {comparison.headline()}", highlight=False,
                      soft_wrap=True)
    folder = folder or Path(f"sim-{loaded.name}")
    paths = write_report(experiment, folder)
    console.print(f"report: {paths['html']}  summary: {paths['summary']}  trucks: {paths['trucks']} "
                  f"({experiment.elapsed:.1f} s, {experiment.workers} worker(s))", highlight=False, soft_wrap=True)


def calibrate_from_node(*, node: str, days: int, weekday: str | None, until: str | None, out: Path | None,
                        min_trucks: int) -> Path:
    """Read the node's history (its settings and database, as every node command does), measure it and
    write the scenario file; exits 2 with the reason when the history cannot calibrate one."""
    from datetime import date

    from sqlalchemy.exc import DBAPIError

    from borderflow.domain.yard_rules import YardRules
    from borderflow.reference.region import NodeFileError, load_node
    from borderflow.settings import SettingsError, load_settings
    from borderflow.sim import calibrate as cal
    from borderflow.sim.node_config import NodeSettings, yard_keys
    from borderflow.store.db import make_engine

    console, err = Console(), Console(stderr=True)
    path = out or Path("calibrated.toml")
    try:
        settings = load_settings(node=node)
        node_file = load_node(settings.node)
        chosen_weekday = cal.weekday_number(weekday) if weekday else None
        zone = cal.node_zone(node_file.node)
        day = date.fromisoformat(until) if until else _today(settings, zone)
    except (SettingsError, NodeFileError, cal.CalibrationError) as exc:
        _fail(err, str(exc))
    except ValueError:
        _fail(err, f"--until: expected a date YYYY-MM-DD, got {until!r}")
    url = settings.database_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        _fail(err, f"no node database at {url}: set BORDERFLOW_DB_URL to the node's database (as `borderflow "
                   "serve` uses it)")
    keys = yard_keys()
    defaults = NodeSettings()
    config = dict(
        yard=YardRules.from_settings(settings), settings={k: getattr(settings, k) for k in keys},
        defaults={k: getattr(defaults, k) for k in keys}, node_spec=_spec(settings.node),
        partner_spec={"VN": "cn", "CN": "vn"}.get(node_file.node.country),
        rules=str(Path(settings.rules).expanduser().resolve()) if settings.rules else None)
    engine = make_engine(url)
    try:
        since, end = cal.window(day, days, zone)
        history = cal.read_history(engine, node_file.node, since, end, zone=zone, **config)
        calibration = cal.calibrate(history, weekday=chosen_weekday, name=cal.scenario_name(path.stem),
                                    min_trucks=min_trucks)
    except cal.CalibrationError as exc:
        _fail(err, str(exc))
    except DBAPIError as exc:
        _fail(err, f"cannot read the node's history from {engine.url.render_as_string(hide_password=True)}: "
                   f"{exc.orig} (is it the node's database, upgraded with `borderflow db upgrade`?)")
    finally:
        engine.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cal.scenario_text(calibration), encoding="utf-8")
    try:
        load_scenario(str(path) if "/" in str(path) else f"./{path}")
    except ScenarioError as exc:
        _fail(err, f"the calibrated scenario does not load, a fault in borderflow: {exc}", 1)
    flows = "; ".join(f"{f.sender.code} → {f.receiver.code} {f.trucks_per_day:.1f} trucks/day"
                      for f in calibration.flows)
    console.print(f"wrote {path}: {calibration.total} trucks measured over {calibration.period}; {flows}",
                  highlight=False, soft_wrap=True)
    console.print(f"run it: borderflow simulate {path} --report {path.with_suffix('')}-report", highlight=False,
                  soft_wrap=True)
    return path


def _spec(node: str) -> str:
    """The node file as a scenario names it: vn, cn, or an absolute path (the scenario may move)."""
    return node if node in ("vn", "cn") else str(Path(node).expanduser().resolve())


def _today(settings, zone: str):  # noqa: ANN001, ANN202
    """Today at the node, on the node's own clock (an accelerated one if its settings ask for it)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo
    try:
        from borderflow.bootstrap import node_clock
        now = node_clock(settings).now()
    except ImportError:
        now = datetime.now(UTC)
    return now.astimezone(ZoneInfo(zone)).date()
