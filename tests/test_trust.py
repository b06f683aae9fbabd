"""A score a bureau can defend: nothing silently wrong.

Each reproduction of the trust issue is a test here; the general rules behind them are properties over
generated submissions and every shipped ruleset (conservation of points, and the metamorphic tests in
tests/test_metamorphic.py).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings

from perfrules.cli import main
from perfrules.engine.api import check
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.ruleset import get_ruleset, index, search_path
from perfrules.engine.submission import build
from perfrules.engine.yamlio import load_bytes

from .conftest import SEED
from .test_properties import submissions

# The head of a one-project submission with a budget fully spent; each test adds its indicator rows.
PROJECT = """\
schema_version: 1
kind: project
year: 2024
unit: 测试单位
budget: {total: {budget: {total: 100}, spent: {total: 100}}}
indicators:
"""

SHIPPED = [get_ruleset(f"{e.id}@{e.version}", search_path()) for e in sorted(index(search_path()), key=lambda e: e.id)]
EXAMPLES = int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150"))

ONLY_OUTPUT = PROJECT + """\
  - {level1: 产出指标, level2: 数量指标, name: 培训人数, target: "≥100 人", actual: "100 人", points: 50, self_score: 50}
"""


# ------------------------------------------------------------------------------ 3. points never vanish
def test_points_moved_into_an_absent_category_are_not_lost(runner, write):
    path = write("only-output.yaml", ONLY_OUTPUT)
    result = runner.invoke(main, ["score", str(path), "--ruleset", "cn/project@2020.1", "--format", "json"])
    card = json.loads(result.output)
    assert card["total"] == 60 and card["max_total"] == 100
    effect = next(c for c in card["categories"] if c["key"] == "effect")
    assert effect["points"] == 40 and effect["score"] == 0
    assert not any(f["code"] == "I-RESCALED" for f in card["findings"])


def conserved(card) -> None:
    """Points scored plus points lost equal the maximum, per category and in total, whatever is absent."""
    full = sum((c.declared if c.declared is not None else c.points) for c in card.categories)
    assert card.max_total == full
    dropped = sum(c.dropped for root in card.categories for c in root.walk())
    not_applicable = sum((i.points or 0) for i in card.indicators if i.status == "not-applicable")
    effective = sum(c.points for c in card.categories)
    assert effective + dropped + not_applicable == full, (effective, dropped, not_applicable, full)
    for root in card.categories:
        for c in root.walk():
            assert Decimal(0) <= c.score <= c.points + Decimal("0.01"), (c.label, c.score, c.points)
            lost = c.points - c.score
            assert c.score + lost == c.points
    assert Decimal(0) <= card.total <= full


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_points_are_conserved_under_every_shipped_ruleset(raw):
    try:
        sub = build(load_bytes(raw, "generated.yaml"))
    except PerfrulesError:
        return
    for rs in SHIPPED:
        try:
            card = check(sub, rs)
        except PerfrulesError:
            continue
        conserved(card)


def test_the_seed_conserves_points_under_every_shipped_ruleset():
    from perfrules.engine.submission import load_submission
    sub = load_submission(SEED)
    for rs in SHIPPED:
        conserved(check(sub, rs))


# ------------------------------------------------------------------------------ 1. ambiguous numbers
AMBIGUOUS = PROJECT + """\
  - {level1: 产出指标, level2: 质量指标, name: 验收合格率, target: "≥90%", actual: 0.98, points: 50, self_score: 50}
  - {level1: 效益指标, level2: 社会效益指标, name: 就业率, target: "≥0.9", actual: "95", points: 30, self_score: 30}
  - {level1: 满意度指标, level2: 服务对象满意度指标, name: 满意度, target: "≥0.9", actual: "0.95", points: 10, self_score: 10}
