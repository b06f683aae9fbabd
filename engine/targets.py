"""Parse the notations real tables use for target and actual values.

`≥23 份`, `≥90%`, `100%`, `＝100`, `﹦72890 元`, `≤30 万元`, `≦100%`, `不低于95%`, `2024 年底完成率 100%`,
`有所提升`, `高`: each becomes a `Value`: an operator (or none), a Decimal and a unit, or a qualitative text.
Full-width forms are folded by NFKC first. A value can also be given structured:
`{op: ">=", value: 23, unit: 份}`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .limits import MAX_ABS_NUMBER, MAX_NUMBER_CHARS, MAX_VALUE_CHARS, NumberError, check_number, parse_number, short

if TYPE_CHECKING:
    from .deadlines import Deadline

__all__ = ["MAX_ABS_NUMBER", "Value", "ValueError_", "parse_value", "normalise", "UNITS"]

OPERATORS = (">=", ">", "=", "<=", "<")

# Longest spellings first, so that 大于等于 wins over 大于.
_OPERATOR_WORDS: list[tuple[str, str]] = sorted(
    [
        ("≥", ">="), ("≧", ">="), (">=", ">="), ("大于等于", ">="), ("大于或等于", ">="), ("不低于", ">="),
        ("不少于", ">="), ("不小于", ">="), ("至少", ">="), ("≤", "<="), ("≦", "<="), ("<=", "<="),
        ("小于等于", "<="), ("小于或等于", "<="), ("不超过", "<="), ("不高于", "<="), ("不大于", "<="),
        ("不多于", "<="), ("控制在", "<="), ("以内", "<="), (">", ">"), ("大于", ">"), ("高于", ">"), ("超过", ">"),
        ("<", "<"), ("小于", "<"), ("低于", "<"), ("==", "="), ("=", "="), ("等于", "="), ("达到", "="),
    ],
    key=lambda pair: -len(pair[0]),
)

# Canonical unit for each spelling. A unit is a base (元, 人次, 米, %) times a scale: 万 / 亿 / 千 / 百万 / 千万
# scale any base unit (万元, 万人次, 亿元, 千米), and values in units of the same base convert into each other.
UNITS: dict[str, str] = {"%": "%", "百分比": "%", "百分点": "%", "个百分点": "%", "元": "元"}
_BASES = ("元 个 份 次 人 人次 篇 天 日 月 年 小时 分钟 家 户 项 场 期 册 张 台 套 平方米 公里 米 吨 亩 所 座 条 笔 起 件 "
          "批 名 本 处 部 辆 只 头 株 棵 间 类 门 支 队 岗 岗位 课时 学时 公顷 立方米 分 工作日 周 元/人 元/亩 人/年 "
          "瓦 千瓦 台套 千瓦时 度 升 斤 公斤 千克 克 人日 床 栋 宗 盏 块 对 组 套次 场次 班次 车次 架次 户次 "
          "平方公里 延米 千米 公里").split()
SCALES: dict[str, Decimal] = {"十": Decimal(10), "百": Decimal(100), "千": Decimal(1000), "万": Decimal(10) ** 4,
                              "十万": Decimal(10) ** 5, "百万": Decimal(10) ** 6, "千万": Decimal(10) ** 7,
                              "亿": Decimal(10) ** 8}
# unit → (base, factor): how many of the base one of this unit is.
_PARTS: dict[str, tuple[str, Decimal]] = {"%": ("%", Decimal(1)), "元": ("元", Decimal(1))}
for _u in _BASES:
    UNITS[_u] = _u
    _PARTS[_u] = (_u, Decimal(1))
for _u in _BASES:
    if "/" in _u or _u in ("分", "分钟", "月", "年", "日", "天", "周", "小时", "工作日"):
        continue   # 万分 / 十日 are not scaled units; 千米 and 百万元 are
    for _prefix, _factor in SCALES.items():
        UNITS.setdefault(_prefix + _u, _prefix + _u)
        _PARTS.setdefault(_prefix + _u, (_u, _factor))
# Spellings of the same unit, and units defined by another.
for _alias, _canonical in (("个工作日", "工作日"), ("个月", "月"), ("周岁", "年"), ("人/次", "人次"), ("万人/次", "万人次")):
    UNITS[_alias] = _canonical
_PARTS["公里"] = ("米", Decimal(1000))
_PARTS["千米"] = ("米", Decimal(1000))
_PARTS["平方公里"] = ("平方米", Decimal(10) ** 6)
_PARTS["公顷"] = ("平方米", Decimal(10) ** 4)
_PARTS["亩"] = ("亩", Decimal(1))   # 1 亩 is 2000/3 平方米, no exact decimal: 亩 converts only into 万亩 and the like
_PARTS["千瓦"] = ("瓦", Decimal(1000))
_PARTS["公斤"] = ("克", Decimal(1000))
_PARTS["千克"] = ("克", Decimal(1000))
_PARTS["吨"] = ("吨", Decimal(1))
_MAX_UNIT_CHARS = max(map(len, UNITS))

# Kept for callers that ask about money specifically.
MONEY_IN_YUAN: dict[str, Decimal] = {u: f for u, (base, f) in _PARTS.items() if base == "元"}


def unit_parts(unit: str) -> tuple[str, Decimal]:
    """(base, factor) of a canonical unit: 万人次 is (人次, 10000). A unit perfrules does not know is its own
    base: it compares with itself as written and converts into nothing else."""
    return _PARTS.get(unit, (unit, Decimal(1)))


# What a unit word may be made of when perfrules does not know it (平方海里, 人·次, 标准箱, kW·h): letters of
# any script and the joiners units are written with; never digits, operators or a percent sign.
MAX_UNKNOWN_UNIT_CHARS = 6


@cache   # compiled when first needed: most values are in units perfrules knows
def _unit_word() -> re.Pattern[str]:
    return re.compile(r"(?:[^\W\d_]|[·•/²³])+")


def canonical_unit(word: str) -> str | None:
    """The unit a written unit word stands for: the known unit (万元, 人次; 人·次 is 人次), or the word itself,
    normalised, when it is a plausible unit perfrules does not know. None when it cannot be a unit."""
    word = normalise(word).replace(" ", "")
    if word in UNITS:
        return UNITS[word]
    joined = word.replace("·", "").replace("•", "")
    if joined in UNITS:
        return UNITS[joined]
    if 0 < len(word) <= MAX_UNKNOWN_UNIT_CHARS and _unit_word().fullmatch(word):
        return word
    return None


def known_unit(unit: str | None) -> bool:
    """Whether perfrules knows the unit (and so how it converts)."""
    return unit is None or unit in _PARTS


_NUMBER = r"[+-]?(?:\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)"


@cache   # (the general path below only; the common shapes are read by _SIMPLE)
def _number_re() -> re.Pattern[str]:
    return re.compile(_NUMBER)


# Words after the number: 以上 / 以内 give the operator when none is written before it; 内 as in 3天内,
# 完成 as in 100%完成 (at least the number).
_TAILS = ("及以上", "以上", "以内", "以下", "之内", "内", "完成")
_GREATER_TAILS = ("以上", "及以上", "完成")
_LESS_TAILS = ("以内", "以下", "之内", "内")
# Qualifiers that say a bound is inclusive, which ≥ / ≤ already are: 90%（含）以上, 95%（含）.
_INCLUSIVE = re.compile(r"\((?:含|含本数|包含)\)")
_NUMBER_CHARS = frozenset("0123456789.,")


@dataclass(frozen=True, slots=True)
class _Quantity:
    """The parts of `[label] [operator] number [unit] [以上|以内|…]`, as the text wrote them."""

    label: str
    op: str | None
    num: str
    unit: str | None
    tail: str | None


def _quantity(text: str) -> _Quantity | None:
    r"""Split a value into its parts, reading from the right, in time linear in the text's length.

    Equivalent to the regular expression `^(label.*?)\s*(op)?\s*(number)\s*(unit)?\s*(tail)?$` (the
    differential test in tests/test_targets.py holds the two to the same answers), whose lazy label made
    matching quadratic: 20,000 digits took 39 s."""
    rest, tail = text, None
    for word in _TAILS:
        if rest.endswith(word):
            rest, tail = rest[:-len(word)], word
            break
    rest = rest.rstrip()
    unit = None
    for n in range(min(_MAX_UNIT_CHARS, len(rest)), 0, -1):   # the longest unit the text ends with
        if rest[-n:] in UNITS:
            unit = rest[-n:]
            rest = rest[:-n].rstrip()
            break
    end = len(rest)
    start = end
    while start > 0 and rest[start - 1] in _NUMBER_CHARS:
        start -= 1
        if end - start > MAX_NUMBER_CHARS:
            raise ValueError_(f"数值位数过多（在 '{short(text)}' 中）", "请检查是否多写了位数")
    # The leftmost start inside the run (a sign just before it included) at which the rest is one number.
    first = start - 1 if start > 0 and rest[start - 1] in "+-" else start
    number = _number_re()
    for begin in range(first, end):
        if number.fullmatch(rest, begin, end):
            return _split_operator(rest[:begin], rest[begin:end], unit, tail)
    return None


def _split_operator(before: str, num: str, unit: str | None, tail: str | None) -> _Quantity:
    head = before.rstrip()
    for length in _OPERATOR_LENGTHS:   # the longest operator word the text ends with
        word = head[-length:]
        if len(word) == length and word in _OPERATOR_SET:
            return _Quantity(head[:-length].rstrip(), word, num, unit, tail)
    return _Quantity(head, None, num, unit, tail)


_OPERATOR_SET = frozenset(w for w, _ in _OPERATOR_WORDS)
_OPERATOR_OF = dict(_OPERATOR_WORDS)
_OPERATOR_LENGTHS = sorted({len(w) for w in _OPERATOR_SET}, reverse=True)


# Symbols in front of a number that are no operator we know (≈, ≠, ~, ±, …): refuse rather than guess.
_ODD_OPERATOR = re.compile(rf"^(?P<sym>[^\w\s.+\-]+)\s*{_NUMBER}")
# A number followed by a short word that is no known unit (平方海里, 标准箱): a unit perfrules does not know,
# read as written; it compares with the same word and converts into nothing.
_ODD_UNIT = re.compile(rf"^(?:{'|'.join(re.escape(w) for w, _ in _OPERATOR_WORDS)})?\s*{_NUMBER}\s*(?P<unit>[^\d\s%]{{1,6}}?)\s*(?P<tail>{'|'.join(_TAILS)})?$")


@dataclass(frozen=True, slots=True)
class Value:
    """A parsed target or actual value."""

    text: str                    # as written, for messages
    op: str | None = None        # one of OPERATORS, or None when none is written
    number: Decimal | None = None
    unit: str | None = None
    qualitative: str | None = None   # normalised text when the value is not a number
    label: str | None = None     # descriptive words before the number ("2024 年底完成率")
    deadline: "Deadline | None" = None   # a finish-by date (the target kind of 时效指标)

    @property
    def is_number(self) -> bool:
        return self.number is not None

    def show(self) -> str:
        if self.deadline is not None:
            return self.text
        if self.qualitative is not None:
            return self.qualitative
        op = {">=": "≥", "<=": "≤", ">": "＞", "<": "＜", "=": "＝"}.get(self.op or "", "")
        return f"{op}{format_number(self.number)}{self.unit or ''}"


class ValueError_(Exception):
    """A value that cannot be understood; the caller adds the location."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


