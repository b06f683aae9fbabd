"""The standard explains itself: every scoring method and consistency check written as a Chinese sentence
from its parameters ("达到目标得满分；每低于目标 1 个百分点扣 0.5 分，扣完为止").

One sentence per method and check, used wherever a person reads the rule: the 评分标准 workbook, `rulesets
show`, the report's appendix and the web. tests/test_explain.py holds each sentence to the method's
behaviour at the edges it names (the sentence says "≥ 90% 得满分": 90% scores full, 89.99% does not).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Mapping

from .methods import describe_band, fmt

Params = Mapping[str, Any]


def _pct(value: Any) -> str:
    """A rate as written in a standard: 0.9 → 90%."""
    return f"{fmt(Decimal(str(value)) * 100)}%"


def _unit_words(unit: str | None) -> str:
    """How a deduction's step is said: 1 个百分点 (%), 1 万元, or 1 个计量单位 (the target's own unit)."""
    if unit in (None, ""):
        return "个计量单位（百分数目标为个百分点）"
    return "个百分点" if unit == "%" else f" {unit}"


def _ratio(p: Params) -> str:
    text = "实际达到或超过目标得满分；未达到的按 实际 ÷ 目标 × 分值 计分"
    cap = Decimal(str(p.get("cap", 1)))
    if cap != 1:
        text += f"（完成比例按最高 {_pct(cap)} 计）"
    if p.get("deviation_at") is not None:
        text += f"；实际达到目标的 {fmt(Decimal(str(p['deviation_at'])))} 倍及以上视为偏离"
        deduct, points = Decimal(str(p.get("deviation_deduct") or 0)), Decimal(str(p.get("deviation_points") or 0))
        if points:
            text += f"，扣 {fmt(points)} 分"
        elif deduct:
            text += f"，扣分值的 {_pct(deduct)}"
        else:
            text += "，只提示、不扣分"
    return text + "。"


def _reverse_linear(p: Params) -> str:
    k = fmt(Decimal(str(p.get("zero_at", 2))))
    return f"实际不高于目标得满分；高于目标时按超出部分线性递减，实际达到目标的 {k} 倍及以上得 0 分。"


def _deduction(p: Params) -> str:
    threshold, unit, direction = p.get("threshold"), p.get("unit"), p.get("direction")
    per, deduct = fmt(Decimal(str(p.get("per", 1)))), fmt(Decimal(str(p["deduct"])))
    floor = Decimal(str(p.get("floor") or 0))
    base = None if threshold is None else f"{fmt(Decimal(str(threshold)))}{unit or ''}"
    step = f"{per} {_unit_words(unit)}".replace("  ", " ")
    if direction == "over":
        text = f"不高于 {base} 得满分；每高 {step}" if base else f"不超过目标得满分；每高于目标 {step}"
    elif direction == "under":
        text = f"不低于 {base} 得满分；每低 {step}" if base else f"达到目标得满分；每低于目标 {step}"
    else:
        text = (f"达到基准 {base} 得满分（≥ 目标为不低于，≤ 目标为不高于）；每偏离 {step}" if base else
                f"达到目标得满分（≥ 目标为不低于，≤ 目标为不高于）；每偏离目标 {step}")
    counting = {"exact": f"（不足 {step}的按比例扣）", "ceil": f"（不足 {step}的按 {step}扣）"}.get(
        str(p.get("count", "floor")), f"（不足 {step}的部分不扣）")
    tail = "扣完为止" if floor == 0 else f"最低 {fmt(floor)} 分"
    return f"{text}扣 {deduct} 分{counting}，{tail}。"


def _execution_rate(p: Params) -> str:
    which = "年初预算数" if p.get("denominator") == "initial" else "全年（调整后）预算数"
    text = f"预算执行率 = 全年执行数 ÷ {which}；得分 = 执行率 × 分值，执行率最高按 {_pct(p.get('cap', 1))} 计"
    if p.get("zero_below") is not None:
        text += f"；执行率低于 {_pct(p['zero_below'])} 得 0 分"
    if p.get("fiscal_when_total_blank"):
        text += "；总额为空或为 0 时按财政拨款计算"
    if p.get("stated_rate"):
        text += "；预算数或执行数未填时按所填执行率计"
    return text + "。"


def _tiers(p: Params) -> str:
    parts = []
    for tier in p.get("tiers") or []:
        low, high = Decimal(str(tier.get("min", 0))), Decimal(str(tier.get("max", 1)))
        share = _pct(low) if low == high else f"{_pct(low)}–{_pct(high)}"
        if tier.get("score") is not None:   # a fixed score for the tier (一体化平台: 达到 5 分)
            words = "、".join((tier.get("synonyms") or [])[:3])
            parts.append(f"{tier.get('label')}{'（' + words + '等）' if words else ''}得 {fmt(Decimal(str(tier['score'])))} 分")
            continue
        words = "、".join((tier.get("synonyms") or [])[:3])
        parts.append(f"{tier.get('label')}{'（' + words + '等）' if words else ''}得分值的 {share}")
    fixed = all(t.get("score") is not None for t in p.get("tiers") or [])
    return "实际完成情况按档次计分：" + "；".join(parts) + ("（不超过分值）。" if fixed else
                                                       "。自评分在档次区间内采用自评分，否则取档次默认分。")


def _tiered(p: Params) -> str:
    unit = p.get("unit") or ""
    parts = []
    for band in p.get("bands") or []:
        score = f"{fmt(Decimal(str(band['score'])))} 分" if "score" in band else f"分值的 {_pct(band.get('fraction', 0))}"
        parts.append(f"{describe_band(band, unit)} 得 {score}")
    return "实际值按分档计分：" + "；".join(parts) + "；不在任何分档内得 0 分。"


def _deadline(p: Params) -> str:
    per = "天" if p.get("per", "day") == "day" else "个月"
    if p.get("deduct") is None:
        return "实际完成日期不晚于期限得满分；逾期得 0 分。"
    floor = Decimal(str(p.get("floor") or 0))
    tail = "扣完为止" if floor == 0 else f"最低 {fmt(floor)} 分"
    return f"实际完成日期不晚于期限得满分；每逾期 1 {per}扣 {fmt(Decimal(str(p['deduct'])))} 分，{tail}。"


def _checklist(p: Params) -> str:
    items = "；".join(f"{i.get('label')} {fmt(Decimal(str(i.get('points', 0))))} 分" for i in p.get("items") or [])
    return f"每满足一项得该项分数，合计不超过分值：{items}。"


def _coefficient(p: Params) -> str:
    table = p.get("coefficients") or {}
    if not table:
        return "得分 = 实际填报的系数 × 分值（系数在 0 到 1 之间）。"
    return "得分 = 系数 × 分值：" + "，".join(f"{k} {fmt(Decimal(str(v)))}" for k, v in table.items()) + "。"


def _expression(p: Params) -> str:
    return f"按规则表达式 {p.get('expr')} 计分，结果限制在 0 到分值之间" + (f"（{p['explain']}）" if p.get("explain") else "") + "。"


METHOD_SENTENCES: dict[str, Callable[[Params], str]] = {
    "ratio": _ratio,
    "reverse_linear": _reverse_linear,
    "reverse_ratio": lambda p: "实际不高于目标得满分；高于目标时得 分值 × 目标 ÷ 实际。",
    "equality": lambda p: "实际等于目标得满分；目标为正数时未达到按 实际 ÷ 目标 × 分值 计分；目标为 0 时实际不高于 0 得满分，否则 0 分。",
    "tiers": _tiers,
    "execution_rate": _execution_rate,
    "tiered": _tiered,
    "deduction": _deduction,
    "deadline": _deadline,
    "checklist": _checklist,
    "coefficient": _coefficient,
    "expression": _expression,
}


def method_sentence(name: str, params: Params | None = None) -> str:
    """The rule of method `name` with `params` (compiled or raw: missing ones take their defaults)."""
    from . import methods
    method = methods.REGISTRY.get(name)
    if method is None:
        return f"按方法“{name}”计分。"
    full = {p.name: p.default for p in method.params}
    full.update({k: v for k, v in (params or {}).items() if v is not None})
    try:
        return METHOD_SENTENCES[name](full) if name in METHOD_SENTENCES else method.doc
    except (KeyError, TypeError, ArithmeticError, ValueError):
        return method.doc   # parameters `rulesets check` would refuse: the method's general rule


def check_sentence(kind: str, params: Params | None = None, severity: str | None = None) -> str:
    """What check `kind` holds, with its parameters where they change it."""
    from .checks import KINDS
    check = KINDS.get(kind)
    if check is None:
        return f"核对“{kind}”。"
    p = {q.name: q.default for q in check.params}
    p.update({k: v for k, v in (params or {}).items() if v is not None})
    text = check.doc
    if kind == "execution_floor":
        text = f"预算执行率低于 {_pct(p['floor'])} 时须说明原因。"
    elif kind == "over_achievement":
        text = f"实际达到目标的 {_pct(p['ratio'])} 及以上须说明原因。"
    elif kind == "stated_rates":
        text = f"所填执行率与 执行数 ÷ 预算数 相差不超过 {fmt(Decimal(str(p['tolerance_points'])))} 个百分点。"
    elif kind == "dates":
        text = f"签字日期与报告日期相差不超过 {p['max_days']} 天，报告日期不晚于评价年度后 {p['max_years_after']} 年。"
    elif kind == "required_sections" and (p.get("sections") or p.get("fields")):
        text = "报告须有内容的章节：" + "、".join(p.get("sections") or []) + "。" if p.get("sections") else check.doc
    elif kind == "expression":
        text = f"条件 {p.get('when')} 成立时报告。"
    level = {"error": "错误", "warning": "警告", "info": "提示"}.get(severity or check.severity, "")
    return text + (f"（{level}）" if level else "")


_OPERATORS = {">=": "≥", ">": "＞", "=": "＝", "<=": "≤", "<": "＜", "qualitative": "定性", "deadline": "期限"}


def _by_operator(refs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(which targets, sentence) for a table of methods by operator, operators with the same rule together."""
    groups: dict[str, list[str]] = {}
    for op, ref in refs.items():
        said = method_sentence(ref.method.name, ref.params)
        groups.setdefault(said, []).append(_OPERATORS.get(op, op))
    return [(" / ".join(ops), said) for said, ops in groups.items()]


