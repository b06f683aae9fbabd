"""Hostile input: every malformed file gets one clear message with its location and exit 1, never a traceback."""

import json
from pathlib import Path

import pytest

from perfrules.cli import main
from perfrules.engine.yamlio import MAX_DEPTH, MAX_FILE_BYTES

from .conftest import SEED

HOSTILE = Path(__file__).parent / "hostile"

SUBMISSIONS = {
    "broken-yaml.yaml": ("E-YAML", "YAML 语法错误"),
    "broken.json": ("E-YAML", "JSON 语法错误"),
    "tab-indent.yaml": ("E-YAML", "YAML 语法错误"),
    "duplicate-keys.yaml": ("E-DUPKEY", "键 'unit' 重复出现"),
    "alias-bomb.yaml": ("E-LIMIT", "别名"),
    "wrong-type-year.yaml": ("E-SCHEMA", "应为整数"),
    "text-for-number.yaml": ("E-SCHEMA", "在“培训人数”中：应为数值 或 空"),
    "nan.yaml": ("E-NUMBER", "不是有限的数"),
    "infinity.yaml": ("E-NUMBER", "不是有限的数"),
    "negative-amount.yaml": ("E-SCHEMA", "太小"),
    "unknown-operator.yaml": ("E-TARGET", "未知的比较符 '≈'"),
    # A unit perfrules does not know is read as written (tests/test_units_and_words.py); a unit column
    # holding what cannot be a unit is refused.
    "unknown-unit-column.yaml": ("E-TARGET", "计量单位 '≥5%' 不像计量单位"),
    "empty.yaml": ("E-EMPTY", "文件是空的"),
    "comment-only.yaml": ("E-EMPTY", "文件是空的"),
    "top-level-list.yaml": ("E-SCHEMA", "实际是列表"),
    "top-level-scalar.yaml": ("E-SCHEMA", "实际是一个单独的值"),
    "schema-version-2.yaml": ("E-SCHEMA", "不支持的 schema_version 2"),
    "python-tag.yaml": ("E-YAML", "不支持的 YAML 标签"),
    "indicators-not-list.yaml": ("E-SCHEMA", "应为列表"),
    "unknown-category.yaml": ("E-CATEGORY", "“数量值标”不在规则集"),
    "misspelt-key.yaml": ("E-SCHEMA", "未知的键 'targte'"),
    "level2-missing.yaml": ("E-CATEGORY", "请填写下一级指标标签"),
    # The fault-boundary issue: numbers bounded where they are read, fields that could smuggle things.
    "many-digits.yaml": ("E-NUMBER", "位数过多"),
    "huge-exponent.yaml": ("E-NUMBER", "过大"),
    "tiny-exponent.yaml": ("E-NUMBER", "小数位过多"),
    "nul-escape.yaml": ("E-YAML", "NUL"),
    "ruleset-path.yaml": ("E-SCHEMA", "格式不对"),
    "long-target.yaml": ("E-TARGET", "上限 500"),
    "long-unit-name.yaml": ("E-SCHEMA", "文字过长"),
}

RULESETS = {
    "unknown-method.yaml": ("E-RULESET", "未知的评分方法 'ratoi'"),
    "bad-parameter.yaml": ("E-RULESET", "只能是 adjusted, initial"),
    "points-not-number.yaml": ("E-RULESET", "应为数值"),
    "unsafe-expression.yaml": ("E-RULESET", "只能调用这些函数"),
    "absent-to-nowhere.yaml": ("E-RULESET", "不存在的类别 'efect'"),
    "duplicate-category-key.yaml": ("E-RULESET", "类别键 'quantity' 重复"),
    "schema-version-9.yaml": ("E-RULESET", "不支持的 schema_version 9"),
    "preset-cycle.yaml": ("E-RULESET", "循环引用"),
    "misspelt-key.yaml": ("E-RULESET", "未知的键 'pionts_mismatch'"),
    "top-level-list.yaml": ("E-RULESET", "规则集应是一个映射"),
    # Everything a ruleset writes is parsed when it is checked, not when it scores.
    "deduction-per-zero.yaml": ("E-RULESET", "per 应大于 0"),
    "zero-at-one.yaml": ("E-RULESET", "zero_at 应大于 1"),
    "empty-tiers.yaml": ("E-RULESET", "tiers 不能为空"),
    "fstring-expression.yaml": ("E-RULESET", "f-字符串"),
    "long-sum-expression.yaml": ("E-RULESET", "嵌套过深"),
    "fraction-coefficient.yaml": ("E-RULESET", "实际是 '2/3'"),
    "percent-band.yaml": ("E-RULESET", "应是数值"),
    "version-spaces.yaml": ("E-RULESET", "格式不对"),
    "huge-grade.yaml": ("E-NUMBER", "过大"),
}


def assert_clear_failure(runner, args, code, fragment, file_name):
    text = runner.invoke(main, args)
    assert text.exit_code == 1, text.output
    assert "Traceback" not in text.output and "内部错误" not in text.output
    assert fragment in text.output
    assert file_name in text.output
    as_json = runner.invoke(main, args + ["--format", "json"])
    assert as_json.exit_code == 1
    first = json.loads(as_json.output)["errors"][0]
    assert first["code"] == code
    return first


