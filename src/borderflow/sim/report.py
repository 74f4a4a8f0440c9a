"""Reports: one self-contained HTML file (plots embedded as base64 PNG), a summary CSV and a per-truck CSV.

Border networks are often offline (SPEC §4.10), so the HTML links nothing: no CDN,
no script, no external font or image. Plots use matplotlib's Agg backend, imported
only here so that simulating never pays for it.

The report opens with its findings: each policy against first come, first served
(and the scenario against each of its variants, e.g. without its new lanes), metric by
metric, as a paired comparison over the replications (`stats.paired_difference`:
replication i of both ran the same trucks, so the mean of the per-replication
differences has a Student-t 95 % interval); a difference is significant when that
interval excludes 0, and what gets worse is said as plainly as what gets better.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from borderflow.sim.model import TRUCK_COLUMNS
from borderflow.sim.run import Experiment
from borderflow.sim.scenario import FlowSpec, PolicySpec, Scenario
from borderflow.sim.stats import Difference, percentile

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
    ("lane_utilisation", "Lane use in open hours (incl. blocked)", 3),
    ("bay_utilisation", "Inspection bay use in open hours", 3),
    ("max_waiting", "Most trucks waiting (yard + road)", 0),
    ("max_road", "Most trucks on the road (yard full)", 0),
    ("max_line", "Most trucks at one border line", 0),
    ("arrived", "Trucks arrived", 0),
    ("unfinished", "Trucks not crossed at the end", 0),
)
# Colour, line style and marker per policy: lines stay apart even when two policies give the same curve.
STYLES = (("#1f77b4", "-", "o"), ("#d62728", "--", "s"), ("#2ca02c", ":", "^"), ("#9467bd", "-.", "D"),
          ("#ff7f0e", (0, (5, 1)), "v"), ("#8c564b", (0, (3, 1, 1, 1)), "P"))
COLOURS = tuple(s[0] for s in STYLES)
HATCHES = ("", "//", "..", "xx", "\\\\", "++")
CLASS_LABELS = {"perishable": "perishable trucks'", "trusted": "trusted traders'", "ordinary": "ordinary trucks'",
                "all": "all trucks'"}


# ------------------------------------------------------------------ findings


@dataclass(frozen=True, slots=True)
class Measure:
    """A metric the findings compare: what it is called, its unit, and which way is better."""

    metric: str
    label: str
    unit: str  # h | trucks | share
    lower_is_better: bool = True


def _class_measures(prefix: str = "", where: str = "") -> list[Measure]:
    out = []
    for cls in ("perishable", "trusted", "ordinary"):
        who = CLASS_LABELS[cls]
        out.append(Measure(f"{prefix}total_wait.{cls}.p95", f"{who} p95 wait to cross{where}", "h"))
        out.append(Measure(f"{prefix}total_wait.{cls}.mean", f"{who} mean wait to cross{where}", "h"))
        out.append(Measure(f"{prefix}total_wait.{cls}.max", f"{who} longest wait to cross{where}", "h"))
    return out


def measures(scenario: Scenario) -> list[Measure]:
    """The metrics every comparison reports, in reading order."""
    return [
        *_class_measures(),
        Measure("total_wait.all.mean", "the mean wait to cross, all trucks", "h"),
        Measure("perishable_over_threshold",
                f"perishable trucks waiting over {scenario.perishable_threshold_hours:g} h", "trucks"),
        Measure("throughput_ratio", "throughput against the capacity bound", "share", lower_is_better=False),
        Measure("line_wait.all.mean", "the mean wait at the border line", "h"),
        Measure("max_line", "the most trucks at one border line", "trucks"),
    ]


def flow_label(flow: FlowSpec) -> str:
    return f"{short_name(flow.gate.name)} → {short_name(flow.partner.name)}"


def short_name(name: str) -> str:
    """"Kim Thành Border Gate (road gate II)" → "Kim Thành"."""
    return re.split(r"\s+(?:Border Gate|Port|Gate)\b|\s+\(", name)[0].strip() or name


def flow_measures(flow: FlowSpec) -> list[Measure]:
    where = f" at {flow_label(flow)}"
    prefix = f"flow.{flow.key}."
    return [Measure(f"{prefix}total_wait.all.p95", f"the p95 wait to cross{where}", "h"),
            Measure(f"{prefix}total_wait.all.mean", f"the mean wait to cross{where}", "h"),
            *_class_measures(prefix, where)[0::3],
            Measure(f"{prefix}throughput_ratio", f"throughput against the capacity bound{where}", "share",
                    lower_is_better=False)]


def _value(value: float, unit: str) -> str:
    if value != value:
        return "–"
    if unit == "h":
        return f"{value:.1f} h" if abs(value) >= 1 or value == 0 else f"{value * 60:.0f} min"
    if unit == "share":
        return f"{value:.2%}".replace("%", " %")
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def _digits(value: float) -> int:
    """Decimals for a percentage: none from 10 % up, one below."""
    return 0 if abs(value) >= 0.095 else 1


def _percent(value: float, digits: int) -> str:
    return f"{value * 100:.{digits}f}".replace("-", "−")


@dataclass(frozen=True, slots=True)
class Item:
    """One metric of one comparison: the paired difference and what it means."""

    measure: Measure
    diff: Difference

    @property
    def verdict(self) -> str:
        """better | worse | same (not significant) | untested (fewer than 2 replications) | undefined."""
        d = self.diff
        if d.n == 0:
            return "undefined"
        if not d.tested:
            return "untested"
        if not d.significant:
            return "same"
        lower = d.diff.mean < 0
        return "better" if lower == self.measure.lower_is_better else "worse"

    def change(self) -> str:
        """"+138 % [120, 150]" (relative to the baseline's mean), or an absolute change where the
        baseline is 0 or the measure is a share."""
        d, m = self.diff, self.measure
        if not d.tested:
            return f"{_signed(d.diff.mean, m.unit)}, no interval ({d.n} replication{'s' if d.n != 1 else ''})"
        if d.diff.mean == 0 and d.diff.half_width == 0:
            return "the same in every replication"
        if m.unit == "share":
            points = [f"{v * 100:+.2f}".replace("-", "−") for v in (d.diff.mean, d.diff.low, d.diff.high)]
            return f"{points[0]} points [{points[1]}, {points[2]}]"
        if not d.base:
            return f"{_signed(d.diff.mean, m.unit)} [{_signed(d.diff.low, m.unit)}, {_signed(d.diff.high, m.unit)}]"
        low, high = _relative_interval(d)
        n = _digits(d.relative)
        return f"{'+' if d.relative >= 0 else '−'}{_percent(abs(d.relative), n)} % [{_percent(low, n)}, {_percent(high, n)}]"

    def sentence(self, subject: str) -> str:
        """What a planner reads: "cuts perishable trucks' p95 wait to cross by 64 % [58, 70]" or
        "ordinary trucks' p95 wait to cross goes from 26.9 h to 63.9 h (+138 % [120, 150])"."""
        d, m = self.diff, self.measure
        base, other = _value(d.base, m.unit), _value(d.other, m.unit)
        if self.verdict == "better" and m.lower_is_better and d.base and m.unit != "share":
            low, high = _relative_interval(d)
            n = _digits(d.relative)
            return (f"{subject} cuts {m.label} by {_percent(abs(d.relative), n)} % "
                    f"[{_percent(abs(high), n)}, {_percent(abs(low), n)}] ({base} → {other})")
        tail = {"same": ", not significant", "untested": "", "undefined": ""}.get(self.verdict, "")
        return f"{m.label} goes from {base} to {other} ({self.change()}{tail})"


def _relative_interval(d: Difference) -> tuple[float, float]:
    """The relative interval, never below −100 %: every measure here is a wait, a count or a share,
    none of which falls below 0 (the t-interval of a few replications can reach past it)."""
    low, high = d.relative_interval
    return max(low, -1.0), max(high, -1.0)


def _signed(value: float, unit: str) -> str:
    if value != value:
        return "–"
    sign = "+" if value >= 0 else "−"
    return sign + _value(abs(value), unit)


@dataclass
class Comparison:
    """Everything one policy (or one variant of the scenario) changes against its baseline."""

    subject: str  # the policy, or the policy on the scenario as written
    base: str  # what it is compared with
    items: list[Item]
    replications: int
    variant: str | None = None  # the variant of the scenario the base ran on

    def where(self, verdict: str) -> list[Item]:
        return [i for i in self.items if i.verdict == verdict]

    @property
    def tested(self) -> bool:
        return self.replications >= 2

    @property
    def identical(self) -> bool:
        """The same result as the baseline on every metric in every replication."""
        return self.tested and all(i.diff.diff.mean == 0 and i.diff.diff.half_width == 0 for i in self.items)

    def headline(self) -> str:
        """The best improvement and every p95 or longest wait that gets worse, in one sentence."""
        better = sorted(self.where("better"), key=lambda i: _rank(i.measure.metric))  # stable: list order
        worse = [i for i in self.where("worse") if ".p95" in i.measure.metric or ".max" in i.measure.metric]
        worse = worse or self.where("worse")
        parts = [better[0].sentence(self.subject)] if better else []
        parts += [i.sentence(self.subject) for i in worse[:3]]
        if not parts and self.identical:
            return f"{self.subject} gives the same result as {self.base} on every metric, in every replication"
        if not parts:
            return (f"{self.subject} changes nothing measured significantly against {self.base}"
                    if self.tested else f"{self.subject} against {self.base}: one replication, no interval")
        text = "; ".join(parts)
        return text[0].upper() + text[1:]


def _rank(metric: str) -> int:
    """Which improvement leads a headline: a p95 wait, then a longest, then a mean, then the rest."""
    return next((n for n, part in enumerate((".p95", ".max", ".mean")) if metric.endswith(part)), 3)


def baseline(exp: Experiment) -> PolicySpec:
    """First come, first served: the first fifo policy that calls within capacity, else any fifo
    one (send_all is first come, first served at the border line), else the first policy."""
    for spec in exp.policies:
        if spec.queue == "fifo" and spec.call_forward == "capacity":
            return spec
    return next((s for s in exp.policies if s.queue == "fifo"), exp.policies[0])


def _items(exp: Experiment, subject: str, base: str, metrics: Sequence[Measure],
           against: Experiment | None = None) -> list[Item]:
    items = []
    for m in metrics:
        diff = exp.compare(subject, base, m.metric, against)
        if diff.n:
            items.append(Item(m, diff))
    return items


def policy_comparisons(exp: Experiment) -> list[Comparison]:
    """Each compared policy against first come, first served, on the scenario as written."""
    base = baseline(exp)
    return [Comparison(s.name, base.name, _items(exp, s.name, base.name, measures(exp.scenario)),
                       exp.replications) for s in exp.policies if s.name != base.name]


def _affected_flows(exp: Experiment, variant: Experiment) -> list[FlowSpec]:
    """The flows whose own outbound or partner's inbound lanes differ between the scenario and a
    variant (e.g. where the new lanes are)."""
    def lanes(gate, direction: str) -> tuple:  # noqa: ANN001
        return tuple(lane for lane in gate.lanes if lane.direction == direction)

    return [ours for ours, theirs in zip(exp.scenario.flows, variant.scenario.flows, strict=False)
            if lanes(ours.gate, "outbound") != lanes(theirs.gate, "outbound")
            or lanes(ours.partner, "inbound") != lanes(theirs.partner, "inbound")]


def variant_comparisons(exp: Experiment) -> list[Comparison]:
    """The scenario as written against each variant (e.g. without its new lanes), policy by policy."""
    out = []
    for variant in exp.variants:
        metrics = [m for f in _affected_flows(exp, variant) for m in flow_measures(f)] + measures(exp.scenario)
        for spec in exp.policies:
            out.append(Comparison(f"{spec.name} {exp.label}", f"{spec.name} {variant.label}",
                                  _items(exp, spec.name, spec.name, metrics, variant), exp.replications,
                                  variant.label))
    return out


def _lede(subject: str) -> str:
    return subject[0].upper() + subject[1:]


def _comparison_html(c: Comparison, exp: Experiment) -> str:
    def listing(verdict: str) -> str:
        items = c.where(verdict)
        return "".join(f"<li>{html.escape(_lede(i.sentence(c.subject)))}</li>" for i in items)

    better, worse, same = listing("better"), listing("worse"), c.where("same")
    parts = [f"<h3>{html.escape(c.subject)} against {html.escape(c.base)}</h3>",
             f"<p class='headline'>{html.escape(c.headline())}.</p>"]
    if not c.tested:
        parts.append("<p>One replication: no interval and no test. Run <code>--replications 5</code> or more.</p>")
        parts.append(f"<ul>{listing('untested')}</ul>")
    elif c.identical:
        parts.append("<p class='same'>Every metric is the same as the baseline's in every replication (for "
                     "instance when no capacity binds, so the order of calls changes nothing).</p>")
    else:
        parts.append(f"<p class='better'><b>Better</b> (significant):</p><ul>{better}</ul>" if better
                     else "<p class='better'><b>Better</b>: nothing measured is significantly better.</p>")
        parts.append(f"<p class='worse'><b>Worse</b> (significant) — who pays for it:</p><ul>{worse}</ul>" if worse
                     else "<p class='worse'><b>Worse</b>: nothing measured is significantly worse.</p>")
        if same:
            listed = "; ".join(f"{i.measure.label} ({i.change()})" for i in same)
            parts.append(f"<p class='same'><b>No significant difference</b>: {html.escape(listed)}.</p>")
    rows = "".join(
        f"<tr><th scope='row'>{html.escape(_lede(i.measure.label))}</th><td>{_value(i.diff.base, i.measure.unit)}</td>"
        f"<td>{_value(i.diff.other, i.measure.unit)}</td><td>{html.escape(i.change())}</td>"
        f"<td class='{i.verdict}'>{ {'better': 'yes, better', 'worse': 'yes, worse', 'same': 'no'}.get(i.verdict, '–') }"
        f"</td></tr>" for i in c.items)
    parts.append(f"<details><summary>Every metric of this comparison</summary><table><thead><tr><th>metric</th>"
                 f"<th>{html.escape(c.base)}</th><th>{html.escape(c.subject)}</th><th>change [95 % CI]</th>"
                 f"<th>significant</th></tr></thead><tbody>{rows}</tbody></table></details>")
    return "<div class='comparison'>" + "".join(parts) + "</div>"


def findings(exp: Experiment) -> list[Comparison]:
    return policy_comparisons(exp) + variant_comparisons(exp)


def findings_html(exp: Experiment) -> str:
    base = baseline(exp)
    n = exp.replications
    method = (f"Each comparison is paired by replication: replication <i>i</i> of every policy (and every variant) "
              f"ran the same trucks with the same service times (common random numbers, seed {exp.seed}), so the "
              f"difference in replication <i>i</i> is the policy's. The interval is the Student-t 95 % interval of "
              f"the mean of the {n} per-replication differences (a paired t-interval); a difference is "
              f"<b>significant</b> when that interval excludes 0. Percentages are the mean difference over the "
              f"baseline's mean, with the interval scaled the same way. Waits to cross run from arrival at the "
              f"yard to acceptance by the partner.")
    parts = [f"<section class='findings' id='findings'><h2>Findings</h2><p class='meta'>{method}</p>"]
    comparisons = policy_comparisons(exp)
    if comparisons:
        what = "first come, first served" if base.queue == "fifo" else "the first policy (no first come, first " \
                                                                        "served policy was run)"
        parts.append(f"<p>Baseline: <b>{html.escape(base.name)}</b>, {what}.</p>")
    elif not exp.variants:
        parts.append(f"<p>One policy ({html.escape(base.name)}): nothing to compare it with. Run two or more "
                     "(<code>-p fifo -p priority</code>).</p>")
    parts += [_comparison_html(c, exp) for c in comparisons]
    for variant in exp.variants:
        parts.append(f"<h3 class='variant'>{html.escape(_lede(exp.label))} against {html.escape(variant.label)}"
                     f"</h3><p class='meta'>{html.escape(_variant_text(exp, variant))}</p>")
        parts += [_comparison_html(c, exp) for c in variant_comparisons(exp) if c.variant == variant.label]
    parts.append("</section>")
    return "".join(parts)


def _variant_text(exp: Experiment, variant: Experiment) -> str:
    lanes = ", ".join(f"{o.gate} {o.lane.code} ({o.lane.direction}) from {o.opens.isoformat()}"
                      for o in exp.scenario.lane_openings)
    return (f"Same trucks, same seeds, same policies; {variant.label}" + (f" ({lanes})" if lanes else "") + ".")


# ------------------------------------------------------------------ plots


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


def _markevery(points: int, index: int, count: int) -> tuple[int, int]:
    """Markers every ~1/12 of the line, each policy's shifted so equal curves show every marker."""
    step = max(1, points // 12)
    return (index * step // max(1, count)) % step, step


def gate_pairs(scenario: Scenario) -> list[tuple[str, list[FlowSpec]]]:
    """Flows grouped by gate pair, in the scenario's order: (label, [flow, reverse flow])."""
    pairs: dict[frozenset, list[FlowSpec]] = {}
    for flow in scenario.flows:
        pairs.setdefault(frozenset((flow.gate.code, flow.partner.code)), []).append(flow)
    return [(f"{short_name(fl[0].gate.name)} – {short_name(fl[0].partner.name)}", fl) for fl in pairs.values()]


def _grid(plt, scenario: Scenario, height: float = 2.3, flows: Sequence[FlowSpec] | None = None):  # noqa: ANN001, ANN202
    """One panel per flow: a row per gate pair, a column per direction."""
    if flows is not None:
        groups = [(flow_label(f), [f]) for f in flows]
    else:
        groups = gate_pairs(scenario)
    cols = max(len(fl) for _, fl in groups)
    fig, axes = plt.subplots(len(groups), cols, figsize=(12 if cols > 1 else 10, 0.9 + height * len(groups)),
                             squeeze=False, sharex=True)
    panels = []
    for r, (_, fl) in enumerate(groups):
        for c in range(cols):
            if c < len(fl):
                axes[r][c].set_title(flow_label(fl[c]), fontsize=9)
                panels.append((axes[r][c], fl[c]))
            else:
                axes[r][c].axis("off")
    return fig, panels


def _finish(fig, handles, labels, title: str, columns: int) -> str:  # noqa: ANN001
    """Lay the panels out, then put the title and one legend for all of them above."""
    fig.tight_layout()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(columns, len(labels)),
               fontsize=8, title=title, title_fontsize=10, frameon=False)
    return _png(fig)


def _zone(exp: Experiment) -> str:
    offset = exp.scenario.start.utcoffset() or timedelta(0)
    return f"UTC{'+' if offset >= timedelta(0) else '-'}{abs(offset).seconds // 3600:02d}:00"


def _queue_figure(plt, mdates, exp: Experiment, lines: Sequence[tuple[str, Experiment, str, int, str]],  # noqa: ANN001
                  flows: Sequence[FlowSpec] | None, title: str, border_line: bool = True) -> str:
    """Trucks waiting per flow over time; each line is (label, experiment, policy, style index, line style)."""
    fig, panels = _grid(plt, exp.scenario, flows=flows)
    count = len(lines)
    for ax, flow in panels:
        for n, (label, e, policy, i, style) in enumerate(lines):
            colour, _, marker = STYLES[i % len(STYLES)]
            runs = e.series[policy]
            waiting = _mean_series([r[flow.key].queue for r in runs])
            times = _local_times(e, len(waiting), e.scenario.sample_minutes)
            ax.plot(times, waiting, color=colour, linestyle=style, marker=marker, markersize=4,
                    markevery=_markevery(len(times), n, count), linewidth=max(1.0, 2.6 - 0.5 * n), alpha=0.9,
                    label=label)
            line = _mean_series([r[flow.key].line for r in runs]) if border_line else []
            if max(line, default=0) >= 1:
                ax.plot(times, line, color=colour, linestyle=(0, (1, 1)), linewidth=1.0, alpha=0.9,
                        label=f"{label}: at the border line")
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%H:%M"))
    handles, labels = {}, []
    for ax, _ in panels:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    fig.supylabel("trucks waiting (mean of replications)", fontsize=9)
    fig.supxlabel(f"time ({_zone(exp)})", fontsize=9)
    return _finish(fig, [handles[lab] for lab in labels], labels, title, columns=4)


def _waits_figure(plt, exp: Experiment) -> str:  # noqa: ANN001
    """p95 wait to cross by priority class, per flow: bars side by side (none hides another), 95 % CIs."""
    fig, panels = _grid(plt, exp.scenario, height=2.1)
    classes = ("perishable", "trusted", "ordinary")
    k = len(exp.policies)
    width = 0.8 / k
    for ax, flow in panels:
        for i, spec in enumerate(exp.policies):
            colour = STYLES[i % len(STYLES)][0]
            means, errors = [], []
            for cls in classes:
                est = exp.estimate(spec.name, f"flow.{flow.key}.total_wait.{cls}.p95")
                means.append(0.0 if est.n == 0 else est.mean)
                errors.append(est.half_width if est.n > 1 and math.isfinite(est.half_width) else 0.0)
            xs = [c + (i - (k - 1) / 2) * width for c in range(len(classes))]
            ax.bar(xs, means, width * 0.95, yerr=errors, capsize=2, color=colour, alpha=0.8,
                   hatch=HATCHES[i % len(HATCHES)], edgecolor="#333", linewidth=0.4, label=spec.name)
        ax.set_xticks(range(len(classes)), classes, fontsize=8)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3, axis="y")
    handles, labels = panels[0][0].get_legend_handles_labels()
    fig.supylabel("p95 wait to cross (h), 95 % CI", fontsize=9)
    return _finish(fig, handles, labels, "p95 wait to cross by priority class, per gate pair", columns=6)


def _throughput_figure(plt, mdates, exp: Experiment) -> str:  # noqa: ANN001
    fig, panels = _grid(plt, exp.scenario, height=2.1)
    first = exp.results[exp.policies[0].name][0]
    hours = len(first.hourly_capacity)
    step = 24 if hours > 240 else 1
    unit = "per day" if step == 24 else "per hour"

    def bucket(values: Sequence[float]) -> list[float]:
        return [sum(values[i:i + step]) for i in range(0, len(values), step)]

    count = len(exp.policies)
    for ax, flow in panels:
        capacity = bucket(exp.series[exp.policies[0].name][0][flow.key].capacity)
        times = _local_times(exp, len(capacity), 60.0 * step)
        ax.step(times, capacity, where="post", color="grey", linestyle=":", linewidth=1.2,
                label="capacity: min(own lanes, partner acceptance)")
        for i, spec in enumerate(exp.policies):
            colour, style, marker = STYLES[i % len(STYLES)]
            accepted = bucket(_mean_series([r.flows[flow.key].hourly_accepted for r in exp.results[spec.name]]))
            ax.step(times[:len(accepted)], accepted, where="post", color=colour, linestyle=style, marker=marker,
                    markersize=3.5, markevery=_markevery(len(accepted), i, count),
                    linewidth=max(1.0, 2.4 - 0.5 * i), alpha=0.9, label=f"{spec.name}: crossed")
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%H:%M"))
    handles, labels = panels[0][0].get_legend_handles_labels()
    fig.supylabel(f"trucks {unit}", fontsize=9)
    fig.supxlabel(f"time ({_zone(exp)})", fontsize=9)
    return _finish(fig, handles, labels, "Throughput against capacity, per gate pair", columns=4)


def _distribution_figure(plt, exp: Experiment) -> str:  # noqa: ANN001
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=True)
    count = len(exp.policies)
    qs = [q / 2 for q in range(201)]  # 0, 0.5, …, 100: an ECDF without a million points
    for ax, cls in zip(axes, ("perishable", "trusted", "ordinary"), strict=True):
        for i, spec in enumerate(exp.policies):
            values = sorted(v for r in exp.results[spec.name] for v in r.waits[cls])
            if not values:
                continue
            colour, style, marker = STYLES[i % len(STYLES)]
            ax.plot([percentile(values, q) for q in qs], [q / 100 for q in qs], color=colour, linestyle=style,
                    marker=marker, markersize=4, markevery=_markevery(len(qs), i, count),
                    linewidth=max(1.0, 2.6 - 0.5 * i), label=spec.name)
        ax.set_title(cls)
        ax.set_xlabel("wait to cross (h)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of trucks")
    for ax in axes:  # the legend in the first panel that has lines (a class may have no trucks)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
            break
    fig.suptitle("Wait distributions by priority class, all gate pairs (all replications)", fontsize=10)
    return _png(fig)