def format_number(n: Decimal | None) -> str:
    if n is None:
        return ""
    text = format(n, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@lru_cache(maxsize=512)
def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", " ", text).strip()


_WEIGHT = re.compile(r"\s*\(\s*(\d+(?:\.\d+)?)\s*分\s*\)\s*$")
_QUOTES = str.maketrans("", "", "\"'“”‘’「」『』《》")


@lru_cache(maxsize=1024)
def split_weight(label: str) -> tuple[str, Decimal | None]:
    """`产出指标(50分)` → (`产出指标`, 50); a label that carries no weight → (label, None)."""
    text = normalise(label)
    match = _WEIGHT.search(text)
    if match is None:
        return label, None
    return text[:match.start()], Decimal(match.group(1))


@lru_cache(maxsize=1024)
def label_key(label: str) -> str:
    """What a label is matched by: full-width folded, the printed weight `(50分)` dropped, no spaces, no
    quote marks. `产出 指标`, `产出指标（50分）` and `产出指标` are one label; so are “三公”, "三公" and 三公."""
    text, _ = split_weight(label)
    return re.sub(r"\s+", "", normalise(text)).translate(_QUOTES)


def parse_value(raw: Any) -> Value | None:
    """Parse a cell. None or blank gives None: a missing value is the caller's to report."""
    if isinstance(raw, str):
        return _parse_text(raw)   # the same texts recur in every submission: parsed once per process
    return _parse_value(raw)


@lru_cache(maxsize=16384)
def _parse_text(raw: str) -> Value | None:
    return _parse_value(raw)   # a Value is immutable, so sharing one is safe; a refusal is not cached


def _parse_value(raw: Any) -> Value | None:
    if raw is None:
        return None
    if isinstance(raw, dict):
        return _structured(raw)
    if isinstance(raw, bool):
        raise ValueError_(f"'{raw}' 是真假值，不是指标值", "请写成数值（如 ≥90%）或文字（如 达成）")
    if isinstance(raw, (int, Decimal)):
        return Value(text=str(raw), number=_bounded(raw, str(raw)))
    if len(str(raw)) > MAX_VALUE_CHARS:
        raise ValueError_(f"指标值过长（{len(str(raw))} 个字符，上限 {MAX_VALUE_CHARS}）：'{short(str(raw))}'",
                          "年度指标值和实际完成值应是简短的数值或文字；说明写在“偏差原因”中")
    text = _INCLUSIVE.sub("", normalise(str(raw))).strip()
    if not text:
        return None
    return _simple(text) or _text_value(text, raw)


# The commonest shapes of a value (≥30 份, 859 万元, 95%, 100), read directly: what _text_value makes of
# them, which tests/test_targets.py holds it to. No sign, no thousands separator, no tail word, and units that
# no deadline or longer unit ends with; anything else takes the general path.
_SIMPLE = re.compile(r"(≥|≤|>=|<=|>|<|=)? *([0-9]{1,15}(?:\.[0-9]{1,6})?) *(%|份|人次|人|次|户|个|万元|元|项|篇|家|场)?")


def _simple(text: str) -> Value | None:
    match = _SIMPLE.fullmatch(text)
    if match is None:
        return None
    word, number, unit = match.groups()
    return Value(text=text, op=_OPERATOR_OF[word] if word else None, number=_bounded_text(number, text),
                 unit=UNITS[unit] if unit else None)


def _text_value(text: str, raw: Any) -> Value | None:
    """A value written as text, normalised (the general path)."""
    if "百分之" in text:   # 百分之九十五 is 95%
        text = _cn_percent_re().sub(_cn_percent, text)
    if (text[:-2].rstrip() if text.endswith("完成") else text).endswith("前"):   # 12月底前(完成): a date to finish by
        deadline = _deadline(text, str(raw))
        if deadline is not None:
            return Value(text=str(raw), deadline=deadline)
    match = _quantity(text)
    if match and _plausible_label(match.label):
        return _from_match(text, match)
    odd_op = _ODD_OPERATOR.match(text)
    if odd_op and parse_operator(odd_op.group("sym")) is None:
        raise ValueError_(f"未知的比较符 '{odd_op.group('sym')}'（在 '{raw}' 中）",
                          "可用：≥ ＞ ＝ ≤ ＜ >= <=，或 不低于、不超过 等文字")
    odd_unit = _ODD_UNIT.match(text)
    if odd_unit:
        unit = canonical_unit(odd_unit.group("unit"))
        if unit is not None:   # a unit perfrules does not know (平方海里, 标准箱): read as written
            match = _quantity(text[:odd_unit.start("unit")].rstrip())
            if match and match.unit is None and _plausible_label(match.label):
                return _from_match(text, _Quantity(match.label, match.op, match.num, None, odd_unit.group("tail")),
                                   unit)
    return Value(text=str(raw), qualitative=text)


def _plausible_label(label: str) -> bool:
    # A label is descriptive words ("2024 年底完成率"): never bare symbols, a dangling number or operator.
    if not label:
        return True
    has_words = re.search(r"[^\W\d_]", label) is not None
    return has_words and not re.search(r"[\d.%<>=≥≤]$", label)


def _from_match(text: str, match: _Quantity, unknown_unit: str | None = None) -> Value:
    op = _OPERATOR_OF[match.op] if match.op else None
    if match.tail in _GREATER_TAILS:
        op = op or ">="
    elif match.tail in _LESS_TAILS:
        op = op or "<="
    number = _bounded_text(match.num.replace(",", ""), text)
    unit = UNITS[match.unit] if match.unit else unknown_unit
    return Value(text=text, op=op, number=number, unit=unit, label=match.label.strip() or None)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@cache
def _cn_percent_re() -> re.Pattern[str]:
    return re.compile(r"百分之([零〇一二两三四五六七八九十百点]+|\d+(?:\.\d+)?)")


def _cn_integer(text: str) -> int | None:
    """一百, 九十五, 十五, 二十, 一百零五: the integers below 1000 that a percentage is written with."""
    if not text:
        return None
    if text == "百":
        return 100
    total, current = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current if current is not None else 1) * 10
            current = None
        elif ch == "百":
            total += (current if current is not None else 1) * 100
            current = None
        else:
            return None
    return total + (current or 0)