def rule_rows(rs: Any) -> list[dict[str, str]]:
    """The ruleset's scoring rules as a reader of a 评分标准 reads them: each category with its points, the rule
    of each fixed indicator (预算执行率) and of each category that has its own, then how units' own
    indicators are scored by the comparison their target is written with, and the grades."""
    rows: list[dict[str, str]] = []

    def walk(cat: Any, depth: int) -> None:
        own = cat.method is not None or cat.by_operator or cat.indicators
        if len(cat.indicators) == 1 and not cat.children and cat.indicators[0].name == cat.label:
            ind = cat.indicators[0]   # 预算执行率 holding the one indicator 预算执行率: one row
            rows.append({"name": ("　" * depth) + cat.label, "points": fmt(ind.points),
                         "rule": method_sentence(ind.method.method.name, ind.method.params) if ind.method else ""})
            return
        if depth == 0 or own:
            rule = method_sentence(cat.method.method.name, cat.method.params) if cat.method is not None else ""
            if cat.by_operator:
                rule = "；".join(f"{ops} 目标：{said}" for ops, said in _by_operator(cat.by_operator))
            rows.append({"name": ("　" * depth) + cat.label, "points": fmt(cat.points) if cat.points is not None else "",
                         "rule": rule})
        for ind in cat.indicators:
            rows.append({"name": ("　" * (depth + 1)) + ind.name, "points": fmt(ind.points),
                         "rule": method_sentence(ind.method.method.name, ind.method.params) if ind.method else ""})
        for child in cat.children:
            walk(child, depth + 1)

    for cat in rs.categories:
        walk(cat, 0)
    for ops, said in _by_operator(rs.by_operator):
        rows.append({"name": f"单位自设指标（{ops} 目标）", "points": "", "rule": said})
    for cap in rs.caps:
        rows.append({"name": "总分封顶", "points": "",
                     "rule": f"预算执行率低于 {_pct(cap['execution_below'])} 时，总分不超过 {fmt(Decimal(str(cap['max_total'])))} 分。"})
    grades = "，".join(f"{g.label} ≥ {fmt(g.min)} 分" for g in rs.grades)
    rows.append({"name": "等级", "points": "", "rule": f"总分{grades}。"})
    return rows
