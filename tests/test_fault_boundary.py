"""The fault boundary: every file fails alone, every cost is bounded, no input is ever overwritten.

Each reproduction of the fault-boundary issue is a test here. The rule they share: a problem with a
user's file (whatever library or system call raised it) is exit 1 with the file's name, and in `batch` or
`replay` that file's row in the failed list while the run goes on; never exit 3, never a hang, never a
lost input.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from perfrules.cli import main
from perfrules.engine import batch as batch_module
from perfrules.engine.limits import MAX_VALUE_CHARS

from . import hostile_office
from .conftest import ROOT, SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and not p.is_symlink()}


def seed_copy(folder: Path, name: str, unit: str | None = None) -> Path:
    path = folder / name
    text = SEED_TEXT if unit is None else SEED_TEXT.replace("unit: 子洲县人力资源和社会保障局", f"unit: {unit}", 1)
    path.write_text(text, encoding="utf-8")
    return path


def ok_or_user_error(result) -> None:
    assert result.exit_code in (0, 1, 4), result.output
    assert "Traceback" not in result.output and "内部错误" not in result.output, result.output


# ------------------------------------------------------------------------------ 1. data loss
def test_batch_refuses_to_write_over_a_submission_it_reads(runner, tmp_path):
    units = tmp_path / "u"
    units.mkdir()
    seed_copy(units, "a.yaml")
    (units / "b.json").write_text(json.dumps({"schema_version": 1}), encoding="utf-8")
    before = digest(units)
    result = runner.invoke(main, ["batch", str(units), "-o", str(units / "b.json")])
    assert result.exit_code == 1 and "不能覆盖输入" in result.output
    assert digest(units) == before


def test_batch_refuses_an_output_that_is_an_input_by_another_name(runner, tmp_path):
    units = tmp_path / "u"
    units.mkdir()
    seed_copy(units, "a.json")   # YAML is read from .json files too: a JSON document is a YAML document
    os.link(units / "a.json", tmp_path / "hard.json")
    (tmp_path / "soft.json").symlink_to(units / "a.json")
    before = digest(units)
    for out in (tmp_path / "hard.json", tmp_path / "soft.json", units / "." / "a.json"):
        result = runner.invoke(main, ["batch", str(units), "-o", str(out)])
        assert result.exit_code == 1 and "不能覆盖输入" in result.output, (out, result.output)
    assert digest(units) == before


def test_a_summary_inside_the_input_folder_is_not_read_back(runner, tmp_path):
    units = tmp_path / "u"
    units.mkdir()
    seed_copy(units, "a.yaml")
    first = runner.invoke(main, ["batch", str(units), "-o", str(units / "summary.json"), "--format", "json"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, ["batch", str(units), "-o", str(units / "summary.json"), "--format", "json"])
    assert second.exit_code == 0, second.output
    data = json.loads(second.output)
    assert data["scored"] == 1 and data["failed"] == 0
    assert any(n["file"].endswith("summary.json") and "汇总输出" in n["reason"] for n in data["not_read"])


def test_read_only_output_needs_force_and_modes_are_kept(runner, tmp_path):
    out = tmp_path / "sum.csv"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o444)
    refused = runner.invoke(main, ["batch", str(SEED), "-o", str(out)])
    assert refused.exit_code == 1 and "只读" in refused.output and "--force" in refused.output
    assert out.read_text(encoding="utf-8") == "old"
    forced = runner.invoke(main, ["batch", str(SEED), "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o444 and "子洲县" in out.read_text(encoding="utf-8-sig")
    report = tmp_path / "r.md"
    report.write_text("old", encoding="utf-8")
    report.chmod(0o640)
    assert runner.invoke(main, ["report", str(SEED), "-o", str(report)]).exit_code == 1   # not ours: kept
    assert runner.invoke(main, ["report", str(SEED), "-o", str(report), "--force"]).exit_code == 0
    assert stat.S_IMODE(report.stat().st_mode) == 0o640


def test_report_never_writes_over_its_input(runner, tmp_path):
    sub = seed_copy(tmp_path, "s.yaml")
    link = tmp_path / "s.md"
    link.symlink_to(sub)
    before = sub.read_bytes()
    result = runner.invoke(main, ["report", str(sub), "-o", str(link)])
    assert result.exit_code == 1 and "不能覆盖输入" in result.output
    assert sub.read_bytes() == before


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
def test_a_failed_write_leaves_no_partial_or_temporary_file(runner, tmp_path, monkeypatch, suffix):
    import tempfile
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", full_disk)
    result = runner.invoke(main, ["batch", str(SEED), "-o", str(out_dir / f"s{suffix}")])
    assert result.exit_code == 1 and "磁盘空间已满" in result.output
    assert list(out_dir.iterdir()) == []
    assert list(private.iterdir()) == []   # openpyxl's sheet files went with the run


# ------------------------------------------------------------------------------ 2. one file, one fate
def test_every_kind_of_bad_entry_fails_alone_and_is_counted(runner, tmp_path):
    units = tmp_path / "u"
    units.mkdir()
    seed_copy(units, "good.yaml")
    (units / "digits.yaml").write_text(SEED_TEXT.replace("year: 2024", "year: " + "9" * 5000, 1), encoding="utf-8")
    (units / "dangling.yaml").symlink_to(units / "nowhere.yaml")
    (units / "loop-a.yaml").symlink_to(units / "loop-b.yaml")
    (units / "loop-b.yaml").symlink_to(units / "loop-a.yaml")
    os.mkfifo(units / "pipe.yaml")
    weird = os.fsencode(str(units)) + b"/bad\xff-name.yaml"
    with open(weird, "wb") as handle:
        handle.write(SEED_TEXT.encode("utf-8"))
    (units / "notes.txt").write_text("minutes", encoding="utf-8")
    for suffix in (".json", ".csv", ".xlsx"):
        out = tmp_path / f"sum{suffix}"
        result = runner.invoke(main, ["batch", str(units), "-o", str(out), "--format", "json"])
        assert result.exit_code == 4, result.output
        data = json.loads(result.output)
        failed = {Path(e["file"]).name: e["message"] for e in data["errors"]}
        assert data["scored"] == 2 and data["files"] == 7, data
        assert "位数过多" in failed["digits.yaml"]
        assert "符号链接指向的文件不存在" in failed["dangling.yaml"]
        assert "符号链接形成循环" in failed["loop-a.yaml"] and "符号链接形成循环" in failed["loop-b.yaml"]
        assert "命名管道" in failed["pipe.yaml"]
        assert [n["file"] for n in data["not_read"]] == [f"{units}/notes.txt"]
        assert out.stat().st_size > 0
    rows = list(csv.reader(io.StringIO((tmp_path / "sum.csv").read_text(encoding="utf-8-sig"))))
    assert any("bad\ufffd-name.yaml" in cell for row in rows for cell in row)


def test_a_device_node_in_the_folder_fails_alone(runner, tmp_path):
    units = tmp_path / "u"
    units.mkdir()
    seed_copy(units, "good.yaml")
    try:
        os.mknod(units / "null.yaml", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError):
        (units / "null.yaml").symlink_to("/dev/null")
    result = runner.invoke(main, ["batch", str(units), "-o", str(tmp_path / "s.json"), "--format", "json"])
    data = json.loads(result.output)
    assert result.exit_code == 4 and data["scored"] == 1
    assert "设备文件" in data["errors"][0]["message"]


def test_an_unexpected_exception_is_one_files_internal_error(runner, tmp_path, monkeypatch):
    units = tmp_path / "u"
    units.mkdir()
    seed_copy(units, "a.yaml")
    seed_copy(units, "b.yaml", "乙单位")
    real_check = batch_module.check

    def flaky(sub, rs):
        if sub.unit == "乙单位":
            raise KeyError("a bug in perfrules")
        return real_check(sub, rs)
    monkeypatch.setattr(batch_module, "check", flaky)
    result = runner.invoke(main, ["batch", str(units), "-o", str(tmp_path / "s.json"), "--format", "json"])
    assert result.exit_code == 4
    data = json.loads(result.output)
    assert data["scored"] == 1 and "内部错误（KeyError）" in data["errors"][0]["message"]


def test_replay_keeps_going_past_any_failure(runner, tmp_path, monkeypatch):
    units = tmp_path / "u"
    units.mkdir()
    seed_copy(units, "a.yaml")
    (units / "digits.yaml").write_text(SEED_TEXT.replace("year: 2024", "year: " + "9" * 5000, 1), encoding="utf-8")
    os.mkfifo(units / "pipe.yaml")
    result = runner.invoke(main, ["replay", str(units), "--against", "cn/project@2020.1", "--format", "json"])
    assert result.exit_code == 4
    rows = {Path(r["file"]).name: r for r in json.loads(result.output)["rows"]}
    assert rows["a.yaml"]["error"] is None and "位数过多" in rows["digits.yaml"]["error"]
    assert "命名管道" in rows["pipe.yaml"]["error"]


BAD_GRADE = """\
schema_version: 1
id: x/bad
version: "1"
title: 坏的规则集
extends: cn/unit-overall@2024.1
grades:
  - {label: 优, min: 1.0e+999}
