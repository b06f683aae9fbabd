"""extends, rulesets list/show/check, perfrules test, diff and replay."""

import csv
import io
import json
from pathlib import Path

import pytest

from perfrules.cli import main
from perfrules.engine.errors import PerfrulesError
from perfrules.engine.ruleset import SHIPPED_DIR, get_ruleset, search_path
from perfrules.engine.ruletest import discover, run_suite

from .conftest import ROOT, SEED

REPLAY = Path(__file__).parent / "data" / "replay"


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


def child(write, body, name="child.yaml"):
    return write(f"rules/{name}", "schema_version: 1\nid: test/child\nversion: \"1\"\nextends: cn/unit-overall@2024.1\n" + body)


# ------------------------------------------------------------------ extends
def test_county_ruleset_inherits_and_changes_two_weights():
    rs = get_ruleset("shaanxi/zizhou-unit-overall@2025.1", search_path())
    assert rs.parent == "cn/unit-overall@2024.1"
    assert {c.key: c.points for c in rs.categories} == {"budget": 10, "output": 40, "effect": 40, "satisfaction": 10}
    assert len(rs.checks) == len(get_ruleset("cn/unit-overall@2024.1", search_path()).checks)
    # where each value came from
    assert str(rs.doc.loc(("categories", 1, "points"))).startswith("rulesets/shaanxi/zizhou-unit-overall-2025.1.yaml:")
    assert str(rs.doc.loc(("categories", 1, "label"))).startswith("rulesets/cn/unit-overall-2024.1.yaml:")


def test_child_can_override_nested_entries_add_and_remove(write):
    path = child(write, """\
title: 子规则集
methods_by_operator: {"<=": reverse_ratio}
categories:
  - {key: cost, points_mismatch: rescale}
  - key: effect
    children:
      - {key: ecological, remove: true}
      - {key: culture, label: 文化效益指标}
checks:
  - {kind: over_achievement, ratio: 2}
  - {kind: dates, remove: true}
""")
    rs = get_ruleset(str(path), search_path())
    effect = rs.category("effect")
    assert [c.key for c in effect.children] == ["economic", "social", "sustainable", "culture"]
    assert rs.category("cost").points_mismatch == "rescale" and rs.category("cost").label == "成本指标"
    assert rs.by_operator["<="].method.name == "reverse_ratio" and rs.by_operator[">="].method.name == "ratio"
    kinds = [c.kind.name for c in rs.checks]
    assert "dates" not in kinds and dict((c.kind.name, c.params) for c in rs.checks)["over_achievement"]["ratio"] == 2


@pytest.mark.parametrize("body,fragment", [
    ("categories:\n  - {key: nothere, remove: true}\n", "要删除的类别 'nothere'"),
    ("checks:\n  - {kind: nothere, remove: true}\n", "要删除的条目 'nothere'"),
    ("categories:\n  - {key: brand_new}\n", "缺少必填项 'label'"),
])
def test_child_mistakes_point_at_the_child_file(write, body, fragment):
    path = child(write, body)
    with pytest.raises(PerfrulesError) as info:
        get_ruleset(str(path), search_path())
    assert fragment in info.value.first.message
    assert info.value.first.location.file.endswith("child.yaml") and info.value.first.location.line


def test_missing_parent_and_cycles_are_clear_errors(write):
    missing = write("rules/m.yaml", 'schema_version: 1\nid: t/m\nversion: "1"\nextends: cn/nothing@1\n')
    with pytest.raises(PerfrulesError, match="找不到父规则集 'cn/nothing@1'"):
        get_ruleset(str(missing), search_path())
    write("cyc/a.yaml", 'schema_version: 1\nid: t/a\nversion: "1"\nextends: t/b@1\ntitle: a\n')
    write("cyc/b.yaml", 'schema_version: 1\nid: t/b\nversion: "1"\nextends: t/a@1\ntitle: b\n')
    with pytest.raises(PerfrulesError, match="循环"):
        get_ruleset("t/a@1", search_path([missing.parent.parent / "cyc"]))


def test_perfrules_path_is_searched(write, monkeypatch):
    path = child(write, "title: 来自环境变量\n")
    monkeypatch.setenv("PERFRULES_PATH", str(path.parent))
    assert get_ruleset("test/child@1", search_path()).title == "来自环境变量"


# ------------------------------------------------------------------ list / show
def test_rulesets_list_and_show(runner):
    listed = json.loads(runner.invoke(main, ["rulesets", "list", "--format", "json"]).output)
    ids = {(r["id"], r["version"]) for r in listed}
    assert {("cn/unit-overall", "2024.1"), ("cn/project", "2020.1"), ("shaanxi/zizhou-unit-overall", "2025.1")} <= ids
    text = runner.invoke(main, ["rulesets", "list"]).output
    assert "cn/unit-overall" in text and "部门（单位）整体支出" in text
    shown = runner.invoke(main, ["rulesets", "show", "shaanxi/zizhou-unit-overall", "--resolved"]).output
    assert "$.categories[1].points" in shown and "rulesets/shaanxi/zizhou-unit-overall-2025.1.yaml:" in shown
    assert "rulesets/cn/unit-overall-2024.1.yaml:" in shown
    raw = runner.invoke(main, ["rulesets", "show", "cn/project"]).output
    assert "id: cn/project" in raw


