"""A compiled ruleset's numbers-only plan: a submission's total and grade without the scorecard.

`score()` builds what a reader needs: a Row per indicator, an IndicatorResult with its explanation, a
CategoryResult per category, every Finding with its place. Where only the numbers are wanted (`replay`
compares totals and grades under two rulesets across a county), `totals()` computes them from the validated
document directly: the same parsing of values, the same placement and operators (the compiled ruleset's
memos, filled by the scorer), the same scoring methods (or, for the plain case of ratio and the reverse
methods, their numbers-only kernels beside them in the methods_*.py modules), the same rounding, summed per category as the
scorer sums them.

The plan covers the common case and nothing else. Whatever it does not model (a row marked not applicable,
a checklist, a fixed indicator the unit fills in, an unscorable row, an absent category with a rule, a cap on
the total, a label path or operator the scorer has not met yet under this ruleset) makes it answer None, and
the caller scores in full. tests/test_plan.py holds it to `score()` on every submission it answers for, and
checks that it answers for most.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .budgetfacts import BudgetFacts
from .methods import MethodInput, Unscorable
from .rulemodel import Category, Ruleset
from .scoring import _NO_FACTS, FULL_RATE, clip, operator_for
from .submission import DIRECTIONS, Submission
from .targets import UNITS, Value, ValueError_, _parse_text, decimal_or_none, label_key, normalise, parse_value
from .yamlio import Document

ZERO = Decimal(0)
_UNSET: Any = object()


class _Bail(Exception):
    """Outside the plan: the caller scores in full."""


def totals(doc: Document, rs: Ruleset) -> tuple[Decimal, str] | None:
    """(total, grade) of a validated submission document under `rs`, as `score()` gives them, or None when the
    plan does not cover the submission."""
    data = doc.data
    sub = Submission(doc=doc, kind=data["kind"], year=data["year"], unit=data["unit"], region=data.get("region"),
                     ruleset=data.get("ruleset"), rows=[], data=data)
    try:
        return _Run(sub, rs).totals()
    except (_Bail, Unscorable, ValueError_, ArithmeticError):
        return None


class _Run:
    def __init__(self, sub: Submission, rs: Ruleset):
        self.sub, self.rs = sub, rs
        # category key → [(points, score, self_score)] of its indicators, fixed indicators first (as scored)
        self.content: dict[str, list[tuple[Decimal, Decimal, Decimal | None]]] = {}

    def totals(self) -> tuple[Decimal, str]:
        rs = self.rs
        if rs.caps:
            raise _Bail
        for cat in rs.with_indicators:
            for ind in cat.indicators:
                if ind.source != "budget":
                    raise _Bail
                self.content.setdefault(cat.key, []).append(self._budget(cat, ind.name, ind.points, ind.method))
        for i, raw in enumerate(self.sub.data["indicators"]):
            self._row(i, raw)
        cats = self._categories()
        raw_total = sum((score for _, _, score in cats), ZERO)
        full = sum(((declared if declared is not None else points) for points, declared, _ in cats), ZERO)
        effective = sum((points for points, _, _ in cats), ZERO)
        if full - effective > 0 and effective > 0:   # rescaled: not in the plan
            raise _Bail
        total = rs.rounding.total(raw_total)
        return total, rs.grade_of(total if rs.rounding.grade_on == "rounded" else raw_total)

    # ------------------------------------------------------------------ rows (as build() reads them)
    def _row(self, i: int, raw: dict[str, Any]) -> None:
        get = raw.get
        levels = get("levels") or (get("level1"), get("level2"))
        name = str(get("name") or "").strip()
        unit = get("unit")
        raw_target, raw_actual = get("target"), get("actual")
        target = _parse_text(raw_target) if type(raw_target) is str else _value(raw_target)
        actual = _parse_text(raw_actual) if type(raw_actual) is str else _value(raw_actual)
        if unit:
            target, actual = _in_unit(target, unit), _in_unit(actual, unit)
        if get("applicable", True) is not True:
            raise _Bail
        points, own = get("points"), get("self_score")   # as decimal_or_none reads them, without the calls
        if type(points) is int:
            points = Decimal(points)
        elif type(points) is not Decimal:
            points = decimal_or_none(points)
        if own is not None and type(own) is not Decimal:
            own = Decimal(own) if type(own) is int else decimal_or_none(own)
        if not name and target is None and actual is None and points is None and own is None and not raw_actual:
            return   # a blank row: not scored
        rs = self.rs
        if rs.claims_rows:   # a fixed indicator the unit fills in: in full
            hit = rs.fixed_index.get(get("key") or "") or rs.fixed_index.get(label_key(name))
            if hit and hit[1].source == "indicator":
                raise _Bail
        if type(levels) is tuple and type(levels[0]) is str and type(levels[1]) is str and levels[0] and levels[1]:
            key = levels   # 一级 and 二级 both written: the scorer's key as it is
        else:
            key = tuple([str(x) for x in levels if x])
        if points is None:
            raise _Bail
        # What a row's scoring depends on besides its numbers (its category, operator, method and whether it
        # is a rate) follows from its labels, name, direction and the kind of its target: looked up once.
        if target is None:
            shape = None
        elif target.deadline is not None:
            shape = "deadline"
        elif target.qualitative is not None:
            shape = "qualitative"
        else:
            shape = target.op or ""   # "": none written, so the name, the direction or the category decides
        direction = get("direction")
        shaped = rs.row_memo.get((key, name, direction, shape))
        if shaped is None:
            shaped = self._shape(i, key, name, direction, target)
            if name and len(rs.row_memo) < 4096:   # a row without a name is a rate or not by its number
                rs.row_memo[(key, name, direction, shape)] = shaped
        cat_key, op, ref, rate = shaped
        method = ref.method
        quick = method.numbers(points, target, actual, rate, ref.params) if method.numbers else None
        if quick is not None:
            raw_score = quick[0]
        else:   # no plain-case kernel, or not the plain case: the method itself
            inp = MethodInput(points, target, actual, own, op, raw_actual, _NO_FACTS, rs.fractions, rate,
                              self.sub.year, [])
            raw_score = method.func(inp, ref.params).score
        self.content.setdefault(cat_key, []).append((points, clip(rs.rounding, raw_score, points), own))

    def _shape(self, i: int, key: tuple[str, ...], name: str, direction: Any,
               target: Value | None) -> tuple[str, str, Any, bool]:
        """(category key, operator, method, rate) of a row, as the scorer works them out."""
        rs = self.rs
        placed = rs.placement_memo.get(key)
        if placed is None:
            raise _Bail
        cat = placed[0]
        op = operator_for(rs, cat, target, name, DIRECTIONS.get(direction or ""))
        ref = rs.method_memo.get((cat.key, op), _UNSET)
        if ref is _UNSET or ref is None:
            raise _Bail
        return cat.key, op, ref, rs.is_rate(name or f"第 {i + 1} 个指标")

    def _budget(self, cat: Category, name: str, points: Decimal, method: Any) -> tuple[Decimal, Decimal, Decimal | None]:
        """The execution-rate indicator, with the facts the scorer gives its method."""
        sub = self.sub
        facts = BudgetFacts(sub)
        total = (sub.data.get("budget") or {}).get("total") or {}
        own = Decimal(total["self_score"]) if total.get("self_score") is not None else None
        ref = method or self.rs.method_memo.get((cat.key, ">="), _UNSET)
        if ref is _UNSET or ref is None:
            raise _Bail
        kernel = ref.method.facts_numbers
        quick = kernel(points, facts, ref.params) if kernel else None
        if quick is not None:   # the plain case, without the method's explanation
            return points, clip(self.rs.rounding, quick[0], points), own
        actual = facts.rate_value() if ref.method.reads_actual else None
        inp = MethodInput(points, FULL_RATE, actual, own, ">=", None, facts,
                          self.rs.fractions, self.rs.is_rate(name), sub.year, [])
        return points, clip(self.rs.rounding, ref.method.func(inp, ref.params).score, points), own

    # ------------------------------------------------------------------ categories (as the scorer sums them)
    def _categories(self) -> list[tuple[Decimal, Decimal | None, Decimal]]:
        """(points, declared points, score) of each top-level category, every category summed as the scorer
        sums it (_absent, then _category and _reconcile), children before their parents in one pass."""
        rs = self.rs
        score_of, tolerance, content = rs.rounding.score, rs.tolerance, self.content
        done: dict[str, tuple[Decimal, Decimal | None, Decimal]] = {}
        absent: set[str] = set()
        for key, children, declared, when_absent, rescale in rs.sum_steps:   # children first
            rows = content.get(key)
            if rows is None and absent.issuperset(children):
                if when_absent:   # moved or dropped: in full
                    raise _Bail
                absent.add(key)
                done[key] = ((declared if declared is not None else ZERO) + ZERO, declared, score_of(ZERO))
                continue
            content_points = content_score = child_delta = ZERO
            for child in children:
                points, child_declared, score = done[child]
                content_points += points
                content_score += score
                if child_declared is not None:
                    child_delta += points - child_declared
            if rows is not None:
                for points, score, _ in rows:
                    content_points += points or ZERO
                    content_score += score or ZERO
            if declared is None:
                done[key] = (content_points, None, score_of(content_score))
                continue
            points = declared + ZERO - ZERO + child_delta
            if abs(content_points - points) <= tolerance:
                score = score_of(content_score)
            elif rescale and content_points > 0:
                score = score_of(content_score * points / content_points)   # as _reconcile
            else:
                score = score_of(min(content_score, points))
            done[key] = (points, declared, score)
        return [done[c.key] for c in rs.categories]


def _value(raw: Any) -> Value | None:
    if isinstance(raw, list):   # a checklist's items: in full
        raise _Bail
    return parse_value(raw)


def _in_unit(value: Value | None, unit: Any) -> Value | None:
    """A bare number in the row's unit column's unit, as build() reads it."""
    if value is None or value.unit is not None or not value.is_number:
        return value
    canonical = UNITS.get(normalise(unit))
    if canonical is None:
        raise _Bail
    return Value(text=value.text, op=value.op, number=value.number, unit=canonical, label=value.label)