def test_the_corpus_is_covered():
    assert sorted(p.name for p in (HOSTILE / "submissions").iterdir()) == sorted(SUBMISSIONS)
    assert sorted(p.name for p in (HOSTILE / "rulesets").iterdir()) == sorted(RULESETS)


@pytest.mark.parametrize("name", sorted(SUBMISSIONS))
@pytest.mark.parametrize("command", ["score", "check"])
def test_hostile_submission(runner, name, command):
    code, fragment = SUBMISSIONS[name]
    path = HOSTILE / "submissions" / name
    first = assert_clear_failure(runner, [command, str(path)], code, fragment, name)
    if code not in ("E-EMPTY", "E-LIMIT"):
        assert first["location"]["line"] is not None


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_hostile_ruleset(runner, name):
    code, fragment = RULESETS[name]
    path = HOSTILE / "rulesets" / name
    first = assert_clear_failure(runner, ["score", str(SEED), "--ruleset", str(path)], code, fragment, name)
    assert first["location"]["line"] is not None


def test_deep_nesting(runner, write):
    path = write("deep.yaml", "schema_version: 1\nx: " + "[" * (MAX_DEPTH * 3) + "]" * (MAX_DEPTH * 3) + "\n")
    assert_clear_failure(runner, ["score", str(path)], "E-LIMIT", "嵌套层次过深", "deep.yaml")


def test_very_deep_nesting_does_not_hit_the_recursion_limit(runner, write):
    path = write("deeper.yaml", "x: " + "[" * 5000 + "]" * 5000 + "\n")
    assert_clear_failure(runner, ["score", str(path)], "E-LIMIT", "嵌套层次过深", "deeper.yaml")


def test_file_too_large(runner, write):
    path = write("big.yaml", b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    assert_clear_failure(runner, ["score", str(path)], "E-LIMIT", "文件过大", "big.yaml")


def test_binary_file(runner, write):
    path = write("photo.yaml", bytes(range(256)) * 4)
    assert_clear_failure(runner, ["score", str(path)], "E-ENCODING", "二进制", "photo.yaml")


def test_directory_instead_of_file(runner, tmp_path):
    (tmp_path / "d.yaml").mkdir()
    result = runner.invoke(main, ["score", str(tmp_path / "d.yaml")])
    assert result.exit_code in (1, 2) and "Traceback" not in result.output


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-16"])
def test_chinese_encodings_are_read(runner, write, encoding):
    path = write(f"seed-{encoding}.yaml", SEED.read_text(encoding="utf-8").encode(encoding))
    result = runner.invoke(main, ["score", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == 84.0 and data["provenance"]["input_encoding"] == encoding.replace("gbk", "gb18030")


ACCEPTED = """\
schema_version: 1
kind: project
year: 2024
unit: 测试单位
budget: {total: {budget: {total: 0}, spent: {total: 0}}}
indicators:
  - {level1: 产出指标, level2: 数量指标, name: 事故次数, target: "＝0", actual: "0", points: 25}
  - {level1: 产出指标, level2: 数量指标, name: 覆盖人数, target: "≥0 人", actual: "3 人", points: 25}
  - {level1: 产出指标, level2: 成本指标, name: 经费, target: "≤1 万元", actual: "12000 元", points: 25}
  - {level1: 产出指标, level2: 质量指标, name: 次数, target: "≥5 次", actual: "5 人", points: 25}
"""


def test_zero_targets_zero_budget_and_mixed_units_are_scored_or_said(runner, write):
    path = write("zeros.yaml", ACCEPTED)
    result = runner.invoke(main, ["score", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {i["name"]: i for i in data["indicators"]}
    assert rows["事故次数"]["score"] == 25 and rows["覆盖人数"]["score"] == 25
    assert rows["经费"]["score"] == 20          # 12000 元 is 1.2 万元: 20 % over, linear decline
    assert rows["次数"]["status"] == "unscorable" and "单位不一致" in rows["次数"]["explanation"]
    assert rows["预算执行率"]["status"] == "unscorable" and "预算数为 0" in rows["预算执行率"]["explanation"]


def test_internal_errors_exit_3_and_hide_the_traceback(runner, monkeypatch):
    import perfrules.engine.api

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")
    monkeypatch.setattr(perfrules.engine.api, "score_file_with_checks", boom)
    result = runner.invoke(main, ["score", str(SEED)])
    assert result.exit_code == 3
    assert "内部错误" in result.output and "Traceback" not in result.output
    debug = runner.invoke(main, ["score", str(SEED), "--debug"])
    assert debug.exit_code == 3 and "Traceback" in debug.output


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_hostile_ruleset_is_refused_by_rulesets_check_with_its_line(runner, name):
    path = HOSTILE / "rulesets" / name
    result = runner.invoke(main, ["rulesets", "check", str(path), "--format", "json"])
    assert result.exit_code == 1, result.output
    [entry] = json.loads(result.output)["rulesets"]
    assert not entry["ok"] and entry["problems"][0]["location"]["line"] is not None
