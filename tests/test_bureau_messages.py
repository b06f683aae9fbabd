"""What a bureau reads when its standard is wrong or terse (issue 21 item 10): a broken ruleset on the search
path is named with its first problem; a custom check without a message is said in Chinese from its parts,
never as its raw expression, and `rulesets check` reminds the author to write one; the precedence of the
direction words is the documented one."""

from __future__ import annotations

from dataclasses import replace

from click.testing import CliRunner

from perfrules.cli import main
from perfrules.engine.api import check
from perfrules.engine.expressions import in_words
from perfrules.engine.ruleset import get_ruleset, search_path
from perfrules.engine.submission import load_submission

from .conftest import SEED

EXPRESSION_RULESET = """\
schema_version: 1
id: test/expr
version: "2024.1"
extends: cn/unit-overall@2024.1
title: 自定义核对
checks:
  - {kind: expression, when: "budget_initial != budget and rate < 1.5"}
"""


def test_a_broken_ruleset_on_the_path_is_named_with_its_first_problem(tmp_path):
    folder = tmp_path / "rs"
    folder.mkdir()
    (folder / "mine.yaml").write_text('schema_version: 1\nid: test/mine\nversion: "2024.1\ntitle: x\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(SEED), "--rulesets", str(folder), "--ruleset", "test/mine"])
    assert result.exit_code == 1
    assert "找不到规则集 'test/mine'" in result.output and "mine.yaml:" in result.output and "YAML 语法错误" in result.output


def test_a_check_without_a_message_is_said_in_chinese(tmp_path):
    folder = tmp_path / "rs"
    folder.mkdir()
    (folder / "expr.yaml").write_text(EXPRESSION_RULESET, encoding="utf-8")
    text = SEED.read_text(encoding="utf-8").replace("budget: {total: 40, fiscal: 40, other: 0}",
                                                   "budget: {total: 40, fiscal: 40, other: 0}\n      budget_initial: {total: 30}", 1)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    card = check(load_submission(path), get_ruleset("test/expr@2024.1", search_path([folder])))
    message = next(f.message for f in card.findings if f.code == "C-EXPR")
    assert "年初预算数 不等于 全年预算数，且 预算执行率 小于 1.5" in message
    assert "budget_initial" not in message and "!=" not in message and "条件成立" not in message


def test_rulesets_check_reminds_of_a_missing_message_without_failing(tmp_path):
    folder = tmp_path / "rs"
    folder.mkdir()
    (folder / "expr.yaml").write_text(EXPRESSION_RULESET, encoding="utf-8")
    result = CliRunner().invoke(main, ["rulesets", "check", str(folder / "expr.yaml"), "--rulesets", str(folder)])
    assert result.exit_code == 0, result.output
    assert "提醒" in result.output and "没有 message" in result.output


def test_in_words_covers_every_construct():
    labels = {"total": "规则总分", "score_effect": "“效益指标”得分"}
    assert in_words("total >= 90 or not (score_effect < 10)", labels) == "规则总分 不小于 90，或 并非“效益指标”得分 小于 10"
    assert in_words("total - 5 <= 80", labels) == "（规则总分 − 5） 不大于 80"


def test_lower_direction_words_win_over_higher_ones():
    rs = get_ruleset("cn/unit-overall@2024.1", search_path())
    words = {"higher": ("率",), "lower": ("控制",)}
    probe = replace(rs, direction_words=words)
    assert probe.direction_of("成本控制率") == "lower" and probe.direction_of("完成率") == "higher"
