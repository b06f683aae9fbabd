"""What `perfrules batch` writes: the summary of a run (grade counts, the largest differences, the failures,
duplicates) and a writer for each output format. Each writer (a Sink) receives the rows as they are scored,
in file order, and gives the output's bytes at the end: the CSV and JSON summaries, the county workbook
(openpyxl, write-only) and the review page (engine/review.py). None holds a county in memory.
"""

from __future__ import annotations

import csv
import heapq
import io
import itertools
import re
import tempfile
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any, Callable, Iterable, Iterator, Protocol

from .collect import BATCH_JSON_PREFIX
from .files import inert, relative_to_roots
from .limits import short_digest
from .methods import fmt_once
from .scorecard import dumps
from .submission import KIND_LABELS
from .zipout import fixed_time, rewrite_zip

COLUMNS = [("unit", "单位"), ("year", "年度"), ("kind", "类型"), ("ruleset", "规则集"), ("total", "规则总分"),
           ("grade", "等级"), ("stated_total", "自报总分"), ("difference", "差异（自报−规则）"),
           ("errors", "错误数"), ("warnings", "警告数"), ("budget", "全年预算数"), ("rate", "预算执行率"),
           ("file", "文件")]
ERROR_COLUMNS = [("file", "文件"), ("line", "行"), ("message", "错误"), ("hint", "提示")]
TOP = 10
DETAIL = ("findings", "categories", "own_grade")   # for the workbook's and the review page's sheets only


