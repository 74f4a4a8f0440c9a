"""The joint working group's report as a printable HTML page and as a PDF, in one language.

fpdf2 writes the PDF: pure Python, well kept, embeds TrueType fonts. Vietnamese is set in
DejaVu Sans (shipped with matplotlib); Chinese needs a CJK font, taken from the system
(Noto Sans CJK, Debian's fonts-noto-cjk) when there is one. Without it the Chinese words
cannot be drawn and the PDF says so in its first line, in English, rather than print boxes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib
from fpdf import FPDF
from jinja2 import Environment, FileSystemLoader, select_autoescape

from borderflow.services.context import NodeContext
from borderflow.web import i18n, labels

TEMPLATES = Path(__file__).with_name("templates")
CJK_NAMES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC")


def _words(ctx: NodeContext, lang: str) -> dict[str, Any]:
    catalogue = i18n.translations(lang)
    names = {code: g.names.get(lang) or g.name for code, g in ctx.node.gates.items()}
    tz = ZoneInfo(next(iter(ctx.node.gates.values())).timezone)
    return {"_": catalogue.gettext, "fmt": i18n.Formats(lang, tz),
            "label": lambda table, code: catalogue.gettext(labels.label(table, code)) if code else "",
            "gate_name": lambda code: names.get(code, code),
            "group_name": lambda code: ctx.commodity_groups.name(code, lang)}


def pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f} %"


def _times(report: dict) -> list[dict]:
    yard = {r["period"]: r["median_min"] for r in report["yard_waits"]}
    crossing = {r["period"]: r["median_min"] for r in report["crossing_times"]}
    return [{"period": p, "crossing": crossing.get(p), "yard": yard.get(p)} for p in sorted(set(yard) | set(crossing))]


def html(ctx: NodeContext, report: dict, lang: str) -> str:
    words = _words(ctx, lang)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)
    env.filters["gate_name"] = words["gate_name"]
    return env.get_template("statistics_report.html").render(
        r=report, lang=lang, fmt=words["fmt"], label=words["label"], group_name=words["group_name"], pct=pct,
        times=_times(report))


@cache
def cjk_font() -> tuple[str, int] | None:
    """(file, face number) of a regular-weight CJK font on this system (Simplified Chinese face), or None."""
    from fontTools.ttLib import TTCollection
    from matplotlib import font_manager
    entries = [e for e in font_manager.fontManager.ttflist if e.name in CJK_NAMES and e.weight in (400, "normal")]
    entries.sort(key=lambda e: CJK_NAMES.index(e.name))
    for entry in entries:
        if not entry.fname.lower().endswith(".ttc"):
            return entry.fname, 0
        faces = [face["name"].getDebugName(1) for face in TTCollection(entry.fname).fonts]
        for wanted in CJK_NAMES:
            if wanted in faces:
                return entry.fname, faces.index(wanted)
    return None


def pdf(ctx: NodeContext, report: dict, lang: str) -> bytes:
    w = _words(ctx, lang)
    _, fmt = w["_"], w["fmt"]
    doc = FPDF(format="A4")
    doc.set_auto_page_break(True, margin=15)
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    doc.add_font("dejavu", "", str(fonts / "DejaVuSans.ttf"))
    doc.add_font("dejavu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    cjk = cjk_font()
    if cjk is not None:
        doc.add_font("cjk", "", cjk[0], collection_font_number=cjk[1])
        doc.add_font("cjk", "B", cjk[0], collection_font_number=cjk[1])
        doc.set_fallback_fonts(["cjk"])
    doc.add_page()

    def para(height: float, value: str) -> None:
        doc.multi_cell(0, height, value, new_x="LMARGIN", new_y="NEXT")

    if lang == "zh" and cjk is None:
        doc.set_font("dejavu", size=8)
        para(5, "No CJK font on this node (install fonts-noto-cjk): Chinese text is left out.")

    def text(value: str) -> str:
        return value if cjk is not None or lang != "zh" else value.encode("ascii", "ignore").decode() or "?"

    def heading(title: str, size: int = 12) -> None:
        doc.set_font("dejavu", "B", size)
        doc.ln(3)
        para(7, text(title))
        doc.set_font("dejavu", size=8)

    def table(header: list[str], rows: list[list[Any]]) -> None:
        with doc.table(text_align="LEFT", first_row_as_headings=True) as grid:
            for cells in [header, *rows]:
                line = grid.row()
                for cell in cells:
                    line.cell(text(str(cell)))

    heading(f"{_('Joint working group report')}: {report['period']} · {report['scope']}", 14)
    para(5, text(f"{_('Node')} {report['node']} · {report['from']} – {report['to']} · {_('Gates')}: "
                              + ", ".join(w["gate_name"](g) for g in report["gates"])))
    heading(_("Totals, against the same period last year"))
    table([_("Direction"), _("Trucks"), _("Last year"), _("Gross weight (t)"), _("Value (USD)"), _("Last year"),
           _("Change in value")],
          [[w["label"]("direction", x["direction"]), fmt.number(x["trucks"]), fmt.number(x["last_year"]["trucks"]),
            fmt.number(x["gross_kg"] / 1000, 1), fmt.number(x["value_usd"]), fmt.number(x["last_year"]["value_usd"]),
            pct(x["change"]["value_usd"])] for x in report["totals"]])
    heading(_("Top commodities by declared value (USD)"))
    table([_("Commodity group"), _("Trucks"), _("Gross weight (t)"), _("Value (USD)")],
          [[w["group_name"](x["commodity_group"]), fmt.number(x["trucks"]), fmt.number(x["gross_kg"] / 1000, 1),
            fmt.number(x["value_usd"])] for x in report["top"]] or [["—", "", "", ""]])
    heading(_("Crossing and wait times"))
    table([_("Month"), _("Median crossing time (minutes)"), _("Median yard wait (minutes)")],
          [[x["period"], fmt.number(x["crossing"], 1), fmt.number(x["yard"], 1)] for x in _times(report)]
          or [["—", "", ""]])
    heading(_("Capacity used"))
    table([_("Gate"), _("Trucks"), _("Declared capacity per day"), _("Share used")],
          [[w["gate_name"](x["gate"]), fmt.number(x["trucks"]), fmt.number(x["declared_per_day"]), pct(x["used"])]
           for x in report["capacity"]])
    heading(_("Incidents and hazard alerts"))
    if report["events"]:
        table([_("When"), _("Gate"), _("Kind"), _("Severity"), _("Summary")],
              [[fmt.when(x["at"]), w["gate_name"](x["gate"]), x["category"] or "", x["severity"] or "",
                x["summary"] or ""] for x in report["events"]])
    else:
        para(5, text(_("None in this period.")))
    heading(_("Exchange rates used"))
    rates = "; ".join(f"{x['currency']} {x['date']}: {x['units_per_usd']} ({x['source']})" for x in report["rates"])
    para(5, text(rates or _("None: every value was declared in US dollars.")))
    return bytes(doc.output())
