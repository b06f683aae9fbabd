"""Methods whose scale the ruleset writes out: 检查清单 (checklist), 系数 × 分值 (coefficient) and a
sandboxed expression (expression)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Mapping

from .errors import human
from .methodkit import MethodInput, ONE, Outcome, ParamError, Unscorable, ZERO, _check_list, _is_number, _numbers, fmt
from .targets import normalise

if TYPE_CHECKING:   # expressions (and simpleeval) load only for a ruleset that uses them
    from .expressions import Expression


def _check_items(p: Mapping[str, Any]) -> None:
    _check_list(p, "items", "[{label: 制度健全, points: 1}]")
    for i, item in enumerate(p["items"]):
        if not isinstance(item, dict) or "label" not in item or "points" not in item:
            raise ParamError(f"items[{i}] 需要 label 和 points", "例如 {label: 制度健全, points: 1}")
        if not _is_number(item["points"]) or item["points"] < 0:
            raise ParamError(f"items[{i}].points 应是非负数值，实际是 '{human(item['points'])}'")


def _check_coefficients(p: Mapping[str, Any]) -> None:
    for key, value in (p["coefficients"] or {}).items():
        if not _is_number(value) or value < 0:
            raise ParamError(f"coefficients 中“{key}”的系数应是非负数值，实际是 '{human(value)}'",
                             "分数请写成小数，如 0.67（2/3 不是数值）")


def checklist(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    raw = inp.raw_actual
    if isinstance(raw, str):
        raw = [s for s in (normalise(x) for x in raw.replace("，", ",").replace("、", ",").split(",")) if s]
    if not isinstance(raw, list):
        raise Unscorable("检查清单需要实际完成值为已满足条目的列表")
    known = {normalise(str(item["label"])): item for item in p["items"]}
    chosen = [normalise(str(x)) for x in raw]
    unknown = [x for x in chosen if x not in known]
    if unknown:
        raise Unscorable(f"清单中没有条目 '{unknown[0]}'；可选：{'、'.join(known)}")
    earned = sum((Decimal(known[x]["points"]) for x in dict.fromkeys(chosen)), ZERO)
    score = min(earned, inp.points)
    missing = [label for label in known if label not in chosen]
    why = f"满足 {len(set(chosen))}/{len(known)} 项，计 {fmt(score)} 分" + (f"；未满足：{'、'.join(missing)}" if missing else "")
    return Outcome(score, why, {"satisfied": "、".join(dict.fromkeys(chosen))}, not missing)


def coefficient(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    if inp.actual is None:
        raise Unscorable("缺少系数或等级")
    table = {normalise(str(k)): Decimal(v) for k, v in (p["coefficients"] or {}).items()}
    coef: Decimal
    if inp.actual.number is not None and not table:
        coef = inp.actual.number / 100 if inp.actual.unit == "%" else inp.actual.number
    else:
        key = inp.actual.qualitative or normalise(inp.actual.text)
        if key not in table:
            raise Unscorable(f"'{inp.actual.text}' 没有对应的系数；可选：{'、'.join(table) or '（规则未给出系数表）'}")
        coef = table[key]
    assert coef is not None
    if not ZERO <= coef <= ONE:
        raise Unscorable(f"系数 {fmt(coef)} 不在 0 到 1 之间")
    score = inp.points * coef
    return Outcome(score, f"系数 {fmt(coef)} × 分值 {fmt(inp.points)} = {fmt(score)} 分", {"coefficient": fmt(coef)}, None)


def expression(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    from .expressions import ExpressionError
    expr: Expression = p["expr"]
    names: dict[str, Any] = {"points": inp.points, "self_score": inp.self_score}
    names["target"] = inp.target.number if inp.target and inp.target.is_number else None
    names["actual"] = inp.actual.number if inp.actual and inp.actual.is_number else None
    if names["target"] is not None and names["actual"] is not None:   # in one unit, like every other method
        names["target"], names["actual"], _ = _numbers(inp)
    for key in ("rate", "budget", "budget_initial", "spent"):
        names[key] = inp.facts.get(key)
    needed = [n for n in expr.names if names.get(n) is None]
    if needed:
        raise Unscorable(f"表达式需要 {needed[0]}，但本指标没有该数值")
    try:
        result = expr.evaluate(names)
    except ExpressionError as exc:
        raise Unscorable(exc.message) from None
    if isinstance(result, bool) or not isinstance(result, (int, Decimal)):
        raise Unscorable(f"表达式 '{expr.source}' 的结果不是数值")
    score = max(ZERO, min(Decimal(result), inp.points))
    why = p["explain"] or f"按规则表达式 {expr.source} 计 {fmt(score)} 分"
    return Outcome(score, why.replace("{score}", fmt(score)), {k: fmt(v) for k, v in names.items()
                                                              if k in expr.names and isinstance(v, Decimal)}, None)
