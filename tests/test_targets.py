from decimal import Decimal as D

import pytest

from perfrules.engine.targets import ValueError_, parse_value

# Every notation of DOMAIN.md "How target values are written": (cell, op, number, unit, qualitative)
CASES = [
    ("≥23 份", ">=", D(23), "份", None),
    ("≥90%", ">=", D(90), "%", None),
    ("100%", None, D(100), "%", None),
    ("＝100", "=", D(100), None, None),
    ("﹦72890 元", "=", D(72890), "元", None),
    ("≤30 万元", "<=", D(30), "万元", None),
    ("≦100%", "<=", D(100), "%", None),
    ("≧95%", ">=", D(95), "%", None),
    ("＞0", ">", D(0), None, None),
    ("＜5 天", "<", D(5), "天", None),
    (">=80", ">=", D(80), None, None),
    ("<=3", "<=", D(3), None, None),
    ("大于等于 10 次", ">=", D(10), "次", None),
    ("不低于95%", ">=", D(95), "%", None),
    ("不超过 30 万元", "<=", D(30), "万元", None),
    ("90%以上", ">=", D(90), "%", None),
    ("≥９０％", ">=", D(90), "%", None),          # full-width digits and percent sign (NFKC)
    ("≥ 5 篇", ">=", D(5), "篇", None),
    ("1,000 人", None, D(1000), "人", None),
    ("95 百分比", None, D(95), "%", None),
    ("2.675", None, D("2.675"), None, None),
    ("有所提升", None, None, None, "有所提升"),
    ("高", None, None, None, "高"),
    ("好", None, None, None, "好"),
    ("达成预期指标", None, None, None, "达成预期指标"),
]


@pytest.mark.parametrize("cell,op,number,unit,qualitative", CASES, ids=[c[0] for c in CASES])
def test_notations(cell, op, number, unit, qualitative):
    v = parse_value(cell)
    assert (v.op, v.number, v.unit, v.qualitative) == (op, number, unit, qualitative)


def test_label_before_number_is_kept_as_label():
    v = parse_value("2024 年底完成率 100%")
    assert (v.label, v.number, v.unit) == ("2024 年底完成率", D(100), "%")


def test_structured_form():
    v = parse_value({"op": "≥", "value": 23, "unit": "份"})
    assert (v.op, v.number, v.unit) == (">=", D(23), "份")


def test_numbers_from_yaml_stay_decimal():
    assert parse_value(D("0.1")).number == D("0.1")
    assert parse_value(12).number == D(12)


@pytest.mark.parametrize("cell", ["≈10 次", {"op": "≈", "value": 1}, {"value": "abc"}, {"value": 1, "unit": "5%"},
                                  {"op": ">=", "value": 1, "colour": "red"}, True])
def test_unparseable_values_say_why(cell):
    with pytest.raises(ValueError_) as info:
        parse_value(cell)
    assert info.value.message


@pytest.mark.parametrize("cell", [None, "", "   "])
def test_blank_is_missing(cell):
    assert parse_value(cell) is None


# ------------------------------------------------------------------ linear parsing, differential
# The regular expression the value parser used before it was rewritten to read from the right: its lazy
# label made matching quadratic (20,000 digits: 39 s). It stays here as the reference the new parser must
# agree with on every short input.
import re as _re
import time as _time

from hypothesis import given, settings, strategies as st

from perfrules.engine import targets as _t

_OLD_QUANT = _re.compile(
    rf"^(?P<label>.*?)\s*(?P<op>{'|'.join(_re.escape(w) for w, _ in _t._OPERATOR_WORDS)})?\s*"
    rf"(?P<num>{_t._NUMBER})\s*(?P<unit>{'|'.join(_re.escape(u) for u in sorted(_t.UNITS, key=len, reverse=True))})?"
    rf"\s*(?P<tail>以内|以上|及以上|以下|之内|内|完成)?$")

_PIECES = ["1", "0", "9", "23", ".", ",", "000", "+", "-", " ", "%", "万元", "元", "人次", "次", "个百分点", "≥", "≤",
           "不低于", "以内", "以上", "及以上", "以下", "年底", "完成率", "2024", "约", "≈", "天", "分钟", "达到", "a",
           "内", "完成", "万人次", "工作日"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8))
def test_linear_parser_agrees_with_the_old_regular_expression(pieces):
    text = _t.normalise("".join(pieces))
    old = _OLD_QUANT.match(text)
    new = _t._quantity(text)
    if old is None:
        assert new is None, text
    else:
        assert new is not None, text
        assert (new.label.strip(), new.op, new.num, new.unit, new.tail) == \
            (old.group("label").strip(), old.group("op"), old.group("num"), old.group("unit"), old.group("tail")), text


@pytest.mark.parametrize("text", ["≥" + "9" * 450, "1," * 240, "达到" * 240 + "5", "5" + " " * 480 + "万元"])
def test_long_values_parse_fast_or_are_refused(text):
    started = _time.perf_counter()
    try:
        parse_value(text)
    except ValueError_ as exc:
        assert "位数过多" in exc.message or "过长" in exc.message or "过大" in exc.message
    assert _time.perf_counter() - started < 1.0   # generous: linear parsing takes microseconds here


def test_a_value_longer_than_the_limit_is_refused():
    from perfrules.engine.limits import MAX_VALUE_CHARS
    with pytest.raises(ValueError_) as info:
        parse_value("≥" + "9" * 20000)
    assert f"上限 {MAX_VALUE_CHARS}" in info.value.message


_OPS = st.sampled_from(["", "≥", "≤", ">=", "<=", ">", "<", "=", "==", "≧", "大于", "不低于", "＞", "≥ "])
_NUMS = st.one_of(st.integers(0, 10**16).map(str), st.decimals(min_value=0, max_value=10**6, places=3,
                  allow_nan=False, allow_infinity=False).map(str),
                  st.sampled_from(["007", "0.50", "1,000", "-3", "+3", "٣", "３0", ".5", "5.", "1e3", "0.0000001"]))
_UNITS = st.sampled_from(["", "%", "份", "人次", "人", "次", "户", "个", "万元", "元", "项", "篇", "家", "场", "万人次",
                          "个百分点", "天", "月", "十个", "万家", "%以上", "以上", "以内", "（含）", "份）", " 份"])


@settings(max_examples=600, deadline=None)
@given(_OPS, st.sampled_from(["", " ", "  "]), _NUMS, st.sampled_from(["", " "]), _UNITS,
       st.sampled_from(["", "", "", "左右", "前"]))
def test_the_short_path_for_common_values_reads_them_as_the_general_path_does(op, space, number, gap, unit, tail):
    """_simple reads ≥30 份, 859 万元, 95% directly; wherever it answers, the general path gives the same value."""
    raw = f"{op}{space}{number}{gap}{unit}{tail}"
    text = _t._INCLUSIVE.sub("", _t.normalise(raw)).strip()
    fast = _t._simple(text)
    if fast is not None:
        assert fast == _t._text_value(text, raw)


def test_the_short_path_reads_the_common_shapes():
    for raw in ("≥30 份", "859 万元", "95%", "100", "≤ 5 次", "12.5 人次"):
        assert _t._simple(_t.normalise(raw)) is not None
    for raw in ("-3", "1,000", "٣", "30 万人次", "90%以上", "12月底前"):
        assert _t._simple(_t.normalise(raw)) is None