"""


def scorecard(runner, path, *args):
    result = runner.invoke(main, ["score", str(path), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_fraction_against_a_percent_is_refused_naming_both_readings(runner, write):
    card = scorecard(runner, write("a.yaml", AMBIGUOUS), "--ruleset", "cn/project@2020.1")
    rows = {i["name"]: i for i in card["indicators"]}
    assert rows["验收合格率"]["status"] == "unscorable" and rows["就业率"]["status"] == "unscorable"
    assert rows["满意度"]["score"] == 10     # 0.9 against 0.95: the same scale, no ambiguity
    codes = [f for f in card["findings"] if f["code"] == "E-AMBIGUOUS"]
    assert len(codes) == 2
    assert "98%" in codes[0]["message"] and "0.98%" in codes[0]["message"] and codes[0]["location"]["line"] == 7
    assert card["grade"] != "良" or card["total"] < 80   # never a quiet 良 → 中 from a guessed 0.98 %


def test_as_rate_is_the_rulesets_choice_and_is_said(runner, write, tmp_path):
    rules = write("rules.yaml", """\
        schema_version: 1
        id: x/as-rate
        version: "1"
        title: 小数读作比率
        extends: cn/project@2020.1
        defaults: {fractions: as_rate}
        """)
    card = scorecard(runner, write("a.yaml", AMBIGUOUS), "--ruleset", str(rules))
    rows = {i["name"]: i for i in card["indicators"]}
    assert rows["验收合格率"]["score"] == 50 and "按比率读作 98%" in rows["验收合格率"]["explanation"]
    assert rows["就业率"]["score"] == 30 and "按比率读作 90%" in rows["就业率"]["explanation"]
    assert any(f["code"] == "I-READING" for f in card["findings"])


SCALES = PROJECT + """\
  - {level1: 产出指标, level2: 数量指标, name: 培训人次, target: "≥1万人次", actual: "12000人次", points: 50}
  - {level1: 效益指标, level2: 社会效益指标, name: 受益人口, target: "≥2 万人", actual: "15000 人", points: 30}
"""


def test_scale_words_scale_any_unit(runner, write):
    card = scorecard(runner, write("s.yaml", SCALES), "--ruleset", "cn/project@2020.1")
    rows = {i["name"]: i for i in card["indicators"]}
    assert rows["培训人次"]["score"] == 50 and "1.2 万人次" in rows["培训人次"]["explanation"]
    assert rows["受益人口"]["score"] == Decimal("22.5")


# ------------------------------------------------------------------------------ 2. one conversion path
def method_ruleset(write, method: str) -> str:
    return str(write("m.yaml", f"""\
        schema_version: 1
        id: x/cost
        version: "1"
        title: 成本分档
        extends: cn/project@2020.1
        categories:
          - key: output
            children:
              - key: cost
                methods_by_operator: {{"<=": {method}}}
        """))


COST = """\
schema_version: 1
kind: project
year: 2024
unit: 测试单位
budget: {{total: {{budget: {{total: 100}}, spent: {{total: 100}}}}}}
indicators:
  - {{level1: 产出指标, level2: 成本指标, name: 经费, target: "≤30万元", actual: "{actual}", points: 50}}
