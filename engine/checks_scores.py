"""Checks of the scores a unit gave itself: in range, explained where a target was missed, exceeded or met
with a deduction, and the totals and grade it states against its rows and the rule's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Iterator, Mapping

from .checkkit import Context, Hit, ZERO, _off, _tol
from .methods import fmt
from .scorecard import IndicatorResult
from .targets import decimal_or_none as _dec


def score_range(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    for result, _ in ctx.rows():
        own, points = result.self_score, result.points
        if own is not None and points is not None and not ZERO <= own <= points:
            yield Hit(f"指标“{result.name}”自评 {fmt(own)} 分，超出分值范围 [0, {fmt(points)}]", result.location.path + ("self_score",), result.name)
    total = (ctx.sub.data.get("budget") or {}).get("total") or {}
    own, points = _dec(total.get("self_score")), _dec(total.get("points"))
    if own is not None and points is not None and not ZERO <= own <= points:
        yield Hit(f"预算执行率自评 {fmt(own)} 分，超出分值 {fmt(points)} 分", ("budget", "total", "self_score"), "预算执行率")


def _explained(row: Mapping[str, Any]) -> bool:
    return bool((row.get("explanation") or "").strip())


def deduction_without_explanation(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    for result, row in ctx.rows():
        if result.met and result.self_score is not None and result.points is not None \
                and result.self_score < result.points and not _explained(row):
            yield Hit(_deducted(result), result.location.path + ("explanation",), result.name)


def missed_without_explanation(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    for result, row in ctx.rows():
        if result.met is False and not _explained(row):
            yield Hit(_missed(result), result.location.path + ("explanation",), result.name)


def over_achievement(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    for result, row in ctx.rows():
        # `share` is set by the methods where more is better; over-achievement means nothing elsewhere.
        if not result.met or result.share is None or result.share < p["ratio"] or _explained(row):
            continue
        yield Hit(_over(result, result.share, p["ratio"]), result.location.path + ("explanation",), result.name)


# The per-row sentences, built when shown.
def _deducted(r: IndicatorResult) -> Callable[[], str]:
    return lambda: (f"指标“{r.name}”已达到目标（{r.target} → {r.actual}），自评扣了 "
                    f"{fmt((r.points or ZERO) - (r.self_score or ZERO))} 分但没有写扣分原因")


def _missed(r: IndicatorResult) -> Callable[[], str]:
    return lambda: f"指标“{r.name}”未达到目标（{r.target} → {r.actual}），没有写偏差原因分析及改进措施"


def _over(r: IndicatorResult, share: Decimal, ratio: Decimal) -> Callable[[], str]:
    return lambda: (f"指标“{r.name}”实际 {r.inputs.get('actual', '')} 为目标 {r.inputs.get('target', '')} 的 "
                    f"{fmt(share * 100)}%（≥{fmt(ratio * 100)}%），目标可能定得过低，应说明原因")


def row_completeness(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    for result, row in ctx.rows():
        if result.status == "scored" and row.get("self_score") is None and row.get("points") is not None:
            yield Hit(f"指标“{result.name}”没有填写自评得分", result.location.path + ("self_score",), result.name)


def stated_scores(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    stated = ctx.sub.data.get("stated") or {}
    table, narrative = stated.get("table") or {}, stated.get("narrative") or {}
    t_total, n_total = _dec(table.get("total")), _dec(narrative.get("total"))
    own = [i.self_score for i in ctx.card.indicators if i.self_score is not None and i.status != "not-applicable"]
    own_sum = sum(own, ZERO) if own else None
    if t_total is not None and n_total is not None and t_total != n_total:
        yield Hit(f"自评表总分 {fmt(t_total)} 分，报告正文写 {fmt(n_total)} 分，两处不一致", ("stated", "narrative", "total"), "总分",
                  "C-STATED-TOTALS")
    if t_total is not None and own_sum is not None and _off(own_sum, t_total, _tol(ctx, p)):
        yield Hit(f"自评表总分 {fmt(t_total)} 分，但表中各行得分相加为 {fmt(own_sum)} 分", ("stated", "table", "total"), "总分",
                  "C-STATED-ROWS")
    yield from _points_sum(ctx, table)
    yield from _category_claims(ctx, narrative)


def _points_sum(ctx: Context, table: Mapping[str, Any]) -> Iterator[Hit]:
    stated_max = _dec(table.get("max"))
    points = [i.points for i in ctx.card.indicators if i.points is not None]
    if stated_max is None or not points:
        return
    total = sum(points, ZERO)
    if total != stated_max:
        yield Hit(f"自评表总分栏满分 {fmt(stated_max)} 分，但各行分值相加为 {fmt(total)} 分", ("stated", "table", "max"), "分值",
                  "C-STATED-MAX")


def _category_claims(ctx: Context, narrative: Mapping[str, Any]) -> Iterator[Hit]:
    cats = {c.key: c for c in ctx.card.all_categories()}
    for i, claim in enumerate(narrative.get("categories") or []):
        category = ctx.category_named(claim["label"])
        path = ("stated", "narrative", "categories", i)
        if category is None or category.key not in cats:
            yield Hit(f"报告正文提到的类别“{claim['label']}”不在规则集中，无法核对", path, claim["label"], "C-STATED-CATEGORY")
            continue
        result = cats[category.key]
        said, points = _dec(claim.get("score")), _dec(claim.get("points"))
        if points is not None and points != result.points:
            yield Hit(f"正文称“{claim['label']}”共 {fmt(points)} 分，规则集为 {fmt(result.points)} 分", path + ("points",), claim["label"],
                      "C-STATED-CATEGORY")
        if said is None:
            continue
        rows = result.self_score
        if (rows is not None and said != rows) or said != result.score:
            parts = [f"正文称“{claim['label']}”得 {fmt(said)} 分"]
            if rows is not None:
                parts.append(f"表中各行自评分合计 {fmt(rows)} 分")
            parts.append(f"按规则为 {fmt(result.score)} 分")
            yield Hit("，".join(parts), path + ("score",), claim["label"], "C-STATED-CATEGORY")


def stated_grade(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    stated = ctx.sub.data.get("stated") or {}
    for key, label in (("table", "自评表"), ("narrative", "报告正文")):
        block = stated.get(key) or {}
        grade, total = block.get("grade"), _dec(block.get("total"))
        if not grade:
            continue
        known = ctx.grade_named(grade)
        path = ("stated", key, "grade")
        if known is None:
            yield Hit(f"{label}所述等级“{grade}”不是规则集的等级", path, "等级")
            continue
        if total is not None and ctx.grade_of(total) != known.label:
            yield Hit(f"{label}总分 {fmt(total)} 分应为“{ctx.grade_of(total)}”，却写作“{grade}”", path, "等级")
        if known.label != ctx.card.grade:
            yield Hit(f"{label}自评等级“{grade}”，按规则得分 {fmt(ctx.card.total)} 分为“{ctx.card.grade}”", path, "等级")