# ------------------------------------------------------------------ rulesets check
def broken_copy(write, old, new):
    text = (SHIPPED_DIR / "cn" / "project-2020.1.yaml").read_text(encoding="utf-8")
    assert old in text
    return write("rules/broken.yaml", text.replace(old, new).replace('version: "2020.1"', 'version: "x"'))


def test_rulesets_check_catches_a_level_adding_up_to_95(runner, write):
    path = broken_copy(write, "    points: 50\n", "    points: 45\n")
    result = runner.invoke(main, ["rulesets", "check", str(path)])
    assert result.exit_code == 1
    assert "一级类别分值合计 95 分，应为 100 分" in result.output
    assert "broken.yaml:" in result.output


def test_rulesets_check_catches_a_band_gap_with_its_line(runner, write):
    bands = ('method: {use: tiered, bands: [{min: 90, score: 10}, {min: 80, max: 85, score: 8}, '
             '{max: 80, score: 0}]}')
    path = broken_copy(write, "method: {use: execution_rate, denominator: adjusted, cap: 1}", bands)
    result = runner.invoke(main, ["rulesets", "check", str(path), "--format", "json"])
    assert result.exit_code == 1
    problem = next(p for p in json.loads(result.output)["rulesets"][0]["problems"] if "分档" in p["message"])
    assert "分档有缺口" in problem["message"] and "＜85" in problem["message"] and "≥90" in problem["message"]
    line = (path.read_text(encoding="utf-8").split("\n").index(next(l for l in path.read_text(encoding="utf-8").split("\n") if "tiered" in l)) + 1)
    assert problem["location"]["line"] == line


def test_rulesets_check_catches_overlapping_bands_and_children_sums(runner, write):
    bands = 'method: {use: tiered, bands: [{min: 80, score: 10}, {max: 85, max_inclusive: true, score: 0}]}'
    path = broken_copy(write, "method: {use: execution_rate, denominator: adjusted, cap: 1}", bands)
    assert "分档重叠" in runner.invoke(main, ["rulesets", "check", str(path)]).output


def test_rulesets_check_lists_unknown_methods_with_did_you_mean(runner, write):
    path = broken_copy(write, '">=": ratio\n', '">=": ratoi\n')
    output = runner.invoke(main, ["rulesets", "check", str(path)]).output
    assert "未知的评分方法 'ratoi'" in output and "是否想写 'ratio'" in output


# ------------------------------------------------------------------ perfrules test
def test_every_shipped_ruleset_has_passing_cases_that_cover_its_methods():
    dirs = search_path()
    files = discover([], [SHIPPED_DIR])
    shipped = {p.name.removesuffix(".yaml") for p in SHIPPED_DIR.rglob("*.yaml") if not p.name.endswith(".test.yaml")}
    assert {p.name.removesuffix(".test.yaml") for p in files} == shipped
    suite = run_suite(files, dirs)
    assert [c.name for c in suite.cases if not c.passed] == []
    assert all(not m for m in suite.untested.values()), suite.untested


def test_perfrules_test_reports_failures_with_expected_and_actual(runner, write):
    bad = write("rules/cn-x.test.yaml", f"""\
ruleset: cn/unit-overall@2024.1
cases:
  - name: 错误的期望
    submission: {SEED}
    expect: {{total: 85, grade: 优, indicators: {{高质量完成: 4}}, findings: [C-NOPE]}}
""")
    result = runner.invoke(main, ["test", str(bad)])
    assert result.exit_code == 4
    assert "FAIL  cn/unit-overall@2024.1 › 错误的期望" in result.output
    for fragment in ("总分：期望 85，实际 84", "等级：期望 优，实际 良", "指标 高质量完成：期望 4，实际 5", "应有问题 C-NOPE"):
        assert fragment in result.output


def test_perfrules_test_rejects_unknown_expectation_keys(runner, write):
    bad = write("rules/y.test.yaml", "ruleset: cn/unit-overall\ncases:\n  - {name: x, submission: {indicators: []}, expect: {totl: 1}}\n")
    result = runner.invoke(main, ["test", str(bad)])
    assert result.exit_code == 1 and "未知的键 'totl'" in result.output and "是否想写 'total'" in result.output


