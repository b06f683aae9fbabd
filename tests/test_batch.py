"""perfrules batch: a directory of good and bad files, every format, deterministic output."""

import csv
import io
import json
import shutil
import time
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import load_workbook

from perfrules.cli import main

from .conftest import DATA, SEED


@pytest.fixture
def county(tmp_path):
    folder = tmp_path / "county"
    shutil.copytree(DATA / "replay", folder / "replay")
    shutil.copy(SEED, folder / "zizhou.yaml")
    shutil.copy(DATA / "project-training-2024.yaml", folder / "project.yaml")
    (folder / "notes.txt").write_text("not a submission", encoding="utf-8")
    return folder


def run(runner, *args, code=4):
    # The county folder holds one broken file: the summary is written and the exit code says 4.
    result = runner.invoke(main, ["batch", *map(str, args)])
    assert result.exit_code == code, result.output
    return result


def test_json_summary_rows_errors_and_differences(runner, county, tmp_path):
    out = tmp_path / "sum.json"
    run(runner, county, "-o", out)
    data = json.loads(out.read_text(encoding="utf-8"), parse_float=D)
    rows = {Path(r["file"]).name: r for r in data["rows"]}
    assert set(rows) == {"zizhou.yaml", "project.yaml", "unit-a.yaml", "unit-b.yaml", "unit-c.yaml", "unit-d.yaml"}
    z = rows["zizhou.yaml"]
    assert (z["unit"], z["ruleset"], z["total"], z["grade"], z["stated_total"], z["difference"]) == \
        ("子洲县人力资源和社会保障局", "cn/unit-overall@2024.1", D("84.00"), "良", 99, D("15.00"))
    assert z["errors"] > 0 and z["warnings"] > 0
    assert rows["project.yaml"]["ruleset"] == "cn/project@2020.1"
    [bad] = data["errors"]
    assert bad["file"].endswith("unit-e-broken.yaml") and bad["line"] == 6 and "YAML 语法错误" in bad["message"]
    summary = data["summary"]
    assert summary["files"] == 7 and summary["failed"] == 1 and summary["grades"] == {"优": 4, "良": 2}
    assert summary["largest_differences"][0]["unit"] == "子洲县人力资源和社会保障局"


def test_text_summary_lists_grades_top_differences_and_bad_files(runner, county, tmp_path):
    result = run(runner, county, "-o", tmp_path / "s.csv")
    assert "共 7 份：评分 6 份，无法评分 1 份" in result.output
    assert "子洲县人力资源和社会保障局" in result.output and "+15" in result.output
    assert "unit-e-broken.yaml:6" in result.output
    assert "评分中" not in result.output   # no progress bar when not on a terminal


def test_csv_opens_with_chinese_headers(runner, county, tmp_path):
    out = tmp_path / "s.csv"
    run(runner, county, "-o", out)
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0].keys() >= {"单位", "规则总分", "等级", "自报总分", "错误数", "文件"}
    broken = [r for r in rows if r["文件"].endswith("unit-e-broken.yaml")]
    assert broken and broken[0]["错误信息"].startswith("第 6 行")


