"""Reports: one self-contained HTML file (plots embedded as base64 PNG), a summary CSV and a per-truck CSV.

Border networks are often offline (SPEC §4.10), so the HTML links nothing: no CDN,
no script, no external font or image. Plots use matplotlib's Agg backend, imported
only here so that simulating never pays for it.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from borderflow.sim.model import TRUCK_COLUMNS
from borderflow.sim.run import Experiment
from borderflow.sim.stats import percentile

# (metric, label, digits): the rows of the summary tables, in reading order.
SUMMARY_ROWS: tuple[tuple[str, str, int], ...] = (
    ("total_wait.perishable.p95", "Perishable: wait to cross, p95 (h)", 1),
    ("total_wait.perishable.mean", "Perishable: wait to cross, mean (h)", 1),
    ("total_wait.perishable.max", "Perishable: wait to cross, max (h)", 1),
    ("perishable_over_threshold", "Perishable trucks over the threshold", 0),
    ("total_wait.trusted.p95", "Trusted: wait to cross, p95 (h)", 1),
    ("total_wait.trusted.max", "Trusted: wait to cross, max (h)", 1),
    ("total_wait.ordinary.p95", "Ordinary: wait to cross, p95 (h)", 1),
    ("total_wait.ordinary.max", "Ordinary: wait to cross, max (h)", 1),
    ("total_wait.all.mean", "All: wait to cross, mean (h)", 2),
    ("yard_wait.perishable.p95", "Perishable: yard wait, p95 (h)", 1),
    ("yard_wait.perishable.mean", "Perishable: yard wait, mean (h)", 1),
    ("yard_wait.perishable.max", "Perishable: yard wait, max (h)", 1),
    ("yard_wait.trusted.p95", "Trusted: yard wait, p95 (h)", 1),
    ("yard_wait.ordinary.p95", "Ordinary: yard wait, p95 (h)", 1),
    ("yard_wait.ordinary.max", "Ordinary: yard wait, max (h)", 1),
    ("yard_wait.all.mean", "All: yard wait, mean (h)", 2),
    ("line_wait.all.mean", "At the border line, mean (h)", 2),
    ("line_wait.all.max", "At the border line, max (h)", 1),
    ("throughput_per_hour", "Crossings per open hour", 1),
    ("throughput_ratio", "Throughput / capacity bound", 4),
    ("accepted_in_horizon", "Crossed while trucks arrived", 0),
    ("capacity_bound", "Capacity bound for that period", 0),
    ("lane_utilisation", "Lane utilisation (incl. blocked)", 3),
    ("bay_utilisation", "Inspection bay utilisation", 3),
    ("max_waiting", "Most trucks waiting (yard + road)", 0),
    ("max_road", "Most trucks on the road (yard full)", 0),
    ("max_line", "Most trucks at one border line", 0),
    ("arrived", "Trucks arrived", 0),
    ("unfinished", "Trucks not crossed at the end", 0),
)
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _fmt(exp: Experiment, policy: str, metric: str, digits: int) -> str:
    est = exp.estimate(policy, metric)
    if est.n == 0 or math.isnan(est.mean):
        return "–"
    return est.format(digits)


def _png(fig) -> str:  # noqa: ANN001 - a matplotlib Figure
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _local_times(exp: Experiment, count: int, step_minutes: float) -> list[datetime]:
    # Naive local times of the scenario's zone, so the axis reads as the gate's clock.
    start = exp.scenario.start.replace(tzinfo=None)
    return [start + timedelta(minutes=i * step_minutes) for i in range(count)]


def _mean_series(series: Sequence[Sequence[float]]) -> list[float]:
    length = min(len(s) for s in series)
    return [sum(s[i] for s in series) / len(series) for i in range(length)]


def plots(exp: Experiment) -> dict[str, str]:
    """The report's figures as base64 PNGs: queue over time, wait distributions, throughput vs capacity."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    offset = exp.scenario.start.utcoffset() or timedelta(0)
    zone = f"UTC{'+' if offset >= timedelta(0) else '-'}{abs(offset).seconds // 3600:02d}:00"

    fig, ax = plt.subplots(figsize=(10, 3.6))
    for i, spec in enumerate(exp.policies):
        runs = exp.results[spec.name]
        waiting = _mean_series([r.queue_series for r in runs])
        line = _mean_series([r.line_series for r in runs])
        times = _local_times(exp, len(waiting), runs[0].sample_minutes)
        colour = COLOURS[i % len(COLOURS)]
        width = max(1.0, 3.5 - 1.0 * i)  # wider underneath: equal curves (same trucks) stay visible
        ax.plot(times, waiting, color=colour, linewidth=width, alpha=0.8, label=f"{spec.name}: waiting in yard/road")
        ax.plot(times, line, color=colour, linewidth=width, alpha=0.8, linestyle="--",
                label=f"{spec.name}: at the border line")
    ax.set_ylabel("trucks (mean of replications)")
    ax.set_xlabel(f"time ({zone})")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%H:%M"))
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    ax.set_title("Queue length over time, all gate pairs")
    out["queue"] = _png(fig)

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=True)
    for ax, cls in zip(axes, ("perishable", "trusted", "ordinary"), strict=True):
        for i, spec in enumerate(exp.policies):
            values = sorted(v for r in exp.results[spec.name] for v in r.waits[cls])
            if not values:
                continue
            qs = [q / 2 for q in range(201)]  # 0, 0.5, …, 100: an ECDF without a million points
            ax.plot([percentile(values, q) for q in qs], [q / 100 for q in qs], color=COLOURS[i % len(COLOURS)],
                    label=spec.name)
        ax.set_title(f"{cls}")
        ax.set_xlabel("wait to cross (h)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of trucks")
    axes[0].legend(fontsize=8)
    fig.suptitle("Wait distributions by priority class (all replications)", fontsize=10)
    out["waits"] = _png(fig)

    fig, ax = plt.subplots(figsize=(10, 3.4))
    first = exp.results[exp.policies[0].name][0]
    hours = len(first.hourly_capacity)
    step = 24 if hours > 240 else 1
    label = "per day" if step == 24 else "per hour"

    def bucket(values: Sequence[float]) -> list[float]:
        return [sum(values[i:i + step]) for i in range(0, len(values), step)]

    capacity = bucket(first.hourly_capacity)
    times = _local_times(exp, len(capacity), 60.0 * step)
    ax.step(times, capacity, where="post", color="grey", linestyle=":",
            label="capacity: min(own lanes, partner acceptance)")
    for i, spec in enumerate(exp.policies):
        accepted = bucket(_mean_series([r.hourly_accepted for r in exp.results[spec.name]]))
        ratio = exp.estimate(spec.name, "throughput_ratio").mean
        ax.step(times, accepted, where="post", color=COLOURS[i % len(COLOURS)],
                label=f"{spec.name}: crossed ({ratio:.1%} of bound)")
    ax.set_ylabel(f"trucks {label}")
    ax.set_xlabel(f"time ({zone})")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%H:%M"))
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    ax.set_title("Throughput against the capacity bound, all gate pairs")
    out["throughput"] = _png(fig)
    return out


