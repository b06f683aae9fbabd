"""The block reader: a report's tables (as grids on the table model, tables.py) and paragraphs, whatever file
they came from (Word, PDF, a workbook in a published layout), read into a submission.

Every table is split into its blocks wherever they stand: fields (项目名称 | …), the budget (task rows, or
rows 总额 / 其中：财政资金 …), the goals, the indicator block (its header found in any row, flattened over two
rows, continued over pages), and the rows under it (总分, 评价结论, 存在问题, 改进措施, signatures). Every
reading that needed interpretation is kept as a note on its path, which `perfrules import` writes as a YAML
comment beside the value; what cannot be read stays null with a problem, never guessed. A report made by
`perfrules report` is recognised by its appendix, and the unit's own scores and stated totals are taken from
there (its table shows the rule's scores).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import perfrules.engine.formats.layout as L
from ..errors import Path
from ..targets import ValueError_, parse_value
from ..yamlio import Document
from .blocks_budget import BudgetReader
from .narrative import TextReader
from .tables import BLANKS as _BLANKS, cell_number as _number, is_placeholder, plain_number as _plain_number


@dataclass
class ImportResult:
    document: Document
    notes: dict[Path, str] = field(default_factory=dict)      # path → what was interpreted, for YAML comments
    problems: list[str] = field(default_factory=list)        # what could not be read (stays null)
    unread: list[str] = field(default_factory=list)          # cells with text that no block read, by table


class BlockReader(BudgetReader, TextReader):
    def __init__(self, name: str, vocabulary_dirs: tuple[str, ...] = ()):
        self.name = name
        self.data: dict[str, Any] = {"schema_version": 1}
        self.notes: dict[Path, str] = {}
        self.problems: list[str] = []
        self.perfrules_report = False
        self.table_sections: list[dict[str, Any]] = []   # 评价结论 / 存在问题 / 改进措施 rows of a one-table form
        self.last_columns: dict[str, int] | None = None   # the columns of the last indicator block
        self.table_names: dict[int, str] = {}
        self.guessed: set[str] = set()
        self.header_units: dict[str, str] = {}   # 年度指标值（%）: a unit written in the header, by field
        self.cells: dict[Path, str] = {}          # path → the cell its value was read from (表2!R5C4)
        self.cell_names: dict[int, str] = {}      # table → how a cell reference starts: 表2, 第3页!表2, a sheet
        self.a1 = False                           # cells named as a spreadsheet does (E12), not R5C4
        self.used: set[tuple[int, int]] = set()   # (table, cell key) of every cell a block read
        self.unread: list[str] = []               # columns and rows named as not read, with why
        from .tables import vocabulary
        self.vocab = vocabulary(vocabulary_dirs)

    def note(self, path: Path, text: str) -> None:
        self.notes[path] = text

    def t(self, table_no: int) -> str:
        """How a table is named in notes and problems: 表 2 in Word, 第3页 表2 in a PDF."""
        return self.table_names.get(table_no, f"表 {table_no}")

    def ref(self, table_no: int, cell: object) -> str | None:
        """Where a cell stands: 表2!R5C4 in Word, 第3页!表2!R5C4 in a PDF, 绩效指标!E12 in a workbook."""
        at = getattr(cell, "at", None)
        if at is None:
            return None
        prefix = self.cell_names.get(table_no, f"表{table_no}")
        if self.a1:
            from openpyxl.utils import get_column_letter
            return f"{prefix}!{get_column_letter(at[1])}{at[0]}"
        return f"{prefix}!R{at[0]}C{at[1]}"

    def take(self, table_no: int, *cells: object) -> None:
        """Mark cells as read (a label, a header, a value): what is never taken is named as unread."""
        for cell in cells:
            key = getattr(cell, "key", None)
            if key is not None:
                self.used.add((table_no, key))

    def source(self, path: Path, table_no: int, cell: object) -> None:
        """The value at `path` was read from `cell`: kept as its location, and the cell marked as read."""
        self.take(table_no, cell)
        where = self.ref(table_no, cell)
        if where is not None:
            self.cells[tuple(path)] = where

    def unread_cells(self, grids: list[list[list[str]]]) -> list[str]:
        """Every cell with text that no block read, by table. A row that is one merged cell is the table's
        heading (年度绩效指标完成情况) and is not listed."""
        out = []
        for table_no, grid in enumerate(grids, start=1):
            missed: list[str] = []
            seen: set[int] = set()
            for row in grid:
                if len({getattr(c, "key", id(c)) for c in row}) == 1:
                    continue
                for cell in row:
                    key = getattr(cell, "key", None)
                    if key is None or key in seen or (table_no, key) in self.used or not str(cell).strip():
                        continue
                    seen.add(key)
                    at = self.ref(table_no, cell) or ""
                    text = str(cell).strip().replace("\n", " ")
                    missed.append(f"{at.rsplit('!', 1)[-1]}“{text[:20]}{'…' if len(text) > 20 else ''}”")
            if missed:
                shown = "、".join(missed[:12]) + (f" 等 {len(missed)} 个" if len(missed) > 12 else "")
                out.append(f"{self.t(table_no)}：{shown}")
        return out

    def read(self, texts: list[str], grids: list[list[list[str]]]) -> ImportResult:
        """The submission from a document's paragraphs and tables, whatever the reader (Word, PDF, a sheet)."""
        self.perfrules_report = any("perfrules 生成" in t for t in texts)
        self.header_fields(texts)
        self.tables(grids)
        self.narrative(texts)
        if self.table_sections:   # 评价结论 / 存在问题 / 改进措施 of a one-table form: the unit's own text
            self.data.setdefault("narrative", []).extend(self.table_sections)
        self.data.setdefault("indicators", [])
        if not self.data["indicators"]:
            self.problems.append("没有找到绩效指标表（表头应有 三级指标 / 指标内容 和 年度指标值 / 年度目标值）")
        if not self.data.get("budget"):
            self.problems.append("没有找到资金（预算执行）表，预算执行率无法评分：budget 需要手工填写")
        self.data = _plain_text(self.data)
        document = Document(data=self.data, file=self.name)
        document.cells = self.cells
        return ImportResult(document, self.notes, self.problems, self.unread + self.unread_cells(grids))

    def tables(self, grids: list[list[list[str]]]) -> None:
        """Every table split into its blocks, wherever they stand: fields (项目名称 | …), goals, a budget block
        (task rows, or rows 总额 / 其中：财政资金 …), the indicator block (its header found in any row,
        flattened over two rows), and the rows under it (总分, 评价结论, 存在问题, 改进措施, signatures)."""
        from .tables import find_header
        vocab = self.vocab
        indicator_columns: dict[str, int] | None = None
        for table_no, grid in enumerate(grids, start=1):
            i = 0
            continued = indicator_columns is not None
            while i < len(grid):
                row = grid[i]
                if self.perfrules_report and (row[:2] == ["级别", "说明"] or row[:3] == ["类别或指标", "分值", "评分规则"]):
                    self.take(table_no, *(c for r in grid[i:] for c in r))   # the rule's findings and rules: output, not input
                    break
                if self.perfrules_report and (row[:2] == ["来源", "总分"] or row[:3] == ["指标", "自评得分", "规则得分"]):
                    self.take(table_no, *(c for r in grid[i:] for c in r))   # the appendix: read as a whole
                    if row[1] == "总分":
                        self.stated_from_appendix(grid[i:])
                    else:
                        self.self_scores_from_appendix(grid[i:])
                    break
                header = find_header(grid, i, "indicators", vocab, ("name",),
                                     ("target", "target_adjusted", "points", "self_score"))
                if header is not None and not ({"target", "target_adjusted", "actual"} & set(header.columns)):
                    lower = find_header(grid, i + 1, "indicators", vocab, ("name",), ("target", "target_adjusted"))
                    header = lower or header   # a group row over 年度指标值 | 实际完成值: the lower row, flattened
                if header is not None:
                    mapped = set(header.columns.values())   # a header cell nobody knows (联系人) is named as unread
                    self.take(table_no, *(c for r in grid[i:header.row + 1] for k, c in enumerate(r) if k in mapped))
                    indicator_columns = header.columns
                    self.header_units = _header_units(header)
                    self.header_notes(header, table_no)
                    i = self.indicator_block(grid, header.row + 1, indicator_columns, table_no)
                    continued = False
                    continue
                budget = find_header(grid, i, "budget", vocab, (), ("budget", "spent", "budget_initial"))
                if budget is not None and sum(f in budget.columns for f in ("budget", "spent", "budget_initial", "rate")) >= 2:
                    indicator_columns = None
                    self.take(table_no, *(c for r in grid[i:budget.row + 1] for c in r))
                    i = self.budget_block(grid, i, budget, table_no)
                    continue
                if L.header_key(row[0] if row else "") == "姓名":
                    indicator_columns = None
                    self.team(grid[i:], table_no)
                    break
                if self.goal_rows(grid, i, table_no):
                    indicator_columns = None
                    i += 2
                    continue
                if self.field_row(row, table_no, i + 1):
                    i += 1
                    continue
                if continued and indicator_columns is not None and i == 0 and self._looks_like_rows(grid) \
                        and len(row) >= max(indicator_columns.values()) + 1:
                    i = self.indicator_block(grid, 0, indicator_columns, table_no, continued=True)   # split across pages
                    continue
                self.stop_row(row, table_no, i + 1)
                i += 1

    def header_notes(self, header: Any, table_no: int) -> None:
        """Say which header was read as which field where it needed reading (a flattened two-row header), and
        which columns are not read (得分系数, 是否核心指标: perfrules scores by the rule)."""
        for fld, why in _UNREAD_COLUMNS.items():
            if fld in header.columns:
                self.unread.append(f"{self.t(table_no)}：“{header.labels.get(header.columns[fld])}”列未读（{why}）")
        if "target" not in header.columns and "target_adjusted" not in header.columns:
            self.problems.append(f"{self.t(table_no)}：指标表没有年度指标值列，年度指标值需要手工填写")
        for c, label in header.labels.items():
            if "/" in label and any(col == c for col in header.columns.values()):
                self.note(("indicators",), f"{self.t(table_no)} 第 {header.row + 1} 行：表头“{label}”按两行表头读")

    def indicator_block(self, grid: list[list[str]], start: int, columns: dict[str, int], table_no: int,
                        continued: bool = False) -> int:
        """The indicator rows from `start` to the first row that is not one (a stop row, a new header)."""
        from .tables import stop_of
        self.last_columns = columns
        end = start
        while end < len(grid) and stop_of(grid[end], self.vocab) is None:
            end += 1
        self.indicator_rows(grid[start:end], columns, table_no, start + 1, continued)
        return end

    def field_row(self, row: list[str], table_no: int, number: int) -> bool:
        """A row of label | value pairs (项目名称 | …, 主管部门 | … | 实施单位 | …): each value read."""
        from .tables import cell_right_of
        found = False
        for c, text in enumerate(row):
            name = self.vocab.field("fields", text)
            if name is None or name.startswith("goals") or (c and row[c - 1] == text):
                continue
            cell = cell_right_of(row, c)
            value = str(cell).strip() if cell is not None else ""
            self.take(table_no, text)
            if value and self.vocab.field("fields", value) is None:
                self.take(table_no, cell)
            if value and self.vocab.field("fields", value) is None and (not L.get_path(self.data, name) or name in self.guessed):
                self.guessed.discard(name)
                figure = _number(value) if name.startswith("stated.") else None
                if name.startswith("stated.") and figure is None:
                    continue
                L.set_path(self.data, name, figure if figure is not None else value)
                self.source(tuple(name.split(".")), table_no, cell)
                self.note(tuple(name.split(".")), f"{self.t(table_no)} 第 {number} 行“{text}”")
            found = True
        return found

    def goal_rows(self, grid: list[list[str]], i: int, table_no: int) -> bool:
        """A goals header row (年度总体目标 | 预期目标 | 实际完成情况, or 项目年度目标 | 年度目标完成情况) and the
        row under it. A value that is one merged cell across both columns is the expected goal only."""
        row = grid[i]
        fields = [self.vocab.field("fields", t) for t in row]
        expected_cols = [c for c, f in enumerate(fields) if f == "goals.expected"]
        achieved_cols = [c for c, f in enumerate(fields) if f == "goals.achieved"]
        if not (expected_cols and achieved_cols) or i + 1 >= len(grid):
            if L.header_key(row[0] if row else "") == L.header_key("年度总体目标") and len(row) >= 3 and i + 1 < len(grid):
                expected_cols, achieved_cols = [1], [2]   # the seed's layout: 年度总体目标 | 预期目标 | 实际完成情况
            else:
                return False
        below = grid[i + 1]
        self.take(table_no, *row, *below)
        e, a = expected_cols[-1], achieved_cols[-1]
        expected = below[e] if e < len(below) else ""
        achieved = below[a] if a < len(below) else ""
        if expected and not L.get_path(self.data, "goals.expected"):
            L.set_path(self.data, "goals.expected", str(expected))
            self.source(("goals", "expected"), table_no, expected)
            self.note(("goals", "expected"), f"{self.t(table_no)} 第 {i + 2} 行")
        same_cell = getattr(expected, "key", None) is not None and getattr(expected, "key", None) == getattr(achieved, "key", None)
        if achieved and not same_cell and not L.get_path(self.data, "goals.achieved"):
            L.set_path(self.data, "goals.achieved", str(achieved))
            self.source(("goals", "achieved"), table_no, achieved)
            self.note(("goals", "achieved"), f"{self.t(table_no)} 第 {i + 2} 行")
        elif same_cell:
            self.problems.append(f"{self.t(table_no)} 第 {i + 2} 行：预期目标与实际完成情况是同一个合并单元格，实际完成情况留空")
        return True

    def stop_row(self, row: list[str], table_no: int, number: int) -> None:
        """A row under the indicators: 总分 and 等级 are the table's stated figures, 评价结论 / 存在问题 /
        改进措施 the unit's text, signatures are signatures; none of them is an indicator."""
        from .tables import stop_of, value_right_of
        kind = stop_of(row, self.vocab)
        if kind is None:
            return
        self.take(table_no, *row)   # a stop row is read as a whole: its figures, its text, or a signature
        where = f"{self.t(table_no)} 第 {number} 行"
        if kind == "total" and self.last_columns is not None:   # by the indicator block's columns
            cells = {f: (row[c] if c < len(row) else "") for f, c in self.last_columns.items()}
            if cells.get("points") or cells.get("self_score"):
                self.table_total(cells, table_no, number)
                return
        if kind == "total":
            figures = [(n, c) for n, c in ((_number(str(c)), c) for c in dict.fromkeys(row[1:]) if str(c).strip())
                       if n is not None]
            numbers = [n for n, _ in figures]
            if numbers and not self.perfrules_report:
                L.set_path(self.data, "stated.table.max", numbers[0])
                self.source(("stated", "table", "max"), table_no, figures[0][1])
                self.note(("stated", "table", "max"), f"{where}“{row[0]}”：满分")
                if len(numbers) > 1:
                    L.set_path(self.data, "stated.table.total", numbers[-1])
                    self.source(("stated", "table", "total"), table_no, figures[-1][1])
                    self.note(("stated", "table", "total"), f"{where}“{row[0]}”：总分")
        elif kind in ("conclusion", "problems", "measures"):
            text = value_right_of(row, next(c for c, t in enumerate(row) if str(t).strip()))
            if text and not self.perfrules_report:
                title = {"conclusion": "评价结论", "problems": "存在问题", "measures": "改进措施"}[kind]
                self.table_sections.append({"title": title, "body": text})
        elif kind == "signature":
            self.note(("signatures",), f"{where}：签字栏“{str(row[0])[:20]}”，不是指标")

    def _looks_like_rows(self, grid: list[list[str]]) -> bool:
        return all(self.vocab.field("indicators", c) is None for c in grid[0])

    def indicator_rows(self, rows: list[list[str]], columns: dict[str, int], table_no: int, first_row: int,
                       continued: bool = False) -> None:
        out: list[dict[str, Any]] = self.data.setdefault("indicators", [])
        for offset, row in enumerate(rows):
            cells = {f: (row[i] if i < len(row) else "") for f, i in columns.items()}
            src = dict(cells)   # field → the cell it stands in (cells[] may be rewritten: ≤ and 5 are ≤5)
            self.take(table_no, *src.values())   # every cell under a known header is read (or named as unread)
            first = cells.get("level1", "")
            if L.header_key(first) in ("总分", "合计", "总计") or L.header_key(cells.get("name", "")) in ("总分", "合计"):
                self.table_total(cells, table_no, first_row + offset)
                continue
            if L.header_key(first) in ("等级", "评价等级", "自评等级"):
                grade = next((v for k, v in cells.items() if k != "level1" and v), None)
                if grade and not self.perfrules_report:
                    L.set_path(self.data, "stated.table.grade", grade)
                    self.source(("stated", "table", "grade"), table_no, grade)
                continue
            if all(not cells.get(k) for k in ("name", "target", "actual", "points", "self_score")):
                continue
            if is_placeholder(cells.get("name", "")) and not any(cells.get(k) and cells.get(k) not in _BLANKS
                                                                   for k in ("target", "target_adjusted", "actual",
                                                                             "self_score")):
                self.note(("indicators",), f"{self.t(table_no)} 第 {first_row + offset} 行“{cells.get('name')}”是模板的占位行，按空行不读")
                continue
            if self.vocab.field("indicators", cells.get("name")) == "name" and \
                    self.vocab.field("indicators", cells.get("target")) in ("target", "target_adjusted"):
                continue   # the header repeated on the next page
            i = len(out)
            path: Path = ("indicators", i)
            where = f"{self.t(table_no)} 第 {first_row + offset} 行" + ("（续表）" if continued else "")
            item: dict[str, Any] = {}
            for key in ("level1", "level2", "name"):
                if cells.get(key):
                    item[key] = cells[key]
            if item.get("level1", "").endswith(("分)", "分）")):
                self.note(path + ("level1",), f"{where}：标签带分值，按一级指标“{item['level1']}”读，分值由评分时核对")
            if cells.get("target_adjusted") and cells["target_adjusted"] not in _BLANKS:
                if cells.get("target"):
                    self.note(path + ("target",), f"{where}：调整指标值“{cells['target_adjusted']}”已填，取代年初指标值“{cells['target']}”")
                cells["target"] = src["target"] = cells["target_adjusted"]
            op = cells.get("operator", "").strip()
            if op and cells.get("target") and op not in _BLANKS:
                joined = _join_operator(op, cells["target"])
                if joined != cells["target"]:
                    self.note(path + ("target",), f"{where}：指标性质“{op}”与指标值“{cells['target']}”合为“{joined}”")
                    cells["target"] = joined
            unit = cells.get("unit", "").strip()
            if unit and unit not in _BLANKS:
                item["unit"] = unit
                self.note(path + ("unit",), f"{where}：度量单位“{unit}”用于没有写单位的指标值和完成值")
            elif self.header_units:
                unit = next(iter(self.header_units.values()))
                item["unit"] = unit
                self.note(path + ("unit",), f"{where}：单位“{unit}”读自表头，用于没有写单位的指标值和完成值")
            for key in ("target", "actual"):
                text = cells.get(key, "")
                if not text:
                    continue
                try:
                    parse_value(text)
                    item[key] = text
                except ValueError_ as exc:
                    item[key] = None
                    self.problems.append(f"{where}：{'年度指标值' if key == 'target' else '实际完成值'}“{text}”无法识别（{exc.message}），留空")
                    self.note(path + (key,), f"{where}：原文“{text}”无法识别，留空待填")
            for key in ("points", "self_score"):
                text = cells.get(key, "")
                if not text or text in _BLANKS:
                    continue
                number = _number(text)
                if number is None:
                    item[key] = None
                    self.problems.append(f"{where}：{'分值' if key == 'points' else '得分'}“{text}”不是数值，留空")
                    self.note(path + (key,), f"{where}：原文“{text}”不是数值，留空待填")
                else:
                    item[key] = number
                    if text != _plain_number(number):
                        self.note(path + (key,), f"{where}：“{text}”读作 {_plain_number(number)}")
            if cells.get("explanation"):
                item["explanation"] = cells["explanation"]
            if not item.get("name"):
                self.note(path, f"{where}：没有三级指标名称")
            self.note(path, self.notes.get(path, where))
            for key in item:
                if key in src:
                    self.source(path + (key,), table_no, src[key])
            if src.get("name"):
                self.source(path, table_no, src["name"])
            out.append(item)

    def table_total(self, cells: dict[str, str], table_no: int, row: int) -> None:
        if self.perfrules_report:   # its 总分 row holds the rule's total; the unit's own is in the appendix
            points = _number(cells.get("points", "")) if cells.get("points") else None
            if points is not None:
                L.set_path(self.data, "stated.table.max", points)
                self.source(("stated", "table", "max"), table_no, cells["points"])
                self.note(("stated", "table", "max"), f"{self.t(table_no)} 第 {row} 行“总分”：满分")
            return
        value = _number(cells.get("self_score", "")) if cells.get("self_score") else None
        if value is not None:
            L.set_path(self.data, "stated.table.total", value)
            self.source(("stated", "table", "total"), table_no, cells["self_score"])
            self.note(("stated", "table", "total"), f"{self.t(table_no)} 第 {row} 行“总分”")
        points = _number(cells.get("points", "")) if cells.get("points") else None
        if points is not None:
            L.set_path(self.data, "stated.table.max", points)
            self.source(("stated", "table", "max"), table_no, cells["points"])


    def team(self, grid: list[list[str]], table_no: int) -> None:
        keys = {"姓名": "name", "职务/职称": "title", "职务": "title", "职称": "title", "职务（职称）": "title",
                "单位": "unit", "工作单位": "unit", "组内分工": "role", "分工": "role"}
        columns = {keys[L.header_key(h)] if L.header_key(h) in keys else keys.get(h): i for i, h in enumerate(grid[0])
                   if (L.header_key(h) in keys or h in keys)}
        team: list[dict[str, str]] = []
        self.take(table_no, *(c for r in grid for c in r))   # the team table is read as a whole
        for row in grid[1:]:
            first = L.header_key(row[0] if row else "")
            if first.startswith(("评价组组长", "部门单位意见", "部门单位负责人", "单位负责人")):
                self.signature_row(str(row[0]))   # a signature row of the team table, not a member
                continue
            member = {k: str(row[i]) for k, i in columns.items() if k is not None and i < len(row) and row[i]}
            if member.get("name"):
                for k, i in columns.items():
                    if k in member:
                        self.source(("team", len(team), k), table_no, row[i])
                team.append(member)
        if team:
            self.data["team"] = team

    def signature_row(self, text: str) -> None:
        """评价组组长（签字）：… 2025年3月19日 / 部门（单位）意见：… 负责人（签章）：… 日期: the dates and the opinion."""
        date = re.search(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", text)
        key = "leader_date" if L.header_key(text).startswith("评价组组长") else "unit_date"
        if date:
            L.set_path(self.data, f"signatures.{key}", date.group(0).replace(" ", ""))
            self.note(("signatures", key), f"签字栏：“{date.group(0)}”")
        opinion = re.search(r"部门（单位）意见[:：]\s*([^\n]*?)\s*(?:\n|部门（单位）负责人|$)", text)
        if opinion and opinion.group(1).strip():
            L.set_path(self.data, "signatures.unit_opinion", opinion.group(1).strip())

    def stated_from_appendix(self, grid: list[list[str]]) -> None:
        for row in grid[1:]:
            source, total = row[0], _number(row[1]) if len(row) > 1 else None
            grade = row[2] if len(row) > 2 and row[2] else None
            key = "table" if source.startswith("自评表") else "narrative" if source.startswith("报告正文") else None
            if key and total is not None:
                L.set_path(self.data, f"stated.{key}.total", total)
                if grade:
                    L.set_path(self.data, f"stated.{key}.grade", grade)
                self.note(("stated", key, "total"), f"读自附录“总分对照”：{source}")

    def self_scores_from_appendix(self, grid: list[list[str]]) -> None:
        by_name = {item.get("name"): item for item in self.data.get("indicators", [])}
        for row in grid[1:]:
            item = by_name.get(row[0])
            own = _number(row[1]) if len(row) > 1 and row[1] else None
            if item is not None:
                item["self_score"] = own   # the table shows the rule's score; the unit's own is here
        for item in self.data.get("indicators", []):
            if item.get("name") not in {r[0] for r in grid[1:]}:
                item.setdefault("self_score", item.get("self_score"))



_UNREAD_COLUMNS = {   # indicator columns perfrules knows and does not read, and why
    "coefficient": "按规则集计分，不用表中的系数", "core": "规则集决定哪些指标计分，不用表中的标记",
    "criteria": "按规则集的评分方法计分，不用表中的评分标准文字", "applicable": "不适用的指标由规则集和分值决定",
    "direction": "方向由指标值的写法（≥ ≤）决定", "key": "指标按名称对应", "rule_score": "规则复核的得分，重新评分即得",
}

_OPERATOR_WORDS = {"≥": "≥", ">=": "≥", "大于等于": "≥", "不低于": "≥", "≤": "≤", "<=": "≤", "小于等于": "≤", "不高于": "≤",
                   "不超过": "≤", "=": "＝", "＝": "＝", "等于": "＝", ">": "＞", "＞": "＞", "大于": "＞", "<": "＜", "＜": "＜",
                   "小于": "＜", "正向指标": "≥", "反向指标": "≤"}


def _join_operator(op: str, target: str) -> str:
    """指标性质 and 指标值 as one target: ≤ and 5 are ≤5; 定性 leaves the value as it is; a value that writes
    its own operator keeps it."""
    symbol = _OPERATOR_WORDS.get(L.header_key(op)) or _OPERATOR_WORDS.get(op.strip())
    if symbol is None or target[:1] in "≥≤<>=＝＞＜" or not re.match(r"^[\d.．]", target.strip()):
        return target
    return symbol + target.strip()


def _header_units(header: Any) -> dict[str, str]:
    """The unit a target or actual column's header writes in brackets (年度指标值（%）, 完成值（万元）)."""
    from ..targets import canonical_unit
    out = {}
    for fld in ("target", "target_adjusted", "actual"):
        c = header.columns.get(fld)
        label = header.labels.get(c, "") if c is not None else ""
        m = re.search(r"[(（]\s*([^()（）]{1,6}?)\s*[)）]\s*$", label)
        unit = canonical_unit(m.group(1)) if m else None
        if unit:
            out[fld] = unit
    return out




def _plain_text(value: Any) -> Any:
    """The data with every grid text (CellText) made a plain str again."""
    if isinstance(value, dict):
        return {k: _plain_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_text(v) for v in value]
    if isinstance(value, str) and type(value) is not str:
        return str(value)
    return value


