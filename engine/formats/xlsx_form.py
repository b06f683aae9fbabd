"""The 自评表 as an Excel workbook, written by `perfrules init` and `convert`.

One sheet per part of the official table (layout.py), labels locked and input cells unlocked and tinted,
drop-down lists of the ruleset's 一级 / 二级 labels, number formats on money and points, sheet protection
without a password, and a 填表说明 sheet. Parts of a submission that have no table of their own (the
figures a narrative states, notes) go to the 附加数据 sheet as YAML text, so that YAML → xlsx → YAML gives
back the same submission. Reading it back is xlsx.py's.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any, Iterable

import yaml

from ..errors import error
import perfrules.engine.formats.layout as L
from .yamltext import flow as _flow, plain as _plain

INPUT_FILL = "FFF2CC"
HEADER_FILL = "DDEBF7"
MONEY_FORMAT = "#,##0.00"
POINTS_FORMAT = "0.00"


_HANDLED = {
    "schema_version", "unit", "kind", "year", "project", "department", "region", "title", "issuer",
    "evaluation.method", "evaluation.organ", "report_date", "money_unit", "ruleset", "budget.tasks",
    "budget.total", "budget.adjusted_reason", "budget.execution_reason", "goals.expected", "goals.achieved",
    "indicators", "stated.table.total", "stated.table.max", "stated.table.grade", "stated.narrative.total",
    "stated.narrative.max", "stated.narrative.grade", "stated.narrative.section", "signatures.leader_date",
    "signatures.unit_date", "signatures.unit_opinion", "team", "narrative", "stated.finance",
    "stated.narrative.categories", *(path for path, _ in L.ASSETS_FIELDS),
}



# =========================================================================================== writing

def write_workbook(data: dict[str, Any], *, categories: list[tuple[str, list[str]]] | None = None,
                   blank_rows: int = 30, ruleset_ref: str | None = None) -> bytes:
    """The workbook for a submission (`data`, possibly a blank skeleton). `categories` are the ruleset's
    (一级 label, [二级 labels]) for the drop-down lists and, in a blank form, the pre-filled rows."""
    from openpyxl import Workbook
    wb = Workbook()
    wb.remove(wb.active)
    writer = _Writer(wb, categories or [])
    writer.key_values(L.BASIC, "基本信息", L.BASIC_FIELDS, data, {"kind": lambda v: L.KINDS.get(v, v)})
    writer.budget(data.get("budget") or {}, blank_rows=max(5, blank_rows // 3))
    writer.key_values(L.GOALS, "年度总体目标", L.GOALS_FIELDS, data, wide=True)
    writer.indicators(data.get("indicators") or [], blank_rows)
    writer.key_values(L.CONCLUSION, "自评结论与签章", L.CONCLUSION_FIELDS, data)
    writer.table(L.TEAM, "评价小组", L.TEAM_COLUMNS, data.get("team") or [], blank_rows=8)
    writer.narrative(data.get("narrative") or [])
    stated = data.get("stated") or {}
    writer.table(L.FINANCE, "报告正文所述收支数字（金额单位同“基本信息”；每处一行，核对收支平衡和年度）", L.FINANCE_COLUMNS,
                 stated.get("finance") or [], blank_rows=4, widths=[40, 8, 12, 12, 12, 12, 12])
    writer.key_values(L.ASSETS, "报告正文所述资产和人员", L.ASSETS_FIELDS, data)
    writer.table(L.CLAIMS, "报告正文所述各类指标得分（核对与表中各行是否一致）", L.CLAIM_COLUMNS,
                 (stated.get("narrative") or {}).get("categories") or [], blank_rows=6, widths=[24, 10, 10])
    writer.extra(_leftovers(data))
    writer.help(ruleset_ref)
    writer.options()
    wb.properties.creator = "perfrules"
    wb.properties.title = "绩效自评表"
    buf = io.BytesIO()
    wb.save(buf)
    from ..zipout import deterministic_zip
    return deterministic_zip(buf.getvalue())


class _Writer:
    def __init__(self, wb: Any, categories: list[tuple[str, list[str]]]):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
        self.wb, self.categories = wb, categories
        thin = Side(style="thin", color="999999")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.header_font, self.bold = Font(bold=True), Font(bold=True, size=14)
        self.header_fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.input_fill = PatternFill("solid", fgColor=INPUT_FILL)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.unlocked, self.locked = Protection(locked=False), Protection(locked=True)
        self.validations: list[tuple[Any, str, str]] = []

    def sheet(self, name: str, title: str, widths: Iterable[int]) -> Any:
        from openpyxl.utils import get_column_letter
        ws = self.wb.create_sheet(name)
        ws["A1"] = title
        ws["A1"].font = self.bold
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        # Printed on A4 landscape, each sheet one page wide (as the paper 自评表 is filed).
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.print_title_rows = "1:3" if name == L.BUDGET else "1:2"
        return ws

    def protect(self, ws: Any) -> None:
        # Labels locked, input cells not; no password: the protection guards against slips, not people.
        ws.protection.sheet = True
        for attr in ("formatCells", "formatColumns", "formatRows", "insertRows", "deleteRows", "sort", "autoFilter"):
            setattr(ws.protection, attr, False)

    def label(self, cell: Any, text: str) -> None:
        cell.value = text
        cell.font, cell.fill, cell.border, cell.alignment = self.header_font, self.header_fill, self.border, self.center
        cell.protection = self.locked

    def put(self, cell: Any, value: Any, number_format: str | None = None) -> None:
        if isinstance(value, (dict, list)):
            value = _flow(value)
        if isinstance(value, bool):
            value = "是" if value else "否"
        if isinstance(value, str):
            from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
            if ILLEGAL_CHARACTERS_RE.search(value):
                raise error(f"文字“{value[:20]}”含有 Excel 不能保存的控制字符，无法写入工作簿", None,
                            "删去其中的控制字符（如 \\x01）后再转换", code="E-FORMAT")
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"   # text stays text: "12" is not a number, "=…" is not a formula
        elif number_format and isinstance(value, (int, Decimal)):
            cell.number_format = number_format
        cell.fill, cell.border, cell.alignment, cell.protection = self.input_fill, self.border, self.wrap, self.unlocked

    def key_values(self, name: str, title: str, fields: list[tuple[str, str]], data: dict[str, Any],
                   show: dict[str, Any] | None = None, wide: bool = False) -> None:
        ws = self.sheet(name, title, (26, 90 if wide else 50))
        for row, (path, label) in enumerate(fields, start=3):
            self.label(ws.cell(row, 1), label)
            value = L.get_path(data, path)
            if show and path in show and value is not None:
                value = show[path](value)
            self.put(ws.cell(row, 2), value)
            if wide:
                ws.row_dimensions[row].height = 90
        if name == L.BASIC:
            self._validate(ws, f'"{",".join(L.KINDS.values())}"', "B4")
        self.protect(ws)

    def budget(self, budget: dict[str, Any], blank_rows: int) -> None:
        widths = [24, 30, 12] + [11] * 9 + [8, 10, 8]
        ws = self.sheet(L.BUDGET, "年度预算执行情况（金额单位见“基本信息”）", widths)
        col = 1
        for _, label in L.BUDGET_SINGLE:
            self.label(ws.cell(2, col), label)
            self.label(ws.cell(3, col), label)
            ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
            col += 1
        for _, group in L.BUDGET_GROUPS:
            self.label(ws.cell(2, col), group)
            ws.merge_cells(start_row=2, start_column=col, end_row=2, end_column=col + 2)
            for i, (_, part) in enumerate(L.MONEY_PARTS):
                self.label(ws.cell(3, col + i), part)
            col += 3
        for _, label in L.BUDGET_TAIL:
            self.label(ws.cell(2, col), label)
            self.label(ws.cell(3, col), label)
            ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
            col += 1
        tasks = list(budget.get("tasks") or [])
        row = 4
        for task in tasks + [{}] * blank_rows:
            self._budget_row(ws, row, task)
            row += 1
        self.label(ws.cell(row, 1), L.TOTAL_ROW)
        self._budget_row(ws, row, budget.get("total") or {}, total=True)
        row += 2
        for path, label in L.BUDGET_NOTES:
            self.label(ws.cell(row, 1), label)
            self.put(ws.cell(row, 2), budget.get(path.split(".")[1]))
            ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=8)
            row += 1
        ws.freeze_panes = "B4"
        self.protect(ws)

    def _budget_row(self, ws: Any, row: int, item: dict[str, Any], total: bool = False) -> None:
        col = 1
        for key, _ in L.BUDGET_SINGLE:
            if not (total and key == "name"):
                self.put(ws.cell(row, col), None if total else item.get(key))
            col += 1
        for key, _ in L.BUDGET_GROUPS:
            money = item.get(key) or {}
            for part, _ in L.MONEY_PARTS:
                self.put(ws.cell(row, col), money.get(part), MONEY_FORMAT)
                col += 1
        for key, _ in L.BUDGET_TAIL:
            self.put(ws.cell(row, col), item.get(key), POINTS_FORMAT)
            col += 1

    def indicators(self, rows: list[dict[str, Any]], blank_rows: int) -> None:
        widths = [14, 18, 28, 16, 16, 9, 8, 9, 36, 9, 10, 10]
        ws = self.sheet(L.INDICATORS, "年度绩效指标完成情况", widths)
        for col, (_, label) in enumerate(L.INDICATOR_COLUMNS, start=1):
            self.label(ws.cell(2, col), label)
        if not rows and self.categories:   # a blank form: one row per 二级 label, ready to be filled in
            options: list[tuple[str, str | None]] = [(l1, l2) for l1, l2s in self.categories
                                                      for l2 in ([*l2s] if l2s else [None])]
            rows = [{"level1": l1, "level2": l2} for l1, l2 in options]
        for r, item in enumerate(list(rows) + [{}] * blank_rows, start=3):
            levels = item.get("levels") or []
            values = {**item, "level1": item.get("level1", levels[0] if levels else None),
                      "level2": item.get("level2", levels[1] if len(levels) > 1 else None)}
            if "applicable" in item:
                values["applicable"] = "是" if item["applicable"] else "否"
            for col, (key, _) in enumerate(L.INDICATOR_COLUMNS, start=1):
                fmt = POINTS_FORMAT if key in ("points", "self_score") else None
                self.put(ws.cell(r, col), values.get(key), fmt)
        last = len(rows) + blank_rows + 2
        if self.categories:
            level1 = len(self.categories)
            level2 = sum(len(c[1]) for c in self.categories)
            self._validate(ws, f"{L.OPTIONS}!$A$1:$A${level1}", f"A3:A{last}")
            if level2:
                self._validate(ws, f"{L.OPTIONS}!$B$1:$B${level2}", f"B3:B{last}")
        self._validate(ws, '"是,否"', f"J3:J{last}")
        self._validate(ws, '"越大越好,越小越好"', f"K3:K{last}")
        ws.freeze_panes = "D3"
        self.protect(ws)

    def table(self, name: str, title: str, columns: list[tuple[str, str]], rows: list[dict[str, Any]],
              blank_rows: int, widths: Iterable[int] = (16, 20, 36, 20)) -> None:
        ws = self.sheet(name, title, widths)
        for col, (_, label) in enumerate(columns, start=1):
            self.label(ws.cell(2, col), label)
        for r, item in enumerate(list(rows) + [{}] * blank_rows, start=3):
            for col, (key, _) in enumerate(columns, start=1):
                self.put(ws.cell(r, col), item.get(key))
        self.protect(ws)

    def narrative(self, sections: list[dict[str, Any]]) -> None:
        ws = self.sheet(L.NARRATIVE, "评价报告正文（层级 1 为“一、”级标题，2 为“（一）”级，依此类推）", [8, 40, 100])
        for col, (_, label) in enumerate(L.NARRATIVE_COLUMNS, start=1):
            self.label(ws.cell(2, col), label)
        flat = list(_flatten_sections(sections, 1))
        for r, (level, title, body) in enumerate(flat + [(None, None, None)] * 10, start=3):
            self.put(ws.cell(r, 1), level)
            self.put(ws.cell(r, 2), title)
            self.put(ws.cell(r, 3), body)
        self.protect(ws)

    def extra(self, leftovers: list[tuple[str, Any]]) -> None:
        ws = self.sheet(L.EXTRA, "附加数据（报告中陈述的财务数字等；YAML 格式，一般无需修改）", [30, 100])
        self.label(ws.cell(2, 1), "数据项")
        self.label(ws.cell(2, 2), "内容（YAML）")
        for r, (path, value) in enumerate(leftovers, start=3):
            self.put(ws.cell(r, 1), path)
            self.put(ws.cell(r, 2), yaml.safe_dump(_plain(value), allow_unicode=True, sort_keys=False,
                                                   default_flow_style=False).rstrip("\n"))   # strip() would eat a trailing NBSP
        self.protect(ws)

    def help(self, ruleset_ref: str | None) -> None:
        ws = self.sheet(L.HELP, "填表说明", [110])
        for r, line in enumerate(help_lines(ruleset_ref), start=3):
            ws.cell(r, 1).value = line
            ws.cell(r, 1).alignment = self.wrap
        ws.protection.sheet = True

    def options(self) -> None:
        ws = self.wb.create_sheet(L.OPTIONS)
        for r, (level1, _) in enumerate(self.categories, start=1):
            ws.cell(r, 1).value = level1
        level2 = [l2 for _, l2s in self.categories for l2 in l2s]
        for r, label in enumerate(level2, start=1):
            ws.cell(r, 2).value = label
        ws.sheet_state = "hidden"
        for ws_, formula, ref in self.validations:
            from openpyxl.worksheet.datavalidation import DataValidation
            dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=False)
            dv.add(ref)
            ws_.add_data_validation(dv)

    def _validate(self, ws: Any, formula: str, ref: str) -> None:
        self.validations.append((ws, formula, ref))


def help_lines(ruleset_ref: str | None) -> list[str]:
    return [
        "本工作簿是预算绩效自评表，可用 Excel、WPS 或 LibreOffice 填写。黄色单元格为填写区，其余为标签（已锁定，无密码）。",
        f"评分规则集：{ruleset_ref}。" if ruleset_ref else "评分规则集：按评价类型和年度自动选择。",
        "填好后：perfrules check 自评表.xlsx 核对；perfrules report 自评表.xlsx -o 自评报告.docx 生成报告。",
        "一、基本信息：部门（单位）名称、评价类型（部门整体 / 项目）、年度必填。",
        "二、预算执行：每项任务一行；金额单位与“基本信息”中的金额单位一致；最后一行“金额合计”填合计数。",
        "三、绩效指标：一级、二级指标可从下拉列表选择；每个三级指标一行；行数不够可插入行。",
        "年度指标值的写法（perfrules 能识别）：≥90%、≤30万元、＝100%、不低于95%、90%（含）以上、3天内、"
        "10个工作日内、2024年12月31日前、12月底前、有所提升、达成。",
        "实际完成值写实际数，如 95%、28.6万元、2024年11月20日、按时完成；百分比请带 % 号，0.98 这样的小数可能被视为含义不明确。",
        "数值单位：元 / 万元 / 亿元、人次 / 万人次 等同一种单位的不同数量级会自动换算。",
        "分值、自评得分填数字；偏差原因分析及改进措施：未达到目标或扣分时必须填写。",
        "是否适用：指标不适用时填“否”，其分值不计，总分按比例折算。指标方向：扁平指标表可填“越大越好 / 越小越好”。",
        "四、自评结论：自评表总分、报告所述总分和等级；签字日期。",
        "五、评价小组：每位成员一行。六、评价报告：按层级填写标题和正文。",
        "报告所述收支 / 资产人员 / 分项得分：把报告正文里写到的收支数字、资产和人员数、各类指标得分照抄在这里，"
        "perfrules 核对它们与表中数字是否一致（收支平衡、资产合计、年度、分项得分）。",
        "附加数据：以上各表没有位置的其他数据，YAML 格式，一般由 perfrules 自动生成，无需修改。",
    ]


def _leftovers(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """The parts of a submission no sheet has a place for, by dotted path (whole subtrees)."""
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if path in _HANDLED or value is None:
            continue
        if isinstance(value, dict) and any(h.startswith(path + ".") for h in _HANDLED):
            out += _leftovers(value, path + ".")
        else:
            out.append((path, value))
    return out


def _flatten_sections(sections: list[dict[str, Any]], level: int) -> Iterable[tuple[int, str, str | None]]:
    for section in sections:
        yield level, section.get("title", ""), section.get("body")
        yield from _flatten_sections(section.get("sections") or [], level + 1)