# ------------------------------------------------------------------ diff
def test_diff_shows_the_two_changed_weights(runner):
    result = runner.invoke(main, ["diff", "cn/unit-overall@2024.1", "shaanxi/zizhou-unit-overall@2025.1", "--format", "json"])
    changes = {(c["item"], c["field"]): (c["before"], c["after"]) for c in json.loads(result.output)["changes"]}
    assert changes[("output", "points")] == ("50", "40")
    assert changes[("effect", "points")] == ("30", "40")
    assert changes[("points_mismatch", "")] == ("warn", "rescale")
    assert ("budget", "points") not in changes


def test_diff_of_a_ruleset_with_itself_is_empty(runner):
    assert "没有实质差异" in runner.invoke(main, ["diff", "cn/project", "cn/project@2020.1"]).output


# ------------------------------------------------------------------ replay
def test_replay_shows_scores_grade_crossings_and_bad_files(runner):
    args = ["replay", str(REPLAY), "--against", "shaanxi/zizhou-unit-overall@2025.1", "--baseline", "cn/unit-overall@2024.1"]
    data = json.loads(runner.invoke(main, args + ["--format", "json"]).output)
    rows = {Path(r["file"]).name: r for r in data["rows"]}
    assert rows["unit-a.yaml"]["before"] == {"total": 90, "grade": "优"}
    assert rows["unit-a.yaml"]["after"] == {"total": 86.67, "grade": "良"} and rows["unit-a.yaml"]["grade_changed"]
    assert rows["unit-e-broken.yaml"]["error"] and "YAML 语法错误" in rows["unit-e-broken.yaml"]["error"]
    grades = {g["grade"]: (g["before"], g["after"]) for g in data["grades"]}
    assert grades["优"] == (3, 2) and grades["良"] == (1, 2)
    text = runner.invoke(main, args)
    assert text.exit_code == 4 and "甲单位（优→良）" in text.output   # 4: a file could not be scored


def test_replay_csv(runner):
    args = ["replay", str(REPLAY), "--against", "shaanxi/zizhou-unit-overall", "--format", "csv"]
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, args).output)))
    assert rows[0].keys() >= {"单位", "原总分", "新总分", "变化", "等级变化"}
    a = next(r for r in rows if r["单位"] == "甲单位")
    assert (a["原规则集"], a["原总分"], a["新总分"], a["变化"], a["等级变化"]) == ("cn/unit-overall@2024.1", "90", "86.67", "-3.33", "是")


def test_replay_gives_the_same_bytes_in_any_number_of_processes(runner, tmp_path, monkeypatch):
    """A province's replay runs in processes like batch (the machine's CPUs by default, at most 4): every
    output, and the rows' order, is the one-process replay's, whatever the number; where processes cannot
    be started the default replays in one."""
    from perfrules.engine import processes
    args = ["replay", str(REPLAY), "--against", "shaanxi/zizhou-unit-overall@2025.1"]
    outputs = {}
    for jobs in ("1", "2", "3", None):
        for suffix in (".csv", ".json", ".html"):
            out = tmp_path / f"r{jobs}{suffix}"
            result = runner.invoke(main, args + ["-o", str(out)] + (["--jobs", jobs] if jobs else []))
            assert result.exit_code == 4, result.output   # the folder holds a broken file on purpose
            outputs.setdefault(suffix, set()).add(out.read_bytes())
    assert all(len(kept) == 1 for kept in outputs.values())

    def no_processes(*args, **kwargs):
        raise OSError(38, "Function not implemented")
    monkeypatch.setattr(processes, "ProcessPoolExecutor", no_processes)
    monkeypatch.setattr(processes, "auto_jobs", lambda: 2)
    result = runner.invoke(main, args + ["-o", str(tmp_path / "fallback.csv")])
    assert result.exit_code == 4 and (tmp_path / "fallback.csv").read_bytes() in outputs[".csv"]
    result = runner.invoke(main, args + ["-o", str(tmp_path / "two.csv"), "--jobs", "2"])
    assert result.exit_code == 1 and "无法启动 2 个并行进程" in result.output


def test_every_shipped_ruleset_passes_rulesets_check(runner):
    result = runner.invoke(main, ["rulesets", "check", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] and len(data["rulesets"]) >= 4


def test_a_case_whose_submission_cannot_be_read_fails_alone(runner, write):
    bad = write("rules/z.test.yaml", f"""\
ruleset: cn/unit-overall@2024.1
cases:
  - {{name: 缺文件, submission: no-such-file.yaml, expect: {{total: 1}}}}
  - {{name: 种子, submission: {SEED}, expect: {{total: 84}}}}
""")
    result = runner.invoke(main, ["test", str(bad), "-v"])
    assert result.exit_code == 4
    assert "FAIL  cn/unit-overall@2024.1 › 缺文件" in result.output and "文件不存在" in result.output
    assert "PASS  cn/unit-overall@2024.1 › 种子" in result.output
