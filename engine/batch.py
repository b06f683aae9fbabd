"""`perfrules batch`: score a county's worth of submissions, keep going past bad files, summarise.

Each file is scored (and checked) on its own; a worker process compiles each ruleset once. Files are taken
in sorted order and results come back in that order whatever the number of jobs, so rows stream straight
into the output writer: the same bytes for any order of arguments and any --jobs, and memory that does not
grow with the number of files beyond the output itself.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from itertools import islice
from typing import Any, Callable, Iterable, Iterator

from . import processes, yamlfast
from .api import check, choose_ruleset, with_notes
from .collect import Collected
from .errors import PerfrulesError, internal_message
from .files import display_path
from .limits import install_context
from .methods import fmt
from .ruleset import forget_lookups, remember_lookups
from .schema import Unexplained, defer_explanations
from .scorecard import SEVERITY_LABELS
from .sinks import Sink, Summary
from .submission import KIND_LABELS, load_submission

Job = tuple[str, "str | None", tuple[str, ...], bool, bool]   # file, ruleset ref, dirs, trust, detail


def score_one(job: Job) -> dict[str, Any]:
    """Worker: one file to one row (or one error). Never raises: whatever goes wrong with one file, that
    file alone fails, with a message, and the run goes on. The ruleset is the bureau's (`--ruleset`, or the
    applicable one), not the one a submission names, unless the run trusts submissions."""
    file, ref, dirs, trust, detail = job
    name = display_path(file)
    install_context()
    yamlfast.enable()
    try:
        sub = load_submission(file, name)
        rs, notes = choose_ruleset(sub, ref, dirs, trust)
        card = with_notes(check(sub, rs), notes)
        return _row(name, sub, card, rs, detail)
    except PerfrulesError as exc:
        d = exc.first
        return {"file": name, "error": True, "line": d.location.line, "message": d.message, "hint": d.hint or ""}
    except Unexplained:   # refused in a worker: the parent says why (see schema.defer_explanations)
        return {"file": name, "error": True, "unexplained": True}
    except Exception as exc:  # noqa: BLE001 - one file's fate: a bug in perfrules must not end the run
        return {"file": name, "error": True, "line": None, "message": internal_message(exc),
                "hint": "这是 perfrules 的缺陷；请用 perfrules score --debug 重新运行该文件并报告"}




def _row(name: str, sub: Any, card: Any, rs: Any, detail: bool = True) -> dict[str, Any]:
    """A file's summary row; with `detail`, also its findings (as text), category scores and own grade, for
    the sinks that show them. Without, no finding's sentence is ever built nor sent between processes."""
    stated = _stated_total(sub.data.get("stated") or {})
    counts = card.counts()
    row = {
        "file": name, "error": False, "unit": sub.unit, "year": sub.year, "kind": sub.kind,
        "ruleset": f"{card.ruleset_id}@{card.ruleset_version}", "total": card.total, "grade": card.grade,
        "stated_total": stated, "difference": None if stated is None else stated - card.total,
        "errors": counts["error"], "warnings": counts["warning"],
        "budget": sub.budget_total("budget"), "rate": _rate(sub),
    }
    if detail:
        block = sub.data.get("stated") or {}
        own_grade = (block.get("table") or {}).get("grade") or (block.get("narrative") or {}).get("grade")
        if own_grade is not None:   # by the ruleset's label when it is one of its aliases (优秀 → 优)
            named = rs.grade_named(str(own_grade))
            own_grade = named.label if named is not None else str(own_grade)
        row["own_grade"] = own_grade
        row["findings"] = [(SEVERITY_LABELS[f.severity], f.code, f.message, _where(f.location)) for f in card.findings]
        row["categories"] = [(c.label, c.points, c.score, c.self_score) for c in card.categories]
    return row


def _rate(sub: Any) -> Decimal | None:
    budget, spent = sub.budget_total("budget"), sub.budget_total("spent")
    return (spent / budget).quantize(Decimal("0.0001")) if budget and spent is not None else None


def _where(location: Any) -> str:
    if location.cell:
        return location.cell
    return f"第 {location.line} 行" if location.line else ""


def _stated_total(stated: dict[str, Any]) -> Decimal | None:
    for key in ("table", "narrative"):
        value = (stated.get(key) or {}).get("total")
        if value is not None:
            return Decimal(value)
    return None