def plots(exp: Experiment) -> dict[str, str]:
    """The report's figures as base64 PNGs: per gate pair the queue over time, the waits by class and
    the throughput against capacity; the wait distributions; and for each variant of the scenario,
    the queue with and without the change at the gate pairs it touches."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    lines = [(spec.name, exp, spec.name, i, "-") for i, spec in enumerate(exp.policies)]
    out = {
        "queue": _queue_figure(plt, mdates, exp, lines, None, "Trucks waiting in the yard and on the road, per gate pair"),
        "waits": _waits_figure(plt, exp),
        "distribution": _distribution_figure(plt, exp),
        "throughput": _throughput_figure(plt, mdates, exp),
    }
    for n, variant in enumerate(exp.variants):
        flows = _affected_flows(exp, variant) or list(exp.scenario.flows)
        versus = []
        for i, spec in enumerate(exp.policies):
            versus.append((f"{spec.name}, {exp.label}", exp, spec.name, i, "-"))
            versus.append((f"{spec.name}, {variant.label}", variant, spec.name, i, "--"))
        out[f"variant{n}"] = _queue_figure(plt, mdates, exp, versus, flows, f"Trucks waiting in the yard and on "
                                           f"the road: {exp.label} (solid) and {variant.label} (dashed)",
                                           border_line=False)
    return out


# ------------------------------------------------------------------ tables


def _table(exp: Experiment) -> str:
    head = "".join(f"<th>{html.escape(s.name)}</th>" for s in exp.policies)
    rows = []
    for metric, label, digits in SUMMARY_ROWS:
        cells = "".join(f"<td>{_fmt(exp, s.name, metric, digits)}</td>" for s in exp.policies)
        rows.append(f"<tr><th scope='row'>{html.escape(label)}</th>{cells}</tr>")
    return (f"<table><thead><tr><th>metric (mean ± 95 % CI)</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def flow_rows(exp: Experiment) -> list[dict]:
    """The by-flow table's data: per policy and flow, means over replications (lane use in open hours)."""
    out = []
    for spec in exp.policies:
        runs = exp.results[spec.name]
        for flow in exp.scenario.flows:
            key = flow.key
            flows = [r.flows[key] for r in runs]
            bound = sum(f.capacity_bound for f in flows)
            lane = exp.estimate(spec.name, f"flow.{key}.lane_use").mean
            out.append({
                "flow": key, "label": flow_label(flow), "policy": spec.name,
                "arrived": sum(f.arrived for f in flows) / len(flows),
                "crossed_of_bound": sum(f.accepted_in_horizon for f in flows) / bound if bound else math.nan,
                "max_waiting": sum(f.max_waiting for f in flows) / len(flows),
                "max_line": sum(f.max_line for f in flows) / len(flows),
                "p95_wait": exp.estimate(spec.name, f"flow.{key}.total_wait.all.p95").mean,
                "lane_use": min(1.0, lane) if lane == lane else math.nan,
            })
    return out


