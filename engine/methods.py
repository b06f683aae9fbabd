"""Scoring methods: named, parameterised functions in one registry.

A method takes a `MethodInput` (points, parsed target and actual, the unit's own score, facts) and its
compiled parameters, and returns an `Outcome`: the unrounded score, one Chinese sentence that explains it,
and the inputs it used. It raises `Unscorable` when the inputs cannot be scored as numbers or tiers; the
scorer reports that instead of guessing. Adding a method is one function (in the methods_*.py module of its
family, or a new one) plus one `register` call here.

A method may also give `numbers=`: a kernel for the plain case (one unit, nothing to read into the values)
that answers the Outcome's numbers alone, (score, met, share), without building the Outcome. The numbers-only
plan (engine/plan.py, used by `replay`) takes the score from it; the scorer takes all three and runs the method
itself only when the explanation or the inputs are shown. A kernel answers None outside the plain case, and
where it answers, the method would note nothing and read nothing into the values. tests/test_methods.py holds
every kernel to its method over generated values; a method without one is simply called in full.
"""

from __future__ import annotations

from decimal import Decimal

from .methodkit import (ONE, REGISTRY, ZERO, Ambiguous, Method, MethodInput, Note, Outcome, Param, ParamError,
                        Unscorable, _convert, _fmt, fmt, fmt_once, get, register, text)
from .methods_bands import _check_bands, describe_band, execution_rate, execution_rate_score, tiered
from .methods_custom import _check_coefficients, _check_items, checklist, coefficient, expression
from .methods_deduction import _check_deduction, deadline, deduction
from .methods_ratio import (_check_reverse_linear, equality, ratio, ratio_score, reverse_linear, reverse_linear_score,
                            reverse_ratio, reverse_ratio_score)
from .methods_tiers import DEFAULT_TIERS, _check_tiers, tiers

# What the rest of the engine uses, from one place.
__all__ = ["REGISTRY", "Ambiguous", "Method", "MethodInput", "Note", "Outcome", "Param", "ParamError", "Unscorable",
           "_convert", "_fmt", "describe_band", "fmt", "fmt_once", "get", "register", "text"]


_P = Param
register(Method("ratio", "完成比例（正向）", ratio, (
    _P("cap", "decimal", ONE, doc="完成比例上限，1 表示超额不加分"),
    _P("deviation_at", "decimal", None, doc="实际/目标达到该倍数时视为偏离（如 1.3）"),
    _P("deviation_deduct", "decimal", ZERO, doc="偏离时扣除分值的比例（0 表示只提示不扣分）"),
    _P("deviation_points", "decimal", ZERO, doc="偏离时扣除的固定分数（如 2）"),
), doc="达到目标得满分；未达到按 实际/目标 × 分值 计分。", numbers=ratio_score))
register(Method("reverse_linear", "线性递减（反向）", reverse_linear, (
    _P("zero_at", "decimal", Decimal(2), doc="实际为目标的多少倍时得 0 分"),
), check=_check_reverse_linear, doc="实际不高于目标得满分；超出时 分值 × (1 − (实际 − 目标)/((k − 1) × 目标))。",
   numbers=reverse_linear_score))
register(Method("reverse_ratio", "反比例（反向）", reverse_ratio, (),
                doc="实际不高于目标得满分；超出时 分值 × 目标 / 实际。", numbers=reverse_ratio_score))
register(Method("equality", "等于目标", equality, (),
                doc="目标为正时同正向比例；目标为 0 时实际 ≤ 0 得满分，否则 0 分。"))
register(Method("tiers", "定性分档", tiers, (
    _P("tiers", "list", DEFAULT_TIERS, doc="档次列表：label、synonyms、min、max（分值比例）、max_inclusive、default"),
    _P("words", "mapping", None, doc="补充的判定词：met_prefixes（已、全部…）、negations（未、尚未…）、partial（部分、基本…），加在默认词之后"),
), check=_check_tiers, doc="实际完成情况对应到档次，自评分在档次区间内则采用，否则取档次默认分。"))
register(Method("execution_rate", "预算执行率", execution_rate, (
    _P("denominator", "enum", "adjusted", choices=("adjusted", "initial"), doc="分母：全年（调整后）预算或年初预算"),
    _P("cap", "decimal", ONE, doc="执行率上限"),
    _P("zero_below", "decimal", None, doc="执行率低于该值时得 0 分（可选）"),
    _P("stated_rate", "bool", False, doc="预算数或执行数未填时，按所填执行率计分"),
    _P("fiscal_when_total_blank", "bool", False, doc="总额为空或为 0 时，按财政拨款的预算数和执行数计算"),
), doc="执行数 / 预算数 × 分值，执行率封顶。", reads_actual=False, facts_numbers=execution_rate_score))
register(Method("tiered", "分档计分", tiered, (
    _P("bands", "list", required=True, doc="分档：min、max、min_inclusive（默认 true）、max_inclusive（默认 false）、score 或 fraction"),
    _P("unit", "unit", None, doc="分档数值的计量单位（如 万元）；省略时用年度指标值的单位"),
), check=_check_bands, doc="实际值落在哪一档，就计该档分数。"))
register(Method("deduction", "按次扣分", deduction, (
    _P("deduct", "decimal", required=True, doc="每个单位扣多少分"),
    _P("per", "decimal", ONE, doc="多少算一个单位（如 1 个百分点）"),
    _P("threshold", "decimal", None, doc="基准值；省略时用目标值"),
    _P("unit", "unit", None, doc="基准值的计量单位（如 万元）；省略时用年度指标值的单位"),
    _P("direction", "enum", None, choices=("over", "under"), doc="over：超出基准扣分；under：低于基准扣分；省略时由比较符推断"),
    _P("floor", "decimal", ZERO, doc="最低得分（扣完为止时为 0）"),
    _P("count", "enum", "floor", choices=("exact", "floor", "ceil"), doc="不足一个单位的部分：exact 按比例，floor 不计，ceil 按一个计"),
), check=_check_deduction, doc="每超出（或低于）基准一个单位扣若干分，扣完为止。"))
register(Method("deadline", "完成期限", deadline, (
    _P("per", "enum", "day", choices=("day", "month"), doc="逾期按天还是按月计"),
    _P("deduct", "decimal", None, doc="每逾期一天（或一个月）扣多少分；省略时逾期即 0 分"),
    _P("floor", "decimal", ZERO, doc="最低得分"),
), doc="实际完成日期不晚于期限得满分；逾期按天（或月）扣分，或计 0 分。"))
register(Method("checklist", "检查清单", checklist, (
    _P("items", "list", required=True, doc="条目：label、points"),
), check=_check_items, doc="每满足一项得该项分数，合计不超过分值。"))
register(Method("coefficient", "系数 × 分值", coefficient, (
    _P("coefficients", "mapping", None, doc="等级到系数的对应，如 {优: 1, 良: 0.8}；省略时实际值本身是系数"),
), check=_check_coefficients, doc="得分 = 系数 × 分值。"))
register(Method("expression", "自定义表达式", expression, (
    _P("expr", "expression", required=True, doc="simpleeval 表达式，可用 points、target、actual、self_score、rate、budget、spent"),
    _P("explain", "str", None, doc="说明文字，{score} 替换为得分"),
), doc="按规则集里的表达式计分，结果限制在 [0, 分值]。"))
