import random
from decimal import Decimal as D

import pytest

from perfrules.engine.api import score_file
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.ruleset import get_ruleset, search_path
from perfrules.engine.scoring import score
from perfrules.engine.yamlio import load_text
from perfrules.engine.submission import build

from .conftest import SEED


def by_name(card):
    return {i.name: i for i in card.indicators}


def test_seed_under_its_own_ruleset():
    card = score_file(SEED)
    assert (card.ruleset_id, card.ruleset_version) == ("cn/unit-overall", "2024.1")
    assert card.total == D("84.00") and card.grade == "良"
    cats = {c.key: c.score for c in card.all_categories()}
    assert cats["budget"] == D(10) and cats["output"] == D(45) and cats["effect"] == D(19) and cats["satisfaction"] == D(10)


def test_seed_states_three_different_totals_beside_the_rule():
    card = score_file(SEED)
    stated = {s.label: s.total for s in card.stated}
    assert stated == {"规则得分": D("84.00"), "自评分合计（逐项相加）": D(87), "自评表所列总分": D(99), "报告正文所述总分": D(96)}


def test_seed_lists_every_indicator_where_own_and_rule_differ():
    card = score_file(SEED)
    differ = sorted(i.name for i in card.indicators if i.self_score is not None and i.score != i.self_score)
    assert differ == ["2024 年底完成率", "服务对象满意度", "高质量完成"]
    flagged = {f.subject for f in card.findings if f.code in ("W-SELF-SCORE", "E-UNSCORABLE")}
    assert set(differ) <= flagged
    assert "满分" in by_name(card)["高质量完成"].explanation


def test_seed_blank_row_is_reported_not_guessed():
    card = score_file(SEED)
    row = by_name(card)["提高机关事业单位服务能力，优化人才结构"]
    assert row.status == "unscorable" and row.score is None
    assert any(f.code == "E-UNSCORABLE" and f.subject == row.name for f in card.findings)


@pytest.mark.parametrize("ref,total,grade", [
    ("cn/unit-overall@2024.1", D("84.00"), "良"),
    ("cn/project@2020.1", D("93.50"), "优"),          # rescales 效益 19/20 to 28.5/30
    ("cn/budget10-free90", D("93.25"), "优"),        # different weights: 10 + 90 spread freely
])
def test_other_rulesets_score_the_same_submission_differently(ref, total, grade):
    card = score_file(SEED, ref)
    assert (card.total, card.grade) == (total, grade)


def sub_from(text):
    return build(load_text(text, "t.yaml"))


HEADER = """\
schema_version: 1
kind: project
year: 2024
unit: 测试单位
budget: {total: {budget: {total: 100}, spent: {total: 100}, self_score: 10}}
indicators:
"""


def project(rows):
    return sub_from(HEADER + rows)


def rs(ref="cn/project@2020.1"):
    return get_ruleset(ref, search_path())


def test_missing_satisfaction_moves_its_points_to_effect():
    sub = project("""\
  - {level1: 产出指标, level2: 数量指标, name: a, target: ≥10, actual: "10", points: 50}
  - {level1: 效益指标, level2: 社会效益指标, name: b, target: ≥10, actual: "5", points: 40}
""")
    card = score(sub, rs())
    cats = {c.key: c for c in card.all_categories()}
    assert cats["satisfaction"].status == "moved" and cats["effect"].points == D(40)
    assert cats["effect"].score == D(20)
    assert card.total == D(80)
    assert any(f.code == "I-ABSENT-MOVED" for f in card.findings)


def test_an_absent_category_is_said_in_full(tmp_path):
    """A category with no rows: without a rule it keeps its points and scores 0 (W-ABSENT); with a drop rule
    its points leave the total, which is rescaled (I-ABSENT-DROPPED). The sentences are built when shown."""
    rows = "  - {level1: 产出指标, level2: 数量指标, name: a, target: ≥10, actual: \"10\", points: 50}\n"
    card = score(project(rows + "  - {level1: 满意度指标, level2: 服务对象满意度指标, name: d, target: ≥90%, actual: 90%, points: 10}\n"),
                 rs())
    [absent] = [f for f in card.findings if f.code == "W-ABSENT"]
    assert (absent.severity, absent.subject, absent.message) == ("warning", "效益指标", "没有“效益指标”类的指标，该类 30 分计 0 分")
    assert str(absent.location) == "t.yaml" and card.total == D(70)
    child = tmp_path / "drop.yaml"
    child.write_text("schema_version: 1\nid: test/drop\nversion: \"1\"\nextends: cn/project@2020.1\n"
                     "categories:\n  - {key: satisfaction, when_absent: {drop: true}}\n", encoding="utf-8")
    card = score(project(rows + "  - {level1: 效益指标, level2: 社会效益指标, name: b, target: ≥10, actual: \"10\", points: 30}\n"),
                 get_ruleset(str(child), search_path()))
    [dropped] = [f for f in card.findings if f.code == "I-ABSENT-DROPPED"]
    assert (dropped.severity, dropped.subject, dropped.message) == ("info", "满意度指标", "未设置“满意度指标”，其 10 分不计入，总分按比例折算")
    assert {c.key: c.status for c in card.categories}["satisfaction"] == "dropped" and card.total == D(100)