def run(files: Collected, ref: str | None, dirs: Iterable[str], jobs: int, sink: "Sink",
        progress: Callable[[int], None] | None = None, trust_submission: bool = False,
        pool: ProcessPoolExecutor | None = None) -> Summary:
    """Score every file into `sink`, row by row in file order (the order `collect` sorts them in), in `jobs`
    processes: those of `pool` (see `workers`) when given, else started here."""
    detail, dirs = sink.detail, tuple(dirs)
    yamlfast.enable()   # thousands of files: rapidyaml's import pays for itself after about forty
    if hasattr(sink, "expect"):   # a sink that shares something out by the number of units (the review page)
        sink.expect(len(files.files))
    work = ((os.fspath(f), ref, dirs, trust_submission, detail) for f in files.files)   # made as sent
    summary = Summary()
    summary.skipped = files.skipped
    remember_lookups()
    thresholds = gc.get_threshold()
    gc.set_threshold(*BATCH_GC)
    try:
        for file, row in zip(files.files, _map(work, len(files.files), jobs, pool)):   # rows in file order
            if row.get("unexplained"):   # refused by the schema in a worker: explained here, as jobs=1 would
                row = score_one((os.fspath(file), ref, dirs, trust_submission, detail))
            if row["file"] == file:   # the parent's own string, not the worker's copy: kept once per file
                row["file"] = file
            _take(row, summary, sink, progress)
    finally:
        gc.set_threshold(*thresholds)
        forget_lookups()
    return summary


# A file's objects are freed by reference counting when it is done (only a refused file's exception leaves
# a cycle: about 2 objects per file over a corpus), so the cyclic collector's default passes, every 700
# allocations, found almost nothing and took a tenth of a batch's CPU time. Batch processes run it 30 times
# less often; peak memory is unchanged (bench c). Restored when the run ends.
BATCH_GC = (20_000, 20, 20)


def _worker_start() -> None:
    gc.set_threshold(*BATCH_GC)
    remember_lookups()
    defer_explanations()


def _take(row: dict[str, Any], summary: Summary, sink: "Sink", progress: Callable[[int], None] | None) -> None:
    if row.pop("error"):
        summary.errors.append(row)
    else:
        summary.add(row)
        sink.add(row)
    if progress:
        progress(1)


@contextmanager
def workers(jobs: int, fallback: bool = False) -> Iterator[ProcessPoolExecutor | None]:
    """The processes of a batch run with `jobs` processes (None for one: files are scored in this one),
    started at once (engine/processes.py). A caller that starts them before it collects the files keeps the
    county's file list out of them: a forked process's resident memory counts every page the parent had
    (bench c)."""
    with processes.pool(jobs, _worker_start, fallback) as pool:
        yield pool


auto_jobs = processes.auto_jobs


def _map(work: Iterator[Job], n: int, jobs: int, pool: ProcessPoolExecutor | None) -> Iterator[dict[str, Any]]:
    """Rows in the order of `work` (n jobs). With several processes, files go out in chunks, and only a few
    chunks per process are in flight: Executor.map would make every job and its future before the first
    result, a few MiB that grow with the county."""
    if jobs <= 1 or n < 2:
        yield from map(score_one, work)
        return
    if pool is None:
        with workers(jobs) as own:
            yield from _map(work, n, jobs, own)
        return
    size = max(1, min(64, n // (jobs * 8)))
    chunks = iter(lambda: list(islice(work, size)), [])
    flight = deque(pool.submit(score_chunk, c) for c in islice(chunks, IN_FLIGHT * jobs))
    try:
        while flight:
            rows = flight.popleft().result()
            for c in islice(chunks, 1):
                flight.append(pool.submit(score_chunk, c))
            yield from rows
    finally:
        for pending in flight:   # stopped early (an interrupt, a failing sink): nothing more is started
            pending.cancel()


IN_FLIGHT = 4   # chunks per process sent ahead: enough that no process waits for the next


def score_chunk(chunk: list[Job]) -> list[dict[str, Any]]:
    return [score_one(job) for job in chunk]


def text_summary(summary: Summary) -> str:
    from .textout import signed, table
    s = summary.to_json()
    lines = [f"共 {s['files']} 份：评分 {s['scored']} 份，无法评分 {s['failed']} 份" + (f"；另有 {len(summary.skipped)} 个文件未读取" if summary.skipped else "") + "。", "",
             table(["等级", "单位数"], [[g, str(n)] for g, n in s["grades"].items()], "<>", last_free=False)]
    top = summary.largest_differences()
    if top:
        lines += ["", "自报总分与规则总分差异最大的单位：",
                  table(["单位", "规则总分", "自报总分", "差异", "文件"],
                        [[r["unit"], fmt(r["total"]), fmt(r["stated_total"]),
                          signed(r["difference"]), r["file"]] for r in top], "<>>><")]
    if summary.errors:
        lines += ["", "无法评分的文件："]
        for e in summary.errors:   # with the same hint the web and `score` give
            lines.append(f"  {e['file']}" + (f":{e['line']}" if e["line"] else "") + f"：{e['message']}")
            if e.get("hint"):
                lines.append(f"      提示：{e['hint']}")
    if summary.duplicates:
        lines += ["", "同一单位、年度、类型提交了不止一份（均已评分，请核实以哪一份为准）："]
        lines += [f"  {u}（{y} 年度，{KIND_LABELS.get(k, k)}）：{'、'.join(files)}" for (u, y, k), files in summary.duplicates.items()]
    if summary.skipped:
        lines += ["", f"未读取的文件 {len(summary.skipped)} 个："]
        lines += [f"  {file}：{reason}" for file, reason in summary.skipped]
    return "\n".join(lines)
