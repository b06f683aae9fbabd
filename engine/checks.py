"""Consistency checks: declarative ruleset entries (kind + parameters + severity) run after scoring.

Each kind is one function plus one registry entry, like the scoring methods. A check yields `Hit`s (message,
path in the submission, subject); the runner stamps them with the entry's severity and code. Checks read
the submission and the scorecard; they never change a score.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, Mapping

from .dates import cn_date, parse_date
from .errors import Path, did_you_mean
from .methods import Param, ParamError, _convert, fmt, fmt_once
from .scorecard import Finding, IndicatorResult, Scorecard
from .submission import Submission
from .targets import ValueError_, decimal_or_none as _dec, parse_value

ZERO = Decimal(0)


@dataclass(frozen=True)
class Hit:
    # The sentence, or a function that builds it when it is shown (the checks that run for every row defer
    # theirs: a batch that counts findings never formats them; see Finding).
    message: "str | Callable[[], str]"
    path: Path = ()
    subject: str | None = None
    code: str | None = None     # a more specific code than the check's own, for checks that test several things


@dataclass
class Context:
    sub: Submission
    card: Scorecard
    tolerance: Decimal
    grade_of: Callable[[Decimal], str]
    grade_named: Callable[[str], Any]
    category_named: Callable[[str], Any]
    _rows: list[tuple[IndicatorResult, Mapping[str, Any]]] | None = None
    _money: "list[MoneyLine] | None" = None

    @property
    def money(self) -> str:
        return self.sub.data.get("money_unit") or "万元"

    def rows(self) -> list[tuple[IndicatorResult, Mapping[str, Any]]]:
        """Scored indicators that stand for a row of the submission, with that row (found once per context:
        several checks read them)."""
        if self._rows is None:
            raw_rows = self.sub.data.get("indicators") or []
            self._rows = []
            for result in self.card.indicators:
                path = result.location.path
                if len(path) == 2 and path[0] == "indicators" and isinstance(path[1], int) and path[1] < len(raw_rows):
                    self._rows.append((result, raw_rows[path[1]]))
        return self._rows


@dataclass(frozen=True)
class CheckKind:
    name: str
    label: str
    func: Callable[[Context, Mapping[str, Any]], Iterable[Hit]]
    code: str
    severity: str
    params: tuple[Param, ...] = ()
    doc: str = ""
    # The submission fields the check reads, as dotted paths (`[]` for each row of a list). The 自评表 has a
    # cell for every one of them (tests/test_form_fields.py), so a unit who fills in the form gets every
    # finding a YAML author gets.
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompiledCheck:
    kind: CheckKind
    params: Mapping[str, Any]
    severity: str
    code: str
    message: str | None = None

    def run(self, ctx: Context) -> list[Finding]:
        out = []
        for hit in self.kind.func(ctx, self.params):
            text = _worded(self.message, hit.message) if self.message else hit.message
            code = hit.code if hit.code and self.code == self.kind.code else self.code
            out.append(Finding(self.severity, code, text, ctx.sub.doc.loc(hit.path), hit.subject))
        return out


def _worded(template: str, detail: "str | Callable[[], str]") -> "str | Callable[[], str]":
    """The ruleset's own wording of a check, with the check's sentence put in for {detail}."""
    if isinstance(detail, str):
        return template.replace("{detail}", detail)
    return lambda: template.replace("{detail}", detail())


KINDS: dict[str, CheckKind] = {}


def register(kind: CheckKind) -> None:
    KINDS[kind.name] = kind


def compile_check(raw: Mapping[str, Any], category_keys: Iterable[str] = ()) -> CompiledCheck:
    """Raises ParamError with a message; the ruleset compiler adds the location."""
    name = raw["kind"]
    if name not in KINDS:
        raise ParamError(f"未知的核对类型 '{name}'", did_you_mean(name, KINDS))
    kind = KINDS[name]
    params_raw = {k: v for k, v in raw.items() if k not in ("kind", "severity", "code", "message")}
    known = {p.name: p for p in kind.params}
    for key in params_raw:
        if key not in known:
            raise ParamError(f"核对类型 '{name}' 没有参数 '{key}'",
                             did_you_mean(key, known) if known else "该核对类型只接受 severity、code、message")
    params = {p.name: (_convert(name, p, params_raw[p.name]) if params_raw.get(p.name) is not None else p.default)
              for p in kind.params}
    missing = [p.name for p in kind.params if p.required and params[p.name] is None]
    if missing:
        raise ParamError(f"核对类型 '{name}' 缺少参数 '{missing[0]}'")
    if name == "expression":   # expressions (and simpleeval) load only for a ruleset whose checks use them
        from .expressions import ExpressionError, compile_expression
        try:
            allowed = EXPRESSION_NAMES | {f"{w}_{k}" for k in category_keys for w in ("score", "points")}
            params["when"] = compile_expression(str(raw["when"]), frozenset(allowed))
        except ExpressionError as exc:
            raise ParamError(f"核对表达式：{exc.message}") from None
    return CompiledCheck(kind, params, raw.get("severity", kind.severity), raw.get("code", kind.code),
                         raw.get("message"))


def run_checks(checks: Iterable[CompiledCheck], ctx: Context) -> list[Finding]:
    found: list[Finding] = []
    for check in checks:
        found += check.run(ctx)
    return found


# ------------------------------------------------------------------------------------------- helpers

def _off(a: Decimal, b: Decimal, tolerance: Decimal) -> bool:
    return abs(a - b) > tolerance


def _tol(ctx: Context, p: Mapping[str, Any]) -> Decimal:
    return p["tolerance"] if p.get("tolerance") is not None else ctx.tolerance


_MONEY_PARTS = (("total", "总额"), ("fiscal", "财政拨款"), ("other", "其他资金"))
_BLOCKS = (("budget", "全年预算数"), ("budget_initial", "年初预算数"), ("spent", "全年执行数"))
_TOL = Param("tolerance", "decimal", None, doc="允许的误差（默认取规则集 defaults.tolerance）")


# ------------------------------------------------------------------------------------------- sums

@dataclass(frozen=True)
class MoneyLine:
    """A task line or the 金额合计 line, with its amounts read as numbers once (block → part → amount)."""

    path: Path
    name: str
    raw: Mapping[str, Any]
    amounts: Mapping[str, Mapping[str, Decimal | None]]
    is_total: bool


def _money_lines(ctx: Context) -> list[MoneyLine]:
    """Every money line of the submission, tasks first, found once per context (five checks read them)."""
    if ctx._money is None:
        budget = ctx.sub.data.get("budget") or {}
        lines: list[tuple[Path, str, Any, bool]] = [
            (("budget", "tasks", i), t.get("name") or f"第 {i + 1} 项任务", t, False)
            for i, t in enumerate(budget.get("tasks") or [])]
        if budget.get("total"):
            lines.append((("budget", "total"), "金额合计", budget["total"], True))
        ctx._money = [MoneyLine(path, name, raw, {block: _amounts(raw.get(block)) for block, _ in _BLOCKS}, is_total)
                      for path, name, raw, is_total in lines]
    return ctx._money


def _amounts(money: Any) -> dict[str, Decimal | None]:
    money = money or {}
    return {part: _dec(money.get(part)) for part, _ in _MONEY_PARTS}


def budget_sums(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    lines = _money_lines(ctx)
    tasks = [line.amounts for line in lines if not line.is_total]
    total = next((line.amounts for line in lines if line.is_total), None)
    if total is None:
        return
    for block, block_label in _BLOCKS:
        for part, part_label in _MONEY_PARTS:
            stated = total[block][part]
            values = [v for t in tasks if (v := t[block][part]) is not None]
            if stated is None or not values:
                continue
            summed = sum(values, ZERO)
            if _off(summed, stated, _tol(ctx, p)):
                yield Hit(f"各项任务{block_label}（{part_label}）合计 {fmt(summed)} {ctx.money}，金额合计行为 "
                          f"{fmt(stated)} {ctx.money}，相差 {fmt(stated - summed)} {ctx.money}",
                          ("budget", "total", block, part), "金额合计")


def money_split(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    for line in _money_lines(ctx):
        path, name = line.path, line.name
        for block, block_label in _BLOCKS:
            money = line.amounts[block]
            total, fiscal, other = money["total"], money["fiscal"], money["other"]
            if total is not None and fiscal is not None and other is None and fiscal > total + _tol(ctx, p):
                yield Hit(f"“{name}”{block_label}：财政拨款 {fmt(fiscal)} {ctx.money} 超过总额 {fmt(total)} {ctx.money}"
                          "（其他资金未填）", path + (block,), name)
                continue
            if None in (total, fiscal, other):
                continue
            assert total is not None and fiscal is not None and other is not None
            if _off(fiscal + other, total, _tol(ctx, p)):
                yield Hit(f"“{name}”{block_label}：财政拨款 {fmt(fiscal)} + 其他资金 {fmt(other)} = {fmt(fiscal + other)}"
                          f" {ctx.money}，与总额 {fmt(total)} {ctx.money} 不符", path + (block,), name)


def finance_balance(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    stated = (ctx.sub.data.get("stated") or {}).get("finance") or []
    for i, f in enumerate(stated):
        where = f.get("section") or f"第 {i + 1} 处财务数字"
        income, expense, balance = _dec(f.get("income")), _dec(f.get("expense")), _dec(f.get("balance"))
        basic, project = _dec(f.get("basic")), _dec(f.get("project"))
        path = ("stated", "finance", i)
        if income is not None and expense is not None and _off(income, expense + (balance or ZERO), _tol(ctx, p)):
            yield Hit(f"{where}：收入 {fmt(income)} {ctx.money} ≠ 支出 {fmt(expense)} + 结余 {fmt(balance or ZERO)}",
                      path + ("income",), where)
        if expense is not None and basic is not None and project is not None and _off(basic + project, expense, _tol(ctx, p)):
            yield Hit(f"{where}：基本支出 {fmt(basic)} + 项目支出 {fmt(project)} = {fmt(basic + project)} {ctx.money}，"
                      f"与所述支出 {fmt(expense)} {ctx.money} 不符，相差 {fmt(basic + project - expense)} {ctx.money}",
                      path + ("basic",), where)


def assets_sum(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    assets = (ctx.sub.data.get("stated") or {}).get("assets") or {}
    total, current, fixed = _dec(assets.get("total")), _dec(assets.get("current")), _dec(assets.get("fixed"))
    if None in (total, current, fixed):
        return
    assert total is not None and current is not None and fixed is not None
    if _off(current + fixed, total, _tol(ctx, p)):
        yield Hit(f"资产总额 {fmt(total)} {ctx.money}，流动资产 {fmt(current)} + 固定资产 {fmt(fixed)} = "
                  f"{fmt(current + fixed)} {ctx.money}，相差 {fmt(total - current - fixed)} {ctx.money}", ("stated", "assets", "total"),
                  "资产总额")


# ------------------------------------------------------------------------------------------- budget execution

def execution_within_budget(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    for line in _money_lines(ctx):
        path, name = line.path, line.name
        budget, spent = line.amounts["budget"]["total"], line.amounts["spent"]["total"]
        if budget is not None and spent is not None and spent - budget > _tol(ctx, p):
            yield Hit(f"“{name}”执行数 {fmt(spent)} {ctx.money} 超过预算数 {fmt(budget)} {ctx.money}", path + ("spent",), name)


def _rate(text: Any) -> Decimal | None:
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, Decimal)):
        value = Decimal(text)
        return value * 100 if value <= 1 else value
    try:
        parsed = parse_value(str(text))
    except ValueError_:
        return None
    return parsed.number if parsed is not None else None


def stated_rates(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    for line in _money_lines(ctx):
        path, name = line.path, line.name
        stated = _rate(line.raw.get("rate"))
        budget, spent = line.amounts["budget"]["total"], line.amounts["spent"]["total"]
        if stated is None or not budget or spent is None:
            continue
        actual = spent / budget * 100
        if abs(actual - stated) > p["tolerance_points"]:
            yield Hit(f"“{name}”所填执行率 {fmt(stated)}%，按 {fmt_once(spent)}/{fmt_once(budget)} 计算为 {fmt_once(actual)}%",
                      path + ("rate",), name)


def execution_floor(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    budget, spent = ctx.sub.budget_total("budget"), ctx.sub.budget_total("spent")
    reason = (ctx.sub.data.get("budget") or {}).get("execution_reason")
    if not budget or spent is None or reason:
        return
    rate = spent / budget
    if rate < p["floor"]:
        yield Hit(f"预算执行率 {fmt(rate * 100)}% 低于 {fmt(p['floor'] * 100)}%，未说明原因（请在“执行情况说明”中写明）",
                  ("budget",), "预算执行率")


# ------------------------------------------------------------------------------------------- scores

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


# ------------------------------------------------------------------------------------------- stated figures

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


# ------------------------------------------------------------------------------------------- dates and years

def dates(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    data, year = ctx.sub.data, ctx.sub.year
    report = parse_date(data.get("report_date"))
    if data.get("report_date") and report is None:
        yield Hit(f"报告日期“{data['report_date']}”无法识别", ("report_date",), "报告日期", "C-DATE-INVALID")
    if report is not None and report.year <= year:
        yield Hit(f"报告日期 {cn_date(report)} 不在评价年度 {year} 年之后", ("report_date",), "报告日期", "C-DATE-REPORT")
    elif report is not None and report.year > year + p["max_years_after"]:
        yield Hit(f"报告日期 {cn_date(report)} 距评价年度 {year} 年过远", ("report_date",), "报告日期", "C-DATE-REPORT")
    signatures = data.get("signatures") or {}
    for key, label in (("leader_date", "评价组组长签字日期"), ("unit_date", "部门（单位）负责人签章日期")):
        text = signatures.get(key)
        when = parse_date(text)
        if text and when is None:
            yield Hit(f"{label}“{text}”无法识别", ("signatures", key), label, "C-DATE-INVALID")
        elif when is not None and report is not None and abs((when - report).days) > p["max_days"]:
            yield Hit(f"{label} {cn_date(when)} 与报告日期 {cn_date(report)} 相差 {abs((when - report).days)} 天",
                      ("signatures", key), label, "C-DATE-SIGNATURE")
        elif when is not None and when.year <= year:
            yield Hit(f"{label} {cn_date(when)} 不在评价年度 {year} 年之后", ("signatures", key), label, "C-DATE-SIGNATURE")


def other_year_figures(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    stated = (ctx.sub.data.get("stated") or {}).get("finance") or []
    for i, f in enumerate(stated):
        if f.get("year") is not None and f["year"] != ctx.sub.year:
            where = f.get("section") or f"第 {i + 1} 处财务数字"
            yield Hit(f"{where}引用的是 {f['year']} 年度的收支数字，本次评价的是 {ctx.sub.year} 年度",
                      ("stated", "finance", i, "year"), where)


# ------------------------------------------------------------------------------------------- completeness

def _section_body(section: Mapping[str, Any]) -> bool:
    return bool((section.get("body") or "").strip()) or any(_section_body(s) for s in section.get("sections") or [])


def _find_section(sections: list[Mapping[str, Any]], title: str) -> tuple[Mapping[str, Any], Path] | None:
    for i, s in enumerate(sections):
        if title in (s.get("title") or ""):
            return s, ("narrative", i)
        for j, sub in enumerate(s.get("sections") or []):
            if title in (sub.get("title") or ""):
                return sub, ("narrative", i, "sections", j)
    return None


FIELD_LABELS = {"goals.expected": "年度总体目标（预期目标）", "goals.achieved": "目标实际完成情况", "team": "评价小组",
                "signatures.unit_opinion": "部门（单位）意见", "signatures.leader_date": "评价组组长签字日期",
                "signatures.unit_date": "部门（单位）负责人签章日期", "report_date": "报告日期"}


def required_sections(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    narrative = ctx.sub.data.get("narrative") or []
    for title in p["sections"]:
        found = _find_section(narrative, str(title))
        if found is None:
            yield Hit(f"报告缺少“{title}”一节", ("narrative",), str(title))
        elif not _section_body(found[0]):
            yield Hit(f"报告“{found[0].get('title')}”一节是空的", found[1], str(title))
    for dotted in p["fields"]:
        value: Any = ctx.sub.data
        for part in str(dotted).split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value in (None, "", []):
            label = FIELD_LABELS.get(str(dotted), str(dotted))
            yield Hit(f"“{label}”未填写", tuple(str(dotted).split(".")), label)


# ------------------------------------------------------------------------------------------- expression

def _expression_names(ctx: Context) -> dict[str, Any]:
    card, sub = ctx.card, ctx.sub
    stated = sub.data.get("stated") or {}
    budget, spent = sub.budget_total("budget"), sub.budget_total("spent")
    names: dict[str, Any] = {
        "total": card.total, "max_total": card.max_total, "year": Decimal(sub.year),
        "table_total": _dec((stated.get("table") or {}).get("total")),
        "narrative_total": _dec((stated.get("narrative") or {}).get("total")),
        "self_total": sum((i.self_score for i in card.indicators if i.self_score is not None), ZERO),
        "budget": budget, "spent": spent, "rate": (spent / budget) if budget and spent is not None else None,
        "indicator_count": Decimal(len(card.indicators)),
        "stated_rate": sub.stated_rate(),
        "has_adjusted_reason": bool(((sub.data.get("budget") or {}).get("adjusted_reason") or "").strip()),
        "has_execution_reason": bool(((sub.data.get("budget") or {}).get("execution_reason") or "").strip()),
    }
    for which in ("budget", "budget_initial", "spent"):   # every budget figure: 总额, 财政拨款, 其他资金
        names.setdefault(which, sub.budget_total(which))
        names[f"{which}_fiscal"] = sub.budget_total(which, "fiscal")
        names[f"{which}_other"] = sub.budget_total(which, "other")
    for cat in card.all_categories():
        names[f"score_{cat.key}"] = cat.score
        names[f"points_{cat.key}"] = cat.points
    return names


EXPRESSION_NAMES = frozenset({"total", "max_total", "year", "table_total", "narrative_total", "self_total", "budget",
                              "spent", "rate", "indicator_count", "stated_rate", "has_adjusted_reason",
                              "has_execution_reason", "budget_initial"}
                             | {f"{w}_{p}" for w in ("budget", "budget_initial", "spent") for p in ("fiscal", "other")})


def expression(ctx: Context, p: Mapping[str, Any]) -> Iterator[Hit]:
    from .expressions import ExpressionError, in_words
    names = _expression_names(ctx)
    missing = [n for n in p["when"].names if names.get(n) is None]
    if missing:
        return
    try:
        hit = p["when"].evaluate(names)
    except ExpressionError as exc:
        yield Hit(f"核对表达式无法计算：{exc.message}")
        return
    if hit:
        labels = expression_labels(ctx)
        used = sorted(p["when"].names)
        values = "、".join(f"{labels.get(n, n)} {_shown(names[n])}" for n in used)
        yield Hit(f"{in_words(p['when'].source, labels)}" + (f"（{values}）" if values else ""))


# The names an expression check may use, in the words a unit reads (a check without a message of its own is
# said with these; see expressions.in_words).
EXPRESSION_LABELS = {
    "total": "规则总分", "max_total": "满分", "year": "评价年度", "table_total": "自评表总分", "narrative_total": "报告所述总分",
    "self_total": "自评总分", "budget": "全年预算数", "budget_initial": "年初预算数", "spent": "全年执行数",
    "rate": "预算执行率", "indicator_count": "指标个数", "stated_rate": "所填执行率",
    "has_adjusted_reason": "已说明预算调整原因", "has_execution_reason": "已说明执行情况",
    **{f"{w}_{p}": f"{label}（{part}）" for w, label in (("budget", "全年预算数"), ("budget_initial", "年初预算数"),
                                                         ("spent", "全年执行数"))
       for p, part in (("fiscal", "财政拨款"), ("other", "其他资金"))},
}


def expression_labels(ctx: Context) -> dict[str, str]:
    labels = dict(EXPRESSION_LABELS)
    for cat in ctx.card.all_categories():
        labels[f"score_{cat.key}"] = f"“{cat.label}”得分"
        labels[f"points_{cat.key}"] = f"“{cat.label}”分值"
    return labels


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return fmt(value) if isinstance(value, Decimal) else str(value)


_MONEY = tuple(f"budget.{line}.{block}.{part}" for line in ("tasks[]", "total") for block, _ in _BLOCKS
               for part, _ in _MONEY_PARTS)
READS: dict[str, tuple[str, ...]] = {
    "budget_sums": _MONEY, "money_split": _MONEY,
    "finance_balance": tuple(f"stated.finance[].{k}" for k in ("income", "expense", "basic", "project", "balance")),
    "assets_sum": ("stated.assets.total", "stated.assets.current", "stated.assets.fixed"),
    "execution_within_budget": _MONEY,
    "stated_rates": _MONEY + ("budget.tasks[].rate", "budget.total.rate"),
    "execution_floor": _MONEY + ("budget.execution_reason",),
    "score_range": ("indicators[].points", "indicators[].self_score"),
    "deduction_without_explanation": ("indicators[].target", "indicators[].actual", "indicators[].self_score",
                                      "indicators[].explanation"),
    "missed_without_explanation": ("indicators[].target", "indicators[].actual", "indicators[].explanation"),
    "over_achievement": ("indicators[].target", "indicators[].actual", "indicators[].explanation"),
    "row_completeness": ("indicators[].points", "indicators[].self_score"),
    "stated_scores": ("stated.table.total", "stated.table.max", "stated.narrative.total",
                      "stated.narrative.categories[].label", "stated.narrative.categories[].points",
                      "stated.narrative.categories[].score", "indicators[].self_score", "indicators[].points"),
    "stated_grade": ("stated.table.grade", "stated.narrative.grade", "stated.table.total", "stated.narrative.total"),
    "dates": ("report_date", "signatures.leader_date", "signatures.unit_date", "year"),
    "other_year_figures": ("stated.finance[].year", "stated.finance[].section", "year"),
    "required_sections": ("narrative[].title", "narrative[].body"),   # and the fields its `fields` name
    "expression": ("year", "stated.table.total", "stated.narrative.total") + _MONEY,
}


def _k(name: str, label: str, func: Callable[[Context, Mapping[str, Any]], Iterable[Hit]], code: str, severity: str,
       params: tuple[Param, ...] = (), doc: str = "") -> None:
    register(CheckKind(name, label, func, code, severity, params, doc, READS.get(name, ())))


_k("budget_sums", "任务合计与金额合计", budget_sums, "C-BUDGET-SUM", "error", (_TOL,), "各项任务的预算数、执行数之和等于金额合计行。")
_k("money_split", "财政拨款 + 其他资金 = 总额", money_split, "C-MONEY-SPLIT", "error", (_TOL,), "每一行的资金来源相加等于总额。")
_k("finance_balance", "收支平衡", finance_balance, "C-FINANCE", "error", (_TOL,), "收入 = 支出 + 结余；基本支出 + 项目支出 = 支出。")
_k("assets_sum", "资产合计", assets_sum, "C-ASSETS", "error", (_TOL,), "资产总额 = 流动资产 + 固定资产。")
_k("execution_within_budget", "执行不超预算", execution_within_budget, "C-OVERSPENT", "warning", (_TOL,),
   "执行数不大于预算数。")
_k("stated_rates", "执行率复核", stated_rates, "C-RATE", "warning",
   (Param("tolerance_points", "decimal", Decimal("0.5"), doc="允许相差的百分点"),), "所填执行率与 执行数/预算数 一致。")
_k("execution_floor", "执行率下限", execution_floor, "C-LOW-EXECUTION", "warning",
   (Param("floor", "decimal", Decimal("0.9"), doc="执行率下限（比例）"),), "执行率低于下限时须说明原因。")
_k("score_range", "自评分范围", score_range, "C-SCORE-RANGE", "error", (), "自评分在 [0, 分值] 之内。")
_k("deduction_without_explanation", "达标扣分须说明", deduction_without_explanation, "C-DEDUCT-NO-REASON", "warning", (),
   "已达到目标却扣分的指标须写明扣分原因。")
_k("missed_without_explanation", "未达标须说明", missed_without_explanation, "C-MISSED-NO-REASON", "warning", (),
   "未达到目标的指标须写偏差原因分析及改进措施。")
_k("over_achievement", "超额完成须说明", over_achievement, "C-OVER-TARGET", "warning",
   (Param("ratio", "decimal", Decimal("1.3"), doc="实际/目标达到该比例时须说明"),), "大幅超额完成（默认 ≥130%）须说明原因。")
_k("row_completeness", "自评分完整", row_completeness, "C-NO-SELF-SCORE", "warning", (), "有分值的指标都应填自评得分。")
_k("stated_scores", "所述分数核对", stated_scores, "C-STATED", "error", (_TOL,),
   "自评表总分、正文总分、各类得分与逐行相加及规则得分核对。")
_k("stated_grade", "所述等级核对", stated_grade, "C-GRADE", "warning", (), "所述等级与所述总分、规则得分的等级核对。")
_k("dates", "日期核对", dates, "C-DATE", "error",
   (Param("max_days", "int", 60, doc="签字日期与报告日期最多相差的天数"),
    Param("max_years_after", "int", 1, doc="报告日期最多晚于评价年度几年")), "报告日期、签字日期合理且一致。")
_k("other_year_figures", "他年数字", other_year_figures, "C-OTHER-YEAR", "warning", (), "报告所述财务数字属于评价年度。")
_k("required_sections", "必填内容", required_sections, "C-REQUIRED", "warning",
   (Param("sections", "list", [], doc="必须有内容的报告章节（标题包含的文字）"),
    Param("fields", "list", [], doc="必须填写的字段（如 goals.expected）")), "报告章节和字段不得为空。")
_k("expression", "自定义条件", expression, "C-EXPR", "warning",
   (Param("when", "str", None, required=True, doc="simpleeval 条件表达式，成立时报告"),),
   "条件成立时报告 message；可用 total、max_total、self_total、table_total、narrative_total、budget、spent、rate、"
   "year、indicator_count、score_<类别键>、points_<类别键>。")