"""


def cost_score(runner, write, method: str, actual: str) -> Decimal:
    rules = method_ruleset(write, method)
    card = scorecard(runner, write("c.yaml", COST.format(actual=actual)), "--ruleset", rules)
    return Decimal(str(next(i for i in card["indicators"] if i["name"] == "经费")["score"]))


def test_tiered_converts_units(runner, write):
    bands = "{use: tiered, bands: [{max: 30, max_inclusive: true, fraction: 1}, {min: 30, min_inclusive: false, fraction: 0}]}"
    assert cost_score(runner, write, bands, "290000元") == 50      # was "＞30" band: 290000 read as 万元
    assert cost_score(runner, write, bands, "0.0029亿元") == 50
    assert cost_score(runner, write, bands, "310000元") == 0


def test_deduction_converts_units(runner, write):
    method = "{use: deduction, deduct: 10, per: 1}"
    assert cost_score(runner, write, method, "300000元") == 50      # was 0: 300000 read as 万元
    assert cost_score(runner, write, method, "310000元") == 40      # one 万元 over
    assert cost_score(runner, write, method, "0.0031亿元") == 40


# ------------------------------------------------------------------------------ 6. targets as written
TARGETS = PROJECT + """\
  - {level1: 产出指标, level2: 质量指标, name: 合格率, target: "90%（含）以上", actual: "95%", points: 10}
  - {level1: 产出指标, level2: 质量指标, name: 达标率, target: "95%（含）", actual: "95%", points: 10}
  - {level1: 产出指标, level2: 时效指标, name: 办结时限, target: "3天内", actual: "2天", points: 5}
  - {level1: 产出指标, level2: 时效指标, name: 审批时限, target: "10个工作日内", actual: "12个工作日", points: 5}
  - {level1: 产出指标, level2: 时效指标, name: 完成时间, target: "12月底前", actual: "2024年11月20日", points: 5}
  - {level1: 产出指标, level2: 时效指标, name: 验收时间, target: "2024年12月31日前", actual: "2025-01-10", points: 5}
  - {level1: 产出指标, level2: 数量指标, name: 完成率, target: "100%完成", actual: "100%", points: 10}
  - {level1: 效益指标, level2: 社会效益指标, name: 水质, target: "达标", actual: "未达标", points: 30}
  - {level1: 满意度指标, level2: 服务对象满意度指标, name: 满意度, target: "≥0.95", actual: "0.98", points: 10}
