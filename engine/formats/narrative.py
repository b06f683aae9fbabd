"""The text of a report outside its tables: the fields a cover writes as lines (单位名称：…), the title's year
and kind, the narrative by its headings (一、 / （一） / 1、), and the total, 满分 and grade the text states.

A mixin of the block reader (blocks.py): it writes into the same submission and notes.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import perfrules.engine.formats.layout as L
from ..errors import Path
from .tables import cell_number as _number

_HEADING_TOP = re.compile(r"^[一二三四五六七八九十]+\s*[、.．]")
_HEADING_1 = re.compile(r"^[（(]\s*[一二三四五六七八九十]+\s*[)）]")
_HEADING_2 = re.compile(r"^\d{1,2}\s*[、.．](?!\d)")
_STATED_TOTAL = re.compile(r"(?:自评|综合|总)?得分(?:为|是|：|:)?\s*(\d+(?:\.\d+)?)\s*分")
_STATED_MAX = re.compile(r"满分\s*(?:为|是)?\s*(\d+(?:\.\d+)?)\s*分")
_STATED_GRADE = re.compile(r"(?:等级|等次|评价结果)(?:为|是|：|:)\s*[“\"]?(优秀|良好|中等|合格|较差|不合格|差|优|良|中)"
                           r"|(优秀|良好|中等|合格|较差|不合格)\s*(?:等级|等次)")
_YEAR = re.compile(r"(20\d{2})\s*年度?")
_FIELD_LINE = re.compile(r"^(部门（单位）名称|单位名称|项目名称|主管部门|实施单位|评价方式|评价机构|报告日期)\s*[:：]\s*(.+)$")
_LINE_FIELDS = {"部门（单位）名称": "unit", "单位名称": "unit", "项目名称": "project", "主管部门": "department",
                "实施单位": "unit", "评价方式": "evaluation.method", "评价机构": "evaluation.organ", "报告日期": "report_date"}




class TextReader:
    """Reads paragraphs into `self.data`; `self.note`, `self.problems`, `self.guessed` and `self.perfrules_report`
    are the block reader's."""

    data: dict[str, Any]
    problems: list[str]
    guessed: set[str]
    perfrules_report: bool
    note: Callable[[Path, str], None]

    def header_fields(self, texts: list[str]) -> None:
        for text in texts[:40]:
            match = _FIELD_LINE.match(text)
            if match:
                path = _LINE_FIELDS[match.group(1)]
                L.set_path(self.data, path, match.group(2).strip())
        title = next((t for t in texts[:15] if "自评" in t and "报告" in t), None)
        if title:
            self.data["title"] = title
        head = " ".join(texts[:15])
        year = _YEAR.search(head)
        if year:
            self.data["year"] = int(year.group(1))
            self.note(("year",), f"年度读自标题或封面：“{year.group(0)}”")
        else:
            self.problems.append("封面和标题中没有找到年度（如 2024年度），year 需要手工填写")
        kind = "project" if "项目" in head and "整体" not in head else "unit-overall"
        self.data["kind"] = kind
        self.note(("kind",), "评价类型读自标题：" + ("含“项目”，读作项目支出" if kind == "project" else "读作部门（单位）整体支出"))
        if "unit" not in self.data:
            unit = re.search(r"^(.{2,40}?)\s*20\d{2}\s*年度?", title or "")
            if unit:
                self.data["unit"] = unit.group(1).strip()
                self.guessed.add("unit")   # a table's 单位名称 / 实施单位 replaces a name guessed from the title
                self.note(("unit",), f"单位名称读自标题“{title}”")
            else:
                self.problems.append("没有找到单位名称（单位名称：… 或标题），unit 需要手工填写")


    def narrative(self, texts: list[str]) -> None:
        start = next((i for i, t in enumerate(texts) if re.match(r"^[一二三四五六七八九十]+、\s*(评价报告|绩效自评报告|自评报告)", t)), None)
        sections: list[dict[str, Any]] = []
        stack: list[tuple[int, list[dict[str, Any]]]] = [(0, sections)]
        current: dict[str, Any] | None = None
        for text in texts[(start + 1) if start is not None else 0:]:
            if not text or text.startswith("附录"):
                if text.startswith("附录"):
                    break
                continue
            if "评价结论（按规则复核）" in text:
                break   # the rule's conclusion in a perfrules report: not the unit's text
            level = 1 if _HEADING_1.match(text) else 2 if _HEADING_2.match(text) and current is not None else 0
            if start is None and level == 0 and _HEADING_TOP.match(text):
                continue
            self.stated_from_text(text)
            if level:
                title, _, rest = text.partition("\n")
                section: dict[str, Any] = {"title": title.strip()}
                while len(stack) > 1 and stack[-1][0] >= level:
                    stack.pop()
                stack[-1][1].append(section)
                stack.append((level, section.setdefault("sections", [])))
                current = section
                if rest.strip():
                    section["body"] = rest.strip()
            elif current is not None:
                current["body"] = (current.get("body", "") + "\n\n" + text).strip()
        for section in _walk(sections):
            if not section.get("sections"):
                section.pop("sections", None)
        if sections:
            self.data["narrative"] = sections

    def stated_from_text(self, text: str) -> None:
        if self.perfrules_report:
            return
        stated = self.data.setdefault("stated", {})
        narrative = stated.setdefault("narrative", {})
        if "满分" in text or "自评得分" in text:
            total = _STATED_TOTAL.search(text)
            if total and "total" not in narrative:
                narrative["total"] = _number(total.group(1))
                self.note(("stated", "narrative", "total"), f"正文所述：“{total.group(0)}”")
            top = _STATED_MAX.search(text)
            if top and "max" not in narrative:
                narrative["max"] = _number(top.group(1))
        grade = _STATED_GRADE.search(text)
        if grade and "grade" not in narrative and ("等级" in text or "等次" in text):
            narrative["grade"] = grade.group(1) or grade.group(2)
            self.note(("stated", "narrative", "grade"), f"正文所述：“{grade.group(0)}”")
        if not narrative:
            stated.pop("narrative")
        if not stated:
            self.data.pop("stated")




def _walk(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in sections:
        out.append(s)
        out += _walk(s.get("sections") or [])
    return out


