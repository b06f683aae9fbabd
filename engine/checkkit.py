"""What every consistency check is made of: the context it reads (the submission and its scorecard), its
kind and compiled parameters, the registry, and the runner that stamps its hits with severity and code.
The checks themselves are in the checks_*.py modules; engine/checks.py registers them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from .errors import Path, did_you_mean
from .methods import Param, ParamError, _convert
from .scorecard import Finding, IndicatorResult, Scorecard
from .submission import Submission


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
    _money: list[Any] | None = None   # the submission's money lines (checks_money.MoneyLine), read once

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


def _off(a: Decimal, b: Decimal, tolerance: Decimal) -> bool:
    return abs(a - b) > tolerance


def _tol(ctx: Context, p: Mapping[str, Any]) -> Decimal:
    return p["tolerance"] if p.get("tolerance") is not None else ctx.tolerance


_TOL = Param("tolerance", "decimal", None, doc="允许的误差（默认取规则集 defaults.tolerance）")


EXPRESSION_NAMES = frozenset({"total", "max_total", "year", "table_total", "narrative_total", "self_total", "budget",
                              "spent", "rate", "indicator_count", "stated_rate", "has_adjusted_reason",
                              "has_execution_reason", "budget_initial"}
                             | {f"{w}_{p}" for w in ("budget", "budget_initial", "spent") for p in ("fiscal", "other")})
