"""Ruleset expressions on simpleeval: parsed once when the ruleset loads, evaluated many times.

Never Python `eval`. Number literals become `Decimal` from their source text, so `0.1 + 0.2 == 0.3` holds
and no binary float reaches a score. Only the names the engine passes and a few pure functions exist.
"""

from __future__ import annotations

import ast
import operator as op
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, DivisionByZero, InvalidOperation
from typing import Any, Callable, Mapping

import simpleeval

MAX_EXPRESSION_CHARS = 2000


class ExpressionError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _round(x: Decimal, places: int = 2) -> Decimal:
    return Decimal(x).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)


def _clamp(x: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, x))


def _ifelse(cond: Any, a: Any, b: Any) -> Any:
    return a if cond else b


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min, "max": max, "abs": abs, "round": _round, "clamp": _clamp, "if_": _ifelse,
    "Decimal": Decimal,
}

# simpleeval's safe_add / safe_mult refuse huge string and list repetition; Pow is refused at parse time.
_OPERATORS = {
    ast.Add: simpleeval.safe_add, ast.Sub: op.sub, ast.Mult: simpleeval.safe_mult, ast.Div: op.truediv, ast.FloorDiv: op.floordiv,
    ast.Mod: op.mod, ast.USub: op.neg, ast.UAdd: op.pos, ast.Eq: op.eq, ast.NotEq: op.ne, ast.Gt: op.gt,
    ast.Lt: op.lt, ast.GtE: op.ge, ast.LtE: op.le, ast.Not: op.not_, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.AST
    names: frozenset[str]

    def evaluate(self, names: Mapping[str, Any]) -> Any:
        missing = self.names - set(names) - set(FUNCTIONS)
        if missing:
            raise ExpressionError(f"表达式用到了未提供的变量 {sorted(missing)}")
        evaluator = simpleeval.SimpleEval(operators=_OPERATORS, functions=FUNCTIONS, names=dict(names))
        try:
            return evaluator.eval(self.source, previously_parsed=self.tree)
        except (ZeroDivisionError, DivisionByZero, InvalidOperation):
            raise ExpressionError(f"表达式 '{self.source}' 出现除以零或无效运算") from None
        except simpleeval.InvalidExpression as exc:
            raise ExpressionError(f"表达式 '{self.source}' 无法计算：{exc}") from None
        except TypeError as exc:
            raise ExpressionError(f"表达式 '{self.source}' 类型错误：{exc}") from None


def compile_expression(source: str, allowed_names: frozenset[str] | None = None) -> Expression:
    """Parse once; refuse syntax errors, unknown names and unsafe constructs now, not at scoring time."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("表达式不能为空")
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"表达式过长（上限 {MAX_EXPRESSION_CHARS} 字符）")
    try:
        module = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"表达式语法错误：{exc.msg}（'{source}'）") from None
    tree = _decimal_literals(module.body, source.strip())
    names = frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name)) - set(FUNCTIONS)
    _refuse_unsafe(tree)
    if allowed_names is not None and names - allowed_names:
        unknown = sorted(names - allowed_names)
        raise ExpressionError(f"表达式用到了未知的变量 {unknown}；可用：{', '.join(sorted(allowed_names))}")
    return Expression(source=source.strip(), tree=tree, names=names)


def _refuse_unsafe(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Lambda, ast.ListComp, ast.DictComp, ast.SetComp,
                             ast.GeneratorExp, ast.NamedExpr, ast.Starred, ast.Pow)):
            raise ExpressionError(f"表达式中不允许使用 {type(node).__name__}（属性访问、乘方、推导式等）")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS):
            raise ExpressionError(f"表达式只能调用这些函数：{', '.join(sorted(FUNCTIONS))}")


class _DecimalLiterals(ast.NodeTransformer):
    def __init__(self, source: str):
        self.source = source

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            return node
        text = ast.get_source_segment(self.source, node) or repr(node.value)
        decimal: Any = Decimal(text.replace("_", ""))   # ast.Constant is typed for plain literals only
        return ast.copy_location(ast.Constant(value=decimal), node)


def _decimal_literals(tree: ast.AST, source: str) -> ast.AST:
    return _DecimalLiterals(source).visit(tree)
