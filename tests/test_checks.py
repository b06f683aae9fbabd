"""Consistency checks: the seed's contradictions, each check kind, and check entries in rulesets."""


import pytest

from perfrules.cli import main
from perfrules.engine.api import check, check_file
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.ruleset import get_ruleset, search_path
from perfrules.engine.submission import build
from perfrules.engine.yamlio import load_text

from .conftest import ROOT, SEED


def codes(card):
    return [f.code for f in card.findings]


def messages(card, code):
    return [f.message for f in card.findings if f.code == code]


# Every contradiction the seed holds, by code and the figures the message must name.
SEED_CONTRADICTIONS = [
    ("C-STATED-TOTALS", ["99", "96"]),                  # table total vs narrative total
    ("C-STATED-ROWS", ["99", "87"]),                    # table total vs the sum of its rows
    ("C-STATED-MAX", ["100", "90"]),                    # 总分 100 vs the points of the rows
    ("C-STATED-CATEGORY", ["效益指标", "28", "19"]),    # narrative's 效益 28 vs rows 19
    ("C-STATED-CATEGORY", ["产出指标", "49", "45"]),
    ("C-STATED-CATEGORY", ["满意度指标", "9", "10"]),
    ("C-GRADE", ["优秀", "84", "良"]),
    ("W-STATED-TOTAL", ["99", "84"]),
    ("W-STATED-TOTAL", ["96", "84"]),
    ("C-FINANCE", ["250.69", "788.72", "1039.41", "1009.41"]),  # basic + project ≠ expense
    ("C-ASSETS", ["1087.74", "398.91", "688.69", "1087.6"]),     # assets ≠ current + fixed
    ("C-OTHER-YEAR", ["2023", "2024"]),                           # 2023 figures in a 2024 report
    ("C-DATE-SIGNATURE", ["2015年3月19日", "2025年3月10日"]),          # signatures ten years off
    ("C-DEDUCT-NO-REASON", ["高质量完成"]),
    ("C-DEDUCT-NO-REASON", ["服务对象满意度"]),
    ("C-DEDUCT-NO-REASON", ["带动就业创业人员数量"]),
    ("C-OVER-TARGET", ["招聘次数", "500%"]),
    ("C-OVER-TARGET", ["宣传次数", "200%"]),
    ("E-UNSCORABLE", ["2024 年底完成率", "实际完成值"]),
    ("E-UNSCORABLE", ["提高机关事业单位服务能力"]),
    ("W-POINTS", ["效益指标", "20", "30"]),
    ("C-REQUIRED", ["(六)", "绩效自评结果拟应用和公开情况"]),
]


@pytest.mark.parametrize("code,figures", SEED_CONTRADICTIONS, ids=[f"{c}-{f[0]}" for c, f in SEED_CONTRADICTIONS])
def test_seed_contradiction_is_reported_with_its_figures(code, figures):
    card = check_file(SEED)
    assert any(all(x in m for x in figures) for m in messages(card, code)), messages(card, code)


def test_seed_findings_are_sorted_by_location_and_carry_lines():
    card = check_file(SEED)
    keys = [(f.location.file, f.location.line or 0) for f in card.findings]
    assert keys == sorted(keys)
    assert all(f.location.line for f in card.findings)


def test_seed_consistent_parts_raise_nothing():
    card = check_file(SEED)
    # the tasks do add up to 559.03, every split and every stated rate is right
    for clean in ("C-BUDGET-SUM", "C-MONEY-SPLIT", "C-RATE", "C-OVERSPENT", "C-SCORE-RANGE", "C-LOW-EXECUTION"):
        assert clean not in codes(card)