def _cn_percent(match: re.Match[str]) -> str:
    body = match.group(1)
    if body[0].isdigit():
        return body + "%"
    whole, _, fraction = body.partition("点")
    number = _cn_integer(whole)
    if number is None or (fraction and not all(c in _CN_DIGITS for c in fraction)):
        return match.group(0)
    return str(number) + ("." + "".join(str(_CN_DIGITS[c]) for c in fraction) if fraction else "") + "%"


def _deadline(text: str, raw: str) -> Deadline | None:
    from .deadlines import PATTERN, Deadline
    match = PATTERN.match(text)
    if match is None:
        return None
    year = int(match["year"]) if match["year"] else None
    if match["yearend"]:
        month, day = 12, None
    else:
        month, day = int(match["month"]), int(match["day"]) if match["day"] else None
        if day is None and match["end"] is None:
            raise ValueError_(f"期限 '{raw}' 不明确：是该月之前，还是该月底之前？",
                              f"请写成 {month}月底前，或具体日期，如 {month}月{15}日前")
    try:
        Deadline(year, month, day).date(year or 2000)
    except ValueError:
        raise ValueError_(f"期限 '{raw}' 不是有效的日期", "请检查月份和日期") from None
    return Deadline(year, month, day)


def _structured(raw: dict[str, Any]) -> Value:
    allowed = {"op", "value", "unit", "text"}
    extra = set(raw) - allowed
    if extra:
        raise ValueError_(f"结构形式的指标值有未知的键 {sorted(extra)}", f"允许的键：{sorted(allowed)}")
    if "value" not in raw:
        if isinstance(raw.get("text"), str):
            return Value(text=raw["text"], qualitative=normalise(raw["text"]))
        raise ValueError_("结构形式的指标值缺少 value", "例如 {op: '>=', value: 23, unit: 份}")
    op = raw.get("op")
    if op is not None:
        parsed = parse_operator(str(op))
        if parsed is None:
            raise ValueError_(f"未知的比较符 '{op}'", f"可选：{', '.join(OPERATORS)}")
        op = parsed
    if isinstance(raw["value"], bool):
        raise ValueError_(f"value '{str(raw['value']).lower()}' 不是数值", "请填写数字")
    number = _bounded_text(str(raw["value"]).replace(",", ""), str(raw["value"]))
    unit = raw.get("unit")
    if unit is not None:
        written = normalise(str(unit))
        unit = canonical_unit(written)
        if unit is None:
            raise ValueError_(f"'{written}' 不像计量单位", "计量单位是文字，如 % 个 份 万元 平方公里；不含数字和比较符")
    text = raw.get("text") or f"{op or ''}{raw['value']}{unit or ''}"
    return Value(text=str(text), op=op, number=number, unit=unit)


