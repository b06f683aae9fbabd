"""`rulesets check`: what the JSON Schema cannot see. Points add up, bands leave no gap and do not overlap,
templates exist. (Unknown methods and broken expressions already fail when the ruleset compiles.)"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any, Iterator, Mapping, Sequence, TypeAlias

from .errors import Diagnostic, Location
from .methods import describe_band, fmt


# The ruleset compiler calls lint; lint reads a compiled ruleset's attributes and imports nothing of it (the
# layers only look down): its types are named here for the reader, not imported.
Ruleset: TypeAlias = Any
Category: TypeAlias = Any
MethodRef: TypeAlias = Any
TEMPLATES_DIR = FsPath(__file__).resolve().parent.parent / "templates"
TOTAL_POINTS = Decimal(100)


def lint(rs: Ruleset) -> list[Diagnostic]:
    found = list(_points(rs)) + list(_grades(rs)) + list(_bands(rs)) + list(_template(rs)) + list(_messages(rs))
    return sorted(found, key=lambda d: (d.location.file or "", d.location.line or 0))


def _problem(message: str, where: Location | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(message, where or Location(), hint, "E-RULESET-LINT")


WARNING = "W-RULESET-MESSAGE"   # said by `rulesets check`; never refuses the ruleset


def _messages(rs: Ruleset) -> Iterator[Diagnostic]:
    """A custom check with no message of its own is shown to the unit as its expression in words, which a
    reader may not follow: say so, so that the bureau writes one."""
    for i, raw in enumerate(rs.doc.data.get("checks") or []):
        if isinstance(raw, dict) and raw.get("kind") == "expression" and not raw.get("message"):
            yield Diagnostic(f"自定义核对（{raw.get('when')}）没有 message，单位看到的将是由条件生成的说明",
                             rs.doc.loc(("checks", i)), "加上 message，用单位能看懂的话说明问题和该怎么改", WARNING)


def _points(rs: Ruleset) -> Iterator[Diagnostic]:
    top = [c.points for c in rs.categories]
    if all(p is not None for p in top):
        total = sum((p for p in top if p is not None), Decimal(0))
        if total != TOTAL_POINTS:
            yield _problem(f"一级类别分值合计 {fmt(total)} 分，应为 {fmt(TOTAL_POINTS)} 分："
                           + "、".join(f"{c.label} {fmt(c.points)}" for c in rs.categories),
                           rs.categories[0].source, "调整各一级类别的 points，使其合计为 100")
    for cat in rs.walk():
        yield from _children_points(cat)


def _children_points(cat: Category) -> Iterator[Diagnostic]:
    if cat.points is None:
        return
    parts = [c.points for c in cat.children]
    if cat.children and all(p is not None for p in parts):
        total = sum((p for p in parts if p is not None), Decimal(0))
        if total != cat.points:
            yield _problem(f"“{cat.label}”的下级类别分值合计 {fmt(total)} 分，与其分值 {fmt(cat.points)} 分不符",
                           cat.children[0].source, "下级类别的 points 之和应等于上级类别的 points")
    if cat.indicators and not cat.children and not cat.accepts_own:
        total = sum((i.points for i in cat.indicators), Decimal(0))
        if total != cat.points:
            yield _problem(f"“{cat.label}”的共性指标分值合计 {fmt(total)} 分，与其分值 {fmt(cat.points)} 分不符",
                           cat.indicators[0].where, "共性指标的 points 之和应等于所属类别的 points")


def _grades(rs: Ruleset) -> Iterator[Diagnostic]:
    seen_min: dict[Decimal, str] = {}
    seen_label: set[str] = set()
    for i, grade in enumerate(rs.grades):
        where = rs.doc.loc(("grades", i))
        if grade.min in seen_min:
            yield _problem(f"等级“{grade.label}”与“{seen_min[grade.min]}”的下限都是 {fmt(grade.min)} 分，其中一个永远不会被评上",
                           where, "每个等级的 min 应各不相同")
        if grade.label in seen_label:
            yield _problem(f"等级“{grade.label}”重复", where, "删除重复的等级")
        seen_min.setdefault(grade.min, grade.label)
        seen_label.add(grade.label)


def _bands(rs: Ruleset) -> Iterator[Diagnostic]:
    seen: set[int] = set()
    for ref in rs.method_refs():
        if id(ref.params) in seen:
            continue
        seen.add(id(ref.params))
        if ref.method.name == "tiered":
            yield from _band_table(ref, ref.params["bands"])
        elif ref.method.name == "tiers":
            yield from _tier_table(ref)


def _interval(band: Mapping[str, Any]) -> tuple[Decimal | None, bool, Decimal | None, bool]:
    low, high = band.get("min"), band.get("max")
    return (None if low is None else Decimal(low), bool(band.get("min_inclusive", True)),
            None if high is None else Decimal(high), bool(band.get("max_inclusive", False)))


def _band_table(ref: MethodRef, bands: Sequence[Mapping[str, Any]]) -> Iterator[Diagnostic]:
    ordered = sorted(bands, key=lambda b: (Decimal("-Infinity") if b.get("min") is None else Decimal(b["min"])))
    if ordered and ordered[0].get("min") is not None:
        yield _problem(f"分档表最低一档从 {describe_band(ordered[0])} 开始，低于 {fmt(Decimal(ordered[0]['min']))} 的值没有对应的档",
                       ref.where, "加一档 {max: …, score: 0}，或把最低一档的 min 去掉")
    for lower, upper in zip(ordered, ordered[1:]):
        _, _, high, high_inc = _interval(lower)
        low, low_inc, _, _ = _interval(upper)
        if high is None or low is None:
            yield _problem(f"分档“{describe_band(lower)}”与“{describe_band(upper)}”重叠", ref.where)
        elif high < low or (high == low and not high_inc and not low_inc):
            yield _problem(f"分档有缺口：“{describe_band(lower)}”与“{describe_band(upper)}”之间的值没有对应的档",
                           ref.where, "让相邻两档的边界相同，且恰有一侧包含边界")
        elif high > low or (high == low and high_inc and low_inc):
            yield _problem(f"分档重叠：“{describe_band(lower)}”与“{describe_band(upper)}”", ref.where,
                           "相邻两档在边界上只能有一侧包含（min_inclusive / max_inclusive）")
    if ordered and ordered[-1].get("max") is not None:
        yield _problem(f"分档表最高一档止于 {describe_band(ordered[-1])}，更高的值没有对应的档", ref.where,
                       "把最高一档的 max 去掉")


def _tier_table(ref: MethodRef) -> Iterator[Diagnostic]:
    tiers = sorted((t for t in ref.params["tiers"] if "min" in t), key=lambda t: Decimal(t["min"]))
    if len(tiers) < len(ref.params["tiers"]):   # tiers with absolute scores have no fraction bands to check
        return
    bands = [{"min": Decimal(t["min"]), "max": Decimal(t["max"]), "max_inclusive": bool(t.get("max_inclusive"))}
             for t in tiers]
    for problem in _band_table(ref, bands):
        if "最低一档" in problem.message and bands and bands[0]["min"] == 0:
            continue   # tiers are fractions of the points: nothing lies below 0
        if "最高一档" in problem.message and bands and bands[-1]["max"] == 1 and bands[-1]["max_inclusive"]:
            continue   # …nor above 1
        yield problem


def _template(rs: Ruleset) -> Iterator[Diagnostic]:
    if not rs.template:
        return
    folder = TEMPLATES_DIR / rs.template["set"] / rs.template["version"]
    if not folder.is_dir():
        yield Diagnostic(f"规则集引用的报告模板 {rs.template['set']}@{rs.template['version']} 不存在",
                         rs.doc.loc(("template",)), "用 perfrules templates list 查看已有模板", "E-RULESET-TEMPLATE")
