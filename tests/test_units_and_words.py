"""What a unit writes in its value cells: any unit of measure, and the words of a qualitative actual.

Issue 21 items 2 and 3. A unit perfrules does not know (平方海里, 标准箱) compares with the same word as it
is; known units convert (平方公里 ⇄ 公顷 ⇄ 平方米); two units that do not compare are that row's finding,
naming both, and never make the whole form unscorable. The words that read a qualitative actual as met, not
met or partly met are ruleset data with defaults.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from perfrules.engine.ruleset import get_ruleset, search_path
from perfrules.engine.scoring import score
from perfrules.engine.submission import build
from perfrules.engine.targets import canonical_unit, known_unit, parse_value
from perfrules.engine.yamlio import load_text

HEADER = """\
schema_version: 1
kind: project
year: 2024
unit: 测试单位
budget: {total: {budget: {total: 100}, spent: {total: 100}, self_score: 10}}
indicators:
"""


def card_of(rows: str, ruleset: str = "cn/project@2020.1"):
    return score(build(load_text(HEADER + rows, "t.yaml")), get_ruleset(ruleset, search_path()))


def row(card, name):
    return next(r for r in card.indicators if r.name == name)


@pytest.mark.parametrize("written", ["平方公里", "千瓦", "公顷", "人·次", "台套", "平方海里", "标准箱", "kW·h"])
def test_any_unit_word_is_read_as_a_unit(written):
    value = parse_value(f"≥25 {written}")
    assert value is not None and value.number == D(25) and value.op == ">="
    assert value.unit == canonical_unit(written) and value.unit is not None


def test_a_unit_written_the_same_compares_as_it_is():
    card = card_of("""\
  - {level1: 产出指标, level2: 数量指标, name: 海域, target: ≥20 平方海里, actual: 10 平方海里, points: 50}
  - {level1: 效益指标, level2: 社会效益指标, name: 货物, target: ≥8 标准箱, actual: 8 标准箱, points: 40}
""")
    assert row(card, "海域").score == D(25)
    assert row(card, "货物").score == D(40)
    assert not [f for f in card.findings if f.code == "E-UNSCORABLE"]


def test_known_units_convert_and_unknown_ones_do_not():
    card = card_of("""\
  - {level1: 产出指标, level2: 数量指标, name: 造林, target: ≥2 平方公里, actual: 100 公顷, points: 50}
  - {level1: 效益指标, level2: 社会效益指标, name: 运量, target: ≥8 标准箱, actual: 8 集装箱, points: 40}
""")
    assert row(card, "造林").score == D(25)   # 100 公顷 is 1 平方公里: half of the target
    unscorable = [f for f in card.findings if f.code == "E-UNSCORABLE"]
    assert len(unscorable) == 1
    message = unscorable[0].message
    assert "标准箱" in message and "集装箱" in message and "不在 perfrules 已知的单位中" in message
    assert card.total is not None   # the form stays scorable: one row's finding


def test_a_unit_column_with_a_unit_perfrules_does_not_know_is_read():
    card = card_of("""\
  - {level1: 产出指标, level2: 数量指标, name: 装机, target: "≥5", actual: "5", unit: 千瓦时每户, points: 50}
  - {level1: 效益指标, level2: 社会效益指标, name: b, target: ≥10, actual: "10", points: 40}
""")
    assert row(card, "装机").score == D(50)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="平方海里标准箱台套千瓦人次亩株公顷站点", min_size=1, max_size=4),
       st.integers(min_value=1, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_one_row_with_any_unit_never_makes_the_form_unscorable(unit, target, actual):
    """Property: whatever unit word a row carries, the card is made; the row is scored or is its own finding;
    and the same unit on both sides scores as the bare numbers do."""
    with_unit = card_of(f"""\
  - {{level1: 产出指标, level2: 数量指标, name: a, target: "≥{target} {unit}", actual: "{actual} {unit}", points: 50}}
""")
    bare = card_of(f"""\
  - {{level1: 产出指标, level2: 数量指标, name: a, target: "≥{target}", actual: "{actual}", points: 50}}
""")
    assert row(with_unit, "a").score == row(bare, "a").score


def test_known_unit_is_known():
    assert known_unit("平方公里") and known_unit("万元") and not known_unit("平方海里")
    assert canonical_unit("人·次") == "人次"
    assert canonical_unit("≥5") is None and canonical_unit("3.5") is None


# Item 3: qualitative actuals.
QUAL = """\
  - {{level1: 产出指标, level2: 数量指标, name: a, target: "≥10", actual: "10", points: 50}}
  - {{level1: 效益指标, level2: 社会效益指标, name: q, target: "{target}", actual: "{actual}", points: 40}}
"""


@pytest.mark.parametrize("target, actual", [
    ("建立", "已建立"), ("建立", "建立"), ("完成", "已完成"), ("完成", "全部完成"), ("完成", "完成"),
    ("达到", "已达到"), ("达到", "达到"), ("建立长效机制", "已建立长效机制"), ("有所提升", "提升"),
])
def test_met_words_score_full(target, actual):
    card = card_of(QUAL.format(target=target, actual=actual))
    assert row(card, "q").score == D(40) and row(card, "q").met is True


@pytest.mark.parametrize("target, actual", [
    ("建立", "未建立"), ("完成", "尚未完成"), ("建立长效机制", "尚未建立长效机制"), ("达到", "未达到"),
])
def test_negated_words_are_not_met(target, actual):
    card = card_of(QUAL.format(target=target, actual=actual))
    assert row(card, "q").score == D(0) and row(card, "q").met is False


@pytest.mark.parametrize("target, actual", [("完成", "部分完成"), ("建立长效机制", "部分建立长效机制")])
def test_partial_words_are_partly_met(target, actual):
    card = card_of(QUAL.format(target=target, actual=actual))
    assert D(0) < row(card, "q").score < D(40) and row(card, "q").met is False


def test_a_bureau_adds_its_own_words_in_the_ruleset(tmp_path):
    folder = tmp_path / "rs"
    folder.mkdir()
    (folder / "words.yaml").write_text("""\
schema_version: 1
id: test/words
version: "2024.1"
extends: cn/project@2020.1
title: 判定词
methods_by_operator: {qualitative: {use: tiers, words: {negations: [暂未], met_prefixes: [业已]}}}
""", encoding="utf-8")
    path = search_path([str(folder)])
    sub = build(load_text(HEADER + QUAL.format(target="建立", actual="暂未建立"), "t.yaml"))
    assert row(score(sub, get_ruleset("test/words@2024.1", path)), "q").score == D(0)
    sub = build(load_text(HEADER + QUAL.format(target="建立", actual="业已建立"), "t.yaml"))
    assert row(score(sub, get_ruleset("test/words@2024.1", path)), "q").score == D(40)
    # Without the words the default ruleset cannot read 暂未建立 and says so.
    card = score(build(load_text(HEADER + QUAL.format(target="建立", actual="暂未建立"), "t.yaml")),
                 get_ruleset("cn/project@2020.1", search_path()))
    assert any(f.code == "E-UNSCORABLE" for f in card.findings)
