"""Score a submission under a compiled ruleset.

rows → categories (by label and alias) → method (indicator, then category chain, then by operator)
→ IndicatorResult → category subtotals (moves, drops, mismatch policy) → total → grade → Scorecard.
The unit's own scores are reported beside the rule's and every difference is a finding; nothing the unit
wrote is ever "corrected" silently.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Mapping

from . import __version__
from .budgetfacts import BudgetFacts
from .errors import Location, PerfrulesError, did_you_mean, error
from . import methods
from .methods import MethodInput, Note, Outcome, Unscorable, fmt, text
from .rulemodel import Category, FixedIndicator, MethodRef, Rounding, Ruleset
from .scorecard import CategoryResult, Finding, IndicatorResult, Scorecard, Stated
from .submission import Row, Submission
from .targets import Value, decimal_or_none, label_key, parse_value, split_weight

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_UNSET: Any = object()
_NO_FACTS: dict[str, Any] = {}   # a unit's own row has no facts; shared, never written to
FULL_RATE = Value(text="100%", number=HUNDRED, unit="%")   # the budget indicator's target (a Value is frozen)


def score(sub: Submission, rs: Ruleset) -> Scorecard:
    return _Scorer(sub, rs).run()


def clip(rounding: Rounding, raw: Decimal, points: Decimal) -> Decimal:
    """A method's score as the rule's score: within [0, points] (a negative actual must not subtract), rounded
    by the ruleset. max(ZERO, min(points, raw)), operand for operand: -0 and 5 vs 5.00 round as ever."""
    clipped = raw if raw < points else points
    return rounding.score(clipped if clipped > ZERO else ZERO)


def operator_for(rs: Ruleset, cat: Category, target: Value | None, name: str | None = None,
                 direction: str | None = None) -> str:
    """The comparison a row's target asks for: written (≥, 以上), a deadline or a quality, else the row's
    direction (its 指标方向 column, else words in its name), else the category's or the ruleset's bare
    operator. `name` is None for a fixed indicator, which has no direction."""
    if target is None:
        return rs.bare_operator
    if target.deadline is not None:
        return "deadline"
    if target.qualitative is not None:
        return "qualitative"
    if target.op:
        return target.op
    if name is not None:
        direction = direction or rs.direction_of(name)
        if direction is not None:   # 越大越好 / 越小越好, from the column or the indicator's name
            return ">=" if direction == "higher" else "<="
    return cat.inherited_bare_operator or rs.bare_operator


class _Scorer:
    def __init__(self, sub: Submission, rs: Ruleset):
        self.sub, self.rs = sub, rs
        self.findings: list[Finding] = []
        # What each category holds once the rows are placed, by category key: the unit's own rows, and the
        # ruleset's fixed indicators with the row that claimed each (a category with neither has no entry).
        self.rows_in: dict[str, list[Row]] = {}
        self.fixed_in: dict[str, list[tuple[FixedIndicator, Row | None]]] = {}
        self.results: list[IndicatorResult] = []
        self._weights_said: set[str] = set()
        self._file_location = Location(sub.file)   # where a finding about the whole submission points (immutable)

    # ------------------------------------------------------------------ placing rows
    def run(self) -> Scorecard:
        self._place_rows()
        absent = self._absent()
        moved = self._moves(absent)
        cats = [self._category(c, absent, moved, 0) for c in self.rs.categories]
        raw_total = sum((c.score for c in cats), ZERO)
        full = sum(((c.declared if c.declared is not None else c.points) for c in cats), ZERO)
        effective = sum((c.points for c in cats), ZERO)
        dropped = full - effective
        if dropped > 0 and effective > 0:
            raw_total = raw_total * full / effective
            by_category = sum((c.dropped for root in cats for c in root.walk()), ZERO)
            parts = ([f"{fmt(dropped - by_category)} 分的指标标为不适用"] if dropped - by_category else []) + \
                    ([f"{fmt(by_category)} 分的类别未设置且按规则不计"] if by_category else [])
            self._finding("info", "I-RESCALED", f"有{'、'.join(parts)}，其余得分按 {fmt(full)}/{fmt(effective)} 折算为满分 {fmt(full)}",
                          self._file_location)
        total = self.rs.rounding.total(raw_total)
        capped = self._cap(total)
        if capped is not None:
            total = raw_total = capped
        grade_basis = total if self.rs.rounding.grade_on == "rounded" else raw_total
        grade = self.rs.grade_of(grade_basis)
        stated = self._stated(total, grade, effective)
        return Scorecard(
            ruleset_id=self.rs.id, ruleset_version=self.rs.version, ruleset_title=self.rs.title,
            unit=self.sub.unit, year=self.sub.year, kind=self.sub.kind, file=self.sub.file,
            total=total, max_total=full, grade=grade, categories=cats, indicators=self.results,
            stated=stated, findings=sorted(self.findings, key=Finding.sort_key), provenance=self._provenance(),
        )

    def _cap(self, total: Decimal) -> Decimal | None:
        """The platforms' rule: a low execution rate caps the total (执行率 70–80% → 不超过 89); the excess is
        deducted and the finding says so. The tightest cap whose rate condition holds applies."""
        for cap in self.rs.caps:
            initial = cap.get("denominator") == "initial"
            budget = self.sub.budget_total("budget_initial" if initial else "budget")
            spent = self.sub.budget_total("spent")
            if not budget or spent is None:
                return None
            rate = spent / budget
            limit = Decimal(cap["max_total"])
            if rate < Decimal(cap["execution_below"]) and total > limit:
                self._finding("info", "I-CAPPED",
                              f"预算执行率 {fmt(rate * 100)}% 低于 {fmt(Decimal(cap['execution_below']) * 100)}%，按规则自评总分不超过 "
                              f"{fmt(limit)} 分：{fmt(total)} 分扣减 {fmt(total - limit)} 分，计 {fmt(limit)} 分",
                              self.sub.doc.loc(("budget",)))
                return self.rs.rounding.total(limit)
        return None

    def _place_rows(self) -> None:
        fixed = self.rs.fixed_index
        claimed: dict[str, Row] = {}
        for row in self.sub.rows:
            if row.blank:
                self._finding("info", "I-BLANK-ROW", f"第 {row.index + 1} 个指标是空行（没有名称和任何数值），不计分",
                              row.location)
                continue
            if not row.name:
                self._finding("warning", "W-NO-NAME", f"第 {row.index + 1} 个指标没有填写名称，按“{row.label}”计分",
                              row.location, row.label)
            hit = fixed.get(row.key or "") or fixed.get(label_key(row.name))
            if hit and hit[1].key not in claimed and hit[1].source == "indicator":
                claimed[hit[1].key] = row
                continue
            cat = self._category_of(row)
            self.rows_in.setdefault(cat.key, []).append(row)
        for cat in self.rs.with_indicators:
            self.fixed_in[cat.key] = [(ind, claimed.get(ind.key)) for ind in cat.indicators]

    def _category_of(self, row: Row) -> Category:
        # Where a row goes depends on its labels alone: found once per compiled ruleset, then looked up (the
        # labels whose printed weight, 产出指标(50分), is to be checked are remembered with it).
        levels = tuple(row.levels)
        placed = self.rs.placement_memo.get(levels)
        if placed is None:
            placed = self._place(row)
            if len(self.rs.placement_memo) < 4096:
                self.rs.placement_memo[levels] = placed
        node, weighted = placed
        for label, depth, cat in weighted:
            self._check_printed_weight(row, label, depth, cat)
        return node

    def _place(self, row: Row) -> tuple[Category, tuple[tuple[str, int, Category], ...]]:
        node: Category | None = None
        index = self.rs.root_index
        children = self.rs.categories
        weighted: list[tuple[str, int, Category]] = []
        for depth, label in enumerate(row.levels):
            wanted = label_key(label)
            match = index.get(wanted)
            if match is None and node is None:
                match = self._unique_anywhere(wanted)
            if match is None and node is None and self.rs.flat_category:
                node = self.rs.categories_by_key[self.rs.flat_category]
                break  # a flat ruleset: 一级 / 二级 labels the ruleset does not have are kept for display only
            if match is None:
                if node is not None and node.accepts_own and not node.children:
                    break  # a finer label than the ruleset distinguishes: kept for display only
                raise self._unknown_label(row, label, depth, children)
            if split_weight(label)[1] is not None:
                weighted.append((label, depth, match))
            node, children, index = match, match.children, match.child_index
        if node is None and not row.levels and self.rs.flat_category:   # a flat table: one category for all rows
            node = self.rs.categories_by_key[self.rs.flat_category]
        if node is None:
            raise error(f"指标“{row.label}”没有一级或二级指标标签，无法归类", row.location,
                        "填写 level1（如 产出指标）和 level2（如 数量指标）", code="E-CATEGORY")
        if not node.accepts_own:
            if node.indicators and not node.children:
                names = [i.name for i in node.indicators]
                raise error(f"指标“{row.label}”归入“{node.label}”，但该类别只有规则集规定的指标", row.location,
                            did_you_mean(row.label, names) + "；请把指标名称写成规则集中的名称", code="E-CATEGORY")
            choices = "、".join(c.label for c in node.children) or "（该类别只接受规则集规定的指标）"
            raise error(f"指标“{row.label}”归入“{node.label}”，但该类别不接受单位自设指标", row.location,
                        f"请填写下一级指标标签：{choices}", code="E-CATEGORY")
        return node, tuple(weighted)

    def _check_printed_weight(self, row: Row, label: str, depth: int, cat: Category) -> None:
        """`产出指标(50分)`: the weight a unit printed in its label is checked against the ruleset's."""
        _, printed = split_weight(label)
        if printed is None or cat.points is None or printed == cat.points or cat.key in self._weights_said:
            return
        self._weights_said.add(cat.key)
        field = ("level1",) if depth == 0 else ("level2",) if depth == 1 else ("levels", depth)
        self._finding("warning", "W-LABEL-POINTS",
                      f"标签“{label}”写明 {fmt(printed)} 分，规则集 {self.rs.ref} 中“{cat.label}”为 {fmt(cat.points)} 分；按规则集计分",
                      self.sub.doc.loc(row.path + field), cat.label)

    def _unique_anywhere(self, wanted: str) -> Category | None:
        hits = self.rs.label_index.get(wanted, [])
        return hits[0] if len(hits) == 1 else None

    def _unknown_label(self, row: Row, label: str, depth: int, children: list[Category]) -> PerfrulesError:
        field_name = "level1" if depth == 0 else "level2" if depth == 1 else f"levels[{depth}]"
        names = [c.label for c in children] or [c.label for c in self.rs.walk()]
        path = row.path + ((field_name,) if depth < 2 else ("levels", depth))
        return error(f"指标“{row.label}”的{'一' if depth == 0 else '二' if depth == 1 else '下'}级指标标签“{label}”"
                     f"不在规则集 {self.rs.ref} 中", self.sub.doc.loc(path), did_you_mean(label, names),
                     code="E-CATEGORY")

    # ------------------------------------------------------------------ absent categories
    def _absent(self) -> set[str]:
        """Categories with nothing in them or below them (one pass, children before parents)."""
        absent: set[str] = set()
        rows_in, fixed_in = self.rows_in, self.fixed_in
        for key, children, *_ in self.rs.sum_steps:   # children first
            if key not in rows_in and key not in fixed_in and absent.issuperset(children):
                absent.add(key)
        return absent

    def _moves(self, absent: set[str]) -> dict[str, Decimal]:
        """Points of absent categories that the ruleset moves elsewhere, by receiving category.

        A receiver that is itself absent passes what it received on by its own rule (a move, a drop), so
        no point vanishes: an absent receiver without a rule keeps the points and scores 0 on them."""
        moved: dict[str, Decimal] = {}
        for cat in self.rs.walk():
            rule = cat.when_absent
            if cat.key not in absent or not rule or cat.points is None or "drop" in rule:
                continue
            shares = self._shares(cat, cat.points, absent, (cat.key,))
            for key, share in shares.items():
                moved[key] = moved.get(key, ZERO) + share
            names = "、".join(self.rs.categories_by_key[k].label for k in shares)
            self._finding("info", "I-ABSENT-MOVED",
                          f"未设置“{cat.label}”，其 {fmt(cat.points)} 分按规则转入{names}", self._file_location,
                          cat.label)
        return moved

    def _shares(self, cat: Category, points: Decimal, absent: set[str], seen: tuple[str, ...]) -> dict[str, Decimal]:
        rule = cat.when_absent or {}
        targets = [rule["move_to"]] if "move_to" in rule else list(rule["pro_rata"])
        receivers = [self.rs.categories_by_key[t] for t in targets]   # checked to exist when the ruleset loaded
        weights = [c.points or ZERO for c in receivers]
        total = sum(weights, ZERO)
        out: dict[str, Decimal] = {}
        for receiver, w in zip(receivers, weights):
            share = points * (w / total if total else Decimal(1) / len(receivers))
            onward = receiver.when_absent or {}
            if receiver.key in absent and onward and "drop" not in onward and receiver.key not in seen:
                for key, part in self._shares(receiver, share, absent, seen + (receiver.key,)).items():
                    out[key] = out.get(key, ZERO) + part
            else:
                out[receiver.key] = out.get(receiver.key, ZERO) + share
        return out

    # ------------------------------------------------------------------ scoring categories
    def _category(self, cat: Category, absent: set[str], moved: dict[str, Decimal], depth: int) -> CategoryResult:
        children = [self._category(c, absent, moved, depth + 1) for c in cat.children] if cat.children else []
        fixed, rows = self.fixed_in.get(cat.key), self.rows_in.get(cat.key)
        indicators = [self._fixed(cat, ind, row) for ind, row in fixed] if fixed else []
        if rows:
            own = self._own
            indicators += [own(cat, row) for row in rows]
            self.results.extend(indicators)
        elif indicators:
            self.results.extend(indicators)
        if cat.key in absent:
            return self._absent_result(cat, depth, children, moved.get(cat.key, ZERO))
        # One pass over the contents (this runs for every category of every submission).
        content_points = content_score = na_points = child_delta = ZERO
        own_total, own_seen = ZERO, False
        for c in children:
            content_points += c.points
            content_score += c.score
            if c.declared is not None:
                # Moves and drops below change this category's points; moves between its children cancel out.
                child_delta += c.points - c.declared
            else:
                # Not-applicable points under a child without points travel up to the nearest category with
                # points, which shrinks by them (and the total is rescaled at the end).
                na_points += c.pending_na
            if c.self_score is not None:
                own_total, own_seen = own_total + c.self_score, True
        for i in indicators:
            # `or ZERO`, not a None test: a 0.0 adds ZERO, as ever (the sum's exponent is printed in the JSON)
            if i.status == "not-applicable":
                na_points += i.points or ZERO
                continue
            content_points += i.points or ZERO
            content_score += i.score or ZERO
            if i.self_score is not None:
                own_total, own_seen = own_total + i.self_score, True
        pending = ZERO
        received = moved.get(cat.key) if moved else None
        if cat.points is None:
            points, pending = content_points, na_points
        else:
            points = cat.points + (received if received is not None else ZERO) - na_points + child_delta
        if cat.points is None or abs(content_points - points) <= self.rs.tolerance:   # the contents add up
            score_ = self.rs.rounding.score(content_score)
        else:
            score_ = self._reconcile(cat, points, content_points, content_score, indicators, children)
        note = f"含转入的 {fmt(received)} 分" if received else ""
        return CategoryResult(cat.key, cat.label, points, cat.points, content_points, score_,
                              own_total if own_seen else None, "scored", note, children, indicators, depth, pending)

    def _absent_result(self, cat: Category, depth: int, children: list[CategoryResult],
                       received: Decimal = ZERO) -> CategoryResult:
        rule = cat.when_absent or {}
        declared = (cat.points if cat.points is not None else ZERO) + received
        extra = f"（含转入的 {fmt(received)} 分）" if received else ""
        label = cat.label
        if "drop" in rule:
            status, note, points = "dropped", "未设置，权重不计，总分按比例折算", ZERO
            self._finding("info", "I-ABSENT-DROPPED", lambda: f"未设置“{label}”，其 {fmt(declared)} 分{extra}不计入，总分按比例折算",
                          self._file_location, label)
        elif rule:
            status, note, points = "moved", "未设置，分值已转入其他类别", ZERO
        else:
            status, note, points = "absent", "未设置该类指标，计 0 分", declared
            if declared:
                self._finding("warning", "W-ABSENT", lambda: f"没有“{label}”类的指标，该类 {fmt(declared)} 分{extra}计 0 分",
                              self._file_location, label)
        return CategoryResult(cat.key, label, points, cat.points, ZERO, self.rs.rounding.score(ZERO), None,
                              status, note, children, [], depth, dropped=declared if status == "dropped" else ZERO)

    def _first_row(self, cat: Category, indicators: list[IndicatorResult], children: list[CategoryResult]) -> Location:
        """Where a reader finds a category in the submission: its first indicator row."""
        rows = indicators + [i for c in children for sub in c.walk() for i in sub.indicators]
        located = [i.location for i in rows if i.location.line is not None]
        return min(located, key=lambda loc: loc.line or 0) if located else self._file_location

    def _reconcile(self, cat: Category, points: Decimal, content_points: Decimal, content_score: Decimal,
                   indicators: list[IndicatorResult], children: list[CategoryResult]) -> Decimal:
        """Apply the ruleset's policy when the contents do not add up to the category's points."""
        rounding = self.rs.rounding
        if cat.points is None or abs(content_points - points) <= self.rs.tolerance:
            return rounding.score(content_score)
        first = self._first_row(cat, indicators, children)
        policy = cat.points_mismatch or self.rs.points_mismatch
        if policy == "rescale" and content_points > 0:
            scaled = rounding.score(content_score * points / content_points)
            self._finding("info", "I-POINTS-RESCALED",
                          f"“{cat.label}”的指标分值合计 {fmt(content_points)} 分，与类别分值 {fmt(points)} 分不符，"
                          f"得分 {fmt(content_score)} 按比例折算为 {fmt(scaled)} 分", first, cat.label)
            return scaled
        severity = "error" if policy == "error" else "warning"
        # Scored as written, but never above the category's points: a unit that writes more points than the
        # standard gives cannot score more than the standard's maximum.
        capped = min(content_score, points)
        cap_note = f"，得分 {fmt(content_score)} 超过类别分值，按 {fmt(points)} 分计" if capped < content_score else ""
        # What was done, said as it was done: a rescale policy with nothing to rescale did not score as written.
        if policy == "rescale":
            done = "指标分值合计为 0，无法按比例折算，按各行得分计"
        elif policy == "error":
            done = "按填报的分值计分，须按规则集更正分值"
        else:
            done = "按填报的分值计分"
        self._finding(severity, "E-POINTS" if severity == "error" else "W-POINTS",
                      f"“{cat.label}”的指标分值合计 {fmt(content_points)} 分，与规则集 {self.rs.ref} 规定的 "
                      f"{fmt(points)} 分不符；{done}{cap_note}", first, cat.label)
        return rounding.score(capped)

    # ------------------------------------------------------------------ scoring indicators
    def _own(self, cat: Category, row: Row) -> IndicatorResult:
        op = operator_for(self.rs, cat, row.target, row.name, row.direction)
        memo = self.rs.method_memo
        ref = memo.get((cat.key, op), _UNSET)
        if ref is _UNSET:
            ref = self._method_for(cat, None, op)
        return self._indicator(cat, row.name or row.label, row.points, row, row.target, row.actual, op, ref, "unit", _NO_FACTS)

    def _fixed(self, cat: Category, ind: FixedIndicator, row: Row | None) -> IndicatorResult:
        facts: Mapping[str, Any] = _NO_FACTS
        target: Value | None
        if ind.source == "budget":
            target, actual, facts, self_score, loc = self._budget_inputs()
            op = ">="
        else:
            target = parse_value(ind.target) if ind.target is not None else (row.target if row else None)
            actual = row.actual if row else None
            op = operator_for(self.rs, cat, target)
            self_score, loc = (row.self_score, row.location) if row else (None, ind.where)
        ref = ind.method or self._method_for(cat, None, op)
        if row is not None and row.points is not None and row.points != ind.points:
            self._finding("warning", "W-FIXED-POINTS", f"共性指标“{ind.name}”的分值由规则集定为 {fmt(ind.points)} 分，"
                          f"填报为 {fmt(row.points)} 分，按规则集计", row.location, ind.name)
        stand_in = Row(-1, [], ind.name, ind.key, target, actual, row.raw_target if row else ind.target,
                       row.raw_actual if row else None, ind.points, self_score,
                       row.explanation if row else None, row.applicable if row else True,
                       row.path if row else (), loc)
        if row is None and ind.source == "indicator":
            return self._unscorable(cat, stand_in, None, "单位未填报该共性指标", "ruleset")
        return self._indicator(cat, ind.name, ind.points, stand_in, target, actual, op, ref, "ruleset", facts)

    def _budget_inputs(self) -> tuple[Value, Value | None, "BudgetFacts", Decimal | None, Location]:
        facts = BudgetFacts(self.sub)
        actual = facts.rate_value()
        total = (self.sub.data.get("budget") or {}).get("total") or {}
        path = ("budget", "total") if total else ("budget",)
        target = FULL_RATE
        self_score = Decimal(total["self_score"]) if total.get("self_score") is not None else None
        return target, actual, facts, self_score, self.sub.doc.loc(path)

    def _method_for(self, cat: Category, explicit: MethodRef | None, op: str) -> MethodRef | None:
        if explicit:
            return explicit
        key = (cat.key, op)
        if key not in self.rs.method_memo:
            self.rs.method_memo[key] = self._lookup_method(cat, op)
        return self.rs.method_memo[key]

    def _lookup_method(self, cat: Category, op: str) -> MethodRef | None:
        found = self._configured_method(cat, op)
        if found is None and op == "deadline":   # a ruleset that predates deadlines: the built-in method
            method = methods.get("deadline")
            return MethodRef(method, method.compile_params({}), "deadline")
        return found

    def _configured_method(self, cat: Category, op: str) -> MethodRef | None:
        for node in cat.lineage():
            if node.method:
                return node.method
            if op in node.by_operator:
                return node.by_operator[op]
        return self.rs.by_operator.get(op)

    def _indicator(self, cat: Category, name: str, points: Decimal | None, row: Row, target: Value | None,
                   actual: Value | None, op: str, ref: MethodRef | None, source: str,
                   facts: Mapping[str, Any]) -> IndicatorResult:
        if not row.applicable:
            return self._result(cat, row, name, None, None, "不适用：权重不计，其余指标按比例折算", "not-applicable",
                                source, {}, None)
        if points is None:
            blank = [what for what, value in (("年度指标值", target), ("实际完成值", actual), ("分值", points),
                                                ("自评得分", row.self_score)) if value is None]
            return self._unscorable(cat, row, ref, f"未填写{'、'.join(blank)}", source)
        if ref is None:
            return self._unscorable(cat, row, None, f"规则集没有为比较符“{op}”指定评分方法", source)
        method, rate = ref.method, self.rs.is_rate(name)
        inp = MethodInput(points, target, actual, row.self_score, op, row.raw_actual, facts, self.rs.fractions,
                          rate, self.sub.year, [])
        try:
            # The plain case (most rows): the method's kernel gives the score, met and share, and the method
            # itself runs only if the explanation or the inputs are shown (it would note and read nothing).
            kernel, facts_kernel = method.numbers, method.facts_numbers
            quick = kernel(points, target, actual, rate, ref.params) if kernel is not None else \
                facts_kernel(points, facts, ref.params) if facts_kernel is not None else None
            if quick is None:
                outcome = method.func(inp, ref.params)   # MethodRef.run, without its frame
        except Unscorable as exc:
            return self._unscorable(cat, row, ref, exc.reason, source, exc.code)
        except ArithmeticError as exc:   # a Decimal trap: the row's numbers, not the engine, are out of range
            raise error(f"指标“{name}”的数值无法计算（{type(exc).__name__}）", row.location,
                        "检查该行的年度指标值、实际完成值和分值是否过大、过小或为 0", code="E-NUMBER") from None
        explanation: "str | Callable[[], str]"
        inputs: "dict[str, str] | Callable[[], dict[str, str]]"
        notes: tuple[Note, ...]
        if quick is not None:
            raw, met, share = quick
            later = _Later(method.func, inp, ref.params)
            explanation, inputs, notes = later.explanation, later.inputs, ()
        else:
            if inp.readings:   # an interpretation the ruleset allowed: said where the score is explained
                outcome.explanation = text(outcome.explanation) + "（" + "；".join(inp.readings) + "）"
                self._finding("info", "I-READING", f"指标“{name}”：" + "；".join(inp.readings), row.location, name)
            raw, met, share, notes = outcome.score, outcome.met, outcome.share, outcome.notes
            explanation, inputs = outcome.explanation, outcome.inputs
        # Scored (inlined: this runs for every row of every submission).
        score_ = clip(self.rs.rounding, raw, points)
        target, actual = row.target, row.actual
        result = IndicatorResult(
            name, cat.label, cat.label_path, points, score_, row.self_score, ref.name, explanation,
            target.text if target is not None else _raw_text(row.raw_target),
            actual.text if actual is not None else _raw_text(row.raw_actual),
            inputs, "scored", source, row.location, met, share)
        for note in notes:
            self._finding(note.severity, note.code, f"指标“{name}”：{note.message}", self._cell(row, note.field), name)
        own = row.self_score
        if own is not None and own != score_:   # the sentence is built when it is shown (see Finding)
            self.findings.append(Finding("warning", "W-SELF-SCORE", lambda: f"指标“{name}”：单位自评 {fmt(own)} 分，按规则应得 "
                                         f"{fmt(score_)} 分（{result.explanation}）", self._cell(row, "self_score"), name))
        return result

    def _cell(self, row: Row, field: str | None) -> Location:
        """Where a finding about one field of a row points: that field's cell (绩效指标!F12, or the field's
        line and path in YAML), so the unit is sent to the value to fix, not to the indicator's name."""
        if field is None or not row.location.path:
            return row.location
        return self.sub.doc.loc(tuple(row.location.path) + (field,))

    def _unscorable(self, cat: Category, row: Row, ref: MethodRef | None, reason: str, source: str,
                    code: str = "E-UNSCORABLE") -> IndicatorResult:
        hint = "；请写明单位（如 98%），或由规则集设置 defaults.fractions: as_rate" if code == "E-AMBIGUOUS" else ""
        self._finding("error", code, f"指标“{row.label}”无法按规则评分：{reason}{hint}；按 0 分计"
                      + (f"（单位自评 {fmt(row.self_score)} 分）" if row.self_score is not None else ""),
                      self._cell(row, _field_named(reason)), row.label)
        return self._result(cat, row, row.label, ref.name if ref else None, ZERO if row.points is not None else None,
                            f"无法评分：{reason}", "unscorable", source, {}, None)

    def _result(self, cat: Category, row: Row, name: str, method: str | None, score_: Decimal | None,
                explanation: Any, status: str, source: str, inputs: Any, met: bool | None) -> IndicatorResult:
        # Positional, in the field order of IndicatorResult (this runs for every row of every submission).
        target, actual = row.target, row.actual
        return IndicatorResult(
            name, cat.label, cat.label_path, row.points, score_, row.self_score, method, explanation,
            target.text if target is not None else _raw_text(row.raw_target),
            actual.text if actual is not None else _raw_text(row.raw_actual),
            inputs, status, source, row.location, met)

    # ------------------------------------------------------------------ stated figures
    def _stated(self, total: Decimal, grade: str, effective: Decimal) -> list[Stated]:
        stated_block = self.sub.data.get("stated") or {}
        out = [Stated("规则得分", total, effective, grade)]   # the points the categories still carry
        self_sum = [i.self_score for i in self.results if i.self_score is not None and i.status != "not-applicable"]
        if self_sum:
            out.append(Stated("自评分合计（逐项相加）", sum(self_sum, ZERO)))
        for key, label in (("table", "自评表所列总分"), ("narrative", "报告正文所述总分")):
            block = stated_block.get(key) or {}
            if block.get("total") is None and not block.get("grade"):
                continue
            value = Decimal(block["total"]) if block.get("total") is not None else None
            out.append(Stated(label, value, decimal_or_none(block.get("max")), block.get("grade")))
            if value is not None and value != total:
                self._finding("warning", "W-STATED-TOTAL", _stated_message(label, value, total),
                              self.sub.doc.loc(("stated", key, "total")), label)
        return out

    def _finding(self, severity: str, code: str, message: "str | Callable[[], str]", location: Location,
                 subject: str | None = None) -> None:
        self.findings.append(Finding(severity, code, message, location, subject))

    def _provenance(self) -> dict[str, Any]:
        return {
            "ruleset": self.rs.ref, "ruleset_sha256": self.rs.sha256, "ruleset_file": self.rs.file,
            "input_sha256": self.sub.doc.sha256, "input_encoding": self.sub.doc.encoding,
            "engine": f"perfrules {__version__}",
        }


