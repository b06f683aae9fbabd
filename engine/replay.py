"""`perfrules replay`: what a ruleset change does to the units it scores, before it is published."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any, Iterable

from . import processes
from .api import ruleset_for
from .errors import PerfrulesError, internal_message
from .collect import collect
from .files import display_path, inert
from .textout import signed
from .methods import fmt
from .ruleset import Ruleset, forget_lookups, get_ruleset, remember_lookups, search_path
from .scoring import score
from .plan import totals
from .submission import Submission, load_submission

@dataclass
class Row:
    file: str
    unit: str | None = None
    before_ruleset: str | None = None
    before_total: Decimal | None = None
    before_grade: str | None = None
    after_total: Decimal | None = None
    after_grade: str | None = None
    error: str | None = None

    @property
    def change(self) -> Decimal | None:
        if self.before_total is None or self.after_total is None:
            return None
        return self.after_total - self.before_total

    @property
    def crossed(self) -> bool:
        return self.error is None and self.before_grade != self.after_grade

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "unit": self.unit, "baseline": self.before_ruleset,
                "before": {"total": self.before_total, "grade": self.before_grade},
                "after": {"total": self.after_total, "grade": self.after_grade},
                "change": self.change, "grade_changed": self.crossed, "error": self.error}


def replay(paths: Iterable[str | FsPath], against: str, baseline: str | None,
           dirs: Iterable[str | FsPath] = (), trust_submission: bool = False, jobs: int = 1,
           fallback: bool = False) -> tuple[Ruleset, list[Row]]:
    """Each file's total and grade under the baseline and under `against`, in file order, in `jobs`
    processes (the same rows whatever the number; `fallback`: see processes.pool)."""
    path = search_path(dirs)
    after = get_ruleset(against, path)
    before_fixed = get_ruleset(baseline, path) if baseline else None
    dirs = tuple(dirs)
    with processes.pool(jobs, _worker_start, fallback) as workers:
        found = collect(paths)
        if workers is None or len(found.files) < 2:
            remember_lookups()
            try:
                rows = [_replay_one(file, after, before_fixed, dirs, trust_submission) for file in found.files]
            finally:
                forget_lookups()
        else:   # each process resolves the two rulesets once (a compiled ruleset is not sent between them)
            work = [(file, against, baseline, dirs, trust_submission) for file in found.files]
            rows = list(workers.map(_replay_job, work, chunksize=max(1, min(64, len(work) // (jobs * 8)))))
    rows += [Row(file, error=f"{file}: 未读取：{reason}") for file, reason in found.skipped]
    return after, rows


def _worker_start() -> None:
    remember_lookups()


def _replay_job(job: tuple[str, str, "str | None", tuple[str | FsPath, ...], bool]) -> Row:
    file, against, baseline, dirs, trust_submission = job
    path = search_path(dirs)
    after = get_ruleset(against, path)   # compiled once per process (the ruleset cache)
    before_fixed = get_ruleset(baseline, path) if baseline else None
    return _replay_one(file, after, before_fixed, dirs, trust_submission)


def _replay_one(file: str | FsPath, after: Ruleset, before_fixed: Ruleset | None, dirs: Iterable[str | FsPath],
                trust_submission: bool) -> Row:
    row = Row(display_path(file))
    try:
        sub = load_submission(file, row.file)
        before = before_fixed or ruleset_for(sub, None, dirs, trust_submission)
        a, b = _total_and_grade(sub, before), _total_and_grade(sub, after)
        row.unit, row.before_ruleset = sub.unit, before.ref   # only for a file scored under both
        (row.before_total, row.before_grade), (row.after_total, row.after_grade) = a, b
    except PerfrulesError as exc:
        row.error = str(exc.first)
    except Exception as exc:  # noqa: BLE001 - one file's fate: a bug must not end the replay
        row.error = f"{row.file}: {internal_message(exc)}"
    return row


def _total_and_grade(sub: Submission, rs: Ruleset) -> tuple[Decimal, str]:
    """A replay compares totals and grades only: the numbers-only plan where it answers (engine/plan.py,
    held to the scorer by tests/test_plan.py), else the scorer."""
    planned = totals(sub.doc, rs)
    if planned is not None:
        return planned
    card = score(sub, rs)
    return card.total, card.grade


def grade_counts(rows: list[Row], after: Ruleset) -> list[tuple[str, int, int]]:
    labels = [g.label for g in sorted(after.grades, key=lambda g: g.min, reverse=True)]
    for r in rows:
        for g in (r.before_grade, r.after_grade):
            if g and g not in labels:
                labels.append(g)
    ok = [r for r in rows if r.error is None]
    return [(g, sum(r.before_grade == g for r in ok), sum(r.after_grade == g for r in ok)) for g in labels]


def to_csv(rows: list[Row]) -> str:
    """The replay as CSV, with a BOM so that Excel and WPS open the Chinese headers as UTF-8 (as batch's)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["文件", "单位", "原规则集", "原总分", "原等级", "新总分", "新等级", "变化", "等级变化", "错误"])
    for r in rows:
        writer.writerow([inert(r.file), inert(r.unit or ""), inert(r.before_ruleset or ""), fmt(r.before_total),
                         inert(r.before_grade or ""), fmt(r.after_total), inert(r.after_grade or ""), signed(r.change),
                         "是" if r.crossed else "", inert(r.error or "")])
    return buf.getvalue()


def text(after: Ruleset, rows: list[Row]) -> str:
    from .textout import table
    good = [r for r in rows if r.error is None]
    body = table(["单位", "原规则集", "原总分", "原等级", "新总分", "新等级", "变化", "文件"],
                 [[r.unit or "", r.before_ruleset or "", fmt(r.before_total), r.before_grade or "",
                   fmt(r.after_total), r.after_grade or "", signed(r.change) + (" ※" if r.crossed else ""), r.file]
                  for r in good], "<<><><><")
    out = [f"按 {after.ref} 重新评分 {len(rows)} 份自评数据（※ 表示等级变化）", body, ""]
    counts = grade_counts(rows, after)
    out.append(table(["等级", "原", "新", "变化"], [[g, str(a), str(b), signed(Decimal(b - a))] for g, a, b in counts],
                     "<>>>", last_free=False))
    crossed = [r for r in good if r.crossed]
    out.append(f"\n等级变化 {len(crossed)} 个单位" + ("：" + "、".join(f"{r.unit}（{r.before_grade}→{r.after_grade}）"
                                                             for r in crossed) if crossed else "。"))
    bad = [r for r in rows if r.error]
    if bad:
        out.append(f"\n无法评分的文件 {len(bad)} 个：")
        out += [f"  {r.error}" for r in bad]
    return "\n".join(out)


def to_html(after: Ruleset, rows: list[Row], back: str | None = None) -> str:
    """The replay as a review page: every unit before and after, grade crossings first."""
    from .review import page
    units = []
    for r in rows:
        if r.error is not None:
            continue
        change = r.change
        units.append([r.unit or "", r.file, r.before_ruleset or "", fmt(r.after_total), r.after_total,
                      r.after_grade or "", fmt(r.before_total), r.before_total, r.before_grade or "",
                      fmt(change) if change is not None else "", change, 1 if r.crossed else 0, 0,
                      [["提示", "等级变化", f"{r.before_grade} → {r.after_grade}", ""]] if r.crossed else [],
                      [], f"{r.before_ruleset} → {after.ref}"])
    failed = [[r.file, r.error or ""] for r in rows if r.error is not None]
    order = [g.label for g in sorted(after.grades, key=lambda g: g.min, reverse=True)]
    return page(f"规则集变更对比：按 {after.ref} 重新评分", units, failed, [], order, replay={"against": after.ref},
                back=back)