"""


def test_targets_as_real_tables_write_them(runner, write):
    card = scorecard(runner, write("t.yaml", TARGETS), "--ruleset", "cn/project@2020.1")
    rows = {i["name"]: i for i in card["indicators"]}
    assert all(r["status"] == "scored" for r in rows.values()), [r for r in rows.values() if r["status"] != "scored"]
    assert rows["合格率"]["score"] == 10 and rows["达标率"]["score"] == 10
    assert rows["办结时限"]["score"] == 5 and rows["审批时限"]["score"] < 5
    assert rows["完成时间"]["score"] == 5 and "2024年12月31日" in rows["完成时间"]["explanation"]
    assert rows["验收时间"]["score"] == 0 and "10 天" in rows["验收时间"]["explanation"]
    assert rows["完成率"]["score"] == 10
    assert rows["水质"]["score"] == 0 and "未达成" in rows["水质"]["explanation"]
    assert "0.98" in rows["满意度"]["explanation"] and "%" not in rows["满意度"]["explanation"].split("目标")[1][:8]


def test_deadline_lateness_is_deducted_as_the_ruleset_says(runner, write):
    rules = write("d.yaml", """\
        schema_version: 1
        id: x/late
        version: "1"
        title: 逾期扣分
        extends: cn/project@2020.1
        methods_by_operator: {deadline: {use: deadline, per: day, deduct: 1}}
        """)
    card = scorecard(runner, write("t.yaml", TARGETS), "--ruleset", str(rules))
    rows = {i["name"]: i for i in card["indicators"]}
    assert rows["验收时间"]["score"] == 0      # 10 days late, 1 point a day, 5 points
    assert "每逾期 1 天扣 1 分" in rows["验收时间"]["explanation"]


def test_an_ambiguous_deadline_is_refused_with_a_message_about_the_target(runner, write):
    path = write("t.yaml", TARGETS.replace("12月底前", "6月前"))
    result = runner.invoke(main, ["score", str(path), "--ruleset", "cn/project@2020.1"])
    assert result.exit_code == 1 and "期限 '6月前' 不明确" in result.output


def test_a_qualitative_target_with_digits_is_blamed_not_the_actual(runner, write):
    path = write("t.yaml", TARGETS.replace('target: "95%（含）"', 'target: "空气质量达到(2级)标准"'))
    card = scorecard(runner, path, "--ruleset", "cn/project@2020.1")
    bad = next(f for f in card["findings"] if f["code"] == "E-UNSCORABLE")
    assert "年度指标值 '空气质量达到(2级)标准' 无法识别" in bad["message"]


# ------------------------------------------------------------------------------ 4. a broken ruleset is never used
HEAD = """\
schema_version: 1
id: x/{name}
version: "1"
title: 测试
extends: cn/unit-overall@2024.1
"""


def test_rulesets_check_diagnoses_every_file_on_the_path(runner, tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "unquoted.yaml").write_text(HEAD.format(name="a").replace('version: "1"', "version: 2024.1"), encoding="utf-8")
    (rules / "fullwidth.yaml").write_text(HEAD.format(name="b").replace("title: 测试", "title：测试"), encoding="utf-8")
    (rules / "tab.yaml").write_text(HEAD.format(name="c") + "defaults:\n\tbare_operator: '>='\n", encoding="utf-8")
    for args, env in ((["--rulesets", str(rules)], {}), ([], {"PERFRULES_PATH": str(rules)})):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        text = runner.invoke(main, ["rulesets", "check", *args])
        assert text.exit_code == 1 and "3 个有问题" in text.output, text.output
        data = json.loads(runner.invoke(main, ["rulesets", "check", *args, "--format", "json"]).output)
        assert data["ok"] is False
        bad = {r["file"].rsplit("/", 1)[-1] for r in data["rulesets"] if not r["ok"]}
        assert bad == {"unquoted.yaml", "fullwidth.yaml", "tab.yaml"}


@pytest.mark.parametrize("body, fragment", [
    ("categories:\n  - {key: output, points: 45}\n", "合计 95 分"),
    ("grades:\n  - {label: 优, min: 90}\n  - {label: 良, min: 90}\n  - {label: 差, min: 0}\n", "下限都是 90 分"),
    ("categories:\n  - key: budget\n    indicators:\n      - {key: budget_execution, name: 预算执行率, points: 10, source: indicator, target: \"=>90%\"}\n",
     "年度指标值无法识别"),
])
def test_score_refuses_a_ruleset_that_fails_its_checks(runner, write, body, fragment):
    rules = write("bad.yaml", HEAD.format(name="bad") + body)
    checked = runner.invoke(main, ["rulesets", "check", str(rules)])
    assert checked.exit_code == 1 and fragment in checked.output, checked.output
    scored = runner.invoke(main, ["score", str(SEED), "--ruleset", str(rules), "--format", "json"])
    assert scored.exit_code == 1, scored.output
    error = json.loads(scored.output)["errors"][0]
    assert fragment in error["message"] and error["location"]["line"]


# ------------------------------------------------------------------------------ 5. the bureau chooses the ruleset
SEED_TEXT = SEED.read_text(encoding="utf-8")
LENIENT = SEED_TEXT.replace("unit: 子洲县人力资源和社会保障局", "unit: 子洲县人力资源和社会保障局\nruleset: cn/budget10-free90@2024.1", 1)


def test_batch_scores_with_the_bureaus_ruleset_not_the_one_a_unit_names(runner, tmp_path):
    units = tmp_path / "u"
    units.mkdir()
    (units / "a.yaml").write_text(LENIENT, encoding="utf-8")
    result = runner.invoke(main, ["batch", str(units), "-o", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    [row] = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["rows"]
    assert (row["ruleset"], row["total"], row["grade"]) == ("cn/unit-overall@2024.1", 84, "良")
    card = runner.invoke(main, ["check", str(units / "a.yaml"), "--format", "json"])
    trusted = runner.invoke(main, ["batch", str(units), "-o", str(tmp_path / "t.json"), "--trust-submission-ruleset"])
    assert trusted.exit_code == 0
    [row] = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))["rows"]
    assert (row["ruleset"], row["total"]) == ("cn/budget10-free90@2024.1", 93.25)
    assert json.loads(card.output)["ruleset"] == "cn/budget10-free90@2024.1"   # a unit's own check may choose


def test_batch_and_replay_say_when_a_named_ruleset_was_ignored(runner, tmp_path):
    from perfrules.engine.api import choose_ruleset
    from perfrules.engine.submission import load_submission
    path = tmp_path / "a.yaml"
    path.write_text(LENIENT, encoding="utf-8")
    rs, notes = choose_ruleset(load_submission(path), None, (), trust_submission=False)
    assert rs.ref == "cn/unit-overall@2024.1"
    assert [n.code for n in notes] == ["W-RULESET-IGNORED"] and "cn/budget10-free90@2024.1" in notes[0].message
    assert notes[0].location.line == 8
    replayed = runner.invoke(main, ["replay", str(path), "--against", "shaanxi/zizhou-unit-overall@2025.1", "--format", "json"])
    [row] = json.loads(replayed.output)["rows"]
    assert row["baseline"] == "cn/unit-overall@2024.1" and row["before"]["total"] == 84


def test_score_warns_when_the_ruleset_does_not_apply(runner):
    card = scorecard(runner, SEED, "--ruleset", "cn/project@2020.1")
    scope = [f for f in card["findings"] if f["code"] == "W-RULESET-SCOPE"]
    assert scope and "部门整体" in scope[0]["message"] and "项目" in scope[0]["message"]
    assert not any(f["code"] == "W-RULESET-SCOPE" for f in scorecard(runner, SEED)["findings"])


def test_batch_flags_the_same_unit_submitted_twice(runner, tmp_path):
    units = tmp_path / "u"
    units.mkdir()
    (units / "a.yaml").write_text(SEED_TEXT, encoding="utf-8")
    (units / "b.yaml").write_text(SEED_TEXT, encoding="utf-8")
    (units / "c.yaml").write_text(SEED_TEXT.replace("year: 2024", "year: 2023", 1), encoding="utf-8")
    result = runner.invoke(main, ["batch", str(units), "-o", str(tmp_path / "s.json"), "--format", "json"])
    data = json.loads(result.output)
    assert len(data["duplicates"]) == 1 and [f.rsplit("/", 1)[-1] for f in data["duplicates"][0]["files"]] == ["a.yaml", "b.yaml"]
    text = runner.invoke(main, ["batch", str(units), "-o", str(tmp_path / "s.csv")])
    assert "提交了不止一份" in text.output


# ------------------------------------------------------------------------------ 7. labels as units write them
LABELS = """\
schema_version: 1
kind: unit-overall
year: 2024
unit: 测试单位
budget: {total: {budget: {total: 100}, spent: {total: 100}}}
indicators:
  - {level1: 产出指标(50分), level2: 数量指标, name: 人数, target: "≥10 人", actual: "10 人", points: 25, self_score: 25}
  - {level1: "产出 指标", level2: "质量指标（25分）", name: 合格率, target: "≥90%", actual: "95%", points: 25, self_score: 25}
  - {level1: 效益指标（20分）, level2: “社会效益指标”, name: 就业, target: 有所提升, actual: 提升, points: 30, self_score: 30}
  - {level1: 满意度指标, level2: '"服务对象满意度指标"', name: 满意度, target: "≥90%", actual: "95%", points: 10, self_score: 10}
  - {level1: 产出指标}
