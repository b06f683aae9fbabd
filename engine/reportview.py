"""The report's view model: everything a template shows, already formatted as text.

Templates do no arithmetic and no formatting decisions: the figures here are the engine's (the rule's
scores), Decimal all the way, rounded by the ruleset's policy. The unit's own figures appear only where
the appendix compares them with the rule's.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from typing import Any

from .explain import rule_rows
from . import __version__
from .methods import fmt
from .rulemodel import Ruleset
from .scorecard import SEVERITY_LABELS, CategoryResult, IndicatorResult, Scorecard
from .submission import Submission

_SEVERITY = SEVERITY_LABELS
KIND_TITLE = {"unit-overall": "单位整体支出", "project": "项目支出"}


def rendering_date() -> dt.date:
    """The date a rendering prints: engine.dates.today(), which honours SOURCE_DATE_EPOCH."""
    from .dates import today
    return today()


def date_cn(value: Any) -> str:
    """One date style throughout a report: 2025年3月12日 (text that is no date is shown as written)."""
    from .dates import cn_date, parse_date
    if isinstance(value, dt.date):
        day: dt.date | None = value
    else:
        day = parse_date(str(value)) if value else None
    return cn_date(day) if day else _text(value)


def _iso(value: Any) -> str:
    from .dates import parse_date
    day = parse_date(str(value)) if value else None
    return day.isoformat() if day else ""


def _money(value: Any) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    return fmt(Decimal(value))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def build(sub: Submission, card: Scorecard, rs: Ruleset, template: str) -> dict[str, Any]:
    data = sub.data
    budget_result = next((i for i in card.indicators if i.source == "ruleset" and i.inputs.get("rate")), None)
    evaluation = data.get("evaluation") or {}
    own = _own_totals(sub, card)
    cover = [(label, value) for label, value in (
        ("项目名称", _text(data.get("project"))) if sub.kind == "project" else ("单位名称", sub.unit),
        ("主管部门", _text(data.get("department"))) if sub.kind == "project" else ("", ""),
        ("实施单位", sub.unit) if sub.kind == "project" else ("", ""),
        ("评价方式", _text(evaluation.get("method"))), ("评价机构", _text(evaluation.get("organ"))),
        ("报告日期", date_cn(data.get("report_date")))) if label and value]
    return {
        "cover": [{"label": label, "value": value} for label, value in cover],
        "own_total": own["total"], "own_grade": own["grade"], "own_source": own["source"],
        "title": data.get("title") or f"{sub.unit} {sub.year} 年度{KIND_TITLE[sub.kind]}绩效自评报告",
        "table_title": "部门整体支出绩效自评表" if sub.kind == "unit-overall" else "项目支出绩效自评表",
        "unit": sub.unit, "year": sub.year, "kind": sub.kind,
        "project": _text(data.get("project")), "department": _text(data.get("department")),
        "region": _text(data.get("region")), "issuer": _text(data.get("issuer")),
        "evaluation_method": _text((data.get("evaluation") or {}).get("method")),
        "evaluation_organ": _text((data.get("evaluation") or {}).get("organ")),
        "report_date": date_cn(data.get("report_date")),
        "report_date_iso": _iso(data.get("report_date")),
        "money_unit": data.get("money_unit") or "万元",
        "tasks": [_task(t) for t in (data.get("budget") or {}).get("tasks") or []],
        "budget_total": _budget_total(sub, budget_result),
        "goals": {k: _text((data.get("goals") or {}).get(k)) for k in ("expected", "achieved")},
        "indicator_rows": _indicator_rows(card, _row_units(sub)),
        "total_points": fmt(card.max_total), "total_score": fmt(card.total), "grade": card.grade,
        "categories": [_category(c) for c in card.all_categories() if c.status != "absent" or c.points],
        "team": [{k: _text(m.get(k)) for k in ("name", "title", "unit", "role")} for m in data.get("team") or []],
        "signatures": {k: (date_cn if k.endswith("date") else _text)((data.get("signatures") or {}).get(k))
                       for k in ("leader_date", "unit_date", "unit_opinion")},
        "sections": _sections(data.get("narrative") or [], 0),
        "summary": _summary(card, rs),
        "differences": _differences(card),
        "stated": [{"label": s.label, "total": fmt(s.total) if s.total is not None else "—",
                    "grade": s.grade or ""} for s in card.stated],
        "findings": [{"severity": _SEVERITY[f.severity], "code": f.code, "message": f.message,
                      "where": f.location.cell or (f"第 {f.location.line} 行" if f.location.line else "")}
                     for f in card.findings],
        "rules": rule_rows(rs),   # the standard in words (engine/explain.py), the appendix's last table
        "provenance": {
            "ruleset": rs.ref, "ruleset_title": rs.title, "ruleset_sha256": rs.sha256,
            # By name and hash only: a local absolute path says nothing to a reader and leaks the author's disk.
            "input_file": os.path.basename(sub.file), "input_sha256": sub.doc.sha256, "engine": f"perfrules {__version__}",
            "template": template, "rendered_on": date_cn(rendering_date()),
        },
    }


def _own_totals(sub: Submission, card: Scorecard) -> dict[str, str]:
    """The unit's own total and grade, and where they come from: the table's stated total, else the sum of its
    own scores; the grade the table (or the narrative) states."""
    stated = sub.data.get("stated") or {}
    table, narrative = stated.get("table") or {}, stated.get("narrative") or {}
    if table.get("total") is not None:
        total, source = fmt(Decimal(table["total"])), "自评表所列"
    else:
        own = [i.self_score for i in card.indicators if i.self_score is not None and i.status != "not-applicable"]
        total, source = (fmt(sum(own, Decimal(0))), "各项自评得分之和") if own else ("—", "")
    return {"total": total, "grade": _text(table.get("grade") or narrative.get("grade")) or "—", "source": source}


def _task(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(t.get("name")), "content": _text(t.get("content")), "completion": _text(t.get("completion")),
        "budget": {k: _money((t.get("budget") or {}).get(k)) for k in ("total", "fiscal", "other")},
        "budget_initial": {k: _money((t.get("budget_initial") or {}).get(k)) for k in ("total", "fiscal", "other")},
        "spent": {k: _money((t.get("spent") or {}).get(k)) for k in ("total", "fiscal", "other")},
        "rate": _text(t.get("rate")), "points": _text(t.get("points")) or "—", "score": _text(t.get("self_score")) or "—",
    }


def _budget_total(sub: Submission, result: IndicatorResult | None) -> dict[str, Any]:
    total = (sub.data.get("budget") or {}).get("total") or {}
    row = _task({**total, "name": "金额合计"})
    row["points"] = fmt(result.points) if result and result.points is not None else "—"
    row["rate"] = result.inputs.get("rate", "—") if result else "—"
    row["score"] = fmt(result.score) if result and result.score is not None else "—"
    for which in ("budget", "spent", "budget_initial"):
        if not row[which]["total"]:
            value = sub.budget_total(which)
            row[which]["total"] = _money(value) if value is not None else ""
    return row


def _row_units(sub: Submission) -> dict[int, str]:
    """The unit column (度量单位) of each indicator row that has one, by its index in the submission."""
    rows = sub.data.get("indicators") or []
    return {i: str(r["unit"]).strip() for i, r in enumerate(rows)
            if isinstance(r, dict) and r.get("unit") not in (None, "") and str(r["unit"]).strip()}


def _with_unit(text: str, unit: str | None) -> str:
    """A bare number shown with the row's unit: 23 and 份 is 23 份. Text, a number that writes its own unit,
    and values that cannot be read are shown as written."""
    if not text or not unit:
        return text
    from .targets import ValueError_, parse_value
    try:
        value = parse_value(text)
    except ValueError_:
        return text
    if value is None or not value.is_number or value.unit is not None or value.deadline is not None:
        return text
    return f"{text} {unit}"


def _units_for(ind: IndicatorResult, column: str | None) -> tuple[str | None, str | None]:
    """The units the target and the actual are shown with: the row's unit column for both; else the target
    writes its own and a bare actual borrows it (23 against ≥23 份 is 23 份), except a fraction of one
    against a percentage (0.98 against ≥90% stays 0.98)."""
    if column:
        return column, column
    from .targets import ValueError_, parse_value
    try:
        target = parse_value(ind.target) if ind.target else None
        actual = parse_value(ind.actual) if ind.actual else None
    except ValueError_:
        return None, None
    unit = target.unit if target is not None and target.is_number else None
    if unit == "%" and actual is not None and actual.number is not None and 0 < actual.number <= 1:
        return None, None
    return None, unit


def _indicator_rows(card: Scorecard, units: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """The indicator table, with row spans for the merged 一级 / 二级 cells (budget execution excluded).
    Targets and actuals are shown with their unit of measure."""
    units = units or {}
    rows = [i for i in card.indicators if not i.inputs.get("rate")]
    points = {c.label: c.points for c in card.all_categories()}
    out: list[dict[str, Any]] = []
    for i, ind in enumerate(rows):
        path = ind.location.path if ind.location is not None else ()
        column = units.get(path[1]) if len(path) > 1 and path[0] == "indicators" and isinstance(path[1], int) else None
        target_unit, actual_unit = _units_for(ind, column)
        level1 = ind.category_path[0]
        level2 = ind.category_path[1] if len(ind.category_path) > 1 else ""
        out.append({
            "level1": level1, "level1_points": fmt(points.get(level1)), "level2": level2, "name": ind.name,
            "target": _with_unit(ind.target or "", target_unit), "actual": _with_unit(ind.actual or "", actual_unit),
            "points": fmt(ind.points) if ind.points is not None else "",
            "score": fmt(ind.score) if ind.score is not None else "—", "self_score": fmt(ind.self_score) if ind.self_score is not None else "",
            "status": ind.status, "explanation": ind.explanation,
            "level1_first": i == 0 or rows[i - 1].category_path[0] != level1,
            "level2_first": i == 0 or rows[i - 1].category_path[:2] != ind.category_path[:2],
        })
    for row_index, row in enumerate(out):
        row["level1_span"] = _span(out, row_index, lambda r: r["level1"]) if row["level1_first"] else 0
        row["level2_span"] = _span(out, row_index, lambda r: (r["level1"], r["level2"])) if row["level2_first"] else 0
    return out


def _span(rows: list[dict[str, Any]], start: int, key: Any) -> int:
    n = 1
    while start + n < len(rows) and key(rows[start + n]) == key(rows[start]):
        n += 1
    return n


def _category(c: CategoryResult) -> dict[str, Any]:
    return {"label": c.label, "depth": c.depth, "points": fmt(c.points), "score": fmt(c.score),
            "self_score": fmt(c.self_score) if c.self_score is not None else "—", "note": c.note}


def _sections(items: list[dict[str, Any]], level: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        body = _text(item.get("body"))
        out.append({"title": _text(item.get("title")), "body": body, "paragraphs": paragraphs(body), "level": level})
        out += _sections(item.get("sections") or [], level + 1)
    return out


# A line that starts a list item: 1、 1. 1） (1) （1） ① 一、 （一） 一是 - • ·
_ITEM = re.compile(r"^\s*(?:\d{1,3}\s*[、.．)）]|[（(]\s*[\d一二三四五六七八九十]{1,3}\s*[)）]|[①-⑳]|"
                   r"[一二三四五六七八九十]{1,3}\s*[、是]|[-•·*]\s)")


def paragraphs(text: str) -> list[dict[str, Any]]:
    """The narrative's paragraphs as the unit wrote them: a blank line ends a paragraph, a line that starts a
    list item (1、 （一） ① 一是 …) starts one, and any other line break stays a line break within it.
    Each paragraph is {"lines": [...], "item": bool}; the templates render every format from this."""
    out: list[dict[str, Any]] = []
    current: list[str] | None = None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            current = None
            continue
        if current is None or _ITEM.match(line):
            current = [line]
            out.append({"lines": current, "item": bool(_ITEM.match(line))})
        else:
            current.append(line)
    return out


def _summary(card: Scorecard, rs: Ruleset) -> str:
    parts = "；".join(f"{c.label}共 {fmt(c.points)} 分，得 {fmt(c.score)} 分" for c in card.categories
                     if c.status not in ("moved", "dropped"))
    return (f"按评分规则集 {rs.ref}（{rs.title}）复核，本次自评满分 {fmt(card.max_total)} 分，按规则复核得分 "
            f"{fmt(card.total)} 分，等级为“{card.grade}”。其中{parts}。")


def _differences(card: Scorecard) -> list[dict[str, str]]:
    return [{"name": i.name, "self_score": fmt(i.self_score), "score": fmt(i.score) if i.score is not None else "—",
             "explanation": i.explanation}
            for i in card.indicators if i.self_score is not None and i.score != i.self_score]
