"""YAML 1.1 typing of scalars, exactly as PyYAML's safe loader types them, for both of perfrules' loaders.

A plain scalar's tag depends on its text alone (`plain_tag`); a quoted or block scalar is text. `typed` turns
a tag and a text into perfrules' value: never a float (a YAML float is a `Decimal` from its source text),
dates stay text, NaN, Infinity, over-long numbers and NUL are refused with a `ScalarError` that the loader
places at its line.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import yaml

from .limits import MAX_NUMBER_CHARS, NumberError, parse_number, short

TAG = "tag:yaml.org,2002:"
STR, MAP, SEQ, MERGE, INT, FLOAT, NULL, BOOL, TIMESTAMP = (
    TAG + t for t in ("str", "map", "seq", "merge", "int", "float", "null", "bool", "timestamp"))

_RESOLVER = yaml.resolver.Resolver()   # the implicit resolvers of SafeLoader and CSafeLoader alike
assert None not in _RESOLVER.yaml_implicit_resolvers   # no resolver that applies to every first character
# The first characters an implicit type (number, bool, null, date, merge) can begin with; a plain scalar
# beginning with any other (产出指标, 神木市交通运输局, description) is text, with no lookup and not cached.
TYPED_STARTS = frozenset(c for c in _RESOLVER.yaml_implicit_resolvers if c)
# Unsigned decimal numbers, the commonest typed scalars (amounts, points): digits alone are an int (without a
# leading 0, which YAML 1.1 reads as octal, or as text after an 8 or 9), digits with a point a float (the
# float pattern comes first for a digit). Typed by shape, so that a county's amounts do not fill the memo.
_PLAIN_NUMBER = re.compile(r"([1-9][0-9]*|0)|[0-9]+\.[0-9]*").fullmatch
_RESOLVED: dict[str, str] = {}   # plain scalar text → its tag

_BOOLS = yaml.constructor.SafeConstructor.bool_values
_CONSTRUCT = yaml.constructor.SafeConstructor()
# Numbers as written → their value, for the texts that recur (points, scores, amounts); only values that
# passed the limits are kept. A plain integer is 1–15 decimal digits without a leading 0 (YAML 1.1 reads
# 0755 as octal and 1:30 as sexagesimal: those take the full path).
_PLAIN_INT = re.compile(r"[1-9][0-9]{0,14}|0").fullmatch
_PLAIN_INTS: dict[str, int] = {}
_DECIMALS: dict[str, Decimal] = {}


class ScalarError(Exception):
    """A scalar perfrules refuses; the loader adds the location."""

    def __init__(self, message: str, hint: str, code: str):
        super().__init__(message)
        self.message, self.hint, self.code = message, hint, code


def plain_tag(value: str) -> str:
    """The tag YAML 1.1 gives a plain (unquoted) scalar of this text."""
    if value and value[0] not in TYPED_STARTS:
        return STR
    number = _PLAIN_NUMBER(value)
    if number is not None:
        return INT if number.lastindex else FLOAT
    tag = _RESOLVED.get(value)
    if tag is None:
        tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
        if len(_RESOLVED) < 4096 and len(value) <= 40:
            _RESOLVED[value] = tag
    return tag


def bad_tag(tag: str) -> ScalarError:
    return ScalarError(f"不支持的 YAML 标签 '{tag}'", "只允许普通的映射、列表、文字和数字；请去掉以 ! 开头的标签", "E-YAML")


def typed(tag: str, text: str) -> Any:
    """The value of a scalar with this tag and text, or ScalarError."""
    if tag == STR:
        if "\x00" in text:
            raise ScalarError("文字中含有 NUL 控制字符（\\0）", "NUL 不能出现在自评数据或规则集中；请删去它", "E-YAML")
        return text
    if tag == INT:
        return _int(text)
    if tag == FLOAT:
        return _decimal(text)
    if tag == NULL:
        return None
    if tag == BOOL:
        return _BOOLS[text.lower()]
    if tag == TIMESTAMP:
        return text  # dates stay text; engine.dates parses ISO and Chinese forms alike
    raise bad_tag(tag)


def _int(plain: str) -> int:
    known = _PLAIN_INTS.get(plain)
    if known is not None:   # 5, 10, 2024: the same few integers in every file
        return known
    if _PLAIN_INT(plain):   # decimal digits, no sign, no leading 0, below 10^15: int() is exact
        value = int(plain)
        if len(_PLAIN_INTS) < 4096:
            _PLAIN_INTS[plain] = value
        return value
    # Bounded before int() is called: a 5,000-digit integer is the user's error, not ValueError.
    text = plain.replace("_", "")
    if len(text) > MAX_NUMBER_CHARS:   # 0x1F and 0o17 are YAML ints too, so parse_number comes after int()
        raise ScalarError(f"数值 '{short(text)}' 位数过多（上限 {MAX_NUMBER_CHARS} 个字符）", "请检查是否多写了位数",
                          "E-NUMBER")
    value = _CONSTRUCT.construct_yaml_int(yaml.ScalarNode(INT, plain))
    try:
        parse_number(str(value))
    except NumberError as exc:
        raise ScalarError(exc.message, exc.hint, "E-NUMBER") from None
    return int(value)


def _decimal(plain: str) -> Decimal:
    known = _DECIMALS.get(plain)   # Decimal is immutable: one value per text, checked once
    if known is not None:
        return known
    text = plain
    if text.lstrip("+-").lower() in (".inf", ".nan"):   # YAML's spellings of Infinity and NaN
        text = text.replace(".", "")
    try:
        value = parse_number(text)
    except NumberError as exc:
        raise ScalarError(exc.message, exc.hint, "E-NUMBER") from None
    if len(_DECIMALS) < 2048:
        _DECIMALS[plain] = value
    return value
