"""`perfrules batch`: score a county's worth of submissions, keep going past bad files, summarise.

Each file is scored (and checked) on its own; a worker process compiles each ruleset once. Rows come back
as small plain dicts and are sorted by file, so the output is the same bytes whatever the order of the
files and the number of jobs.
"""

from __future__ import annotations

import csv
import io
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any, Callable, Iterable, Iterator

from .api import check, ruleset_for
from .errors import PerfrulesError
from .files import collect
from .methods import fmt
from .scorecard import dumps
from .submission import load_submission

COLUMNS = [("unit", "单位"), ("year", "年度"), ("kind", "类型"), ("ruleset", "规则集"), ("total", "规则总分"),
           ("grade", "等级"), ("stated_total", "自报总分"), ("difference", "差异（自报−规则）"),
           ("errors", "错误数"), ("warnings", "警告数"), ("file", "文件")]
ERROR_COLUMNS = [("file", "文件"), ("line", "行"), ("message", "错误"), ("hint", "提示")]
TOP = 10


def score_one(job: tuple[str, str | None, tuple[str, ...]]) -> dict[str, Any]:
    """Worker: one file to one row (or one error). Never raises for a user's file."""
    file, ref, dirs = job
    try:
        sub = load_submission(file)
        card = check(sub, ruleset_for(sub, ref, dirs))
    except PerfrulesError as exc:
        d = exc.first
        return {"file": file, "error": True, "line": d.location.line, "message": d.message, "hint": d.hint or ""}
    stated = _stated_total(sub.data.get("stated") or {})
    counts = card.counts()
    return {
        "file": file, "error": False, "unit": sub.unit, "year": sub.year, "kind": sub.kind,
        "ruleset": f"{card.ruleset_id}@{card.ruleset_version}", "total": card.total, "grade": card.grade,
        "stated_total": stated, "difference": None if stated is None else stated - card.total,
        "errors": counts["error"], "warnings": counts["warning"],
    }


def _stated_total(stated: dict[str, Any]) -> Decimal | None:
    for key in ("table", "narrative"):
        value = (stated.get(key) or {}).get("total")
        if value is not None:
            return Decimal(value)
    return None


@dataclass
class BatchResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def grades(self) -> dict[str, int]:
        """Units per grade, best grade first (ranked by the highest total seen in each grade)."""
        count: dict[str, int] = {}
        best: dict[str, Decimal] = {}
        for row in self.rows:
            count[row["grade"]] = count.get(row["grade"], 0) + 1
            best[row["grade"]] = max(best.get(row["grade"], row["total"]), row["total"])
        return {g: count[g] for g in sorted(count, key=lambda g: (-best[g], g))}

    def largest_differences(self, n: int = TOP) -> list[dict[str, Any]]:
        with_diff = [r for r in self.rows if r["difference"]]
        return sorted(with_diff, key=lambda r: (-abs(r["difference"]), r["file"]))[:n]

    def summary(self) -> dict[str, Any]:
        return {"files": len(self.rows) + len(self.errors), "scored": len(self.rows), "failed": len(self.errors),
                "grades": self.grades(),
                "largest_differences": [{"unit": r["unit"], "file": r["file"], "total": r["total"],
                                         "stated_total": r["stated_total"], "difference": r["difference"]}
                                        for r in self.largest_differences()]}


def run(paths: Iterable[str | FsPath], ref: str | None, dirs: Iterable[str], jobs: int = 1,
        progress: Callable[[int], None] | None = None) -> BatchResult:
    files = [f.as_posix() for f in collect(paths)]
    work = [(f, ref, tuple(dirs)) for f in files]
    result = BatchResult()
    for row in _map(work, jobs):
        (result.errors if row.pop("error") else result.rows).append(row)
        if progress:
            progress(1)
    result.rows.sort(key=lambda r: r["file"])
    result.errors.sort(key=lambda r: r["file"])
    return result