def _flows_table(exp: Experiment) -> str:
    head = "<tr><th>flow</th><th>policy</th><th>arrived</th><th>crossed / bound</th><th>p95 wait to cross</th>" \
           "<th>most waiting</th><th>most at the line</th><th>lane use (open hours)</th></tr>"
    rows = []
    for row in flow_rows(exp):
        rows.append(f"<tr><td>{html.escape(row['label'])}</td><td>{html.escape(row['policy'])}</td>"
                    f"<td>{row['arrived']:.0f}</td><td>{row['crossed_of_bound']:.2%}</td>"
                    f"<td>{_value(row['p95_wait'], 'h')}</td><td>{row['max_waiting']:.0f}</td>"
                    f"<td>{row['max_line']:.0f}</td><td>{row['lane_use']:.1%}</td></tr>")
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
h3{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;
text-align:right}th[scope=row],thead th:first-child,td:first-child{text-align:left}thead th{background:#f4f4f4}
img{max-width:100%;display:block;margin:1rem 0}.meta{color:#555;font-size:.9rem}code{background:#f4f4f4;padding:0 .2rem}
.findings{border:2px solid #1f77b4;border-radius:6px;padding:.2rem 1rem 1rem;background:#f7fbff}
.findings h2{margin-top:.6rem}.headline{font-weight:600}.comparison{border-top:1px solid #cde;margin-top:.6rem}
td.better{color:#1a7f37}td.worse{color:#b42318;font-weight:600}p.worse b{color:#b42318}p.better b{color:#1a7f37}
details{margin:.3rem 0}summary{cursor:pointer;color:#1f4f7f}
"""


def render_html(exp: Experiment) -> str:
    sc = exp.scenario
    figures = plots(exp)
    policies = "".join(f"<li><b>{html.escape(s.name)}</b>: {html.escape(s.describe())}</li>" for s in exp.policies)
    arrived = exp.estimate(exp.policies[0].name, "arrived").mean
    variants = []
    for n, variant in enumerate(exp.variants):
        variants.append(
            f"<h2>{html.escape(variant.label.capitalize())}</h2><p>{html.escape(_variant_text(exp, variant))}</p>"
            f"{_table(variant)}<img alt='Trucks waiting, {html.escape(exp.label)} and {html.escape(variant.label)}' "
            f"src='data:image/png;base64,{figures[f'variant{n}']}'>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>borderflow simulation: {html.escape(sc.title)}</title><style>{CSS}</style></head><body>
<h1>{html.escape(sc.title)}</h1>
<p>{html.escape(sc.description)}</p>
{findings_html(exp)}
<p class="meta">Scenario <code>{html.escape(sc.name)}</code> ({html.escape(sc.source)}), from {sc.start.isoformat()},
{sc.days} day(s) of arrivals + {sc.drain_days} day(s) to drain; {exp.replications} replication(s) per policy, seed
{exp.seed}, {exp.workers} worker process(es), {exp.elapsed:.1f} s; about {arrived:,.0f} trucks per replication.
Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by borderflow.</p>
<h2>Policies</h2><ul>{policies}</ul>
<h2>Results</h2>
<p>Means over replications with 95 % confidence intervals (Student t). "Wait to cross" runs from arrival at the
yard to acceptance by the partner; "yard wait" ends when the yard calls the truck forward. Perishable threshold:
{sc.perishable_threshold_hours:g} h. The capacity bound is the most trucks any policy could have delivered while
trucks were arriving, given the arrivals and min(own lanes, partner acceptance) hour by hour. Lane use counts a
lane busy while a truck is in it (in service, or blocked behind a full border line) during the gate's open hours.</p>
{_table(exp)}
<img alt="Trucks waiting per gate pair" src="data:image/png;base64,{figures['queue']}">
<p class="meta">How many wait does not depend on the order they are called in (same trucks, same capacity): queue
policies give the same curve here (the markers show each) and differ in who waits, below. Sending everything
moves the queue to the border line (dotted).</p>
<img alt="Wait to cross by priority class per gate pair" src="data:image/png;base64,{figures['waits']}">
<img alt="Wait distributions" src="data:image/png;base64,{figures['distribution']}">
<img alt="Throughput against capacity per gate pair" src="data:image/png;base64,{figures['throughput']}">
{''.join(variants)}
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
    """Every metric per policy (and per variant of the scenario: the last column)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["policy", "metric", "mean", "ci95_low", "ci95_high", "replications", "variant"])
        for e in (exp, *exp.variants):
            for spec in e.policies:
                for metric in e.metric_names():
                    est = e.estimate(spec.name, metric)
                    writer.writerow([spec.name, metric, f"{est.mean:.6g}",
                                     "" if math.isnan(est.half_width) else f"{est.low:.6g}",
                                     "" if math.isnan(est.half_width) else f"{est.high:.6g}", est.n, e.label])


def write_report(exp: Experiment, out: Path) -> dict[str, Path]:
    """Write report.html, summary.csv and trucks.csv into `out` (created); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"html": out / "report.html", "summary": out / "summary.csv", "trucks": out / "trucks.csv"}
    paths["html"].write_text(render_html(exp), encoding="utf-8")
    write_summary_csv(exp, paths["summary"])
    write_trucks_csv(exp, paths["trucks"])
    return paths
