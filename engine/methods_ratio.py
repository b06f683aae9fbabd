"""Methods on the ratio of actual to target: 完成比例 (ratio), its reverses for targets to stay under, and
equality; each with its numbers-only kernel (see engine/methods.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Mapping

from .methodkit import MethodInput, Note, ONE, Outcome, ParamError, Quick, ZERO, _PERCENT, _inputs, _numbers, _show, fmt
from .targets import Value


def ratio(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    target, actual, unit = _numbers(inp)
    points = inp.points
    inputs = lambda: _inputs(target, actual, unit)  # noqa: E731 - deferred: built when shown
    notes: tuple[Note, ...] = ()
    if target <= 0:
        met = actual >= target
        why = "目标值不大于 0，" + ("实际达到目标，得满分" if met else "实际未达到目标，得 0 分")
        return Outcome(points if met else ZERO, why, inputs, met)
    share = actual / target
    if share >= 1:
        at, cut, minus = p["deviation_at"], p["deviation_deduct"], p["deviation_points"]
        if at is not None and share >= at and (cut > 0 or minus > 0):
            deducted = max(ZERO, points * (ONE - cut) - minus)
            notes = (Note("W-DEVIATION", "warning", "实际值远超目标（指标偏离），已按规则扣分"),)
            return Outcome(deducted, lambda: (
                f"实际 {_show(actual, unit)} 达到目标 {_show(target, unit)}，得满分 {fmt(points)} 分"
                f"；但超出目标 {fmt((share - 1) * 100)}%（≥{fmt((at - 1) * 100)}%），按偏离度"
                f"{f'扣 {fmt(cut * 100)}%' if cut > 0 else f'扣 {fmt(minus)} 分'}，计 {fmt(deducted)} 分"),
                inputs, True, notes, share)
        return Outcome(points, lambda: f"实际 {_show(actual, unit)} 达到目标 {_show(target, unit)}，得满分 {fmt(points)} 分",
                       inputs, True, notes, share)
    score = points * max(ZERO, min(share, p["cap"]))
    return Outcome(score, lambda: (f"实际 {_show(actual, unit)} 未达到目标 {_show(target, unit)}，按完成比例 "
                                   f"{fmt(actual)}/{fmt(target)} × {fmt(points)} 计 {fmt(score)} 分"),
                   inputs, False, share=share)


def _plain(t: Value | None, a: Value | None, rate: bool) -> tuple[Decimal, Decimal] | None:
    """Target and actual as numbers where _numbers would take them as they are: one unit, or a unit on one
    side only, and nothing that could be a fraction of one to read (see _fractions); else None."""
    if t is None or a is None:
        return None
    tn, an, tu, au = t.number, a.number, t.unit, a.unit
    if tn is None or an is None:
        return None
    if tu == au:
        return (tn, an) if tu is not None or not rate else None
    if tu is None:
        return (tn, an) if not (au == _PERCENT and ZERO < tn <= ONE) else None
    if au is None:
        return (tn, an) if not (tu == _PERCENT and ZERO < an <= ONE) else None
    return None   # two units: converted (万元 and 元) or refused, in full


def ratio_score(points: Decimal, t: Value | None, a: Value | None, rate: bool, p: Mapping[str, Any]) -> Quick | None:
    """`ratio`'s numbers in the plain case, without its Outcome (see Method.numbers)."""
    plain = _plain(t, a, rate)
    if plain is None:
        return None
    target, actual = plain
    if target <= 0:
        return (points, True, None) if actual >= target else (ZERO, False, None)
    share = actual / target
    if share >= 1:
        return (points, True, share) if p["deviation_at"] is None else None   # a deviation rule: in full
    return points * max(ZERO, min(share, p["cap"])), False, share


def _reverse_score(points: Decimal, t: Value | None, a: Value | None, rate: bool,
                   formula: Callable[[Decimal, Decimal], Decimal]) -> Quick | None:
    plain = _plain(t, a, rate)
    if plain is None:
        return None
    target, actual = plain
    if actual <= target:
        return points, True, None
    if target <= 0:
        return ZERO, False, None
    return points * max(ZERO, formula(target, actual)), False, None


def _reverse(inp: MethodInput, formula: Callable[[Decimal, Decimal], Decimal], name: str) -> Outcome:
    target, actual, unit = _numbers(inp)
    points = inp.points
    inputs = lambda: _inputs(target, actual, unit)  # noqa: E731 - deferred: built when shown
    if actual <= target:
        return Outcome(points, lambda: f"实际 {_show(actual, unit)} 不高于目标 {_show(target, unit)}，得满分 {fmt(points)} 分",
                       inputs, True)
    if target <= 0:
        return Outcome(ZERO, lambda: f"目标为 {_show(target, unit)}，实际 {_show(actual, unit)} 超出，得 0 分", inputs, False)
    score = points * max(ZERO, formula(target, actual))
    return Outcome(score, lambda: f"实际 {_show(actual, unit)} 超出目标 {_show(target, unit)}，按{name}计 {fmt(score)} 分",
                   inputs, False)


def reverse_linear(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    k = p["zero_at"]
    return _reverse(inp, lambda a, b: ONE - (b - a) / ((k - 1) * a),
                    f"线性递减（目标的 {fmt(k)} 倍时为 0）")


def reverse_ratio(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    return _reverse(inp, lambda a, b: a / b, "反比例（目标/实际）")


def reverse_linear_score(points: Decimal, t: Value | None, a: Value | None, rate: bool,
                         p: Mapping[str, Any]) -> Quick | None:
    k = p["zero_at"]
    return _reverse_score(points, t, a, rate, lambda a, b: ONE - (b - a) / ((k - 1) * a))


def reverse_ratio_score(points: Decimal, t: Value | None, a: Value | None, rate: bool,
                        p: Mapping[str, Any]) -> Quick | None:
    return _reverse_score(points, t, a, rate, lambda a, b: a / b)


def equality(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    target, actual, unit = _numbers(inp)
    if target == 0:
        met = actual <= 0
        why = (f"目标为 0，实际 {_show(actual, unit)}" + ("，得满分" if met else " 大于 0，得 0 分"))
        return Outcome(inp.points if met else ZERO, why, _inputs(target, actual, unit), met)
    return ratio(inp, {"cap": ONE, "deviation_at": None, "deviation_deduct": ZERO, "deviation_points": ZERO})


def _check_reverse_linear(p: Mapping[str, Any]) -> None:
    if p["zero_at"] <= ONE:
        raise ParamError(f"方法 'reverse_linear' 的参数 zero_at 应大于 1（实际为目标的几倍时得 0 分），实际是 {fmt(p['zero_at'])}",
                         "例如 zero_at: 2 表示实际达到目标的 2 倍时得 0 分")
