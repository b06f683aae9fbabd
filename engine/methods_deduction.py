"""Methods that deduct: 按次扣分 (deduction, so much per unit over or under a threshold) and 完成期限
(deadline, so much per day or month late)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Mapping

from .dates import cn_date, parse_date, today
from .methodkit import MethodInput, ONE, Outcome, ParamError, Unscorable, ZERO, _numbers, fmt
from .methods_bands import _in_unit
from .targets import normalise


_COUNTING = {"exact": None, "floor": ROUND_FLOOR, "ceil": ROUND_CEILING}


def deduction(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    threshold = p["threshold"]
    if threshold is None:
        if inp.target is None or not inp.target.is_number:
            raise Unscorable("按次扣分需要数值型的目标值或规则中的 threshold")
        threshold, actual, unit = _numbers(inp)
    else:
        actual, unit = _in_unit(inp, p["unit"])
    direction = p["direction"] or ("under" if (inp.op or ">=") in (">=", ">", "=") else "over")
    excess = (actual - threshold) if direction == "over" else (threshold - actual)
    excess = max(ZERO, excess)
    units = excess / p["per"]
    if _COUNTING[p["count"]] is not None:
        units = units.quantize(ONE, rounding=_COUNTING[p["count"]])
    score = max(p["floor"], inp.points - units * p["deduct"])
    side = "超出" if direction == "over" else "低于"
    u = unit or ""
    why = (f"实际 {fmt(actual)}{u} {side}基准 {fmt(threshold)}{u} 共 {fmt(excess)}{u}，每 {fmt(p['per'])}{u} 扣 "
           f"{fmt(p['deduct'])} 分，计 {fmt(score)} 分") if excess else f"实际 {fmt(actual)}{u} 未{side}基准 {fmt(threshold)}{u}，不扣分"
    return Outcome(score, why, {"actual": fmt(actual), "threshold": fmt(threshold)}, excess == 0)


def _check_deduction(p: Mapping[str, Any]) -> None:
    if p["per"] <= ZERO:
        raise ParamError(f"方法 'deduction' 的参数 per 应大于 0，实际是 {fmt(p['per'])}", "例如 per: 1 表示每 1 个单位扣一次")
    if p["deduct"] < ZERO:
        raise ParamError(f"方法 'deduction' 的参数 deduct 不能为负数，实际是 {fmt(p['deduct'])}")
    if p["floor"] < ZERO:
        raise ParamError(f"方法 'deduction' 的参数 floor 不能为负数，实际是 {fmt(p['floor'])}")


ON_TIME_WORDS = frozenset(normalise(w) for w in ("按时完成", "按期完成", "提前完成", "如期完成", "按时", "按期", "及时",
                                                  "已完成", "完成", "全部完成", "是", "达成", "按时完成"))


LATE_WORDS = frozenset(normalise(w) for w in ("未按时完成", "未按期完成", "延期", "延期完成", "逾期", "逾期完成", "未完成",
                                              "否", "滞后", "推迟"))


def deadline(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    """Met when the actual date is not later than the deadline; late by days (or months) otherwise."""
    if inp.target is None or inp.target.deadline is None:
        raise Unscorable("期限评分需要“某日前”形式的年度指标值，如 2024年12月31日前、12月底前")
    if inp.actual is None:
        raise Unscorable("缺少实际完成值（完成日期，或 按时完成 / 延期）")
    due = inp.target.deadline.date(inp.year or today().year)
    inputs = {"deadline": due.isoformat()}
    finished = parse_date(inp.actual.text)
    if finished is None:
        word = inp.actual.qualitative or normalise(inp.actual.text)
        if word in ON_TIME_WORDS:
            return Outcome(inp.points, f"实际“{inp.actual.text}”，按期限 {cn_date(due)} 完成，得满分 {fmt(inp.points)} 分",
                           inputs, True)
        if word in LATE_WORDS:
            return Outcome(ZERO, f"实际“{inp.actual.text}”，未在期限 {cn_date(due)} 前完成，且未写完成日期，计 0 分",
                           inputs, False)
        raise Unscorable(f"实际完成值 '{inp.actual.text}' 既不是日期，也不是 按时完成 / 延期；期限为 {cn_date(due)}")
    inputs["finished"] = finished.isoformat()
    if finished <= due:
        return Outcome(inp.points, f"{cn_date(finished)} 完成，不晚于期限 {cn_date(due)}，得满分 {fmt(inp.points)} 分",
                       inputs, True)
    if p["per"] == "month":
        late = Decimal((finished.year - due.year) * 12 + finished.month - due.month + (finished.day > due.day))
        what = "个月"
    else:
        late = Decimal((finished - due).days)
        what = "天"
    score = ZERO if p["deduct"] is None else max(p["floor"], inp.points - late * p["deduct"])
    rule = "逾期计 0 分" if p["deduct"] is None else f"每逾期 1 {what}扣 {fmt(p['deduct'])} 分，计 {fmt(score)} 分"
    return Outcome(score, f"{cn_date(finished)} 完成，晚于期限 {cn_date(due)} {fmt(late)} {what}，{rule}", inputs, False)