def _table(exp: Experiment) -> str:
    head = "".join(f"<th>{html.escape(s.name)}</th>" for s in exp.policies)
    rows = []
    for metric, label, digits in SUMMARY_ROWS:
        cells = "".join(f"<td>{_fmt(exp, s.name, metric, digits)}</td>" for s in exp.policies)
        rows.append(f"<tr><th scope='row'>{html.escape(label)}</th>{cells}</tr>")
    return (f"<table><thead><tr><th>metric (mean ± 95 % CI)</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _flows_table(exp: Experiment) -> str:
    head = "<tr><th>flow</th><th>policy</th><th>arrived</th><th>crossed / bound</th><th>most waiting</th>" \
           "<th>most at the line</th><th>lane use</th></tr>"
    rows = []
    for spec in exp.policies:
        runs = exp.results[spec.name]
        for key in runs[0].flows:
            flows = [r.flows[key] for r in runs]
            n = len(flows)
            arrived = sum(f.arrived for f in flows) / n
            bound = sum(f.capacity_bound for f in flows)
            ratio = sum(f.accepted_in_horizon for f in flows) / bound if bound else math.nan
            lane = sum(f.lane_busy for f in flows) / max(1.0, sum(f.lane_open for f in flows))
            rows.append(f"<tr><td>{html.escape(key.replace('>', ' → '))}</td><td>{html.escape(spec.name)}</td>"
                        f"<td>{arrived:.0f}</td><td>{ratio:.2%}</td>"
                        f"<td>{sum(f.max_waiting for f in flows) / n:.0f}</td>"
                        f"<td>{sum(f.max_line for f in flows) / n:.0f}</td><td>{lane:.1%}</td></tr>")
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _assumptions(exp: Experiment) -> str:
    sc = exp.scenario
    items = ["<li>Service times: " + "; ".join(f"{k} {html.escape(d.describe())}" for k, d in sc.service.items())
             + "</li>"]
    for flow in sc.flows:
        out_lanes = sum(1 for lane in flow.gate.lanes if lane.direction == "outbound" and lane.kind == "goods")
        in_lanes = sum(1 for lane in flow.partner.lanes if lane.direction == "inbound" and lane.kind == "goods")
        items.append(
            f"<li>{html.escape(flow.gate.name)} → {html.escape(flow.partner.name)}: "
            f"{flow.trucks_per_day * sc.demand_scale:g} trucks/day, {out_lanes} outbound lanes × "
            f"{flow.per_lane_per_hour}/h, partner {in_lanes} inbound lanes × {flow.partner_per_lane_per_hour}/h, "
            f"yard {flow.gate.yard_capacity}, bays {flow.gate.inspection_bays}, border line {flow.line_capacity}, "
            f"goods hours {flow.gate.goods_hours[0]:%H:%M}–{flow.gate.goods_hours[1]:%H:%M} "
            f"({html.escape(flow.gate.timezone)})</li>")
    for gate, o in sc.outages:
        what = "closed" if o.trucks_per_hour is None else f"{o.trucks_per_hour} trucks/h"
        items.append(f"<li>Outage: {html.escape(gate)} {what} from {o.start.isoformat()} to {o.end.isoformat()} "
                     f"({html.escape(o.reason)})</li>")
    for opening in sc.lane_openings:
        items.append(f"<li>New lane: {html.escape(opening.gate)} {html.escape(opening.lane.code)} "
                     f"({opening.lane.direction}) from {opening.opens.isoformat()}</li>")
    return "<ul>" + "".join(items) + "</ul>"


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:2rem auto;max-width:1100px;
color:#222;padding:0 1rem}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;
text-align:right}th[scope=row],thead th:first-child,td:first-child{text-align:left}thead th{background:#f4f4f4}
img{max-width:100%;display:block;margin:1rem 0}.meta{color:#555;font-size:.9rem}code{background:#f4f4f4;padding:0 .2rem}
"""


def render_html(exp: Experiment) -> str:
    sc = exp.scenario
    figures = plots(exp)
    policies = "".join(f"<li><b>{html.escape(s.name)}</b>: {html.escape(s.describe())}</li>" for s in exp.policies)
    arrived = exp.estimate(exp.policies[0].name, "arrived").mean
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>borderflow simulation: {html.escape(sc.title)}</title><style>{CSS}</style></head><body>
<h1>{html.escape(sc.title)}</h1>
<p>{html.escape(sc.description)}</p>
<p class="meta">Scenario <code>{html.escape(sc.name)}</code> ({html.escape(sc.source)}), from {sc.start.isoformat()},
{sc.days} day(s) of arrivals + {sc.drain_days} day(s) to drain; {exp.replications} replication(s) per policy, seed
{exp.seed}, {exp.workers} worker process(es), {exp.elapsed:.1f} s; about {arrived:,.0f} trucks per replication.
Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by borderflow.</p>
<h2>Policies</h2><ul>{policies}</ul>
<h2>Results</h2>
<p>Means over replications with 95 % confidence intervals (Student t). "Wait to cross" runs from arrival at the
yard to acceptance by the partner; "yard wait" ends when the yard calls the truck forward. Perishable threshold:
{sc.perishable_threshold_hours:g} h. The capacity bound is the most trucks any policy could have delivered while
trucks were arriving, given the arrivals and min(own lanes, partner acceptance) hour by hour.</p>
{_table(exp)}
<img alt="Queue length over time" src="data:image/png;base64,{figures['queue']}">
<p class="meta">How many wait does not depend on the order they are called in (same trucks, same capacity): queue
policies overlap here and differ in who waits, below. Sending everything moves the queue to the border line.</p>
<img alt="Wait distributions" src="data:image/png;base64,{figures['waits']}">
<img alt="Throughput against capacity" src="data:image/png;base64,{figures['throughput']}">
<h2>By flow (replication means)</h2>
{_flows_table(exp)}
<h2>Assumptions</h2>
{_assumptions(exp)}
<p class="meta">Selectivity: the node's own rules ({html.escape(sc.rules or 'shipped default rules')}) with draws
from HMAC(scenario secret, crossing id), as on a live node. Queue policies, capacity calendar and partner cap: the
live node's domain code. See docs/simulator.md.</p>
</body></html>
"""


def _iso(start: datetime, minutes: float) -> str:
    if minutes != minutes:  # NaN: the truck never reached this step
        return ""
    return (start + timedelta(minutes=minutes)).isoformat(timespec="seconds")


def write_trucks_csv(exp: Experiment, path: Path) -> int:
    """One row per truck (kept replications), with every timestamp as ISO 8601; returns the row count."""
    start = exp.scenario.start
    end = exp.scenario.horizon_minutes
    times = TRUCK_COLUMNS.index("arrived")
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*TRUCK_COLUMNS, "yard_wait_h", "total_wait_h"])
        for row in exp.trucks():
            arrived, called, accepted = row[times], row[times + 1], row[-1]
            yard = ((called if called == called else end) - arrived) / 60
            total = ((accepted if accepted == accepted else end) - arrived) / 60
            writer.writerow([*row[:times], *(_iso(start, m) for m in row[times:]), f"{yard:.3f}", f"{total:.3f}"])
            rows += 1
    return rows


def write_summary_csv(exp: Experiment, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["policy", "metric", "mean", "ci95_low", "ci95_high", "replications"])
        for spec in exp.policies:
            for metric in exp.metric_names():
                est = exp.estimate(spec.name, metric)
                writer.writerow([spec.name, metric, f"{est.mean:.6g}",
                                 "" if math.isnan(est.half_width) else f"{est.low:.6g}",
                                 "" if math.isnan(est.half_width) else f"{est.high:.6g}", est.n])


def write_report(exp: Experiment, out: Path) -> dict[str, Path]:
    """Write report.html, summary.csv and trucks.csv into `out` (created); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"html": out / "report.html", "summary": out / "summary.csv", "trucks": out / "trucks.csv"}
    paths["html"].write_text(render_html(exp), encoding="utf-8")
    write_summary_csv(exp, paths["summary"])
    write_trucks_csv(exp, paths["trucks"])
    return paths
