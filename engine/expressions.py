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

from .limits import MAX_EXPRESSION_CHARS, MAX_EXPRESSION_DEPTH, NumberError, check_number, parse_number


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


def _decimal(x: Any) -> Decimal:
    """`Decimal(x)` for rulesets: bounded and finite, never NaN or Infinity."""
    if isinstance(x, bool):
        raise ExpressionError("Decimal() 的参数应是数值或数字文字")
    try:
        return check_number(x, str(x)) if isinstance(x, (int, Decimal)) else parse_number(str(x))
    except NumberError as exc:
        raise ExpressionError(exc.message) from None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min, "max": max, "abs": abs, "round": _round, "clamp": _clamp, "if_": _ifelse,
    "Decimal": _decimal,
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
            result = evaluator.eval(self.source, previously_parsed=self.tree)
        except (ZeroDivisionError, DivisionByZero, InvalidOperation):
            raise ExpressionError(f"表达式 '{self.source}' 出现除以零或无效运算") from None
        except ArithmeticError:
            raise ExpressionError(f"表达式 '{self.source}' 的结果超出可计算的范围") from None
        except RecursionError:
            raise ExpressionError(f"表达式 '{self.source}' 嵌套过深") from None
        except simpleeval.InvalidExpression as exc:
            raise ExpressionError(f"表达式 '{self.source}' 无法计算：{exc}") from None
        except TypeError as exc:
            raise ExpressionError(f"表达式 '{self.source}' 类型错误：{exc}") from None
        if isinstance(result, Decimal) and not result.is_finite():
            raise ExpressionError(f"表达式 '{self.source}' 的结果不是有限的数")
        return result


def compile_expression(source: str, allowed_names: frozenset[str] | None = None) -> Expression:
    """Parse once; refuse syntax errors, unknown names and unsafe constructs now, not at scoring time."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("表达式不能为空")
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"表达式过长（上限 {MAX_EXPRESSION_CHARS} 字符）")
    try:
        module = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        where = f"第 {exc.offset} 个字符附近" if exc.offset else "某处"
        raise ExpressionError(f"表达式 '{source}' 有语法错误（{where}）：请检查括号、运算符和引号是否完整") from None
    except (RecursionError, MemoryError):
        raise _too_deep() from None
    if _depth(module.body) > MAX_EXPRESSION_DEPTH:
        raise _too_deep()
    _refuse_unsafe(module.body)
    try:
        tree = _decimal_literals(module.body, source.strip())
    except NumberError as exc:
        raise ExpressionError(f"表达式中的{exc.message}") from None
    names = frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name)) - set(FUNCTIONS)
    if allowed_names is not None and names - allowed_names:
        unknown = sorted(names - allowed_names)
        raise ExpressionError(f"表达式用到了未知的变量 {unknown}；可用：{', '.join(sorted(allowed_names))}")
    return Expression(source=source.strip(), tree=tree, names=names)


# What an expression may contain: arithmetic, comparisons, and/or/not, a conditional, calls of the
# functions above, names, and number, text, true/false/null literals, lists and tuples. Everything else
# (attributes, f-strings, lambdas, comprehensions, subscripts, await, yield, **, …) is refused when the
# ruleset is checked, not turned into an unscorable row at scoring time.
_ALLOWED = (ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call, ast.Name,
            ast.Load, ast.Constant, ast.List, ast.Tuple, ast.And, ast.Or, *_OPERATORS)
_NODE_NAMES = {"Attribute": "属性访问", "JoinedStr": "f-字符串", "FormattedValue": "f-字符串", "Pow": "乘方 **",
               "Lambda": "lambda", "Subscript": "下标", "Await": "await", "Yield": "yield", "YieldFrom": "yield",
               "ListComp": "推导式", "SetComp": "推导式", "DictComp": "推导式", "GeneratorExp": "推导式",
               "NamedExpr": "赋值表达式 :=", "Starred": "星号展开", "Dict": "字典", "Set": "集合",
               "Slice": "切片", "BitAnd": "位运算", "BitOr": "位运算", "BitXor": "位运算", "LShift": "移位",
               "RShift": "移位", "Invert": "位运算", "MatMult": "矩阵乘 @", "Is": "is", "IsNot": "is not"}


def _refuse_unsafe(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            name = type(node).__name__
            raise ExpressionError(f"表达式中不允许使用{_NODE_NAMES.get(name, name)}；"
                                  "只能用四则运算、比较、and/or/not、if…else 和这些函数：" + ", ".join(sorted(FUNCTIONS)))
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool, type(None))):
            raise ExpressionError(f"表达式中不允许使用 {type(node.value).__name__} 常量")
        if isinstance(node, ast.Call) and (not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS)
                                           or node.keywords):
            raise ExpressionError(f"表达式只能调用这些函数：{', '.join(sorted(FUNCTIONS))}（不带关键字参数）")
        if isinstance(node, ast.Call) and node.func.id == "Decimal":   # type: ignore[attr-defined]
            for arg in node.args:   # Decimal('NaN') or Decimal('1e999') is refused at check time
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    _decimal(arg.value)


def _depth(tree: ast.AST) -> int:
    """The nesting depth of a syntax tree, iteratively (a 1,900-deep tree must not recurse here either)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_EXPRESSION_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _too_deep() -> ExpressionError:
    return ExpressionError(f"表达式嵌套过深（上限 {MAX_EXPRESSION_DEPTH} 层；a+b+c… 每多一项多一层）",)