def test_check_cli_exit_codes(runner, write, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(main, ["check", "examples/zizhou-hrss-2024.yaml"])
    assert result.exit_code == 4
    assert "C-ASSETS" in result.output and "examples/zizhou-hrss-2024.yaml:" in result.output
    clean = write("clean.yaml", CLEAN)
    assert runner.invoke(main, ["check", str(clean)]).exit_code == 0
    assert runner.invoke(main, ["check", "nope.yaml"]).exit_code == 1


CLEAN = """\
schema_version: 1
kind: project
year: 2024
unit: 某单位
project: 某项目
report_date: 2025-02-20
goals: {expected: 完成任务, achieved: 已完成}
budget:
  tasks:
    - {name: a, budget: {total: 60, fiscal: 50, other: 10}, spent: {total: 60, fiscal: 50, other: 10}, rate: 100%}
    - {name: b, budget: {total: 40, fiscal: 40, other: 0}, spent: {total: 40, fiscal: 40, other: 0}, rate: 100%}
  total: {budget: {total: 100, fiscal: 90, other: 10}, spent: {total: 100, fiscal: 90, other: 10}, points: 10, rate: 100%, self_score: 10}
indicators:
  - {level1: 产出指标, level2: 数量指标, name: 培训人数, target: ≥100 人, actual: "110", points: 50, self_score: 50}
  - {level1: 效益指标, level2: 社会效益指标, name: 就业率, target: ≥80%, actual: 85%, points: 30, self_score: 30}
  - {level1: 满意度指标, level2: 服务对象满意度指标, name: 满意度, target: ≥90%, actual: 95%, points: 10, self_score: 10}
stated:
  table: {total: 100, max: 100}
  narrative: {total: 100, grade: 优}
signatures: {leader_date: 2025-02-18, unit_date: 2025-02-19}
"""


def sub(text):
    return build(load_text(text, "t.yaml"))


def run(text, ref="cn/project@2020.1"):
    return check(sub(text), get_ruleset(ref, search_path()))


def test_clean_submission_has_no_findings():
    assert run(CLEAN).findings == []


@pytest.mark.parametrize("old,new,code,fragment", [
    ("total: {budget: {total: 100, fiscal: 90", "total: {budget: {total: 101, fiscal: 91", "C-BUDGET-SUM", "相差 1"),
    ("{name: a, budget: {total: 60, fiscal: 50, other: 10}", "{name: a, budget: {total: 60, fiscal: 55, other: 10}",
     "C-MONEY-SPLIT", "65"),
    ("{name: b, budget: {total: 40, fiscal: 40, other: 0}, spent: {total: 40, fiscal: 40, other: 0}, rate: 100%}",
     "{name: b, budget: {total: 40, fiscal: 40, other: 0}, spent: {total: 44, fiscal: 44, other: 0}, rate: 100%}",
     "C-OVERSPENT", "44"),
    ("{total: 40, fiscal: 40, other: 0}, rate: 100%}", "{total: 40, fiscal: 40, other: 0}, rate: 90%}", "C-RATE", "90%"),
    ("actual: \"110\", points: 50, self_score: 50", "actual: \"110\", points: 50, self_score: 55", "C-SCORE-RANGE", "55"),
    ("actual: 85%, points: 30, self_score: 30", "actual: 70%, points: 30, self_score: 30", "C-MISSED-NO-REASON", "就业率"),
    ("actual: \"110\", points: 50", "actual: \"200\", points: 50", "C-OVER-TARGET", "200%"),
    ("actual: 95%, points: 10, self_score: 10", "actual: 95%, points: 10", "C-NO-SELF-SCORE", "满意度"),
    ("report_date: 2025-02-20", "report_date: 2024-12-01", "C-DATE-REPORT", "2024年12月1日"),
    ("report_date: 2025-02-20", "report_date: 2025年13月1日", "C-DATE-INVALID", "13"),
    ("narrative: {total: 100, grade: 优}", "narrative: {total: 100, grade: 良}", "C-GRADE", "良"),
    ("narrative: {total: 100, grade: 优}", "narrative: {total: 100, grade: 甲等}", "C-GRADE", "甲等"),
    ("goals: {expected: 完成任务, achieved: 已完成}", "goals: {expected: 完成任务, achieved: null}", "C-REQUIRED", "“目标实际完成情况”未填写"),
])
def test_each_check_kind_fires_on_its_contradiction(old, new, code, fragment):
    assert old in CLEAN
    card = run(CLEAN.replace(old, new))
    assert any(fragment in m for m in messages(card, code)), [(f.code, f.message) for f in card.findings]


def test_low_execution_without_reason_and_with_reason():
    low = CLEAN.replace("spent: {total: 100, fiscal: 90, other: 10}, points", "spent: {total: 80, fiscal: 70, other: 10}, points")
    assert "C-LOW-EXECUTION" in codes(run(low))
    explained = low.replace("budget:\n  tasks:", "budget:\n  execution_reason: 项目延期\n  tasks:")
    assert "C-LOW-EXECUTION" not in codes(run(explained))


def ruleset_with(write, checks):
    base = (search_path()[-1] / "cn" / "project-2020.1.yaml").read_text(encoding="utf-8")
    head, _, rest = base.partition("checks:\n")
    _, _, tail = rest.partition("categories:\n")
    text = head.replace('version: "2020.1"', 'version: "t"') + "checks:\n" + checks + "categories:\n" + tail
    return write("rules/r.yaml", text)


def test_expression_check(write):
    path = ruleset_with(write, '  - {kind: expression, when: "score_effect < points_effect * 0.6", code: X-LOW-EFFECT,'
                               ' severity: error, message: "效益得分偏低：{detail}"}\n')
    rs = get_ruleset("cn/project@t", search_path([path.parent]))
    card = check(sub(CLEAN.replace("actual: 85%", "actual: 20%")), rs)
    assert any(f.code == "X-LOW-EFFECT" and f.severity == "error" and f.message.startswith("效益得分偏低") for f in card.findings)
    assert "X-LOW-EFFECT" not in codes(check(sub(CLEAN), rs))


@pytest.mark.parametrize("entry,fragment", [
    ("  - {kind: budget_sum}\n", "是否想写 'budget_sums'"),
    ("  - {kind: over_achievement, ration: 1.3}\n", "是否想写 'ratio'"),
    ('  - {kind: expression, when: "score_nothing > 1"}\n', "未知的变量"),
    ('  - {kind: expression, when: "total >"}\n', "语法错误"),
])
def test_broken_check_entries_fail_when_the_ruleset_loads(write, entry, fragment):
    path = ruleset_with(write, entry)
    with pytest.raises(PerfrulesError) as info:
        get_ruleset(str(path), [])
    assert fragment in str(info.value.first) and info.value.first.location.line is not None