"""


def test_labels_with_weights_spaces_and_quotes_match_their_category(runner, write):
    card = scorecard(runner, write("l.yaml", LABELS), "--ruleset", "cn/unit-overall@2024.1")
    assert card["total"] == 100
    weights = [f for f in card["findings"] if f["code"] == "W-LABEL-POINTS"]
    assert len(weights) == 1 and "写明 20 分" in weights[0]["message"] and "30 分" in weights[0]["message"]
    blank = [f for f in card["findings"] if f["code"] == "I-BLANK-ROW"]
    assert len(blank) == 1 and blank[0]["location"]["line"] == 11


def test_a_fixed_indicator_mismatch_names_the_nearest(runner, write):
    text = LABELS.replace("  - {level1: 产出指标}\n", "  - {level1: 预算执行率, name: 预算执行, target: 100%, actual: 100%, points: 10}\n")
    result = runner.invoke(main, ["score", str(write("l.yaml", text)), "--ruleset", "cn/unit-overall@2024.1"])
    assert result.exit_code == 1 and "是否想写 '预算执行率'" in result.output


def test_a_row_without_a_name_but_with_values_is_scored_and_flagged(runner, write):
    text = LABELS.replace("  - {level1: 产出指标}\n", "  - {level1: 产出指标, level2: 数量指标, target: \"≥1\", actual: \"1\", points: 0}\n")
    card = scorecard(runner, write("l.yaml", text), "--ruleset", "cn/unit-overall@2024.1")
    assert any(f["code"] == "W-NO-NAME" and "第 5 个指标" in f["message"] for f in card["findings"])


# ------------------------------------------------------------------------------ 8. facts the standards use
FACTS = """\
schema_version: 1
kind: project
year: 2024
unit: 测试单位
budget:
  total: {{budget: {budget}, budget_initial: {initial}, spent: {spent}, rate: "{rate}"}}
