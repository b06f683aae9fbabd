"""Each rule sentence is held to the method's behaviour at the edges it names (issue 24 item 3): where the
sentence says "不低于 90% 得满分", 90% scores full and 89% does not; where it says "不足 1 个百分点的部分不扣",
89.99% is not deducted."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from perfrules.engine import methods
from perfrules.engine.explain import check_sentence, method_sentence

from .test_methods import run


def test_the_issue_examples_read_as_a_bureau_writes_them():
    assert method_sentence("deduction", {"deduct": D("0.5"), "direction": "under"}).startswith(
        "达到目标得满分；每低于目标 1 ")
    said = method_sentence("deduction", {"deduct": D("0.2"), "threshold": 90, "unit": "%", "direction": "under"})
    assert said.startswith("不低于 90% 得满分；每低 1 个百分点扣 0.2 分") and "扣完为止" in said


@pytest.mark.parametrize("count,actual,expected", [
    ("floor", "90%", D(10)), ("floor", "89.99%", D(10)), ("floor", "89%", D("9.8")), ("floor", "88.5%", D("9.8")),
    ("exact", "89.99%", D("9.998")), ("ceil", "89.99%", D("9.8")),
])
def test_deduction_does_what_its_sentence_says(count, actual, expected):
    params = {"deduct": D("0.2"), "threshold": D(90), "unit": "%", "direction": "under", "count": count}
    said = method_sentence("deduction", params)
    assert "不低于 90% 得满分" in said
    assert {"floor": "的部分不扣", "exact": "的按比例扣", "ceil": "的按 1 个百分点扣）"}[count] in said
    assert run("deduction", params, 10, "≥90%", actual).score == expected


def test_ratio_full_at_the_target_and_not_below():
    said = method_sentence("ratio", {})
    assert said.startswith("实际达到或超过目标得满分")
    assert run("ratio", {}, 10, "≥90%", "90%").score == 10
    assert run("ratio", {}, 10, "≥90%", "89.99%").score < 10
    assert run("ratio", {}, 10, "≥90%", "120%").score == 10   # 完成比例按最高 100% 计 (cap 1, not said)


def test_reverse_linear_zero_at_the_multiple_it_names():
    said = method_sentence("reverse_linear", {"zero_at": D(3)})
    assert "实际不高于目标得满分" in said and "3 倍及以上得 0 分" in said
    assert run("reverse_linear", {"zero_at": D(3)}, 10, "≤100", "100").score == 10
    assert run("reverse_linear", {"zero_at": D(3)}, 10, "≤100", "100.01").score < 10
    assert run("reverse_linear", {"zero_at": D(3)}, 10, "≤100", "300").score == 0
    assert run("reverse_linear", {"zero_at": D(3)}, 10, "≤100", "299.99").score > 0


def test_execution_rate_zero_below_and_its_cap():
    params = {"zero_below": D("0.6")}
    said = method_sentence("execution_rate", params)
    assert "执行率低于 60% 得 0 分" in said and "最高按 100% 计" in said
    facts = lambda spent: {"budget": D(100), "spent": D(spent)}  # noqa: E731
    assert run("execution_rate", params, 10, facts=facts("60")).score == 6
    assert run("execution_rate", params, 10, facts=facts("59.99")).score == 0
    assert run("execution_rate", params, 10, facts=facts("120")).score == 10


def test_tiered_bands_at_their_bounds():
    params = {"bands": [{"min": 90, "score": 10}, {"min": 60, "max": 90, "fraction": D("0.6")}], "unit": "%"}
    said = method_sentence("tiered", params)
    assert "≥90% 得 10 分" in said and "≥60% 且 ＜90% 得 分值的 60%" in said and "不在任何分档内得 0 分" in said
    assert run("tiered", params, 10, "≥90%", "90%").score == 10
    assert run("tiered", params, 10, "≥90%", "89.99%").score == 6
    assert run("tiered", params, 10, "≥90%", "59.99%").score == 0


def test_deadline_without_a_deduction_is_all_or_nothing():
    assert method_sentence("deadline", {}) == "实际完成日期不晚于期限得满分；逾期得 0 分。"
    assert run("deadline", {}, 10, "2024年6月30日前", "2024年6月30日").score == 10
    assert run("deadline", {}, 10, "2024年6月30日前", "2024年7月1日").score == 0
    said = method_sentence("deadline", {"deduct": D(1)})
    assert "每逾期 1 天扣 1 分" in said
    assert run("deadline", {"deduct": D(1)}, 10, "2024年6月30日前", "2024年7月2日").score == 8


def test_checklist_and_coefficient_name_their_figures():
    items = [{"label": "制度健全", "points": 2}, {"label": "台账完整", "points": 3}]
    assert "制度健全 2 分；台账完整 3 分" in method_sentence("checklist", {"items": items})
    assert run("checklist", {"items": items}, 5, None, "制度健全").score == 2
    said = method_sentence("coefficient", {"coefficients": {"优": 1, "良": D("0.8")}})
    assert "优 1，良 0.8" in said
    assert run("coefficient", {"coefficients": {"优": 1, "良": D("0.8")}}, 10, None, "良").score == 8


def test_every_method_and_check_has_a_sentence():
    from perfrules.engine.checks import KINDS
    for name, method in methods.REGISTRY.items():
        required = {p.name: ({"expr": "points", "bands": [{"min": 0, "score": 1}], "items": [], "deduct": 1}[p.name])
                    for p in method.params if p.required}
        said = method_sentence(name, required)
        assert said and said != method.doc or name in ("expression",), name
    for kind in KINDS:
        assert check_sentence(kind, {"when": "total < 60"} if kind == "expression" else {}).endswith("）")
    assert check_sentence("execution_floor", {"floor": D("0.85")}) == "预算执行率低于 85% 时须说明原因。（警告）"
