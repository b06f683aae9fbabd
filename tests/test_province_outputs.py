"""Outputs at province size (issue 26 item 3): the county workbook never passes Excel's 1,048,576 rows a
sheet; a list that would continues on numbered sheets, and the first sheet's tab says how many follow.
Held here with the limit lowered, so that the continuation is exercised on a few units."""

from __future__ import annotations

from openpyxl import load_workbook

from perfrules.engine.batch import XlsxSink

from .conftest import SEED


def test_a_sheet_past_the_row_limit_continues_on_numbered_sheets(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from perfrules.cli import main
    monkeypatch.setattr(XlsxSink, "MAX_ROWS", 8)   # a header and 7 rows a sheet
    units = tmp_path / "units"
    units.mkdir()
    text = SEED.read_text(encoding="utf-8")
    for i in range(5):
        (units / f"u{i}.yaml").write_text(text.replace("unit: 子洲县人力资源和社会保障局", f"unit: 单位{i}", 1), encoding="utf-8")
    out = tmp_path / "汇总.xlsx"
    run = CliRunner().invoke(main, ["batch", str(units), "-o", str(out), "--jobs", "1"])
    assert run.exit_code in (0, 4), run.output
    wb = load_workbook(out)
    findings = [ws for ws in wb.worksheets if ws.title.startswith("问题清单")]
    assert len(findings) >= 3
    assert findings[0].title == f"问题清单（续{len(findings) - 1}表）"
    assert [ws.title for ws in findings[1:]] == [f"问题清单（{i}）" for i in range(2, len(findings) + 1)]
    rows = [r for ws in findings for r in ws.iter_rows(min_row=2, values_only=True)]
    assert all(ws.max_row <= 8 for ws in findings)
    assert all(ws["A1"].value == "单位" for ws in findings)            # each continues with the header
    from perfrules.engine.api import check_file
    expected = sum(len(check_file(p).findings) for p in sorted(units.iterdir()))
    assert len(rows) == expected                                        # nothing lost at the seams
    assert len({r[0] for r in rows}) == 5
    summary = [ws for ws in wb.worksheets if ws.title.startswith("评分汇总")]
    assert len(summary) == 1 and summary[0].max_row == 6                # 5 units fit: unchanged