indicators:
  - {{level1: 产出指标, level2: 数量指标, name: 人数, target: "≥10 人", actual: "10 人", points: 90}}
"""


def facts_ruleset(write, params: str) -> str:
    return str(write("f.yaml", f"""\
        schema_version: 1
        id: x/facts
        version: "1"
        title: 执行率的来源
        extends: cn/project@2020.1
        categories:
          - key: budget
            indicators:
              - {{key: budget_execution, name: 预算执行率, points: 10, source: budget,
                 method: {{use: execution_rate, {params}}}}}
        """))


def budget_row(runner, write, params: str, **figures):
    text = FACTS.format(**{"budget": "{}", "initial": "{}", "spent": "{}", "rate": "", **figures})
    card = scorecard(runner, write("s.yaml", text), "--ruleset", facts_ruleset(write, params))
    return next(i for i in card["indicators"] if i["name"] == "预算执行率")


def test_execution_rate_from_the_stated_rate_only_when_the_ruleset_says(runner, write):
    row = budget_row(runner, write, "stated_rate: true", rate="95%")
    assert row["score"] == 9.5 and "按所填执行率 95%" in row["explanation"]
    off = budget_row(runner, write, "cap: 1", rate="95%")
    assert off["status"] == "unscorable"


def test_execution_rate_from_the_fiscal_line_when_the_total_is_blank(runner, write):
    figures = {"budget": "{total: 0, fiscal: 200, other: 0}", "spent": "{total: 0, fiscal: 180, other: 0}"}
    row = budget_row(runner, write, "fiscal_when_total_blank: true", **figures)
    assert row["score"] == 9 and "按财政拨款计算" in row["explanation"]
    assert budget_row(runner, write, "cap: 1", **figures)["status"] == "unscorable"


def test_every_budget_figure_is_available_to_check_expressions(runner, write):
    rules = write("c.yaml", """\
        schema_version: 1
        id: x/adjusted
        version: "1"
        title: 预算调整须说明
        extends: cn/project@2020.1
        checks:
          - {kind: expression, code: X-ADJUSTED, severity: warning, message: 预算中途调整未说明原因,
             when: "budget_initial != budget and not has_adjusted_reason"}
          - {kind: expression, code: X-FISCAL, severity: info, message: 财政拨款执行不足九成,
             when: "spent_fiscal < budget_fiscal * 0.9"}
        """)
    text = FACTS.format(budget="{total: 120, fiscal: 120}", initial="{total: 100, fiscal: 100}",
                        spent="{total: 100, fiscal: 100}", rate="")
    result = runner.invoke(main, ["check", str(write("s.yaml", text)), "--ruleset", str(rules), "--format", "json"])
    codes = {f["code"] for f in json.loads(result.output)["findings"]}
    assert {"X-ADJUSTED", "X-FISCAL"} <= codes


def test_a_fiscal_amount_above_the_total_is_a_money_split_finding(runner, write):
    text = FACTS.format(budget="{total: 100, fiscal: 120}", initial="{}", spent="{total: 90, fiscal: 90}", rate="")
    result = runner.invoke(main, ["check", str(write("s.yaml", text)), "--ruleset", "cn/project@2020.1", "--format", "json"])
    split = [f for f in json.loads(result.output)["findings"] if f["code"] == "C-MONEY-SPLIT"]
    assert split and "超过总额" in split[0]["message"]


# ------------------------------------------------------------------------------ 9. messages a clerk can act on
import re  # noqa: E402
from pathlib import Path  # noqa: E402

HOSTILE = Path(__file__).parent / "hostile"
PYTHON_REPR = re.compile(r"\bNone\b|Decimal\(|\['|\{'|\bTrue\b|\bFalse\b|<input>|Traceback|invalid syntax|"
                         r"mapping values|could not find|expected <block")


def test_no_message_shows_python_or_pyyaml_internals(runner, write):
    outputs = []
    for path in sorted((HOSTILE / "submissions").iterdir()):
        outputs.append(runner.invoke(main, ["score", str(path)]).output)
    for path in sorted((HOSTILE / "rulesets").iterdir()):
        outputs.append(runner.invoke(main, ["rulesets", "check", str(path)]).output)
    cases = {
        "null-money.yaml": FACTS.format(budget="null", initial="{}", spent="{}", rate=""),
        "version.yaml": SEED_TEXT.replace("schema_version: 1", "schema_version: 2024.1", 1),
        "list-year.yaml": SEED_TEXT.replace("year: 2024", "year: [优秀]", 1),
        "bool-unit.yaml": SEED_TEXT.replace("unit: 子洲县人力资源和社会保障局", "unit: true", 1),
    }
    for name, text in cases.items():
        outputs.append(runner.invoke(main, ["score", str(write(name, text))]).output)
    outputs.append(runner.invoke(main, ["score", str(SEED), "--ruleset", "no/such@1"]).output)
    for output in outputs:
        assert output.strip() and not PYTHON_REPR.search(output), output


@pytest.mark.parametrize("text, line, cause", [
    ("a: 1\nb:\n\tc: 2\n", 3, "Tab"),
    ("schema_version: 1\nkind：project\nyear: 2024\n", 2, "全角冒号"),
    ("schema_version: 1\ntarget: >=90%\n", 2, "加引号"),
    ("schema_version: 1\nbudget: {total: 1,320.50}\n", 2, "千位分隔符"),
    ("schema_version: 1\nunit: {name: 甲,乙}\n", 2, "中文逗号"),
])
def test_yaml_syntax_errors_in_chinese_at_the_line_with_the_likely_cause(runner, write, text, line, cause):
    result = runner.invoke(main, ["score", str(write("s.yaml", text)), "--format", "json"])
    assert result.exit_code == 1
    error = json.loads(result.output)["errors"][0]
    assert error["location"]["line"] == line and cause in error["hint"], error
    assert not re.search(r"[A-Za-z]{6,}", error["message"].replace("YAML", "")), error


def test_a_merged_rulesets_error_points_to_what_the_author_wrote(runner, write):
    rules = write("child.yaml", """\
        schema_version: 1
        id: x/child
        version: "1"
        title: 子规则集
        extends: cn/unit-overall@2024.1
        checks:
          - {kind: expression, when: "total >", code: X-BAD}
        """)
    result = runner.invoke(main, ["rulesets", "check", str(rules), "--format", "json"])
    problem = json.loads(result.output)["rulesets"][0]["problems"][0]
    assert problem["location"]["file"].endswith("child.yaml") and problem["location"]["line"] == 7
    assert problem["location"]["path"] == "$.checks[0]" and "语法错误" in problem["message"]


def test_usage_errors_are_json_under_format_json(runner):
    result = runner.invoke(main, ["score", "--format", "json", "--no-such-option", str(SEED)])
    assert result.exit_code == 2
    assert json.loads(result.output)["usage_error"]["message"].startswith("用法错误")


def test_perfrules_test_that_finds_no_case_fails(runner, tmp_path):
    empty = tmp_path / "rules"
    empty.mkdir()
    result = runner.invoke(main, ["test", str(empty)])
    assert result.exit_code == 1 and "没有找到任何测试用例" in result.output


# ------------------------------------------------------------------------------ 10. caps and deductions of the platforms
def test_the_platform_example_caps_the_total_and_says_so(runner, write):
    text = FACTS.format(budget="{total: 100}", initial="{}", spent="{total: 65}", rate="")
    card = scorecard(runner, write("p.yaml", text), "--ruleset", "example/platform-caps@2025.1")
    assert card["total"] == 79 and card["grade"] == "中"
    capped = next(f for f in card["findings"] if f["code"] == "I-CAPPED")
    assert "65% 低于 70%" in capped["message"] and "不超过 79 分" in capped["message"] and "扣减" in capped["message"]


def test_a_flat_table_takes_its_direction_from_a_column_or_the_name(runner, write):
    text = PROJECT + """\
  - {name: 单位成本, target: "100", actual: "120", points: 30}
  - {name: 办理时长, target: "5", actual: "4", points: 30, direction: 越小越好}
  - {name: 参训人数, target: "100", actual: "90", points: 30}