def test_not_applicable_rows_are_dropped_and_the_total_rescaled():
    sub = project("""\
  - {level1: 产出指标, level2: 数量指标, name: a, target: ≥10, actual: "10", points: 50}
  - {level1: 效益指标, level2: 社会效益指标, name: b, target: ≥10, actual: "10", points: 20}
  - {level1: 效益指标, level2: 社会效益指标, name: c, target: ≥10, actual: "0", points: 10, applicable: false}
  - {level1: 满意度指标, level2: 服务对象满意度指标, name: d, target: ≥90%, actual: 45%, points: 10}
""")
    card = score(sub, rs())
    # 10 + 50 + 20 + 5 = 85 of the 90 points that apply, rescaled to 100
    assert card.total == D("94.44")
    assert by_name(card)["c"].status == "not-applicable"


def test_rounding_is_half_up_on_decimals_not_floats():
    # 10 × 26.75/100 = 2.675 exactly: half-up gives 2.68 (a binary float would give 2.67)
    sub = project("""\
  - {level1: 产出指标, level2: 数量指标, name: a, target: ≥100, actual: "26.75", points: 10}
""")
    card = score(sub, rs())
    assert by_name(card)["a"].score == D("2.68")


def test_total_decimals_zero_rounds_92_5_to_93(tmp_path):
    text = (search_path()[-1] / "cn" / "project-2020.1.yaml").read_text(encoding="utf-8")
    text = text.replace("total_decimals: 2", "total_decimals: 0").replace('version: "2020.1"', 'version: "test"')
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    sub = project("""\
  - {level1: 产出指标, level2: 数量指标, name: a, target: ≥100, actual: "85", points: 50}
  - {level1: 效益指标, level2: 社会效益指标, name: b, target: ≥10, actual: "10", points: 30}
  - {level1: 满意度指标, level2: 服务对象满意度指标, name: c, target: ≥10, actual: "10", points: 10}
""")
    card = score(sub, get_ruleset("cn/project@test", search_path([tmp_path])))
    assert card.total == D(93)   # 10 + 42.5 + 30 + 10 = 92.5 → 93


def test_sums_do_not_depend_on_row_order():
    rows = [f"  - {{level1: 产出指标, level2: 数量指标, name: r{i}, target: ≥7, actual: \"{i}\", points: 5}}\n"
            for i in range(1, 11)]
    expected = score(project("".join(rows)), rs()).total
    for seed in range(5):
        random.Random(seed).shuffle(rows)
        assert score(project("".join(rows)), rs()).total == expected


def test_unknown_category_label_names_the_indicator_and_line():
    sub = project("""\
  - {level1: 产出指标, level2: 数量指标, name: a, target: ≥10, actual: "10", points: 50}
  - {level1: 产出指标, level2: 数量值标, name: 招聘次数, target: ≥10, actual: "10", points: 50}
""")
    with pytest.raises(PerfrulesError) as info:
        score(sub, rs())
    d = info.value.first
    assert "招聘次数" in d.message and "数量值标" in d.message
    assert d.location.line == 8 and d.location.path == ("indicators", 1, "level2")
    assert "数量指标" in d.hint


def test_unparseable_target_names_the_indicator_and_line():
    with pytest.raises(PerfrulesError) as info:
        project("""\
  - {level1: 产出指标, level2: 数量指标, name: 宣传次数, target: ≈5 次, actual: "10", points: 50}
""")
    d = info.value.first
    assert "宣传次数" in d.message and d.location.line == 7 and d.code == "E-TARGET"


def test_text_actual_against_numeric_target_is_said_not_guessed():
    sub = project("""\
  - {level1: 产出指标, level2: 数量指标, name: a, target: ≥10, actual: 完成, points: 50, self_score: 50}
""")
    card = score(sub, rs())
    assert by_name(card)["a"].status == "unscorable"
    assert "是文字" in by_name(card)["a"].explanation


def test_level1_may_be_omitted_when_level2_is_unique():
    sub = project("""\
  - {level2: 数量指标, name: a, target: ≥10, actual: "10", points: 50}
""")
    assert by_name(score(sub, rs()))["a"].category == "数量指标"


def test_cost_indicators_are_lower_is_better():
    sub = project("""\
  - {level1: 产出指标, level2: 成本指标, name: 经费, target: "100", actual: "110", points: 10}
""")
    assert by_name(score(sub, rs()))["经费"].score == D(9)


def test_deferred_finding_sentences_read_the_same_and_survive_pickling():
    """The scorer defers its findings' sentences; read, compared or pickled (across a process boundary),
    a finding is its text."""
    import pickle

    from perfrules.engine.scorecard import Finding
    card = score_file(SEED)
    deferred = [f for f in card.findings if not isinstance(f._message, str)]
    assert deferred, "the seed's W-SELF-SCORE findings are deferred"
    for finding in card.findings:
        copy = pickle.loads(pickle.dumps(finding))
        assert copy == finding and copy.message == finding.message and isinstance(copy._message, str)
        assert Finding(finding.severity, finding.code, lambda f=finding: f.message, finding.location,
                       finding.subject) == finding