class Summary:
    """What the summary needs: grade counts, the largest differences, the failures, and for finding duplicate
    submissions 16 bytes and the file name per unit (not the unit's name and key)."""

    def __init__(self) -> None:
        self.scored = 0
        self.errors: list[dict[str, Any]] = []
        self.skipped: list[tuple[str, str]] = []   # files in the folders given that were not read, and why
        self._first: dict[bytes, str] = {}   # digest of (unit, year, kind) → the first file that has it
        self.duplicates: dict[tuple[str, int, str], list[str]] = {}
        self.count: dict[str, int] = {}
        self.best: dict[str, Decimal] = {}
        # A min-heap of the TOP largest |difference|; files are unique, so the dicts are never compared.
        self._top: list[tuple[Decimal, tuple[int, ...], dict[str, Any]]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.scored += 1
        key = (row["unit"], row["year"], row["kind"])
        digest = short_digest(f"{key[0]}\x00{key[1]}\x00{key[2]}".encode("utf-8", "surrogatepass"))
        first = self._first.get(digest)
        if first is not None:
            self.duplicates.setdefault(key, [first]).append(row["file"])
        else:
            self._first[digest] = row["file"]
        grade = row["grade"]
        self.count[grade] = self.count.get(grade, 0) + 1
        self.best[grade] = max(self.best.get(grade, row["total"]), row["total"])
        if row["difference"]:
            item: tuple[Decimal, tuple[int, ...], dict[str, Any]] = (abs(row["difference"]), _reverse_key(row["file"]), row)
            if len(self._top) < TOP:
                heapq.heappush(self._top, item)
            elif item[:2] > self._top[0][:2]:
                heapq.heapreplace(self._top, item)

    def grades(self) -> dict[str, int]:
        """Units per grade, best grade first (ranked by the highest total seen in each grade)."""
        return {g: self.count[g] for g in sorted(self.count, key=lambda g: (-self.best[g], g))}

    def largest_differences(self) -> list[dict[str, Any]]:
        return [row for _, _, row in sorted(self._top, key=lambda t: (-t[0], t[2]["file"]))]

    def to_json(self) -> dict[str, Any]:
        return {"files": self.scored + len(self.errors), "scored": self.scored, "failed": len(self.errors),
                "not_read": [{"file": f, "reason": r} for f, r in self.skipped],
                "duplicates": [{"unit": u, "year": y, "kind": k, "files": files}
                               for (u, y, k), files in self.duplicates.items()],
                "grades": self.grades(),
                "largest_differences": [{"unit": r["unit"], "file": r["file"], "total": r["total"],
                                         "stated_total": r["stated_total"], "difference": r["difference"]}
                                        for r in self.largest_differences()]}


def _reverse_key(text: str) -> tuple[int, ...]:
    # Ties in |difference| keep the earlier file: invert the file name's ordering for the min-heap.
    return tuple(-ord(c) for c in text)



def _cell(value: Any) -> str:
    if isinstance(value, Decimal):
        return fmt_once(value)   # a number, written as a number (a negative difference stays -3)
    return "" if value is None else inert(str(value))


class Sink(Protocol):
    """Receives rows as they are scored and turns them into the output file's bytes at the end."""

    detail: bool   # the rows must carry DETAIL (findings as text, category scores, own grade)

    def add(self, row: dict[str, Any]) -> None: ...

    def finish(self, summary: Summary) -> bytes | Iterable[bytes]: ...

    def close(self) -> None:
        """Remove whatever the sink keeps on disk; called on every path out of a run, failed or not."""


class _Spooled:
    """A summary whose rows are written encoded as they come, to a spool that moves to a temporary file past
    64 KiB (about 500 CSV rows): a county's or a province's summary is never held in memory whole, and is
    read back to the output in chunks. close() removes the spool."""

    detail = False

    def __init__(self) -> None:
        self.raw = tempfile.SpooledTemporaryFile(max_size=1 << 16, mode="w+b", prefix="perfrules-summary-")

    def read_back(self) -> Iterator[bytes]:
        self.raw.seek(0)
        return iter(lambda: self.raw.read(1 << 16), b"")

    def close(self) -> None:
        self.raw.close()


class CsvSink(_Spooled):
    def __init__(self, roots: Iterable[str | FsPath] = ()) -> None:
        super().__init__()
        self.buf = io.TextIOWrapper(self.raw, encoding="utf-8", newline="", write_through=True)
        self.buf.write("\ufeff")   # a BOM so that Excel and WPS open the Chinese headers as UTF-8
        self.writer = csv.writer(self.buf, lineterminator="\n")
        self.writer.writerow([label for _, label in COLUMNS] + ["错误信息"])

    def add(self, row: dict[str, Any]) -> None:
        self.writer.writerow([_cell(row[k]) for k, _ in COLUMNS] + [""])

    def finish(self, summary: Summary) -> Iterable[bytes]:
        for err in summary.errors:
            where = f"第 {err['line']} 行：" if err["line"] else ""
            self.writer.writerow([""] * (len(COLUMNS) - 1) + [_cell(err["file"]), _cell(where + err["message"])])
        for (unit, year, kind), files in summary.duplicates.items():
            for file in files:
                self.writer.writerow([""] * (len(COLUMNS) - 1) + [_cell(file), _cell(f"重复提交：{unit} {year} 年度 {KIND_LABELS.get(kind, kind)}")])
        for file, reason in summary.skipped:
            self.writer.writerow([""] * (len(COLUMNS) - 1) + [_cell(file), _cell("未读取：" + reason)])
        self.buf.flush()
        return self.read_back()


class JsonSink(_Spooled):
    def __init__(self, roots: Iterable[str | FsPath] = ()) -> None:
        super().__init__()   # (a province's summary is 40 MB at 100,000 units: never held whole, nor joined)
        self.rows = 0

    def add(self, row: dict[str, Any]) -> None:
        lean = {k: v for k, v in row.items() if k not in DETAIL}
        self.raw.write(((",\n" if self.rows else "[\n") + "    " + dumps(lean).replace("\n", "\n    ")).encode("utf-8"))
        self.rows += 1

    def finish(self, summary: Summary) -> Iterable[bytes]:
        rest = dumps({"errors": summary.errors, "summary": summary.to_json()})
        self.raw.write(("\n  ]" if self.rows else "[]").encode("utf-8") + (",\n" + rest[2:] + "\n").encode("utf-8"))
        return itertools.chain([BATCH_JSON_PREFIX], self.read_back())   # (collect knows a summary by it)


# Column widths are set before rows stream in (openpyxl's write-only mode), from what the columns hold.
_WIDTHS = {"unit": 36, "year": 8, "kind": 10, "ruleset": 30, "total": 10, "grade": 8, "stated_total": 10,
           "difference": 18, "errors": 8, "warnings": 8, "file": 48, "line": 6, "message": 70, "hint": 50,
           "severity": 8, "code": 22, "where": 24, "category": 18, "points": 8, "score": 10, "own": 10,
           "budget": 14, "rate": 12}
TOP_COLUMNS = [("unit", "单位"), ("total", "规则总分"), ("stated_total", "自报总分"), ("difference", "差异（自报−规则）"),
               ("file", "文件")]
FINDING_COLUMNS = [("unit", "单位"), ("severity", "级别"), ("code", "代码"), ("message", "说明"), ("where", "位置"),
                   ("file", "文件")]
CATEGORY_COLUMNS = [("unit", "单位"), ("category", "类别"), ("points", "分值"), ("score", "规则得分"), ("own", "单位自评"),
                    ("difference", "差异（自评−规则）"), ("file", "文件")]
SCORE_FORMAT, RATE_FORMAT, MONEY_FORMAT = "0.00", "0.00%", "#,##0.00"
_FORMATS = {"total": SCORE_FORMAT, "stated_total": SCORE_FORMAT, "difference": SCORE_FORMAT, "points": SCORE_FORMAT,
            "score": SCORE_FORMAT, "own": SCORE_FORMAT, "rate": RATE_FORMAT, "budget": MONEY_FORMAT}


class XlsxSink:
    """The county workbook, for a reviewer: every sheet filtered and frozen, number formats, kinds in Chinese,
    paths relative to the batch root, a 问题清单 with one row per finding, 分类得分 per unit and category with
    the differences coloured, and native charts (grades by the unit's own account and by the rule; own total
    against rule total). openpyxl in write-only mode: rows go to temporary files as they come."""

    detail = True

    def __init__(self, roots: Iterable[str | FsPath] = ()) -> None:
        import tempfile
        from openpyxl import Workbook
        # openpyxl streams each sheet through a temporary file in the default temporary folder and removes
        # it only on success or at exit; a private folder, removed by close(), leaves nothing behind.
        self._tmp = tempfile.TemporaryDirectory(prefix="perfrules-xlsx-")
        self._saved_tempdir = tempfile.tempdir
        tempfile.tempdir = self._tmp.name
        self.roots = [FsPath(r) for r in roots if FsPath(r).is_dir()]
        self.wb = Workbook(write_only=True)
        self.main = self._sheet("评分汇总", COLUMNS)
        self.findings = self._sheet("问题清单", FINDING_COLUMNS)
        self.categories = self._sheet("分类得分", CATEGORY_COLUMNS)
        self.rows = {"评分汇总": 1, "问题清单": 1, "分类得分": 1}
        # A sheet that would pass Excel's row limit continues on a numbered sheet: name → its parts in order.
        self.parts: dict[str, list[Any]] = {"评分汇总": [self.main], "问题清单": [self.findings], "分类得分": [self.categories]}
        self.own_grades: dict[str, int] = {}
        self.spools: dict[Any, _SheetRows] = {}   # a sheet → the XML of its rows after the header

    MAX_ROWS = 1_048_576   # Excel's rows per sheet, the header included

    def _long(self, name: str, values: list[Any]) -> None:
        """A row of one of the long sheets (评分汇总, 问题清单, 分类得分), on a continuation sheet once the
        current one is full."""
        ws = self.parts[name][-1]
        if self.rows[ws.title] >= self.MAX_ROWS:
            ws = self._sheet(f"{name}（{len(self.parts[name]) + 1}）", ws._perfrules_columns)
            self.rows[ws.title] = 1
            self.parts[name].append(ws)
        self._append(ws, values)
        self.rows[ws.title] += 1

    def close(self) -> None:
        import tempfile
        for spool in self.spools.values():
            spool.close()
        tempfile.tempdir = self._saved_tempdir
        self._tmp.cleanup()

    def _sheet(self, title: str, columns: list[tuple[str, str]]) -> Any:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter
        ws = self.wb.create_sheet(title)
        ws.freeze_panes = "B2"
        _print_setup(ws)
        for i, (key, _) in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(key, 12)
        header = []
        for _, label in columns:
            cell = WriteOnlyCell(ws, value=label)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center", vertical="center")
            header.append(cell)
        ws.append(header)
        ws._perfrules_columns = columns
        return ws

    def _append(self, ws: Any, values: list[Any]) -> None:
        """A row of a sheet, after its header: written as sheet XML to the sheet's spool (see _SheetRows)."""
        spool = self.spools.get(ws)
        if spool is None:
            spool = self.spools[ws] = _SheetRows(ws, FsPath(self._tmp.name) / f"rows-{len(self.spools)}.xml")
        spool.write(values)

    def add(self, row: dict[str, Any]) -> None:
        file = relative_to_roots(row["file"], self.roots)
        shown = {**row, "kind": KIND_LABELS.get(row["kind"], row["kind"]), "file": file}
        self._long("评分汇总", [shown[k] for k, _ in COLUMNS])
        for severity, code, message, where in row.get("findings", []):
            self._long("问题清单", [row["unit"], severity, code, message, where, file])
        for label, points, score, own in row.get("categories", []):
            self._long("分类得分", [row["unit"], label, points, score, own, None if own is None else own - score, file])
        grade = row.get("own_grade")
        if grade:   # units that state no grade are not counted on the 单位自评 side
            self.own_grades[grade] = self.own_grades.get(grade, 0) + 1

    def finish(self, summary: Summary) -> Iterable[bytes]:
        from openpyxl.formatting.rule import CellIsRule
        from openpyxl.styles import PatternFill
        red, green = PatternFill("solid", fgColor="FFC7CE"), PatternFill("solid", fgColor="C6EFCE")
        for name, column in (("评分汇总", "H"), ("分类得分", "F")):
            for ws in self.parts[name]:
                last = max(2, self.rows[ws.title])
                ws.conditional_formatting.add(f"{column}2:{column}{last}", CellIsRule(operator="greaterThan", formula=["0"], fill=red))
                ws.conditional_formatting.add(f"{column}2:{column}{last}", CellIsRule(operator="lessThan", formula=["0"], fill=green))
        for name, columns in (("评分汇总", COLUMNS), ("问题清单", FINDING_COLUMNS), ("分类得分", CATEGORY_COLUMNS)):
            for ws in self.parts[name]:
                ws.auto_filter.ref = f"A1:{_col(len(columns))}{max(1, self.rows[ws.title])}"
            if len(self.parts[name]) > 1:   # said on the first: its tab names how many sheets the list takes
                self.rows[f"{name}（续{len(self.parts[name]) - 1}表）"] = self.rows.pop(name)
                self.parts[name][0].title = f"{name}（续{len(self.parts[name]) - 1}表）"
        top = self._sheet("差异最大", TOP_COLUMNS)
        for row in summary.largest_differences():
            self._append(top, [relative_to_roots(row[k], self.roots) if k == "file" else row[k] for k, _ in TOP_COLUMNS])
        top.auto_filter.ref = f"A1:{_col(len(TOP_COLUMNS))}{len(summary.largest_differences()) + 1}"
        errors = self._sheet("无法评分的文件", ERROR_COLUMNS)
        for err in summary.errors:
            self._append(errors, [relative_to_roots(err[k], self.roots) if k == "file" else err[k] for k, _ in ERROR_COLUMNS])
        errors.auto_filter.ref = f"A1:{_col(len(ERROR_COLUMNS))}{len(summary.errors) + 1}"
        if summary.duplicates:
            dup = self._sheet("重复提交", [("unit", "单位"), ("year", "年度"), ("kind", "类型"), ("file", "文件")])
            for (unit, year, kind), files in summary.duplicates.items():
                for file in files:
                    self._append(dup, [unit, year, KIND_LABELS.get(kind, kind), relative_to_roots(file, self.roots)])
            dup.auto_filter.ref = f"A1:D{sum(len(f) for f in summary.duplicates.values()) + 1}"
        skipped = self._sheet("未读取的文件", [("file", "文件"), ("message", "原因")])
        for file, reason in summary.skipped:
            self._append(skipped, [relative_to_roots(file, self.roots), reason])
        skipped.auto_filter.ref = f"A1:B{len(summary.skipped) + 1}"
        self._grades_and_charts(summary)
        self.wb.properties.created = self.wb.properties.modified = fixed_time()
        self.wb.properties.creator = "perfrules"
        # Saved to a file in the sink's private folder and rewritten to another, member by member: memory
        # stays bounded whatever the county's size. The caller reads the chunks before close() removes them.
        saved, fixed = FsPath(self._tmp.name) / "saved.xlsx", FsPath(self._tmp.name) / "fixed.xlsx"
        self.wb.save(saved)
        rows = {}
        for ws, spool in self.spools.items():   # every sheet's rows, after the header openpyxl wrote
            spool.close()
            rows[ws.path.lstrip("/")] = spool.path
        with open(saved, "rb") as source, open(fixed, "wb") as target:
            rewrite_zip(source, target, rows)
        saved.unlink()
        return _chunks(fixed)

    def _grades_and_charts(self, summary: Summary) -> None:
        """等级分布: units per grade by their own account and by the rule, a bar chart of both, and a
        scatter of own total against rule total (read from the 评分汇总 sheet)."""
        from openpyxl.chart import BarChart, Reference, ScatterChart, Series
        from openpyxl.chart.shapes import GraphicalProperties
        ws = self._sheet("等级分布", [("grade", "等级"), ("own", "单位自评（单位数）"), ("count", "按规则复核（单位数）")])
        rule = summary.grades()   # the rulesets' grades, best first
        labels = list(dict.fromkeys(list(rule) + sorted(self.own_grades)))
        for grade in labels:
            self._append(ws, [grade, self.own_grades.get(grade, 0), rule.get(grade, 0)])
        ws.auto_filter.ref = f"A1:C{len(labels) + 1}"
        bar = BarChart()
        bar.type, bar.title = "col", "等级分布：单位自评与按规则复核"
        bar.y_axis.title, bar.x_axis.title = "单位数", "等级"
        bar.add_data(Reference(ws, min_col=2, max_col=3, min_row=1, max_row=len(labels) + 1), titles_from_data=True)
        bar.set_categories(Reference(ws, min_col=1, min_row=2, max_row=len(labels) + 1))
        self._chart_page("等级分布图", bar)
        scored = max(2, self.rows[self.main.title])
        scatter = ScatterChart()
        scatter.title, scatter.style = "自报总分与规则总分", 13
        scatter.x_axis.title, scatter.y_axis.title = "规则总分", "自报总分"
        series = Series(Reference(self.main, min_col=7, min_row=2, max_row=scored),
                        Reference(self.main, min_col=5, min_row=2, max_row=scored), title="各单位")
        # Markers drawn explicitly (symbol, size, fill and outline) and no line: LibreOffice draws nothing for a
        # scatter series that leaves its marker to the chart style.
        series.marker.symbol, series.marker.size = "circle", 6
        series.marker.graphicalProperties = GraphicalProperties(solidFill="4472C4")
        series.marker.graphicalProperties.line.solidFill = "2F5597"
        series.graphicalProperties.line.noFill = True
        scatter.scatterStyle = "marker"
        scatter.series.append(series)
        scatter.legend = None
        self._chart_page("总分对照图", scatter)

    def _chart_page(self, title: str, chart: Any) -> None:
        """A chart on a sheet of its own, sized to one A4 landscape page and printed whole on it (a chart
        sheet would do the same in Excel, but LibreOffice prints chart sheets empty)."""
        ws = self.wb.create_sheet(title)
        _print_setup(ws)
        ws.print_title_rows = None
        ws.page_setup.fitToHeight = 1
        chart.width, chart.height = 25, 15   # cm: inside A4 landscape's printable area
        ws.add_chart(chart, "A1")
        ws.print_area = "A1:O30"


class _SheetRows:
    """The rows of one sheet after its header, written as the sheet's XML to a file of their own as they
    come, and spliced into the sheet openpyxl saved (which holds the header row) when the workbook is
    rewritten. Text is never a formula: a unit named "=HYPERLINK(…)" is a string cell.

    A province's workbook has tens of millions of cells, and openpyxl's write-only path cost a cell object,
    a value binding and an lxml element each: the bureau's machine spent 1.6 ms a unit in it, the whole of a
    batch's wall time with two workers. The XML here is the bytes openpyxl writes for the same rows (text as
    an inline string with lxml's escaping, numbers through openpyxl's own formatting, the number formats by
    openpyxl's own style ids): tests/test_province_outputs.py holds the two byte for byte over generated
    rows, and the batch summaries' digests (tests/test_identical_outputs.py) are unchanged."""

    def __init__(self, ws: Any, path: FsPath) -> None:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.compat import safe_string
        from openpyxl.utils import get_column_letter
        self.illegal, self.number_text = ILLEGAL_CHARACTERS_RE, safe_string   # openpyxl's own, as it writes
        self.ws, self.path = ws, path
        self.keys = [k for k, _ in ws._perfrules_columns]
        self.letters = [get_column_letter(i) for i in range(1, len(self.keys) + 1)]
        self.styles: dict[str, str] = {}   # number format → openpyxl's style id, taken when first written
        self.last = 1   # the header's row
        self.out = open(path, "wb", buffering=1 << 20)

    def write(self, values: list[Any]) -> None:
        illegal, number_text = self.illegal, self.number_text
        self.last += 1
        r = str(self.last)
        parts = [f'<row r="{r}">']
        for key, letter, value in zip(self.keys, self.letters, values):
            if value is None:   # openpyxl writes no cell for a blank
                continue
            if isinstance(value, str):   # text, whatever it starts with; control characters shown as �
                text = illegal.sub("\ufffd", value)[:32767]
                if not text:   # an empty cell element, as openpyxl writes an empty string
                    parts.append(f'<c r="{letter}{r}" t="inlineStr"></c>')
                    continue
                space = ' xml:space="preserve"' if text != text.strip() else ""
                parts.append(f'<c r="{letter}{r}" t="inlineStr"><is><t{space}>{text.translate(_XML_TEXT) if _ESCAPED.search(text) else text}</t></is></c>')
            elif isinstance(value, bool):
                parts.append(f'<c r="{letter}{r}" t="b"><v>{number_text(value)}</v></c>')
            elif isinstance(value, (int, Decimal)):   # a double in the file, as Excel holds every number:
                # openpyxl's "%.16g", every digit of a score or an amount of up to 16 digits
                number_format = _FORMATS.get(key) if isinstance(value, Decimal) else None
                style = f' s="{self._style(number_format)}"' if number_format else ""
                parts.append(f'<c r="{letter}{r}"{style} t="n"><v>{number_text(value)}</v></c>')
            else:
                raise TypeError(f"a summary cell holds {type(value).__name__}: only text, numbers and blanks")
        parts.append("</row>")
        self.out.write("".join(parts).encode("ascii", "xmlcharrefreplace"))

    def _style(self, number_format: str) -> str:
        style = self.styles.get(number_format)
        if style is None:   # registered in the workbook's styles now, as openpyxl registers it on first write
            from openpyxl.cell import WriteOnlyCell
            cell = WriteOnlyCell(self.ws)
            cell.number_format = number_format
            style = self.styles[number_format] = str(cell.style_id)
        return style

    def close(self) -> None:
        self.out.close()


# How lxml writes text inside an element (openpyxl's inline strings): & < > and a carriage return escaped;
# anything beyond ASCII as a numeric reference (the encode above).
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ESCAPED = re.compile("[&<>\r]")


def _print_setup(ws: Any) -> None:
    """Every sheet of the county workbook prints A4 landscape, one page wide, its header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"   # A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def _chunks(path: FsPath, size: int = 1 << 20) -> Iterable[bytes]:
    with open(path, "rb") as fh:
        while True:
            block = fh.read(size)
            if not block:
                return
            yield block


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(n)


def _html_sink(roots: Iterable[str | FsPath] = ()) -> "Sink":
    from .review import HtmlSink
    return HtmlSink(roots)


SINKS: dict[str, Callable[..., Sink]] = {".csv": CsvSink, ".json": JsonSink, ".xlsx": XlsxSink, ".html": _html_sink,
                                         ".htm": _html_sink}