"""


def test_one_bad_ruleset_on_the_path_does_not_break_the_others(runner, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text(BAD_GRADE, encoding="utf-8")
    (rules / "tab.yaml").write_text("id: x/tab\n\tversion: 1\n", encoding="utf-8")
    os.mkfifo(rules / "pipe.yaml")
    listed = runner.invoke(main, ["rulesets", "list", "--rulesets", str(rules), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    items = {Path(i["file"]).name: i for i in json.loads(listed.output)}
    assert items["unit-overall-2024.1.yaml"]["problem"] is None
    assert items["bad.yaml"]["problem"] and items["pipe.yaml"]["problem"] and items["tab.yaml"]["problem"]
    checked = runner.invoke(main, ["rulesets", "check", "--rulesets", str(rules), "--format", "json"])
    assert checked.exit_code == 1
    problems = {Path(r["file"]).name: r for r in json.loads(checked.output)["rulesets"]}
    assert not problems["bad.yaml"]["ok"] and not problems["pipe.yaml"]["ok"] and not problems["tab.yaml"]["ok"]
    assert problems["bad.yaml"]["problems"][0]["location"]["line"] == 7
    scored = runner.invoke(main, ["score", str(SEED), "--rulesets", str(rules), "--format", "json"])
    assert scored.exit_code == 0 and json.loads(scored.output)["total"] == 84
    tested = runner.invoke(main, ["test", "--rulesets", str(rules)])
    assert tested.exit_code == 0, tested.output


# ------------------------------------------------------------------------------ 3. numbers
@pytest.mark.parametrize("value, fragment", [
    ("1.0e+999999999", "过大"), ("1.0e-9999999", "小数位过多"), ("9" * 5000, "位数过多"), ("-" + "9" * 5000, "位数过多"),
    (".nan", "不是有限的数"), ("0.0000000000001", "小数位过多"),
])
def test_numbers_are_bounded_where_they_are_read(runner, tmp_path, value, fragment):
    path = tmp_path / "n.yaml"
    path.write_text(SEED_TEXT.replace("points: 10\n", f"points: {value}\n", 1), encoding="utf-8")
    assert SEED_TEXT.count("points: 10\n") >= 1
    result = runner.invoke(main, ["score", str(path), "--format", "json"])
    assert result.exit_code == 1, result.output
    error = json.loads(result.output)["errors"][0]
    assert error["code"] == "E-NUMBER" and fragment in error["message"] and error["location"]["line"]


RULESET_HEAD = """\
schema_version: 1
id: x/params
version: "1"
title: 参数检查
extends: cn/unit-overall@2024.1
"""


@pytest.mark.parametrize("preset, fragment", [
    ("{use: deduction, deduct: 1, per: 0}", "per 应大于 0"),
    ("{use: reverse_linear, zero_at: 1}", "zero_at 应大于 1"),
    ("{use: reverse_linear, zero_at: 0}", "zero_at 应大于 1"),
    ("{use: tiers, tiers: []}", "tiers 不能为空"),
    ("{use: tiered, bands: [{min: 90%, score: 5}]}", "应是数值"),
    ("{use: coefficient, coefficients: {优: 2/3}}", "实际是 '2/3'"),
    ("{use: expression, expr: \"f'{points:>999999999}'\"}", "f-字符串"),
    ("{use: expression, expr: \"Decimal('NaN')\"}", "不是有限的数"),
    ("{use: expression, expr: \"" + "+".join(["1"] * 990) + "\"}", "嵌套过深"),
    ("{use: expression, expr: \"" + "-" * 1900 + "points\"}", "嵌套过深"),
])
def test_method_parameters_are_checked_when_the_ruleset_is(runner, tmp_path, preset, fragment):
    path = tmp_path / "params.yaml"
    path.write_text(RULESET_HEAD + f"presets:\n  bad: {preset}\n", encoding="utf-8")
    result = runner.invoke(main, ["rulesets", "check", str(path), "--format", "json"])
    assert result.exit_code == 1, result.output
    [entry] = json.loads(result.output)["rulesets"]
    problem = entry["problems"][0]
    assert fragment in problem["message"] and problem["location"]["line"] == 7, problem
    scored = runner.invoke(main, ["score", str(SEED), "--ruleset", str(path)])
    assert scored.exit_code == 1 and "Traceback" not in scored.output


# ------------------------------------------------------------------------------ 4. bounded time and memory
def run_cli(args: list[str], timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """perfrules in its own process: a hang is a failed test after `timeout`, not a stuck suite."""
    return subprocess.run([sys.executable, "-c", "from perfrules.cli import main; main()", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_special_files_are_refused_without_reading_them(tmp_path, source):
    if source == "fifo":
        source = str(tmp_path / "pipe.yaml")
        os.mkfifo(source)
    result = run_cli(["score", source], timeout=30)
    assert result.returncode == 1 and "不是普通文件" in result.stderr


@pytest.mark.parametrize("digits", [20_000, 30_000])
def test_a_long_target_is_refused_at_once(runner, tmp_path, digits):
    path = tmp_path / "t.yaml"
    path.write_text(SEED_TEXT.replace("target: ≥23 份", f'target: "≥{"9" * digits}"', 1), encoding="utf-8")
    result = runner.invoke(main, ["score", str(path), "--format", "json"])
    assert result.exit_code == 1
    assert f"上限 {MAX_VALUE_CHARS}" in json.loads(result.output)["errors"][0]["message"]


EVIL_TEMPLATES = {
    "recursion": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}",
    "range": "{% for i in range(10**9) %}x{% endfor %}",
    "repeat": "{{ 'a' * 10**10 }}",
    "power": "{{ 9**999999999 }}",
    "center": "{{ 'a'.center(1000000000) }}",
    "center-filter": "{{ 'a'|center(1000000000) }}",
    "format-width": "{{ '%999999999d' % 1 }}",
    "join": "{{ (['x' * 1000000] * 1000000)|join }}",
    "replace": "{{ ('a' * 1000000).replace('a', 'a' * 1000000) }}",
    "concat": "{% set ns = namespace(x='a') %}{% for i in range(60) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x }}",
    "loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "output": "{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx{% endfor %}{% endfor %}",
}


@pytest.mark.parametrize("name", sorted(EVIL_TEMPLATES))
def test_hostile_templates_end_inside_their_budget(runner, tmp_path, monkeypatch, name):
    from perfrules.engine import render
    monkeypatch.setattr(render, "TEMPLATE_SECONDS", 2.0)
    folder = tmp_path / "t" / "evil" / "1"
    folder.mkdir(parents=True)
    (folder / "template.yaml").write_text("title: evil\n", encoding="utf-8")
    (folder / "report.md.j2").write_text(EVIL_TEMPLATES[name] + "\n", encoding="utf-8")
    result = runner.invoke(main, ["report", str(SEED), "-o", str(tmp_path / "r.md"), "--templates", str(tmp_path / "t"),
                                  "--template", "evil@1", "--format", "json"])
    assert result.exit_code == 1, result.output
    error = json.loads(result.output)["errors"][0]
    assert error["code"] == "E-TEMPLATE" and ("运行限制" in error["message"] or "递归" in error["message"])
    assert not (tmp_path / "r.md").exists()


def test_a_thousand_rows_render_to_word(runner, tmp_path):
    lines = SEED_TEXT.split("\nindicators:\n", 1)
    row = "  - {level1: 产出指标, level2: 数量指标, name: 指标%d, target: \"≥10 人\", actual: \"12 人\", points: 0.05, self_score: 0.05}\n"
    path = tmp_path / "many.yaml"
    path.write_text(lines[0] + "\nindicators:\n" + "".join(row % i for i in range(980)) + lines[1], encoding="utf-8")
    result = runner.invoke(main, ["report", str(path), "-o", str(tmp_path / "many.docx")])
    assert result.exit_code == 0, result.output
    from docx import Document
    assert max(len(t.rows) for t in Document(str(tmp_path / "many.docx")).tables) > 980


def test_text_fields_have_documented_limits(runner, tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text(SEED_TEXT.replace("unit: 子洲县人力资源和社会保障局", "unit: " + "子" * 10_000, 1), encoding="utf-8")
    result = runner.invoke(main, ["report", str(path), "-o", str(tmp_path / "r.pdf"), "--format", "json"])
    assert result.exit_code == 1
    error = json.loads(result.output)["errors"][0]
    assert "上限 200" in error["message"] and error["location"]["line"] == 7
    assert "限制" in (ROOT / "docs" / "submission-format.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ 5. operating-system errors
def test_os_errors_are_the_users_with_a_message(runner, tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    cases = [(loop, "符号链接形成循环"), (tmp_path / ("长" * 200 + ".yaml"), "过长"), (tmp_path / "missing.yaml", "不存在"),
             (tmp_path, "目录")]
    for path, fragment in cases:
        result = runner.invoke(main, ["score", str(path)])
        assert result.exit_code == 1 and fragment in result.output, (path, result.output)


def test_permission_denied_on_input_and_output(runner, tmp_path, monkeypatch):
    import perfrules.engine.files as files
    real_open = os.open

    def denied(path, flags, *args):
        if str(path).endswith("secret.yaml"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)
    monkeypatch.setattr(files.os, "open", denied)
    result = runner.invoke(main, ["score", str(tmp_path / "secret.yaml")])
    assert result.exit_code == 1 and "没有读取该文件的权限" in result.output
    locked = tmp_path / "locked"
    locked.mkdir()
    import tempfile   # (files imports it where it writes)
    monkeypatch.setattr(tempfile, "mkstemp", lambda **kw: (_ for _ in ()).throw(PermissionError(13, "denied")))
    result = runner.invoke(main, ["report", str(SEED), "-o", str(locked / "r.md")])
    assert result.exit_code == 1 and "权限" in result.output


@pytest.mark.slow
def test_stdout_to_a_full_device(tmp_path):
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-c", "from perfrules.cli import main; main()", "score", str(SEED)], cwd=ROOT,
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 1 and "磁盘空间已满" in result.stderr and "Traceback" not in result.stderr


def test_internal_errors_are_json_under_format_json(runner, monkeypatch):
    import perfrules.engine.api
    monkeypatch.setattr(perfrules.engine.api, "score", lambda sub, rs: (_ for _ in ()).throw(KeyError("bug")))
    result = runner.invoke(main, ["score", str(SEED), "--format", "json"])
    assert result.exit_code == 3
    data = json.loads(result.output)
    assert data["ok"] is False and data["internal_error"]["type"] == "KeyError"


# ------------------------------------------------------------------------------ 6. what leaves perfrules is inert
INJECTION = '=HYPERLINK("http://evil.example","点击")'


def test_spreadsheet_formulas_are_written_as_text(runner, tmp_path):
    units = tmp_path / "u"
    units.mkdir()
    path = units / "evil.yaml"
    path.write_text(SEED_TEXT.replace("unit: 子洲县人力资源和社会保障局", "unit: '" + INJECTION.replace("'", "''") + "'", 1),
                    encoding="utf-8")
    for name in ("+cmd.yaml", "-x.yaml", "@sum.yaml"):
        shutil.copy(SEED, units / name)
    assert runner.invoke(main, ["batch", str(units), "-o", str(tmp_path / "s.xlsx")]).exit_code == 0
    wb = load_workbook(tmp_path / "s.xlsx")
    for sheet in ("评分汇总", "差异最大"):
        cells = [c for row in wb[sheet].iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
        assert cells and all(c.data_type == "s" for c in cells), sheet
    assert runner.invoke(main, ["batch", str(units), "-o", str(tmp_path / "s.csv")]).exit_code == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "s.csv").read_text(encoding="utf-8-sig"))))
    texts = [cell for row in rows[1:] for cell in row]
    assert "'" + INJECTION in texts and INJECTION not in texts
    assert not any(cell[:1] in ("=", "+", "@") for cell in texts)
    replayed = runner.invoke(main, ["replay", str(units), "--against", "cn/project@2020.1", "--format", "csv"])
    assert "'" + INJECTION in replayed.output.replace('""', '"')


def test_markdown_report_is_inert(runner, tmp_path):
    path = tmp_path / "x.yaml"
    unit = '<script>alert(1)</script><img src=x onerror=alert(2)>[点我](javascript:alert(3))'
    path.write_text(SEED_TEXT.replace("unit: 子洲县人力资源和社会保障局", f"unit: '{unit}'", 1), encoding="utf-8")
    assert runner.invoke(main, ["report", str(path), "-o", str(tmp_path / "r.md")]).exit_code == 0
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "<script>" not in text and "<img" not in text and not re.search(r"(?<!\\)\]\(javascript:", text)
    assert "&lt;script&gt;" in text and "\\[点我\\](javascript:" in text


@pytest.mark.parametrize("line, fragment", [
    ('unit: "甲\\0单位"', "NUL"),
    ("ruleset: ../../etc/evil.yaml", "格式不对"),
    ("ruleset: /tmp/x.yaml", "格式不对"),
])
def test_submission_fields_that_could_smuggle_things(runner, tmp_path, line, fragment):
    key = line.split(":")[0]
    text = SEED_TEXT.replace("unit: 子洲县人力资源和社会保障局", line, 1) if key == "unit" else \
        SEED_TEXT.replace("unit: 子洲县人力资源和社会保障局", "unit: 子洲县人力资源和社会保障局\n" + line, 1)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["score", str(path)])
    assert result.exit_code == 1 and fragment in result.output, result.output


def test_a_ruleset_file_named_by_a_submission_is_not_loaded(runner, tmp_path):
    rules = tmp_path / "lenient.yaml"
    rules.write_text((ROOT / "rulesets" / "cn" / "budget10-free90-2024.1.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    sub = tmp_path / "s.yaml"
    sub.write_text(SEED_TEXT.replace("unit: 子洲县人力资源和社会保障局", "unit: 子洲县人力资源和社会保障局\nruleset: lenient.yaml", 1),
                   encoding="utf-8")
    os.chdir(tmp_path)
    try:
        result = runner.invoke(main, ["score", str(sub)])
    finally:
        os.chdir(ROOT)
    assert result.exit_code == 1 and "找不到规则集" in result.output


def test_a_ruleset_version_with_spaces_is_an_error(runner, tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text(RULESET_HEAD.replace('version: "1"', 'version: " 2024.1 "'), encoding="utf-8")
    result = runner.invoke(main, ["rulesets", "check", str(path), "--format", "json"])
    assert result.exit_code == 1
    problem = json.loads(result.output)["rulesets"][0]["problems"][0]
    assert "格式不对" in problem["message"] and problem["location"]["line"] == 3


# ------------------------------------------------------------------------------ 7. the corpus, together
HOSTILE = Path(__file__).parent / "hostile"


def hostile_folder(tmp_path: Path, good: int) -> tuple[Path, set[str]]:
    """A county folder: `good` valid submissions and every hostile file we know, generated ones included."""
    folder = tmp_path / "county"
    folder.mkdir()
    bad: set[str] = set()
    for source in sorted((HOSTILE / "submissions").iterdir()) + sorted((HOSTILE / "rulesets").iterdir()):
        name = f"{source.parent.name}-{source.name}"
        shutil.copy(source, folder / name)
        bad.add(name)
    generated = {
        "deep.yaml": "x: " + "[" * 5000 + "]" * 5000 + "\n",
        "binary.yaml": bytes(range(256)) * 4,
        "large.yaml": b"# " + b"x" * (4 * 1024 * 1024) + b"\n",
        "digits-anywhere.yaml": SEED_TEXT.replace("year: 2024", "year: " + "7" * 5000, 1),
    }
    for name, content in generated.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        bad.add(name)
    bad |= set(hostile_office.write_all(folder))   # xlsx / docx: bombs, entities, truncated, huge
    (folder / "dangling.yaml").symlink_to(folder / "gone.yaml")
    (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    os.mkfifo(folder / "fifo.yaml")
    bad |= {"dangling.yaml", "loop.yaml", "fifo.yaml"}
    for i in range(good):
        seed_copy(folder, f"unit-{i:03d}.yaml", f"第{i:03d}号单位")
    return folder, bad


@pytest.mark.slow
def test_batch_over_every_hostile_file_and_a_hundred_good_ones(runner, tmp_path):
    folder, bad = hostile_folder(tmp_path, 100)
    before = digest(folder)
    result = runner.invoke(main, ["batch", str(folder), "-o", str(tmp_path / "sum.json"), "--format", "json", "--jobs", "2"])
    assert result.exit_code == 4, result.output
    data = json.loads(result.output)
    assert data["scored"] == 100
    failed = {Path(e["file"]).name: e for e in data["errors"]}
    assert set(failed) == bad
    assert all(e["message"] and "内部错误" not in e["message"] for e in failed.values())
    assert digest(folder) == before
    written = json.loads((tmp_path / "sum.json").read_text(encoding="utf-8"))
    assert len(written["rows"]) == 100 and {Path(e["file"]).name for e in written["errors"]} == bad


BUDGET_SCRIPT = r"""
import json, resource, sys, time
from click.testing import CliRunner
from perfrules.cli import main
out = {}
for path in sys.argv[1:]:
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["score", path, "--format", "json"])
    out[path] = [result.exit_code, time.perf_counter() - started]
