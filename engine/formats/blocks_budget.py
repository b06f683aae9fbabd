"""The budget block of a report (资金 / 预算执行情况), read by the block reader (blocks.py): task rows (the
seed's layout: 任务名称 | 主要内容 | … | 全年预算数 总额 / 财政拨款 / 其他资金 …), or rows named by what money
they are (总额 / 年度资金总额, 其中：财政资金 / 当年财政拨款, 其他资金; 上年结转资金 and the like named as not
read). A mixin: it writes into the block reader's submission, notes, cells and unread list.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import perfrules.engine.formats.layout as L
from ..errors import Path
from .tables import BLANKS as _BLANKS, cell_number as _number


class BudgetReader:
    """Reads budget blocks into `self.data`; the attributes and helpers are the block reader's."""

    data: dict[str, Any]
    problems: list[str]
    unread: list[str]
    vocab: Any

    t: Callable[[int], str]
    note: Callable[[Path, str], None]
    take: Callable[..., None]
    source: Callable[[Path, int, object], None]

    def budget_block(self, grid: list[list[str]], i: int, header: Any, table_no: int) -> int:
        """A budget block: task rows (the seed's layout: 任务名称 | 主要内容 | … | 全年预算数 总额 / 财政拨款 /
        其他资金 …), or rows named by what money they are (总额 / 年度资金总额, 其中：财政资金 / 当年财政拨款,
        其他资金; 上年结转资金 and the like are named as not read)."""
        from .tables import stop_of
        end = i + 1
        while end < len(grid) and self._money_row(grid[end])[1] is not None:
            end += 1   # 单位资金 starts like the 单位 header: a row named as money is money
        while end < len(grid) and stop_of(grid[end], self.vocab) in (None, "total") and \
                self.vocab.field("indicators", grid[end][0] if grid[end] else "") is None and \
                not any(self.vocab.field("indicators", t) == "name" for t in grid[end]) and \
                not any(str(self.vocab.field("fields", t) or "").startswith("goals") for t in grid[end]):
            end += 1   # up to the next block: 总分, an indicator header, the goals (a PDF may join the tables)
        if "name" not in header.columns:
            self.budget_by_rows(grid[header.row + 1:end], header, table_no, header.row + 2, grid[header.row])
        else:
            self.budget(grid[i:end], table_no)
        return end

    def _money_row(self, row: list[str]) -> tuple[str, str | None]:
        """What money a budget row is, by its label in the first two cells (the first may be the block's
        merged label 项目资金（万元）)."""
        for text in row[:2]:
            part = self.vocab.field("budget_rows", text)
            if part is not None:
                return str(text), part
        return str(row[0]) if row else "", None

    def budget_by_rows(self, rows: list[list[str]], header: Any, table_no: int, first: int,
                       header_row: list[str] | None = None) -> None:
        total: dict[str, Any] = {}
        block_label = header_row[0] if header_row else None
        for offset, row in enumerate(rows):
            label, part = self._money_row(row)
            where = f"{self.t(table_no)} 第 {first + offset} 行“{label}”"
            if part is None and block_label is not None and row and getattr(row[0], "key", None) is not None \
                    and getattr(row[0], "key", None) == getattr(block_label, "key", None) and offset == 0:
                part = "total"   # one figures row under the block's merged label (部门预算执行情况): the total
            if part is None:
                continue
            self.take(table_no, *(c for c in row[:2] if self.vocab.field("budget_rows", c) is not None or
                                  getattr(c, "key", None) == getattr(block_label, "key", 0)))
            if part == "unread":
                self.take(table_no, *row)   # named below with its figures
                figures = [str(row[c]) for f, c in header.columns.items() if f in ("budget_initial", "budget", "spent")
                           and c < len(row) and str(row[c]).strip() not in ("", *_BLANKS)]
                if figures:
                    self.unread.append(f"{where}：不在 总额 / 财政拨款 / 其他资金 之中，未读（{'、'.join(figures)}；总额已含）")
                continue
            for fld in ("budget_initial", "budget", "spent"):
                c = header.columns.get(fld)
                text = str(row[c]) if c is not None and c < len(row) else ""
                if not text or text in _BLANKS:
                    if c is not None and c < len(row):
                        self.take(table_no, row[c])
                    continue
                number = _number(text)
                if number is None:
                    self.problems.append(f"{where}：金额“{text}”不是数值，留空")
                    continue
                total.setdefault(fld, {})[part] = number
                self.source(("budget", "total", fld, part), table_no, row[c])
            for fld in ("points", "self_score", "rate"):
                c = header.columns.get(fld)
                text = str(row[c]) if c is not None and c < len(row) else ""
                if part != "total" or not text or text in _BLANKS:
                    if c is not None and c < len(row) and (fld == "rate" or not text or text in _BLANKS):
                        self.take(table_no, row[c])   # a part's rate follows from its figures, which are read
                    continue
                total[fld] = (_number(text) if fld != "rate" else text) or text
                self.source(("budget", "total", fld), table_no, row[c])
        if total:
            budget = self.data.setdefault("budget", {})
            budget["total"] = {**budget.get("total", {}), **total}
            self.note(("budget", "total"), f"{self.t(table_no)}：资金块按行读（总额、财政拨款、其他资金）")
            money = next((m.group(1) for label in header.labels.values() if (m := re.search(r"[(（](万元|元)[)）]", label))), None)
            if money:
                self.data["money_unit"] = money
                self.note(("money_unit",), "金额单位读自资金块表头")

    def budget(self, grid: list[list[str]], table_no: int) -> None:
        header, sub = grid[0], grid[1] if len(grid) > 1 else []
        # A second header row names the money parts (总额 / 财政拨款 / 其他资金) under the groups; a data row that
        # starts with 合计 is not one.
        if sum(1 for x in sub[1:] if L.field_of(x, L.BUDGET_SYNONYMS) in ("total", "fiscal", "other")) < 2:
            sub = []
        columns: dict[tuple[str, str | None], int] = {}
        for i, top in enumerate(header):
            top_field = L.field_of(top, L.BUDGET_SYNONYMS)
            sub_field = L.field_of(sub[i], L.BUDGET_SYNONYMS) if i < len(sub) else None
            if top_field in ("budget_initial", "budget", "spent") and sub_field in ("total", "fiscal", "other"):
                columns.setdefault((top_field, sub_field), i)
            elif top_field in ("budget_initial", "budget", "spent") and not sub:
                columns.setdefault((top_field, "total"), i)   # one column per figure: 全年预算数（万元）
            elif top_field is not None and top_field not in ("budget_initial", "budget", "spent"):
                columns.setdefault((top_field, None), i)
        start = 2 if sub else 1
        self.take(table_no, *(c for r in grid[:start] for c in r))
        self.take(table_no, *(c for r in grid[start:] for c in r[:1] if str(c) == str(grid[0][0]) and str(c).strip()))   # the block's label
        budget: dict[str, Any] = {}
        tasks: list[dict[str, Any]] = []
        for offset, row in enumerate(grid[start:]):
            label = L.header_key(row[0] if row else "")
            is_total = label in (L.header_key(L.TOTAL_ROW), "合计", "总计") or \
                self.vocab.field("budget_rows", row[0] if row else "") == "total"
            item: dict[str, Any] = {}
            src: dict[Path, Any] = {}
            self.take(table_no, *(row[i] for i in columns.values() if i < len(row)))
            if is_total and row:
                self.take(table_no, row[0])
            for (fld, part), i in columns.items():
                text = row[i] if i < len(row) else ""
                if not text or (is_total and fld in ("name", "content", "completion")):
                    continue
                src[(fld,) if part is None else (fld, part)] = text
                if part is None:
                    if fld in ("points", "self_score"):
                        number = _number(text)
                        item[fld] = number if number is not None else text
                    else:
                        item[fld] = text
                else:
                    number = _number(text)
                    if number is None:
                        self.problems.append(f"{self.t(table_no)} 第 {start + offset + 1} 行：金额“{text}”不是数值，留空")
                        continue
                    item.setdefault(fld, {})[part] = number
            if not item:
                continue
            where: Path = ("budget", "total") if is_total else ("budget", "tasks", len(tasks))
            for sub_path, cell in src.items():
                if L.get_path(item, ".".join(str(p) for p in sub_path)) is not None:
                    self.source(where + sub_path, table_no, cell)
            if is_total:
                budget["total"] = item
            else:
                item.setdefault("name", "")
                tasks.append(item)
        if tasks:
            budget["tasks"] = tasks
        if budget:
            self.data["budget"] = budget
            money = next((m.group(1) for h in header if (m := re.search(r"[(（](万元|元)[)）]", h))), None)
            if money:
                self.data["money_unit"] = money
                self.note(("money_unit",), "金额单位读自预算表表头")