class _Later:
    """A method run when its explanation or its inputs are first shown: the score, met and share came from
    its kernel (Method.numbers), which answers only where the method notes and reads nothing."""

    __slots__ = ("func", "inp", "params", "outcome")

    def __init__(self, func: Callable[[MethodInput, Any], Outcome], inp: MethodInput, params: Any) -> None:
        self.func, self.inp, self.params = func, inp, params
        self.outcome: Outcome | None = None

    def _run(self) -> Outcome:
        if self.outcome is None:
            self.outcome = self.func(self.inp, self.params)
        return self.outcome

    def explanation(self) -> str:
        return text(self._run().explanation)

    def inputs(self) -> dict[str, str]:
        inputs = self._run().inputs
        return inputs if isinstance(inputs, dict) else inputs()


def _stated_message(label: str, value: Decimal, total: Decimal) -> Callable[[], str]:
    return lambda: f"{label} {fmt(value)} 分，按规则计算为 {fmt(total)} 分，相差 {fmt(value - total)} 分"


# The field a refusal is about, by the first field it names (实际完成值 … → actual): the cell the finding points at.
_FIELD_WORDS = (("实际", "actual"), ("年度指标值", "target"), ("目标", "target"), ("自评分", "self_score"),
                ("自评得分", "self_score"), ("分值", "points"), ("预算数", None), ("执行数", None))


def _field_named(reason: str) -> str | None:
    found = [(reason.find(word), field) for word, field in _FIELD_WORDS if word in reason]
    return min(found, key=lambda pair: pair[0])[1] if found else None


def _raw_text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, list):
        return "、".join(map(str, raw))
    return str(raw)