# This process's own peak: VmHWM belongs to the process image and starts afresh at exec, where ru_maxrss
# carries the peak of the parent it was forked from (a pytest process that has grown to 500 MB by then).
try:
    with open("/proc/self/status", encoding="ascii") as status:
        out["peak_mib"] = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


@pytest.mark.slow
def test_every_hostile_file_is_refused_within_its_time_and_memory_budget(tmp_path):
    """One process scores every hostile file: each is exit 1 in under 5 s, and the process never passes
    500 MB (the peak resident size covers every case)."""
    folder, bad = hostile_folder(tmp_path, 0)
    paths = sorted(str(p) for p in folder.iterdir())
    result = subprocess.run([sys.executable, "-c", BUDGET_SCRIPT, *paths], cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    peak = data.pop("peak_mib")
    assert peak < 500, peak
    for path, (code, seconds) in data.items():
        assert code == 1, (path, code)
        assert seconds < 5, (path, seconds)


def test_control_characters_in_a_unit_name_do_not_break_the_workbook(runner, tmp_path):
    units = tmp_path / "u"
    units.mkdir()
    (units / "a.yaml").write_text(SEED_TEXT.replace("unit: 子洲县人力资源和社会保障局", 'unit: "甲\\x01单位"', 1), encoding="utf-8")
    result = runner.invoke(main, ["batch", str(units), "-o", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 0, result.output
    assert load_workbook(tmp_path / "s.xlsx")["评分汇总"]["A2"].value == "甲\ufffd单位"
