"""Scoring methods: named, parameterised functions in one registry.

A method takes a `MethodInput` (points, parsed target and actual, the unit's own score, facts) and its
compiled parameters, and returns an `Outcome`: the unrounded score, one Chinese sentence that explains it,
and the inputs it used. It raises `Unscorable` when the inputs cannot be scored as numbers or tiers; the
scorer reports that instead of guessing. Adding a method is one function plus one `register` call.

A method may also give `numbers=`: a kernel for the plain case (one unit, nothing to read into the values)
that answers the Outcome's numbers alone, (score, met, share), without building the Outcome. The numbers-only
plan (engine/plan.py, used by `replay`) takes the score from it; the scorer takes all three and runs the method
itself only when the explanation or the inputs are shown. A kernel answers None outside the plain case, and
where it answers, the method would note nothing and read nothing into the values. tests/test_methods.py holds
every kernel to its method over generated values; a method without one is simply called in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Mapping

from .dates import cn_date, parse_date, today
from .errors import did_you_mean, human
from .targets import UNITS, Value, convertible, format_number, known_unit, normalise, to_unit

if TYPE_CHECKING:   # expressions (and simpleeval) load only for a ruleset that uses them
    from .expressions import Expression

ZERO = Decimal(0)
ONE = Decimal(1)


@dataclass(slots=True)
class MethodInput:
    points: Decimal
    target: Value | None
    actual: Value | None
    self_score: Decimal | None = None
    op: str | None = None
    raw_actual: Any = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    fractions: str = "refuse"      # the ruleset's reading of a bare 0.98 against a percent: refuse | as_rate
    rate: bool = False             # the indicator is a rate by its name (…率, 满意度, 占比)
    year: int | None = None        # the submission's year, for deadlines written without one
    readings: list[str] = field(default_factory=list)   # interpretations made, said in the explanation


@dataclass(frozen=True)
class Note:
    """Something the method noticed that a reviewer should see (becomes a finding)."""

    code: str
    severity: str
    message: str
    field: str = "actual"   # the row's cell the finding points at: where the unit fixes it


@dataclass(slots=True)
class Outcome:
    score: Decimal
    # The sentence that explains the score, and the inputs as text: a string, or a function that builds it
    # from the parts when it is first shown (most scores in a batch are never explained); see `text`.
    explanation: "str | Callable[[], str]"
    inputs: "dict[str, str] | Callable[[], dict[str, str]]" = field(default_factory=dict)
    met: bool | None = None
    notes: tuple[Note, ...] = ()
    share: Decimal | None = None   # actual / target, for methods where more is better (偏离度 is judged on it)


# A kernel's answer (see Method.numbers): an Outcome's score, met and share, without the Outcome.
Quick = tuple[Decimal, "bool | None", "Decimal | None"]


def text(explanation: "str | Callable[[], str]") -> str:
    """An explanation as text, built now if it was deferred."""
    return explanation if isinstance(explanation, str) else explanation()


class Unscorable(Exception):
    code = "E-UNSCORABLE"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Ambiguous(Unscorable):
    """A value that reads two ways (0.98 as 98 % or as 0.98 %): the ruleset decides, the engine never guesses."""

    code = "E-AMBIGUOUS"


class ParamError(Exception):
    def __init__(self, message: str, hint: str | None = None, missing: bool = False):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.missing = missing   # a required parameter is absent (a preset may leave it to its users)


@dataclass(frozen=True)
class Param:
    name: str
    kind: str                 # decimal | int | str | bool | enum | list | mapping | expression
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class Method:
    name: str
    label: str
    func: Callable[[MethodInput, Mapping[str, Any]], Outcome]
    params: tuple[Param, ...] = ()
    check: Callable[[Mapping[str, Any]], None] | None = None
    doc: str = ""
    # Optional: the Outcome's (score, met, share) alone, given points, target, actual, whether the indicator
    # is a rate by its name, and the parameters; None where the case is not the plain one (the caller then
    # calls `func`). tests/test_methods.py holds it to func.
    numbers: Callable[[Decimal, Value | None, Value | None, bool, Mapping[str, Any]], Quick | None] | None = None
    # False for a method that reads its facts and never the row's actual value (execution_rate): the plan
    # then does not make the actual's display text. tests/test_plan.py holds the plan to the scorer.
    reads_actual: bool = True
    # Optional, for a method that works from the budget facts: its (score, met, share) from points, facts and
    # parameters in the plain case, else None (see `numbers`).
    facts_numbers: Callable[[Decimal, Mapping[str, Any], Mapping[str, Any]], Quick | None] | None = None

    def compile_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        known = {p.name: p for p in self.params}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ParamError(f"方法 '{self.name}' 没有参数 '{unknown[0]}'",
                             did_you_mean(unknown[0], known) if known else "该方法不接受参数")
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name in raw and raw[p.name] is not None:
                out[p.name] = _convert(self.name, p, raw[p.name])
            elif p.required:
                raise ParamError(f"方法 '{self.name}' 缺少参数 '{p.name}'", p.doc or None, missing=True)
            else:
                out[p.name] = p.default
        if self.check:
            self.check(out)
        return out


REGISTRY: dict[str, Method] = {}


def register(method: Method) -> Method:
    REGISTRY[method.name] = method
    return method


def get(name: str) -> Method:
    return REGISTRY[name]


def _convert(method: str, p: Param, value: Any) -> Any:
    where = f"方法 '{method}' 的参数 '{p.name}'"
    if p.kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise ParamError(f"{where} 应是数值，实际是 '{human(value)}'")
        return Decimal(value)
    if p.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"{where} 应是整数，实际是 '{human(value)}'")
        return value
    if p.kind == "bool":
        if not isinstance(value, bool):
            raise ParamError(f"{where} 应是 true 或 false，实际是 '{human(value)}'")
        return value
    if p.kind == "enum":
        if value not in p.choices:
            raise ParamError(f"{where} 只能是 {', '.join(p.choices)}，实际是 '{human(value)}'")
        return value
    if p.kind == "expression":
        from .expressions import ExpressionError, compile_expression
        try:
            return compile_expression(str(value), EXPRESSION_NAMES)
        except ExpressionError as exc:
            raise ParamError(f"{where}：{exc.message}") from None
    if p.kind == "unit":
        unit = UNITS.get(normalise(str(value)))
        if unit is None:
            raise ParamError(f"{where} '{human(value)}' 不是可识别的计量单位", "可用单位：% 个 份 次 人 人次 元 万元 天 等，以及 万/亿/千 加单位")
        return unit
        raise ParamError(f"{where} 应是列表")
    if p.kind == "mapping" and not isinstance(value, dict):
        raise ParamError(f"{where} 应是映射")
    return value


# ---------------------------------------------------------------------------------------------- helpers

def fmt(n: Decimal | None) -> str:
    """For explanations: at most two decimals, half-up, no trailing zeros."""
    if n is None:
        return ""
    return _fmt(n)


def fmt_once(n: Decimal) -> str:
    """fmt without the cache, for figures that do not recur (each unit's total in a county's summary)."""
    return _fmt.__wrapped__(n)


@lru_cache(maxsize=4096)
def _fmt(n: Decimal) -> str:
    # Cached: the same few scores recur in every submission. Safe although 5 == 5.00 share a slot,
    # because both print as "5".
    try:
        return format_number(n.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    except InvalidOperation:  # beyond the context's precision: show it as it is rather than fail a message
        return format_number(n)


def _numbers(inp: MethodInput) -> tuple[Decimal, Decimal, str | None]:
    """Target and actual as numbers in one unit, or Unscorable saying why not.

    The one conversion path every numeric method uses: units of one base convert (290000 元 is 29 万元,
    12000 人次 is 1.2 万人次); a bare fraction against a percent is read as the ruleset says (`fractions`)
    or refused; the unit returned is the target's (a bare target never borrows the actual's unit for
    itself: the actual is then shown in its own unit)."""
    t, a = inp.target, inp.actual
    if t is None:
        raise Unscorable("缺少年度指标值")
    if a is None:
        raise Unscorable("缺少实际完成值")
    if t.number is None:
        raise Unscorable(f"年度指标值 '{t.text}' 不是数值，无法按数值方法评分")
    if a.number is None:
        raise Unscorable(f"实际完成值 '{a.text}' 是文字，目标是数值 '{t.text}'，无法比较")
    tu, au = t.unit, a.unit
    if tu == au and (tu is not None or not inp.rate):   # the common case: one unit, no fraction to resolve
        return t.number, a.number, tu
    (tn, tu), (an, au) = _fractions(inp, t, a)
    if not convertible(tu, au):
        raise Unscorable(unit_mismatch(f"年度指标值以“{tu}”计", f"实际完成值以“{au}”计", tu, au))
    return tn, to_unit(an, au, tu), tu or au


_PERCENT = "%"


def unit_mismatch(first: str, second: str, a: str | None, b: str | None) -> str:
    """The sentence for two units that do not compare, naming both and saying why no conversion applies."""
    unknown = [u for u in (a, b) if u and not known_unit(u)]
    if unknown:
        why = "、".join(f"“{u}”" for u in unknown) + " 不在 perfrules 已知的单位中，只与写法相同的单位比较，不做换算"
    else:
        why = "两者不是同一种量，无法换算"
    return f"计量单位不一致：{first}，{second}；{why}。请把两处写成同一单位"


def _fractions(inp: MethodInput, t: Value, a: Value) -> tuple[tuple[Decimal, str | None], tuple[Decimal, str | None]]:
    """Resolve a bare number that may be a fraction of one (0.98) against a percent (≥90%)."""
    assert t.number is not None and a.number is not None
    target, actual = (t.number, t.unit), (a.number, a.unit)
    side: str | None = None
    if t.unit == _PERCENT and a.unit is None and ZERO < a.number <= ONE:
        side = "actual"
    elif a.unit == _PERCENT and t.unit is None and ZERO < t.number <= ONE:
        side = "target"
    elif inp.rate and t.unit is None and a.unit is None and (ZERO < t.number <= ONE) != (ZERO < a.number <= ONE) \
            and max(t.number, a.number) > ONE:
        side = "target" if ZERO < t.number <= ONE else "actual"
    if side is None:
        return target, actual
    value = t if side == "target" else a
    assert value.number is not None
    label = "年度指标值" if side == "target" else "实际完成值"
    as_rate, as_percent = f"{format_number(value.number * 100)}%", f"{format_number(value.number)}%"
    if inp.fractions != "as_rate":
        raise Ambiguous(f"{label} '{value.text}' 的含义不明确：可读作比率 {as_rate}，也可读作 {as_percent}")
    inp.readings.append(f"{label} {value.text} 按比率读作 {as_rate}")
    read = (value.number * 100, _PERCENT)
    return (read, actual) if side == "target" else (target, read)


def _show(n: Decimal, unit: str | None) -> str:
    if not unit:
        return fmt(n)
    return f"{fmt(n)}{unit}" if unit == "%" else f"{fmt(n)} {unit}"


def _inputs(target: Decimal, actual: Decimal, unit: str | None) -> dict[str, str]:
    return {"target": _show(target, unit), "actual": _show(actual, unit)}


# ---------------------------------------------------------------------------------------------- methods

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


DEFAULT_TIERS: list[dict[str, Any]] = [
    {"label": "达成年度指标", "min": Decimal("0.8"), "max": ONE, "max_inclusive": True, "default": ONE,
     "synonyms": ["达成", "达成预期指标", "达成年度目标", "完成", "已完成", "全部完成", "达到", "已达到", "建立", "已建立",
                  "好", "高", "提升", "提高",
                  "有所提升", "有所提高", "明显提升", "显著提升", "是", "满意", "优", "优秀", "达标", "增加", "有效"]},
    {"label": "部分达成年度指标并具有一定效果", "min": Decimal("0.6"), "max": Decimal("0.8"), "default": Decimal("0.7"),
     "synonyms": ["部分达成", "部分完成", "基本完成", "基本达成", "较好", "较高", "良", "良好", "基本满意"]},
    {"label": "未达成年度指标且效果较差", "min": ZERO, "max": Decimal("0.6"), "default": ZERO,
     "synonyms": ["未达成", "未达标", "未完成", "一般", "较差", "差", "低", "否", "不满意", "无"]},
]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _check_list(p: Mapping[str, Any], key: str, example: str) -> None:
    if not isinstance(p[key], list) or not p[key]:
        raise ParamError(f"{key} 不能为空，至少要有一项", f"例如 {example}")


def _check_tiers(p: Mapping[str, Any]) -> None:
    _check_words(p)
    _check_list(p, "tiers", "[{label: 达成年度指标, min: 0.8, max: 1}]")
    for i, tier in enumerate(p["tiers"]):
        if not isinstance(tier, dict) or "label" not in tier or \
                not (("min" in tier and "max" in tier) or "score" in tier):
            raise ParamError(f"tiers[{i}] 需要 label，以及 min、max（分值比例）或 score（分数）",
                             "例如 {label: 达成年度指标, min: 0.8, max: 1} 或 {label: 达到, score: 2}")
        unknown = set(tier) - {"label", "synonyms", "min", "max", "max_inclusive", "default", "score"}
        if unknown:
            raise ParamError(f"tiers[{i}] 有未知的键 {human(sorted(unknown))}",
                             "允许的键：label, synonyms, min, max, max_inclusive, default, score")
        for key in ("min", "max", "default", "score"):
            if key in tier and not _is_number(tier[key]):
                raise ParamError(f"tiers[{i}].{key} 应是数值，实际是 '{human(tier[key])}'")
        if "score" in tier:
            if Decimal(tier["score"]) < 0:
                raise ParamError(f"tiers[{i}].score 不能为负数")
            if "min" in tier or "max" in tier:
                raise ParamError(f"tiers[{i}] 写了 score 就不再写 min、max", "score 是该档的分数，min、max 是分值比例区间，二选一")
            continue
        if not ZERO <= Decimal(tier["min"]) <= Decimal(tier["max"]) <= ONE:
            raise ParamError(f"tiers[{i}] 的区间 [{tier['min']}, {tier['max']}] 应在 0 到 1 之间且 min ≤ max")


# The words that turn a qualitative actual into met, not met or partly met, beside each tier's synonyms:
# 已建立 against the target 建立 is met (a met prefix), 未建立 / 尚未完成 is not (a negation), 部分完成 is partly
# met (a partial prefix). A ruleset adds its own through the method's `words` parameter; what it lists is
# added to these, longest word first.
DEFAULT_WORDS: dict[str, list[str]] = {
    "met_prefixes": ["已经", "已", "均已", "全部", "全面", "如期", "按时", "按期", "顺利", "圆满", "有所"],
    "negations": ["尚未", "还未", "仍未", "未能", "未", "没有", "没", "不", "无法"],
    "partial": ["部分", "基本", "大部分", "大部", "初步"],
}
_WORD_KEYS = tuple(DEFAULT_WORDS)


def _check_words(p: Mapping[str, Any]) -> None:
    words = p.get("words")
    if words is None:
        return
    if not isinstance(words, dict):
        raise ParamError("words 应是映射", "例如 {negations: [暂未], met_prefixes: [业已]}")
    unknown = set(words) - set(_WORD_KEYS)
    if unknown:
        raise ParamError(f"words 有未知的键 {human(sorted(unknown))}", f"允许的键：{', '.join(_WORD_KEYS)}")
    for key, value in words.items():
        if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
            raise ParamError(f"words.{key} 应是文字列表", f"例如 {key}: [{DEFAULT_WORDS[key][0]}]")


@lru_cache(maxsize=64)
def _word_lists(extra: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, tuple[str, ...]]:
    added = dict(extra)
    return {key: tuple(sorted({normalise(w) for w in (*DEFAULT_WORDS[key], *added.get(key, ()))}, key=lambda w: -len(w)))
            for key in _WORD_KEYS}


def _words(p: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    given = p.get("words") or {}
    return _word_lists(tuple((k, tuple(given.get(k, ()))) for k in _WORD_KEYS))


def _strip_prefix(text: str, prefixes: tuple[str, ...]) -> tuple[str | None, str]:
    """(the prefix the text starts with, the rest), the longest prefix first; (None, text) when none."""
    for word in prefixes:
        if text.startswith(word) and len(text) > len(word):
            return word, text[len(word):].lstrip()
    return None, text


def _tier_by_words(text: str, target: str | None, tiers: list[dict[str, Any]],
                   words: dict[str, tuple[str, ...]]) -> dict[str, Any] | None:
    """The tier a qualitative actual reads as by its words: the target's own words (with or without a met
    prefix) are met; a negation of them, or of a met word, is the last tier; a partial prefix the middle one."""
    met_words = _tier_words(tiers[0]["label"], tuple(tiers[0].get("synonyms", ())))
    _, core_target = _strip_prefix(target, words["met_prefixes"]) if target else (None, None)

    def is_met(core: str) -> bool:
        return core in met_words or (target is not None and core in (target, core_target))

    negation, rest = _strip_prefix(text, words["negations"])
    if negation is not None:
        if is_met(rest) or is_met(_strip_prefix(rest, words["met_prefixes"])[1]):
            return tiers[-1]
        return None
    partial, rest = _strip_prefix(text, words["partial"])
    if partial is not None:
        if len(tiers) > 2 and (is_met(rest) or is_met(_strip_prefix(rest, words["met_prefixes"])[1])):
            return tiers[1]
        return None
    _, core = _strip_prefix(text, words["met_prefixes"])
    if is_met(text) or is_met(core):
        return tiers[0]
    return None


def _tier_of(inp: MethodInput, tiers: list[dict[str, Any]], p: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if inp.actual is None:
        raise Unscorable("缺少实际完成值，无法判断定性档次")
    text = inp.actual.qualitative or normalise(inp.actual.text)
    for tier in tiers:
        if text in _tier_words(tier["label"], tuple(tier.get("synonyms", ()))):
            return tier
    target = inp.target.qualitative if inp.target else None
    if target and (text == target or text == target.removeprefix("有所")):
        return tiers[0]
    by_words = _tier_by_words(text, target, tiers, _words(p or {}))
    if by_words is not None:
        return by_words
    names = "、".join(t["label"] for t in tiers)
    if inp.target is not None and inp.target.qualitative is not None and any(c.isdigit() for c in inp.target.text) \
            and inp.actual.is_number:
        raise Unscorable(f"年度指标值 '{inp.target.text}' 无法识别为数值或期限，实际 '{inp.actual.text}' 是数值，无法比较；"
                         "请把年度指标值写成 ≥90%、≤3 天、2024年12月31日前 这样的形式")
    raise Unscorable(f"实际完成值 '{inp.actual.text}' 无法对应到定性档次（{names}）；请用档次名称或其同义词")


@lru_cache(maxsize=256)
def _tier_words(label: str, synonyms: tuple[str, ...]) -> frozenset[str]:
    return frozenset({normalise(label), *(normalise(s) for s in synonyms)})


def _in_band(score: Decimal, low: Decimal, high: Decimal, high_inclusive: bool) -> bool:
    return low <= score and (score <= high if high_inclusive else score < high)


def tiers(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    tier = _tier_of(inp, p["tiers"], p)
    met = tier is p["tiers"][0]
    said = inp.actual.text if inp.actual else ""
    if "score" in tier:   # absolute points per level, as some platforms write them ("达到 计 2 分")
        fixed = min(Decimal(tier["score"]), inp.points)
        return Outcome(fixed, lambda: f"实际“{said}”属于“{tier['label']}”档，按规则计 {fmt(fixed)} 分",
                       {"actual": said, "tier": tier["label"]}, met)
    low = inp.points * Decimal(tier["min"])
    high = inp.points * Decimal(tier["max"])
    inclusive = bool(tier.get("max_inclusive", False))
    band = lambda: f"[{fmt(low)}, {fmt(high)}{']' if inclusive else ')'}"  # noqa: E731 - deferred
    default = inp.points * Decimal(tier.get("default", tier["max"] if inclusive else tier["min"]))
    inputs = lambda: {"actual": said, "tier": tier["label"], "band": band()}  # noqa: E731 - deferred
    head = lambda: f"实际“{said}”属于“{tier['label']}”档，分值区间 {band()}"  # noqa: E731 - deferred
    own = inp.self_score
    if own is not None and _in_band(own, low, high, inclusive):
        return Outcome(own, lambda: f"{head()}，采用单位自评分 {fmt(own)} 分", inputs, met)
    if own is None:
        return Outcome(default, lambda: f"{head()}，单位未自评，按规则取 {fmt(default)} 分", inputs, met)
    note = Note("E-TIER-BAND", "error", f"自评分 {fmt(own)} 不在“{tier['label']}”档的区间 {band()} 内", "self_score")
    return Outcome(default, lambda: f"{head()}，自评分 {fmt(own)} 不在区间内，按规则取 {fmt(default)} 分",
                   inputs, met, (note,))


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


def _check_items(p: Mapping[str, Any]) -> None:
    _check_list(p, "items", "[{label: 制度健全, points: 1}]")
    for i, item in enumerate(p["items"]):
        if not isinstance(item, dict) or "label" not in item or "points" not in item:
            raise ParamError(f"items[{i}] 需要 label 和 points", "例如 {label: 制度健全, points: 1}")
        if not _is_number(item["points"]) or item["points"] < 0:
            raise ParamError(f"items[{i}].points 应是非负数值，实际是 '{human(item['points'])}'")


def _check_coefficients(p: Mapping[str, Any]) -> None:
    for key, value in (p["coefficients"] or {}).items():
        if not _is_number(value) or value < 0:
            raise ParamError(f"coefficients 中“{key}”的系数应是非负数值，实际是 '{human(value)}'",
                             "分数请写成小数，如 0.67（2/3 不是数值）")


def _check_reverse_linear(p: Mapping[str, Any]) -> None:
    if p["zero_at"] <= ONE:
        raise ParamError(f"方法 'reverse_linear' 的参数 zero_at 应大于 1（实际为目标的几倍时得 0 分），实际是 {fmt(p['zero_at'])}",
                         "例如 zero_at: 2 表示实际达到目标的 2 倍时得 0 分")


def _check_deduction(p: Mapping[str, Any]) -> None:
    if p["per"] <= ZERO:
        raise ParamError(f"方法 'deduction' 的参数 per 应大于 0，实际是 {fmt(p['per'])}", "例如 per: 1 表示每 1 个单位扣一次")
    if p["deduct"] < ZERO:
        raise ParamError(f"方法 'deduction' 的参数 deduct 不能为负数，实际是 {fmt(p['deduct'])}")
    if p["floor"] < ZERO:
        raise ParamError(f"方法 'deduction' 的参数 floor 不能为负数，实际是 {fmt(p['floor'])}")


def checklist(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    raw = inp.raw_actual
    if isinstance(raw, str):
        raw = [s for s in (normalise(x) for x in raw.replace("，", ",").replace("、", ",").split(",")) if s]
    if not isinstance(raw, list):
        raise Unscorable("检查清单需要实际完成值为已满足条目的列表")
    known = {normalise(str(item["label"])): item for item in p["items"]}
    chosen = [normalise(str(x)) for x in raw]
    unknown = [x for x in chosen if x not in known]
    if unknown:
        raise Unscorable(f"清单中没有条目 '{unknown[0]}'；可选：{'、'.join(known)}")
    earned = sum((Decimal(known[x]["points"]) for x in dict.fromkeys(chosen)), ZERO)
    score = min(earned, inp.points)
    missing = [label for label in known if label not in chosen]
    why = f"满足 {len(set(chosen))}/{len(known)} 项，计 {fmt(score)} 分" + (f"；未满足：{'、'.join(missing)}" if missing else "")
    return Outcome(score, why, {"satisfied": "、".join(dict.fromkeys(chosen))}, not missing)


def coefficient(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    if inp.actual is None:
        raise Unscorable("缺少系数或等级")
    table = {normalise(str(k)): Decimal(v) for k, v in (p["coefficients"] or {}).items()}
    coef: Decimal
    if inp.actual.number is not None and not table:
        coef = inp.actual.number / 100 if inp.actual.unit == "%" else inp.actual.number
    else:
        key = inp.actual.qualitative or normalise(inp.actual.text)
        if key not in table:
            raise Unscorable(f"'{inp.actual.text}' 没有对应的系数；可选：{'、'.join(table) or '（规则未给出系数表）'}")
        coef = table[key]
    assert coef is not None
    if not ZERO <= coef <= ONE:
        raise Unscorable(f"系数 {fmt(coef)} 不在 0 到 1 之间")
    score = inp.points * coef
    return Outcome(score, f"系数 {fmt(coef)} × 分值 {fmt(inp.points)} = {fmt(score)} 分", {"coefficient": fmt(coef)}, None)


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


EXPRESSION_NAMES = frozenset({"points", "target", "actual", "self_score", "rate", "budget", "budget_initial", "spent"})


def expression(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    from .expressions import ExpressionError
    expr: Expression = p["expr"]
    names: dict[str, Any] = {"points": inp.points, "self_score": inp.self_score}
    names["target"] = inp.target.number if inp.target and inp.target.is_number else None
    names["actual"] = inp.actual.number if inp.actual and inp.actual.is_number else None
    if names["target"] is not None and names["actual"] is not None:   # in one unit, like every other method
        names["target"], names["actual"], _ = _numbers(inp)
    for key in ("rate", "budget", "budget_initial", "spent"):
        names[key] = inp.facts.get(key)
    needed = [n for n in expr.names if names.get(n) is None]
    if needed:
        raise Unscorable(f"表达式需要 {needed[0]}，但本指标没有该数值")
    try:
        result = expr.evaluate(names)
    except ExpressionError as exc:
        raise Unscorable(exc.message) from None
    if isinstance(result, bool) or not isinstance(result, (int, Decimal)):
        raise Unscorable(f"表达式 '{expr.source}' 的结果不是数值")
    score = max(ZERO, min(Decimal(result), inp.points))
    why = p["explain"] or f"按规则表达式 {expr.source} 计 {fmt(score)} 分"
    return Outcome(score, why.replace("{score}", fmt(score)), {k: fmt(v) for k, v in names.items()
                                                              if k in expr.names and isinstance(v, Decimal)}, None)


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