def _bounded(number: Decimal | int, text: str) -> Decimal:
    try:
        return check_number(number, text)
    except NumberError as exc:
        raise ValueError_(exc.message, exc.hint) from None


def _bounded_text(number: str, text: str) -> Decimal:
    try:
        return parse_number(number)
    except NumberError as exc:
        raise ValueError_(exc.message, exc.hint) from None


def decimal_or_none(value: Any) -> Decimal | None:
    """A number from data already read (int or Decimal), or None: blanks and text such as "—" are not numbers."""
    return None if value is None or isinstance(value, (str, bool)) else Decimal(value)


def parse_operator(text: str) -> str | None:
    text = normalise(text)
    for word, op in _OPERATOR_WORDS:
        if text == word:
            return op
    return None


def convertible(a: str | None, b: str | None) -> bool:
    """Whether values in units a and b compare: the same base (元 and 万元; 人次 and 万人次), or one is blank."""
    return a == b or a is None or b is None or unit_parts(a)[0] == unit_parts(b)[0]


def to_unit(number: Decimal, unit: str | None, wanted: str | None) -> Decimal:
    """`number` in `unit` restated in `wanted` (the same base): 290000 元 is 29 万元. Blank units stay."""
    if unit == wanted or unit is None or wanted is None:
        return number
    return number * unit_parts(unit)[1] / unit_parts(wanted)[1]
