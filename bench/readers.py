"""The worst file of each kind that perfrules' limits let in, read in under 5 s: one command,
python bench/readers.py

For each reader the benchmark builds the largest file its limits accept (they are set in
engine/formats/safezip.py and engine/limits.py), times `check` of it (read, schema, scoring, checks; a
refusal is timed the same), and prints it against two baselines of the same run: the same reader on a typical
file (the shipped example in that format), and the stated allowance of 5 s per file. A reader that is not
linear in its input shows here as a ratio far above the file-size ratio.

    worst xlsx, cells      4,990 rows × 30 columns, every text a shared string (MAX_CELLS, MAX_SHEET_ROWS)
    worst xlsx, merges     10,000 merged ranges of 5 cells (MAX_MERGED_RANGES, MAX_MERGED_CELLS)
    worst xlsx, layout     the cells file with its sheet not named as perfrules' form: the table model reads it
    worst docx, tables     300 tables (the table limit), 20 rows each
    worst docx, merged     one 1,000-row indicator table whose 一级 / 二级 columns are merged vertically
    worst yaml             a 4 MB submission near the node limit (refused by the schema: 1,000 indicators)
    worst ruleset          5,000 categories (refused by rulesets check)
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ALLOWANCE = 5.0
SEED = ROOT / "examples" / "zizhou-hrss-2024.yaml"


def timed(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def check(path: Path, rulesets: list[str] | None = None) -> str:
    from perfrules.engine.api import check_file
    from perfrules.engine.errors import PerfrulesError
    try:
        card = check_file(path, None, rulesets or [])
        return f"read ({len(card.indicators)} indicators)"
    except PerfrulesError as exc:
        return f"refused {exc.first.code}"


def worst_cells(folder: Path, title: str = "绩效指标") -> Path:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "自评得分"])
    for i in range(4990):
        ws.append(["产出指标", "数量指标", f"指标{i}", "≥10", "10", 1, 1] + [f"文字{i}-{j}" for j in range(23)])
    path = folder / f"cells-{title}.xlsx"
    wb.save(path)
    return path


def worst_merges(folder: Path) -> Path:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "绩效指标"
    ws.append(["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "自评得分"])
    ws.append(["产出指标", "数量指标", "指标", "≥10", "10", 1, 1])
    buf = io.BytesIO()
    wb.save(buf)
    from openpyxl.utils import get_column_letter
    refs = []
    for group in range(10):   # 10 groups of 5 columns × 1,000 rows = 10,000 ranges, 50,000 cells
        a, b = get_column_letter(10 + 5 * group), get_column_letter(14 + 5 * group)
        refs += [f'<mergeCell ref="{a}{r}:{b}{r}"/>' for r in range(3, 1003)]
    merges = f'<mergeCells count="{len(refs)}">{"".join(refs)}</mergeCells>'.encode()
    path = folder / "merges.xlsx"
    _rewrite(buf.getvalue(), path, "xl/worksheets/sheet1.xml", lambda c: c.replace(b"</sheetData>", b"</sheetData>" + merges, 1))
    return path


def _rewrite(data: bytes, path: Path, member: str, change) -> None:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            dst.writestr(info.filename, change(content) if info.filename == member else content)
    path.write_bytes(out.getvalue())


def worst_tables(folder: Path) -> Path:
    from docx import Document
    doc = Document()
    doc.add_paragraph("某县 2024 年度部门整体支出绩效自评报告")
    for t in range(300):
        table = doc.add_table(rows=20, cols=5)
        for r, row in enumerate(table.rows):
            for c, cell in enumerate(row.cells):
                cell.text = f"表{t}行{r}列{c}"
    path = folder / "tables.docx"
    doc.save(path)
    return path


def worst_merged_table(folder: Path) -> Path:
    from docx import Document
    from docx.oxml.simpletypes import ST_Merge
    doc = Document()
    doc.add_paragraph("某县 2024 年度部门整体支出绩效自评报告")
    table = doc.add_table(rows=1001, cols=6)
    rows = [list(tr.tc_lst) for tr in table._tbl.tr_lst]   # cells by XML: python-docx's grid is what is slow
    header = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"]
    for r, tcs in enumerate(rows):
        values = header if r == 0 else ["产出指标" if r == 1 else "", "数量指标" if r == 1 else "", f"指标{r}", "≥10", "10", "1"]
        for tc, text in zip(tcs, values):
            if text:
                tc.p_lst[0].append(_run(text))
        if r:
            for c in (0, 1):
                tcs[c].vMerge = ST_Merge.RESTART if r == 1 else ST_Merge.CONTINUE
    path = folder / "merged.docx"
    doc.save(path)
    return path


def _run(text: str):
    from docx.oxml import OxmlElement
    run, t = OxmlElement("w:r"), OxmlElement("w:t")
    t.text = text
    run.append(t)
    return run


def worst_yaml(folder: Path) -> Path:
    import yaml
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    rows = [{"level1": "产出指标", "level2": "数量指标", "name": f"指标{i}", "target": "≥10", "actual": "10", "points": 1,
             "explanation": "说" * 40} for i in range(19000)]
    path = folder / "big.yaml"
    data = yaml.safe_dump({**seed, "indicators": rows}, allow_unicode=True, width=1000).encode("utf-8")
    data = data[: 4 * 1024 * 1024 - 100]
    path.write_bytes(data[: data.rfind(b"\n- ")] + b"\n")   # whole rows, just under the 4 MB limit
    return path


def worst_ruleset(folder: Path) -> tuple[Path, Path]:
    import yaml
    rules = folder / "rulesets"
    rules.mkdir()
    data = {"schema_version": 1, "id": "bench/big", "version": "1", "title": "五千个类别", "extends": "cn/unit-overall@2024.1",
            "applies_to": {"kinds": ["unit-overall"], "years": {"from": 2024, "to": 2024}}, "priority": 99,
            "categories": [{"key": f"c{i}", "label": f"类别{i}", "points": 0.02} for i in range(5000)]}
    (rules / "big.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return rules, SEED


def typical(folder: Path) -> dict[str, Path]:
    from perfrules.engine.api import report_file
    from perfrules.engine.formats.xlsx_form import write_workbook
    from perfrules.engine.yamlio import load_file
    xlsx = folder / "seed.xlsx"
    xlsx.write_bytes(write_workbook(load_file(SEED).data))
    docx = folder / "seed.docx"
    report_file(SEED, docx)
    return {"xlsx": xlsx, "docx": docx, "yaml": SEED}


def imports(folder: Path) -> None:
    """`import` of a typical Word report (the seed's, 8-10 pages) against 0.5 s, and of the same report as PDF
    (printed by LibreOffice, when it is installed) against 2 s: the reading alone, in-process."""
    import shutil
    import subprocess
    from perfrules.engine.formats import load_document
    from perfrules.engine.api import report_file
    docx = folder / "report.docx"
    report_file(SEED, docx)
    rows = [("Word report", docx, 0.5)]
    if shutil.which("soffice"):
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{folder}/lo", "--convert-to", "pdf",
                        "--outdir", str(folder), str(docx)], capture_output=True, timeout=180)
        if (folder / "report.pdf").exists():
            rows.append(("the same as PDF", folder / "report.pdf", 2.0))
    print(f"\n{'import of':20} {'seconds':>8} {'allowance':>10} {'÷ allowance':>12}")
    for label, path, allowance in rows:
        seconds = timed(lambda p=path: load_document(p), repeat=3)
        print(f"{label:20} {seconds:>8.3f} {allowance:>9.1f}s {seconds / allowance:>11.2f}×")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="perfrules-bench-readers-"))
    base = typical(folder)
    base_time = {k: timed(lambda p=p: check(p)) for k, p in base.items()}
    rules, seed = worst_ruleset(folder)
    cases = [
        ("xlsx, cells", "xlsx", worst_cells(folder), None),
        ("xlsx, merges", "xlsx", worst_merges(folder), None),
        ("xlsx, published layout", "xlsx", worst_cells(folder, "自评表"), None),
        ("docx, 300 tables", "docx", worst_tables(folder), None),
        ("docx, merged column", "docx", worst_merged_table(folder), None),
        ("yaml, 4 MB", "yaml", worst_yaml(folder), None),
        ("ruleset, 5,000 categories", "yaml", seed, [str(rules)]),
    ]
    print(f"{'worst file':28} {'size':>10} {'seconds':>8} {'÷ typical':>10} {'÷ 5 s':>7}  outcome")
    worst_ratio = 0.0
    for label, kind, path, rulesets in cases:
        seconds = timed(lambda: check(path, rulesets), repeat=1 if "ruleset" not in label else 2)
        outcome = check(path, rulesets)
        if rulesets:
            from perfrules.engine.errors import PerfrulesError
            from perfrules.engine.ruleset import get_ruleset, search_path
            started = time.perf_counter()
            try:
                get_ruleset("bench/big@1", search_path(rulesets))
                outcome = "ruleset read"
            except PerfrulesError as exc:
                outcome = f"ruleset refused {exc.first.code}"
            seconds = time.perf_counter() - started
        ratio = seconds / ALLOWANCE
        worst_ratio = max(worst_ratio, ratio)
        print(f"{label:28} {path.stat().st_size:>10,} {seconds:>8.2f} {seconds / base_time[kind]:>9.0f}× {ratio:>6.2f}×  {outcome}")
    print(f"\ntypical files: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in base_time.items()))
    imports(folder)
    print(f"worst ÷ allowance: {worst_ratio:.2f}× ({'within' if worst_ratio <= 1 else 'OVER'} the 5 s allowance)")


if __name__ == "__main__":
    main()
