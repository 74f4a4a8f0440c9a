"""Trade statistics as files: CSV (the grouping's rows, then the totals) and XLSX (one sheet per
grouping with a totals row, then the rates used and what was left unpriced).

openpyxl writes the workbook: a well-kept library that needs nothing outside Python, where a
hand-written OOXML writer would be a file format to maintain.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from borderflow.domain.statistics import MEASURES

def _header(result: dict[str, Any], keys: list[str], with_period: bool = True) -> list[str]:
    names = (["period"] if with_period else []) + keys
    if "commodity_group" in keys:
        names.insert(names.index("commodity_group") + 1, "commodity_group_name")
    return names + list(MEASURES)


def to_csv(result: dict[str, Any]) -> str:
    out = io.StringIO()
    header = _header(result, result["by"])
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(result["rows"])
    writer.writerow({"period": "total", **result["totals"]})
    return out.getvalue()


def to_xlsx(result: dict[str, Any]) -> bytes:
    from openpyxl import Workbook  # here, not at the top: a node starts without loading the spreadsheet writer
    from openpyxl.styles import Font
    bold = Font(bold=True)
    book = Workbook()
    first = book.active
    groupings = [("+".join(result["by"]) or "totals", result["by"], result["rows"])]
    groupings += [(name, [name], rows) for name, rows in result.get("by_dimension", {}).items()
                  if [name] != result["by"]]
    for n, (title, keys, rows) in enumerate(groupings):
        sheet = first if n == 0 else book.create_sheet()
        sheet.title = title[:31]
        header = _header(result, keys)
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(name) for name in header])
        sheet.append(["total"] + [None] * (len(header) - len(MEASURES) - 1)
                     + [result["totals"][m] for m in MEASURES])
        for cell in sheet[1] + sheet[sheet.max_row]:
            cell.font = bold
    rates = book.create_sheet("rates")
    rates.append(["currency", "date", "units_per_usd", "source"])
    for r in result["rates"]:
        rates.append([r["currency"], r["date"], r["units_per_usd"], r["source"]])
    unpriced = book.create_sheet("unpriced")
    unpriced.append(["currency", "lines", "value", "first_day", "last_day"])
    for u in result["unpriced"]:
        unpriced.append([u["currency"], u["lines"], u["value"], u["first_day"], u["last_day"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