"""
    card = scorecard(runner, write("f.yaml", text), "--ruleset", "example/platform-caps@2025.1")
    rows = {i["name"]: i for i in card["indicators"]}
    assert rows["单位成本"]["score"] == 25 and "超出目标" in rows["单位成本"]["explanation"]   # ≤ by name: 100/120 × 30
    assert rows["办理时长"]["score"] == 30 and rows["参训人数"]["score"] == 27
    assert all(r["points"] == 30 for r in rows.values() if r["name"] != "预算执行率")


# Every mistake the ruleset guide lists ("Common mistakes"): exit 1 with file:line from rulesets check, and
# never exit 3 (nor a score) from score.
MISTAKES = {
    "unquoted-version": (HEAD.format(name="m").replace('version: "1"', "version: 2024.1"), 3),
    "fullwidth-colon": (HEAD.format(name="m").replace("title: 测试", "title：测试"), 4),
    "tab": (HEAD.format(name="m") + "defaults:\n\tbare_operator: '>='\n", 7),
    "unknown-method": (HEAD.format(name="m") + 'methods_by_operator:\n  ">=": ratoi\n', 7),
    "misspelt-points": (HEAD.format(name="m") + "categories:\n  - {key: output, pionts: 40}\n", 7),
    "misspelt-key": (HEAD.format(name="m") + 'methods_by_operater:\n  ">=": ratio\n', 6),
    "percent-band": (HEAD.format(name="m") + 'methods_by_operator:\n  ">=": {use: tiered, bands: [{min: 90%, score: 5}]}\n', 7),
    "fraction": (HEAD.format(name="m") + "presets:\n  c: {use: coefficient, coefficients: {优: 2/3}}\n", 7),
    "bad-operator": (HEAD.format(name="m") + "categories:\n  - key: budget\n    indicators:\n      - {key: budget_execution, name: 预算执行率, points: 10, source: indicator, target: \"=>90%\"}\n", 9),
    "same-grade-min": (HEAD.format(name="m") + "grades:\n  - {label: 优, min: 90}\n  - {label: 良, min: 90}\n  - {label: 差, min: 0}\n", 8),
    "points-95": (HEAD.format(name="m") + "categories:\n  - {key: output, points: 45}\n", None),
    "per-zero": (HEAD.format(name="m") + "presets:\n  d: {use: deduction, deduct: 1, per: 0}\n", 7),
    "zero-at-one": (HEAD.format(name="m") + "presets:\n  r: {use: reverse_linear, zero_at: 1}\n", 7),
    "version-spaces": (HEAD.format(name="m").replace('version: "1"', 'version: " 2024.1 "'), 3),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_every_mistake_the_guide_lists_is_refused_with_its_line(runner, write, name):
    text, line = MISTAKES[name]
    path = write(f"{name}.yaml", text)
    checked = runner.invoke(main, ["rulesets", "check", str(path), "--format", "json"])
    assert checked.exit_code == 1, checked.output
    problem = json.loads(checked.output)["rulesets"][0]["problems"][0]
    assert problem["location"]["line"] is not None and (line is None or problem["location"]["line"] == line), problem
    scored = runner.invoke(main, ["score", str(SEED), "--ruleset", str(path)])
    assert scored.exit_code == 1 and "内部错误" not in scored.output, scored.output
    guide = (Path(__file__).parent.parent / "docs" / "ruleset-guide.md").read_text(encoding="utf-8")
    assert "## Common mistakes" in guide
