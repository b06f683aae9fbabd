"""Outputs at province size (issue 26 item 3): the county workbook never passes Excel's 1,048,576 rows a
sheet; a list that would continues on numbered sheets, and the first sheet's tab says how many follow.
Held here with the limit lowered, so that the continuation is exercised on a few units."""

from __future__ import annotations

from openpyxl import load_workbook

from perfrules.engine.sinks import XlsxSink

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


def _sheet_xml(sink: XlsxSink, rows: list[list[object]]) -> bytes:
    """The XML of the 分类得分 sheet (the workbook's third) with `rows` written to it."""
    import zipfile
    for row in rows:
        sink._long("分类得分", row)
    path = sink._tmp.name + "/t.xlsx"
    sink.wb.save(path)
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet3.xml")


def _cell_per_value(self: XlsxSink, ws: object, values: list[object], columns: object = None) -> None:
    """How the county workbook wrote a row before issue 26: one cell object per value, text always a string
    cell. The reference the faster writer is held to, byte for byte."""
    from decimal import Decimal

    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from perfrules.engine.sinks import _FORMATS
    cells = []
    keys = [k for k, _ in ws._perfrules_columns]   # type: ignore[attr-defined]
    for key, value in zip(keys, values):
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        cell = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        elif isinstance(value, Decimal) and key in _FORMATS:
            cell.number_format = _FORMATS[key]
        cells.append(cell)
    ws.append(cells)   # type: ignore[attr-defined]


def test_the_workbook_rows_are_the_bytes_a_cell_per_value_wrote():
    """The long sheets write plain values through openpyxl's reused cell (a province has tens of millions of
    cells): over generated rows of text (formulas, error codes, control characters, blanks), numbers and
    formatted Decimals, the sheet's XML is byte for byte what a cell object per value gave."""
    from hypothesis import given, settings, strategies as st

    from perfrules.engine.sinks import CATEGORY_COLUMNS
    texts = st.one_of(st.text(max_size=12), st.sampled_from(["=HYPERLINK(\"x\")", "=", "#N/A", "#DIV/0!", " 空格 ",
                                                             "\x01控制", "+1", "@a", "-3"]))
    numbers = st.one_of(st.integers(-10**6, 10**6), st.decimals(allow_nan=False, allow_infinity=False, places=2,
                                                                min_value=-1000, max_value=1000))
    value = st.one_of(st.none(), texts, numbers, st.booleans())
    rows = st.lists(st.lists(value, min_size=len(CATEGORY_COLUMNS), max_size=len(CATEGORY_COLUMNS)), max_size=6)

    @settings(max_examples=60, deadline=None)
    @given(rows)
    def check(generated: list[list[object]]) -> None:
        written = []
        for way in ("fast", "reference"):   # one sink at a time: each points tempfile at its own folder
            sink = XlsxSink()
            try:
                if way == "reference":
                    sink._append = _cell_per_value.__get__(sink)   # type: ignore[method-assign]
                written.append(_sheet_xml(sink, generated))
            finally:
                sink.close()
        assert written[0] == written[1]
        assert all(f'<row r="{len(generated) + 1}"'.encode() in xml for xml in written)   # the rows are in it
    check()
