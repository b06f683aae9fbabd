"""Checks of the report around the table: its dates, figures of other years, required sections and fields,
and the ruleset's own conditions (expression)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator, Mapping

from .checkkit import Context, Hit, ZERO
from .dates import cn_date, parse_date
from .errors import Path
from .methods import fmt
from .targets import decimal_or_none as _dec


def dates(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    data, year = ctx.sub.data, ctx.sub.year
    report = parse_date(data.get("report_date"))
    if data.get("report_date") and report is None:
        yield Hit(f"报告日期“{data['report_date']}”无法识别", ("report_date",), "报告日期", "C-DATE-INVALID")
    if report is not None and report.year <= year:
        yield Hit(f"报告日期 {cn_date(report)} 不在评价年度 {year} 年之后", ("report_date",), "报告日期", "C-DATE-REPORT")
    elif report is not None and report.year > year + p["max_years_after"]:
        yield Hit(f"报告日期 {cn_date(report)} 距评价年度 {year} 年过远", ("report_date",), "报告日期", "C-DATE-REPORT")
    signatures = data.get("signatures") or {}
    for key, label in (("leader_date", "评价组组长签字日期"), ("unit_date", "部门（单位）负责人签章日期")):
        text = signatures.get(key)
        when = parse_date(text)
        if text and when is None:
            yield Hit(f"{label}“{text}”无法识别", ("signatures", key), label, "C-DATE-INVALID")
        elif when is not None and report is not None and abs((when - report).days) > p["max_days"]:
            yield Hit(f"{label} {cn_date(when)} 与报告日期 {cn_date(report)} 相差 {abs((when - report).days)} 天",
                      ("signatures", key), label, "C-DATE-SIGNATURE")
        elif when is not None and when.year <= year:
            yield Hit(f"{label} {cn_date(when)} 不在评价年度 {year} 年之后", ("signatures", key), label, "C-DATE-SIGNATURE")


def other_year_figures(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    stated = (ctx.sub.data.get("stated") or {}).get("finance") or []
    for i, f in enumerate(stated):
        if f.get("year") is not None and f["year"] != ctx.sub.year:
            where = f.get("section") or f"第 {i + 1} 处财务数字"
            yield Hit(f"{where}引用的是 {f['year']} 年度的收支数字，本次评价的是 {ctx.sub.year} 年度",
                      ("stated", "finance", i, "year"), where)


def _section_body(section: Mapping[str, Any]) -> bool:
    return bool((section.get("body") or "").strip()) or any(_section_body(s) for s in section.get("sections") or [])


def _find_section(sections: list[Mapping[str, Any]], title: str) -> tuple[Mapping[str, Any], Path] | None:
    for i, s in enumerate(sections):
        if title in (s.get("title") or ""):
            return s, ("narrative", i)
        for j, sub in enumerate(s.get("sections") or []):
            if title in (sub.get("title") or ""):
                return sub, ("narrative", i, "sections", j)
    return None


FIELD_LABELS = {"goals.expected": "年度总体目标（预期目标）", "goals.achieved": "目标实际完成情况", "team": "评价小组",
                "signatures.unit_opinion": "部门（单位）意见", "signatures.leader_date": "评价组组长签字日期",
                "signatures.unit_date": "部门（单位）负责人签章日期", "report_date": "报告日期"}


def required_sections(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    narrative = ctx.sub.data.get("narrative") or []
    for title in p["sections"]:
        found = _find_section(narrative, str(title))
        if found is None:
            yield Hit(f"报告缺少“{title}”一节", ("narrative",), str(title))
        elif not _section_body(found[0]):
            yield Hit(f"报告“{found[0].get('title')}”一节是空的", found[1], str(title))
    for dotted in p["fields"]:
        value: Any = ctx.sub.data
        for part in str(dotted).split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value in (None, "", []):
            label = FIELD_LABELS.get(str(dotted), str(dotted))
            yield Hit(f"“{label}”未填写", tuple(str(dotted).split(".")), label)


def _expression_names(ctx: Context) -> dict[str, Any]:
    card, sub = ctx.card, ctx.sub
    stated = sub.data.get("stated") or {}
    budget, spent = sub.budget_total("budget"), sub.budget_total("spent")
    names: dict[str, Any] = {
        "total": card.total, "max_total": card.max_total, "year": Decimal(sub.year),
        "table_total": _dec((stated.get("table") or {}).get("total")),
        "narrative_total": _dec((stated.get("narrative") or {}).get("total")),
        "self_total": sum((i.self_score for i in card.indicators if i.self_score is not None), ZERO),
        "budget": budget, "spent": spent, "rate": (spent / budget) if budget and spent is not None else None,
        "indicator_count": Decimal(len(card.indicators)),
        "stated_rate": sub.stated_rate(),
        "has_adjusted_reason": bool(((sub.data.get("budget") or {}).get("adjusted_reason") or "").strip()),
        "has_execution_reason": bool(((sub.data.get("budget") or {}).get("execution_reason") or "").strip()),
    }
    for which in ("budget", "budget_initial", "spent"):   # every budget figure: 总额, 财政拨款, 其他资金
        names.setdefault(which, sub.budget_total(which))
        names[f"{which}_fiscal"] = sub.budget_total(which, "fiscal")
        names[f"{which}_other"] = sub.budget_total(which, "other")
    for cat in card.all_categories():
        names[f"score_{cat.key}"] = cat.score
        names[f"points_{cat.key}"] = cat.points
    return names


def expression(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    from .expressions import ExpressionError, in_words
    names = _expression_names(ctx)
    missing = [n for n in p["when"].names if names.get(n) is None]
    if missing:
        return
    try:
        hit = p["when"].evaluate(names)
    except ExpressionError as exc:
        yield Hit(f"核对表达式无法计算：{exc.message}")
        return
    if hit:
        labels = expression_labels(ctx)
        used = sorted(p["when"].names)
        values = "、".join(f"{labels.get(n, n)} {_shown(names[n])}" for n in used)
        yield Hit(f"{in_words(p['when'].source, labels)}" + (f"（{values}）" if values else ""))


# The names an expression check may use, in the words a unit reads (a check without a message of its own is
# said with these; see expressions.in_words).
EXPRESSION_LABELS = {
    "total": "规则总分", "max_total": "满分", "year": "评价年度", "table_total": "自评表总分", "narrative_total": "报告所述总分",
    "self_total": "自评总分", "budget": "全年预算数", "budget_initial": "年初预算数", "spent": "全年执行数",
    "rate": "预算执行率", "indicator_count": "指标个数", "stated_rate": "所填执行率",
    "has_adjusted_reason": "已说明预算调整原因", "has_execution_reason": "已说明执行情况",
    **{f"{w}_{p}": f"{label}（{part}）" for w, label in (("budget", "全年预算数"), ("budget_initial", "年初预算数"),
                                                         ("spent", "全年执行数"))
       for p, part in (("fiscal", "财政拨款"), ("other", "其他资金"))},
}


def expression_labels(ctx: Context) -> dict[str, str]:
    labels = dict(EXPRESSION_LABELS)
    for cat in ctx.card.all_categories():
        labels[f"score_{cat.key}"] = f"“{cat.label}”得分"
        labels[f"points_{cat.key}"] = f"“{cat.label}”分值"
    return labels


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return fmt(value) if isinstance(value, Decimal) else str(value)
