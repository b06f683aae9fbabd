from decimal import Decimal as D

import pytest

from engine.targets import ValueError_, parse_value

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


@pytest.mark.parametrize("cell", ["≥10 xyz", {"op": "≈", "value": 1}, {"value": "abc"}, {"value": 1, "unit": "光年"},
                                  {"op": ">=", "value": 1, "colour": "red"}, True])
def test_unparseable_values_say_why(cell):
    with pytest.raises(ValueError_) as info:
        parse_value(cell)
    assert info.value.message


@pytest.mark.parametrize("cell", [None, "", "   "])
def test_blank_is_missing(cell):
    assert parse_value(cell) is None