class _DecimalLiterals(ast.NodeTransformer):
    def __init__(self, source: str):
        self.source = source

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            return node
        text = ast.get_source_segment(self.source, node) or repr(node.value)
        decimal: Any = parse_number(text)   # bounded; ast.Constant is typed for plain literals only
        return ast.copy_location(ast.Constant(value=decimal), node)


def _decimal_literals(tree: ast.AST, source: str) -> ast.AST:
    return _DecimalLiterals(source).visit(tree)


# ------------------------------------------------------------------------------------------- in words

_WORDS = {ast.Eq: "等于", ast.NotEq: "不等于", ast.Gt: "大于", ast.Lt: "小于", ast.GtE: "不小于", ast.LtE: "不大于",
          ast.In: "属于", ast.NotIn: "不属于", ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "÷",
          ast.FloorDiv: "整除", ast.Mod: "除以后的余数", ast.And: "且", ast.Or: "或"}


def in_words(source: str, labels: Mapping[str, str]) -> str:
    """An expression said in Chinese from its parts, for a check that has no message of its own:
    `budget_initial != budget and rate < 0.9` → 年初预算数 不等于 全年预算数，且 预算执行率 小于 0.9.
    Names are shown by `labels` (the name itself when it has none); the expression is only parsed, never run."""
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return source
    return _say(tree, labels, top=True)


def _say(node: ast.AST, labels: Mapping[str, str], top: bool = False) -> str:
    if isinstance(node, ast.BoolOp):
        joiner = "，且 " if isinstance(node.op, ast.And) else "，或 "
        text = joiner.join(_say(v, labels) for v in node.values)
        return text if top else f"（{text}）"
    if isinstance(node, ast.Compare):
        parts = [_say(node.left, labels)]
        for op, right in zip(node.ops, node.comparators):
            parts += [_WORDS.get(type(op), "?"), _say(right, labels)]
        return " ".join(parts)
    if isinstance(node, ast.BinOp):
        text = f"{_say(node.left, labels)} {_WORDS.get(type(node.op), '?')} {_say(node.right, labels)}"
        return text if top else f"（{text}）"
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return f"并非{_say(node.operand, labels)}"
        return ("−" if isinstance(node.op, ast.USub) else "") + _say(node.operand, labels)
    if isinstance(node, ast.Name):
        return labels.get(node.id, node.id)
    if isinstance(node, ast.Constant):
        if node.value is True:
            return "是"
        if node.value is False:
            return "否"
        if node.value is None:
            return "空"
        return str(node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return f"{node.func.id}({', '.join(_say(a, labels) for a in node.args)})"
    if isinstance(node, ast.IfExp):
        return f"（{_say(node.test, labels)} 时为 {_say(node.body, labels)}，否则为 {_say(node.orelse, labels)}）"
    if isinstance(node, (ast.List, ast.Tuple)):
        return "、".join(_say(e, labels) for e in node.elts)
    return ast.unparse(node)
