"""What every scoring method is made of: its input and outcome, its parameters, the registry, and the
helpers the numeric methods share (target and actual in one unit, fractions against percents, numbers as
explanations show them).

A method takes a `MethodInput` (points, parsed target and actual, the unit's own score, facts) and its
compiled parameters, and returns an `Outcome`: the unrounded score, one Chinese sentence that explains it,
and the inputs it used. It raises `Unscorable` when the inputs cannot be scored as numbers or tiers; the
scorer reports that instead of guessing. The methods themselves are in the methods_*.py modules, and
engine/methods.py registers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Callable, Mapping

from .errors import did_you_mean, human
from .targets import UNITS, Value, convertible, format_number, known_unit, normalise, to_unit


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
    kind: str                 # decimal | int | str | bool | enum | unit | list | mapping | expression
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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _check_list(p: Mapping[str, Any], key: str, example: str) -> None:
    if not isinstance(p[key], list) or not p[key]:
        raise ParamError(f"{key} 不能为空，至少要有一项", f"例如 {example}")


EXPRESSION_NAMES = frozenset({"points", "target", "actual", "self_score", "rate", "budget", "budget_initial", "spent"})
