"""Methods on bands of a number: 预算执行率 (execution_rate, from the budget block's facts) and 分档计分
(tiered, the band the actual falls in)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

from .errors import human
from .methodkit import (ONE, ZERO, MethodInput, Outcome, ParamError, Quick, Unscorable, _check_list, _is_number,
                        _numbers, fmt, unit_mismatch)
from .targets import convertible, to_unit


def execution_rate(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    initial = p["denominator"] == "initial"
    denominator = inp.facts.get("budget_initial" if initial else "budget")
    spent = inp.facts.get("spent")
    which = "年初预算数" if initial else "全年预算数"
    source = ""
    if p["fiscal_when_total_blank"] and not denominator:
        fiscal_budget = inp.facts.get("budget_initial_fiscal" if initial else "budget_fiscal")
        if fiscal_budget:   # 总额 blank or 0: the 财政拨款 line, as some platforms do
            denominator, spent = fiscal_budget, inp.facts.get("spent_fiscal")
            which, source = f"{which}（财政拨款）", "（总额为空或为 0，按财政拨款计算）"
    if (denominator is None or spent is None) and p["stated_rate"] and inp.facts.get("stated_rate") is not None:
        rate = inp.facts["stated_rate"]
        score = inp.points * min(rate, p["cap"])
        why = (f"预算数或执行数未填，按所填执行率 {fmt(rate * 100)}% 计：× {fmt(inp.points)} 分计 {fmt(score)} 分")
        return Outcome(score, why, {"rate": f"{fmt(rate * 100)}%"}, rate >= 1)
    if denominator is None or spent is None:
        raise Unscorable("缺少预算数或执行数，无法计算预算执行率")
    if denominator <= 0:
        raise Unscorable(f"预算数为 {fmt(denominator)}，无法计算预算执行率")
    rate = spent / denominator
    points, below = inp.points, p["zero_below"]
    inputs = lambda: {"budget": fmt(denominator), "spent": fmt(spent), "rate": f"{fmt(rate * 100)}%"}  # noqa: E731
    if below is not None and rate < below:
        return Outcome(ZERO, lambda: f"执行率 {fmt(rate * 100)}% 低于 {fmt(below * 100)}%，得 0 分{source}", inputs, False)
    score = points * min(rate, p["cap"])
    return Outcome(score, lambda: (f"执行数 {fmt(spent)} / {which} {fmt(denominator)} = 执行率 {fmt(rate * 100)}%，"
                                   f"× {fmt(points)} 分计 {fmt(score)} 分{source}"), inputs, rate >= 1)


def execution_rate_score(points: Decimal, facts: Mapping[str, Any], p: Mapping[str, Any]) -> Quick | None:
    """`execution_rate`'s numbers where the budget is positive and the spending is given, without its
    Outcome; anything else (the 财政拨款 line, the stated rate, a refusal) is left to the method."""
    denominator = facts.get("budget_initial" if p["denominator"] == "initial" else "budget")
    spent = facts.get("spent")
    if not denominator or spent is None or denominator <= 0:
        return None
    rate = spent / denominator
    below = p["zero_below"]
    if below is not None and rate < below:
        return ZERO, False, None
    return points * min(rate, p["cap"]), rate >= 1, None


def _check_bands(p: Mapping[str, Any]) -> None:
    _check_list(p, "bands", "[{min: 90, score: 5}, {max: 90, score: 0}]")
    for i, band in enumerate(p["bands"]):
        if not isinstance(band, dict) or ("score" in band) == ("fraction" in band):
            raise ParamError(f"bands[{i}] 需要 score（分数）或 fraction（分值比例）之一",
                             "例如 {min: 90, score: 5} 表示 ≥90 计 5 分")
        unknown = set(band) - {"min", "max", "min_inclusive", "max_inclusive", "score", "fraction", "label"}
        if unknown:
            raise ParamError(f"bands[{i}] 有未知的键 {sorted(unknown)}",
                             "允许的键：min, max, min_inclusive, max_inclusive, score, fraction, label")
        for key in ("min", "max", "score", "fraction"):
            if band.get(key) is not None and not _is_number(band[key]):
                raise ParamError(f"bands[{i}].{key} 应是数值，实际是 '{human(band[key])}'",
                                 "百分数写成数值：90% 写作 90（与指标值同一单位）")
        for key in ("min_inclusive", "max_inclusive"):
            if key in band and not isinstance(band[key], bool):
                raise ParamError(f"bands[{i}].{key} 应是 true 或 false")
        if band.get("fraction") is not None and not ZERO <= band["fraction"] <= ONE:
            raise ParamError(f"bands[{i}].fraction 应在 0 到 1 之间（分值的比例）")
        if band.get("score") is not None and band["score"] < 0:
            raise ParamError(f"bands[{i}].score 不能为负数")


def _band_matches(value: Decimal, band: Mapping[str, Any]) -> bool:
    low, high = band.get("min"), band.get("max")
    if low is not None and (value < low or (value == low and not band.get("min_inclusive", True))):
        return False
    if high is not None and (value > high or (value == high and not band.get("max_inclusive", False))):
        return False
    return True


def describe_band(band: Mapping[str, Any], unit: str = "") -> str:
    low, high = band.get("min"), band.get("max")
    parts = []
    if low is not None:
        parts.append(f"{'≥' if band.get('min_inclusive', True) else '＞'}{fmt(Decimal(low))}{unit}")
    if high is not None:
        parts.append(f"{'≤' if band.get('max_inclusive', False) else '＜'}{fmt(Decimal(high))}{unit}")
    return " 且 ".join(parts) or "任意值"


def _in_unit(inp: MethodInput, wanted: str | None) -> tuple[Decimal, str]:
    """The actual as a number in `wanted` (a method's `unit` parameter, else the target's unit), by the same
    conversion every method uses."""
    if inp.actual is None or not inp.actual.is_number:
        raise Unscorable("需要数值型的实际完成值" + (f"，实际为 '{inp.actual.text}'" if inp.actual else ""))
    assert inp.actual.number is not None
    if wanted is None and inp.target is not None and inp.target.is_number:
        _, value, unit = _numbers(inp)
        return value, unit or ""
    if not convertible(inp.actual.unit, wanted):
        raise Unscorable(unit_mismatch(f"规则以“{wanted}”计", f"实际完成值以“{inp.actual.unit}”计", wanted, inp.actual.unit))
    return to_unit(inp.actual.number, inp.actual.unit, wanted), wanted or inp.actual.unit or ""


def tiered(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    value, unit = _in_unit(inp, p["unit"])
    for band in p["bands"]:
        if _band_matches(value, band):
            score = Decimal(band["score"]) if "score" in band else inp.points * Decimal(band["fraction"])
            score = min(score, inp.points)
            why = f"实际 {fmt(value)}{unit} 落在“{describe_band(band, unit)}”档，计 {fmt(score)} 分"
            return Outcome(score, why, {"actual": f"{fmt(value)}{unit}"}, None)
    return Outcome(ZERO, f"实际 {fmt(value)}{unit} 不在任何分档内，计 0 分", {"actual": f"{fmt(value)}{unit}"}, False)