def _map(work: list[tuple[str, str | None, tuple[str, ...]]], jobs: int) -> Iterator[dict[str, Any]]:
    if jobs <= 1 or len(work) < 2:
        yield from map(score_one, work)
        return
    chunk = max(1, min(64, len(work) // (jobs * 8)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(score_one, work, chunksize=chunk)


# ------------------------------------------------------------------------------------------- writers

def _cell(value: Any) -> str:
    if isinstance(value, Decimal):
        return fmt(value)
    return "" if value is None else str(value)


def to_csv(result: BatchResult) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([label for _, label in COLUMNS] + ["错误信息"])
    for row in result.rows:
        w.writerow([_cell(row[k]) for k, _ in COLUMNS] + [""])
    for err in result.errors:
        w.writerow([""] * (len(COLUMNS) - 1) + [err["file"], f"第 {err['line']} 行：{err['message']}" if err["line"] else err["message"]])
    # A BOM so that Excel and WPS open the Chinese headers as UTF-8.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_json(result: BatchResult) -> bytes:
    return (dumps({"rows": result.rows, "errors": result.errors, "summary": result.summary()}) + "\n").encode("utf-8")


def to_xlsx(result: BatchResult) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    sheets = [("评分汇总", COLUMNS, result.rows),
              ("差异最大", [("unit", "单位"), ("total", "规则总分"), ("stated_total", "自报总分"),
                          ("difference", "差异（自报−规则）"), ("file", "文件")], result.largest_differences()),
              ("无法评分的文件", ERROR_COLUMNS, result.errors)]
    for index, (title, columns, rows) in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet()
        ws.title = title
        ws.append([label for _, label in columns])
        for row in rows:
            ws.append([_xlsx_value(row.get(k)) for k, _ in columns])
        _style(ws, columns, rows, Font, PatternFill, Alignment)
    grades = wb.create_sheet("等级分布")
    grades.append(["等级", "单位数"])
    for grade, count in result.grades().items():
        grades.append([grade, count])
    _style(grades, [("grade", "等级"), ("count", "单位数")], [], Font, PatternFill, Alignment)
    fixed = _fixed_time()
    wb.properties.created = wb.properties.modified = fixed
    wb.properties.creator = "perfrules"
    buf = io.BytesIO()
    wb.save(buf)
    return _deterministic_zip(buf.getvalue())


def _xlsx_value(value: Any) -> Any:
    return value   # Decimal stays Decimal: openpyxl writes it through str(), so the exact digits reach the file


def _style(ws: Any, columns: list[tuple[str, str]], rows: list[dict[str, Any]], Font: Any, PatternFill: Any,
           Alignment: Any) -> None:
    from openpyxl.utils import get_column_letter
    ws.freeze_panes = "A2"
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    from .textout import width
    for i, (key, label) in enumerate(columns, start=1):
        longest = max([width(label)] + [width(_cell(r.get(key))) for r in rows[:2000]])
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest + 2))


def _fixed_time() -> Any:
    import datetime as dt
    from .reportview import rendering_date
    day = rendering_date() if _source_date_set() else dt.date(2000, 1, 1)
    return dt.datetime(day.year, day.month, day.day)


def _source_date_set() -> bool:
    import os
    return bool(os.environ.get("SOURCE_DATE_EPOCH"))


def _deterministic_zip(data: bytes) -> bytes:
    """openpyxl stamps zip entries with the current time; rewrite them with a fixed one."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


WRITERS = {".csv": to_csv, ".json": to_json, ".xlsx": to_xlsx}


def text_summary(result: BatchResult) -> str:
    from .textout import table
    s = result.summary()
    lines = [f"共 {s['files']} 份：评分 {s['scored']} 份，无法评分 {s['failed']} 份。", "",
             table(["等级", "单位数"], [[g, str(n)] for g, n in s["grades"].items()], "<>", last_free=False)]
    top = result.largest_differences()
    if top:
        lines += ["", "自报总分与规则总分差异最大的单位：",
                  table(["单位", "规则总分", "自报总分", "差异", "文件"],
                        [[r["unit"], fmt(r["total"]), fmt(r["stated_total"]), ("+" if r["difference"] > 0 else "") + fmt(r["difference"]), r["file"]]
                         for r in top], "<>>><")]
    if result.errors:
        lines += ["", "无法评分的文件："]
        lines += [f"  {e['file']}" + (f":{e['line']}" if e["line"] else "") + f"：{e['message']}" for e in result.errors]
    return "\n".join(lines)


