import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from perfrules.cli import main

from .conftest import ROOT, SEED

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)   # file names in messages are relative to the working directory


def test_score_text_matches_the_reviewed_golden_file(runner):
    result = runner.invoke(main, ["score", "examples/zizhou-hrss-2024.yaml"])
    assert result.exit_code == 0, result.output
    assert result.output == (GOLDEN / "score-zizhou.txt").read_text(encoding="utf-8")


def test_score_json_has_the_documented_shape(runner):
    result = runner.invoke(main, ["score", str(SEED), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output, parse_float=D)
    assert data["ruleset"] == {"id": "cn/unit-overall", "version": "2024.1", "title": data["ruleset"]["title"]}
    assert data["total"] == D("84.00") and data["grade"] == "良"
    assert {"label", "points", "score"} <= set(data["categories"][0])
    assert {"name", "category", "points", "score", "self_score", "method", "explanation"} <= set(data["indicators"][0])
    assert {"severity", "code", "message", "location"} <= set(data["findings"][0])
    assert data["provenance"]["ruleset"] == "cn/unit-overall@2024.1"
    assert len(data["provenance"]["input_sha256"]) == 64


def test_score_json_has_no_float_noise(runner):
    result = runner.invoke(main, ["score", str(SEED), "--format", "json", "--ruleset", "cn/budget10-free90"])
    assert '"total": 93.25,' in result.output
    assert "0000000" not in result.output and "9999999" not in result.output


def test_ruleset_option_changes_the_score(runner):
    result = runner.invoke(main, ["score", str(SEED), "--ruleset", "cn/project@2020.1"])
    assert result.exit_code == 0
    assert "规则集 cn/project@2020.1" in result.output and "93.5" in result.output


@pytest.mark.parametrize("args,fragment", [
    (["score", "missing.yaml"], "文件不存在"),
    (["score", str(SEED), "--ruleset", "cn/unit-overal"], "是否想写 'cn/unit-overall'"),
    (["score", str(SEED), "--ruleset", "cn/unit-overall@1999"], "已有版本：2024.1"),
])
def test_user_errors_exit_1_without_traceback(runner, args, fragment):
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_schema_error_says_where_and_what(runner, write):
    path = write("bad.yaml", """\
        schema_version: 1
        kind: unit-overall
        year: 2024
        unit: 某单位
        indicators:
          - {level1: 产出指标, level2: 数量指标, name: 招聘次数, target: ≥2 次, actual: "10", pionts: 5}
        """)
    result = runner.invoke(main, ["score", str(path)])
    assert result.exit_code == 1
    assert f"{path}:6: $.indicators[0].pionts: 在“招聘次数”中：未知的键 'pionts'" in result.output
    assert "是否想写 'points'" in result.output


def test_errors_in_json_format_are_json(runner, write):
    path = write("bad.yaml", "schema_version: 1\nkind: nope\n")
    result = runner.invoke(main, ["score", str(path), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False and data["errors"][0]["location"]["line"] is not None


def test_usage_errors_exit_2(runner):
    assert runner.invoke(main, ["score"]).exit_code == 2
    assert runner.invoke(main, ["score", str(SEED), "--format", "xml"]).exit_code == 2
