"""Terminal text: tables aligned by display width (a Chinese character takes two columns)."""

from __future__ import annotations

import os
import unicodedata
from decimal import Decimal
from typing import Sequence

from .methods import fmt
from .scorecard import SEVERITY_LABELS, CategoryResult, Finding, Scorecard

_SEVERITY = SEVERITY_LABELS


def _wide_classes() -> tuple[str, ...]:
    # ≥ — “ ” and the like are "ambiguous": one column in most terminals, two in terminals set up for
    # CJK (PERFRULES_AMBIGUOUS_WIDE=1 says so).
    return ("W", "F", "A") if os.environ.get("PERFRULES_AMBIGUOUS_WIDE") == "1" else ("W", "F")


def width(text: str) -> int:
    wide = _wide_classes()
    return sum(2 if unicodedata.east_asian_width(ch) in wide else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def pad(text: str, size: int, align: str = "<") -> str:
    gap = max(0, size - width(text))
    return " " * gap + text if align == ">" else text + " " * gap


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "", last_free: bool = True) -> str:
    """A plain table; `align` gives '<' or '>' per column; the last column is left ragged if `last_free`."""
    cols = len(headers)
    aligns = (align or "<" * cols).ljust(cols, "<")
    widths = [max([width(headers[i])] + [width(r[i]) for r in rows]) for i in range(cols)]
    def line(cells: Sequence[str]) -> str:
        parts = []
        for i, cell in enumerate(cells):
            if last_free and i == cols - 1:
                parts.append(cell)
            else:
                parts.append(pad(cell, widths[i], aligns[i]))
        return "  ".join(parts).rstrip()
    rule = "  ".join("─" * w for w in widths[:-1] + ([max(widths[-1], 4)] if not last_free else [4]))
    return "\n".join([line(headers), rule] + [line(r) for r in rows])


def num(value: Decimal | None) -> str:
    return "—" if value is None else fmt(value)


def scorecard(card: Scorecard) -> str:
    out = [f"{card.unit} {card.year} 年度自评 · 规则集 {card.ruleset_id}@{card.ruleset_version}",
           f"  {card.ruleset_title}", ""]
    for cat in card.all_categories():
        if cat.indicators:
            out += [_category_table(cat, card), ""]
    out += [_summary(card), ""]
    out += [_totals(card), ""]
    out.append(findings(card.findings))
    return "\n".join(out).rstrip() + "\n"


def _category_table(cat: CategoryResult, card: Scorecard) -> str:
    path = " › ".join(cat_path_labels(card, cat))
    head = f"【{path}】 分值 {num(cat.points)}  规则得分 {num(cat.score)}  自评 {num(cat.self_score)}"
    rows = [[i.name, i.target or "—", i.actual or "—", num(i.points), num(i.score), num(i.self_score),
             _difference(i.score, i.self_score), i.explanation] for i in cat.indicators]
    return head + "\n" + table(["指标", "年度指标值", "实际完成值", "分值", "规则得分", "自评得分", "自评-规则", "说明"],
                               rows, "<<<>>>><")


def _difference(rule: Decimal | None, own: Decimal | None) -> str:
    """The unit's score minus the rule's, signed; blank where they agree or either is missing."""
    if rule is None or own is None or rule == own:
        return ""
    return signed(own - rule)


def signed(value: Decimal | None) -> str:
    """A change, with its sign: +15, -1.75, 0; blank when there is none."""
    if value is None:
        return ""
    return ("+" if value > 0 else "") + num(value)


def cat_path_labels(card: Scorecard, target: CategoryResult) -> list[str]:
    def find(nodes: list[CategoryResult], trail: list[str]) -> list[str] | None:
        for node in nodes:
            here = trail + [node.label]
            if node is target:
                return here
            deeper = find(node.children, here)
            if deeper:
                return deeper
        return None
    return find(card.categories, []) or [target.label]


def _summary(card: Scorecard) -> str:
    rows = []
    for cat in card.all_categories():
        if cat.status == "absent" and not cat.declared and not cat.points:
            continue
        label = "  " * cat.depth + cat.label
        rows.append([label, num(cat.points), num(cat.score), num(cat.self_score), cat.note])
    rows.append(["总分", num(card.max_total), num(card.total), "", f"等级：{card.grade}"])
    return "分类汇总\n" + table(["类别", "分值", "规则得分", "自评得分", "备注"], rows, "<>>><")


def _totals(card: Scorecard) -> str:
    rows = [[s.label, num(s.total), num(s.max), s.grade or ""] for s in card.stated]
    return "总分对照\n" + table(["来源", "总分", "满分", "等级"], rows, "<>><")


def findings(items: Sequence[Finding]) -> str:
    if not items:
        return "未发现问题。"
    counts = {s: sum(1 for f in items if f.severity == s) for s in _SEVERITY}
    head = f"发现 {len(items)} 项问题（错误 {counts['error']}，警告 {counts['warning']}，提示 {counts['info']}）："
    lines = [head]
    for f in items:
        where = str(f.location) if f.location.file or f.location.line else ""
        lines.append(f"  [{_SEVERITY[f.severity]}] {f.code} {f.message}" + (f"\n      位置：{where}" if where else ""))
    return "\n".join(lines)


def check_line(counts: dict[str, int], file: str) -> str:
    """The last line of `score`: what `check` would add, by severity, and the command that shows it."""
    import shlex
    from .scorecard import SEVERITY_LABELS
    parts = [f"{SEVERITY_LABELS[k]} {counts[k]} 条" for k in ("error", "warning", "info") if counts.get(k)]
    command = f"perfrules check {shlex.quote(file)}"
    if not parts:
        return f"核对规则未发现其他问题（{command}）。"
    return f"核对规则另有问题：{'、'.join(parts)}；运行 {command} 查看。"