def test_the_county_workbook_is_a_reviewers_tool(runner, county, tmp_path):
    out = tmp_path / "s.xlsx"
    run(runner, county, "-o", out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["评分汇总", "问题清单", "分类得分", "差异最大", "无法评分的文件", "未读取的文件", "等级分布",
                             "等级分布图", "总分对照图"]
    for ws in wb.worksheets[:-2]:   # every data sheet filtered and frozen below its header (then the charts' pages)
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws.freeze_panes == "B2", ws.title
    main = wb["评分汇总"]
    assert [c.value for c in main[1]][:6] == ["单位", "年度", "类型", "规则集", "规则总分", "等级"]
    assert main.column_dimensions["A"].width >= 20      # 子洲县人力资源和社会保障局 is 26 columns wide
    assert main.max_row == 7
    rows = {r[0].value: r for r in main.iter_rows(min_row=2)}
    seed = rows["子洲县人力资源和社会保障局"]
    assert seed[2].value == "部门整体" and rows["某县人力资源和社会保障局"][2].value == "项目"
    assert seed[4].number_format == "0.00" and seed[7].number_format == "0.00"
    assert seed[10].value == 559.03 and seed[10].number_format == "#,##0.00"
    assert seed[11].value == 1 and seed[11].number_format == "0.00%"
    assert seed[12].value == "zizhou.yaml" and rows["甲单位"][12].value == "replay/unit-a.yaml"   # relative to the root
    assert main.conditional_formatting
    findings = wb["问题清单"]
    assert [c.value for c in findings[1]] == ["单位", "级别", "代码", "说明", "位置", "文件"]
    codes = {(r[0].value, r[2].value) for r in findings.iter_rows(min_row=2)}
    assert ("子洲县人力资源和社会保障局", "W-STATED-TOTAL") in codes
    categories = wb["分类得分"]
    output = next(r for r in categories.iter_rows(min_row=2) if r[0].value == "子洲县人力资源和社会保障局" and r[1].value == "产出指标")
    assert (output[2].value, output[3].value, output[4].value, output[5].value) == (50, 45, 49, 4)
    assert categories.conditional_formatting
    grades = wb["等级分布"]
    assert [c.value for c in grades[1]] == ["等级", "单位自评（单位数）", "按规则复核（单位数）"]
    charts = wb["等级分布图"]._charts + wb["总分对照图"]._charts
    from openpyxl.chart import BarChart, ScatterChart
    assert any(isinstance(c, BarChart) for c in charts) and any(isinstance(c, ScatterChart) for c in charts)


def test_batch_of_two_hundred_units_writes_the_charts_and_the_findings(runner, tmp_path):
    from bench.generate import generate
    folder = tmp_path / "units"
    generate(200, folder)
    out = tmp_path / "s.xlsx"
    runner.invoke(main, ["batch", str(folder), "-o", str(out)])
    wb = load_workbook(out)
    assert wb["评分汇总"].max_row > 190 and wb["问题清单"].max_row > 200
    assert len(wb["等级分布图"]._charts) == 1 and len(wb["总分对照图"]._charts) == 1


@pytest.mark.parametrize("suffix", ["csv", "json", "xlsx"])
def test_same_bytes_for_any_jobs_and_file_order(runner, county, tmp_path, suffix):
    files = sorted(str(p) for p in county.rglob("*.yaml"))
    one, two, rev = (tmp_path / f"{n}.{suffix}" for n in ("one", "two", "rev"))
    run(runner, *files, "-o", one, "--jobs", 1)
    time.sleep(1.1)   # so that anything stamped with the time of writing would differ
    run(runner, *files, "-o", two, "--jobs", 2)
    run(runner, *reversed(files), "-o", rev, "--jobs", 2)
    assert one.read_bytes() == two.read_bytes() == rev.read_bytes()


def test_unknown_summary_format_is_a_clear_error(runner, county, tmp_path):
    result = runner.invoke(main, ["batch", str(county), "-o", str(tmp_path / "s.txt")])
    assert result.exit_code == 1 and ".csv、.json、.xlsx 或 .html" in result.output


def test_workers_start_before_the_county_is_listed(runner, county, tmp_path, monkeypatch):
    """With --jobs N the processes are forked before the file list exists, so none of them holds a copy of
    it (a forked process's resident memory counts every page its parent had: bench c)."""
    from perfrules.engine import batch as bt
    from perfrules.engine import collect as files
    events, real_workers, real_collect = [], bt.workers, files.collect

    def workers(jobs, **kwargs):
        events.append("workers")
        return real_workers(jobs, **kwargs)

    def collect(paths):
        events.append("collect")
        return real_collect(paths)
    monkeypatch.setattr(bt, "workers", workers)
    monkeypatch.setattr(files, "collect", collect)
    run(runner, county, "-o", tmp_path / "s.csv", "--jobs", 2)
    assert events == ["workers", "collect"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_one_file_and_a_refused_output_with_workers(runner, county, tmp_path, jobs):
    """The started workers are not needed for one file, and a refusal before any work ends them (exit 1,
    no hang, no output)."""
    out = tmp_path / "one.csv"
    run(runner, county / "zizhou.yaml", "-o", out, "--jobs", jobs, code=0)
    assert "子洲县人力资源和社会保障局" in out.read_text(encoding="utf-8-sig")
    result = runner.invoke(main, ["batch", str(out), str(county), "-o", str(out), "--jobs", str(jobs)])
    assert result.exit_code == 1 and "不能覆盖输入" in result.output


def test_only_a_few_chunks_are_made_ahead_of_the_rows():
    """Jobs are made as they are sent: when the first row comes back, at most IN_FLIGHT chunks per process
    have been taken from the file list, not the whole county; and the rows come back in order."""
    from perfrules.engine import batch as bt
    taken = []

    def jobs(n):
        for i in range(n):
            taken.append(i)
            yield (f"/nonexistent/unit-{i:05d}.yaml", None, (), False, False)
    n = 2000
    size = min(64, n // (2 * 8))   # _map's chunk size
    with bt.workers(2) as pool:
        rows = bt._map(jobs(n), n, 2, pool)
        first = next(rows)
        assert len(taken) <= (bt.IN_FLIGHT * 2 + 1) * size < n   # one chunk is sent as the first row is taken
        names = [first["file"]] + [r["file"] for r in rows]
    assert names == [f"/nonexistent/unit-{i:05d}.yaml" for i in range(n)] and len(taken) == n


def test_a_schema_refusal_in_a_worker_is_explained_by_the_parent(runner, county, tmp_path, monkeypatch):
    """Workers do not import jsonschema to say why a file is refused: they hand the file back, and the
    parent explains it. The summary is the same, byte for byte, with one process or two."""
    from perfrules.engine import batch as bt
    from perfrules.engine import schema
    bad = county / "unit-f-schema.yaml"
    bad.write_text((county / "zizhou.yaml").read_text(encoding="utf-8").replace("year: 2024", "year: 二〇二四", 1),
                   encoding="utf-8")
    monkeypatch.setattr(schema, "_DEFER", True)   # as in a worker
    assert bt.score_one((str(bad), None, (), False, False)) == {"file": str(bad), "error": True, "unexplained": True}
    monkeypatch.setattr(schema, "_DEFER", False)
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    run(runner, county, "-o", one, "--jobs", 1)
    run(runner, county, "-o", two, "--jobs", 2)
    assert one.read_bytes() == two.read_bytes()
    [refused] = [e for e in json.loads(two.read_text(encoding="utf-8"))["errors"] if e["file"].endswith("schema.yaml")]
    assert refused["message"] == "应为整数，实际是 '二〇二四'" and refused["line"] == 6 and "unexplained" not in refused


def test_without_jobs_batch_uses_the_cpus_it_may_run_on_at_most_four(runner, county, tmp_path, monkeypatch):
    """A bureau that does not say --jobs gets its machine's processors (at most 4: the desktop stays usable
    and memory bounded), with the same bytes as one process; --jobs still says exactly how many."""
    from perfrules.engine import batch as bt
    started = []
    real_workers = bt.workers

    def workers(jobs, fallback=False):
        started.append((jobs, fallback))
        return real_workers(jobs, fallback)
    monkeypatch.setattr(bt, "workers", workers)
    monkeypatch.setattr(bt.os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    run(runner, county, "-o", tmp_path / "auto.csv")
    run(runner, county, "-o", tmp_path / "one.csv", "--jobs", 1)
    assert started == [(4, True), (1, False)]
    assert (tmp_path / "auto.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    monkeypatch.setattr(bt.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert bt.auto_jobs() == 1


def test_a_machine_that_cannot_start_processes_scores_in_one_unless_jobs_was_asked(runner, county, tmp_path,
                                                                                    monkeypatch):
    """No semaphores (a locked-down container) or a sandbox that forbids processes: the default falls back to
    scoring in this process, with the same summary; an explicit --jobs 2 says what failed (exit 1, no output)."""
    from perfrules.engine import batch as bt
    from perfrules.engine import processes

    def no_processes(*args, **kwargs):
        raise OSError(38, "Function not implemented")
    monkeypatch.setattr(processes, "ProcessPoolExecutor", no_processes)
    monkeypatch.setattr(bt, "auto_jobs", lambda: 2)
    run(runner, county, "-o", tmp_path / "fallback.csv")
    run(runner, county, "-o", tmp_path / "one.csv", "--jobs", 1)
    assert (tmp_path / "fallback.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    result = runner.invoke(main, ["batch", str(county), "-o", str(tmp_path / "two.csv"), "--jobs", "2"])
    assert result.exit_code == 1 and "无法启动 2 个并行进程" in result.output and "--jobs 1" in result.output
    assert not (tmp_path / "two.csv").exists()
