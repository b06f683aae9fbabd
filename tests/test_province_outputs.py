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


def _cell_per_value(self: XlsxSink, ws: object, values: list[object]) -> None:
    """How the county workbook wrote a row of its long sheets before issue 26: through openpyxl, one cell
    object per value, text always a string cell. The reference the faster writer is held to, byte for byte."""
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


def _long_by_openpyxl(self: XlsxSink, name: str, values: list[object]) -> None:
    ws = self.parts[name][-1]
    if self.rows[ws.title] >= self.MAX_ROWS:
        ws = self._sheet(f"{name}（{len(self.parts[name]) + 1}）", ws._perfrules_columns)
        self.rows[ws.title] = 1
        self.parts[name].append(ws)
    _cell_per_value(self, ws, values)
    self.rows[ws.title] += 1


def _workbook(rows: dict[str, list[list[object]]], reference: bool) -> bytes:
    from perfrules.engine.sinks import Summary
    sink = XlsxSink()
    try:
        if reference:
            sink._long = _long_by_openpyxl.__get__(sink)   # type: ignore[method-assign]
        for name, values in rows.items():
            for row in values:
                sink._long(name, row)
        return b"".join(sink.finish(Summary()))
    finally:
        sink.close()


def test_the_workbook_rows_are_the_bytes_openpyxl_wrote(monkeypatch):
    """The long sheets' rows are written as sheet XML by perfrules (a province has tens of millions of cells)
    and spliced into the sheets openpyxl saved. Over generated rows of text (formulas, error codes, control
    characters, spaces, every script), numbers, formatted Decimals, booleans and blanks, on all three long
    sheets and their continuation sheets, the whole workbook is byte for byte what openpyxl wrote for the same
    rows, a cell object per value."""
    from hypothesis import given, settings, strategies as st

    from perfrules.engine.sinks import CATEGORY_COLUMNS, COLUMNS, FINDING_COLUMNS
    monkeypatch.setattr(XlsxSink, "MAX_ROWS", 4)   # a header and 3 rows a sheet: continuations on a few rows
    texts = st.one_of(st.text(max_size=12), st.sampled_from(["=HYPERLINK(\"x\")", "=", "#N/A", "#DIV/0!", " 空格 ",
                                                             "\x01控制", "+1", "@a", "-3", "a&b<c>\r\n\t", "😀", "\u3000x"]))
    numbers = st.one_of(st.integers(-10**6, 10**6), st.decimals(allow_nan=False, allow_infinity=False, places=2,
                                                                min_value=-10**6, max_value=10**6))
    value = st.one_of(st.none(), texts, numbers, st.booleans())

    def rows(columns: list[tuple[str, str]]) -> st.SearchStrategy[list[list[object]]]:
        return st.lists(st.lists(value, min_size=len(columns), max_size=len(columns)), max_size=7)

    @settings(max_examples=25, deadline=None)
    @given(rows(COLUMNS), rows(FINDING_COLUMNS), rows(CATEGORY_COLUMNS))
    def check(main: list[list[object]], findings: list[list[object]], categories: list[list[object]]) -> None:
        generated = {"评分汇总": main, "问题清单": findings, "分类得分": categories}
        assert _workbook(generated, reference=False) == _workbook(generated, reference=True)
    check()
    # The workbook holds the rows (the comparison would pass on two empty ones).
    import io

    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(_workbook({"分类得分": [["单位", "类别", 1, None, True, "x", "f"]] * 5}, False)))
    assert [ws.title for ws in wb.worksheets][:4] == ["评分汇总", "问题清单", "分类得分（续1表）", "分类得分（2）"]
    assert wb.worksheets[2]["A4"].value == "单位" and wb.worksheets[3]["C3"].value == 1 and wb.worksheets[3]["D3"].value is None


def _reference_dumps(value: object, indent: int | None) -> str:
    """perfrules' JSON before its leaves were written without json.dumps: every leaf through json.dumps."""
    import json
    from decimal import Decimal
    if isinstance(value, Decimal):
        return format(value, "f")
    if indent is None:
        if isinstance(value, dict):
            return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_reference_dumps(v, None)}"
                                  for k, v in value.items()) + "}"
        if isinstance(value, (list, tuple)):
            return "[" + ",".join(_reference_dumps(v, None) for v in value) + "]"
        return json.dumps(value, ensure_ascii=False)
    return _reference_dump(value, indent, 0)


def _reference_dump(value: object, indent: int, level: int) -> str:
    import json
    from decimal import Decimal
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dict, list)) and value:
        pad, inner = " " * (indent * level), " " * (indent * (level + 1))
        if isinstance(value, dict):
            items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_reference_dump(v, indent, level + 1)}"
                     for k, v in value.items()]
            return "{\n" + ",\n".join(items) + f"\n{pad}}}"
        return "[\n" + ",\n".join(f"{inner}{_reference_dump(v, indent, level + 1)}" for v in value) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def test_summary_json_is_what_json_dumps_wrote():
    """The JSON summary and the review page's data write texts, numbers and literals without json.dumps's
    machinery (a province's summary has millions of them): over generated documents, compact and indented,
    the text is json.dumps's, character for character."""
    from hypothesis import given, settings, strategies as st

    from perfrules.engine.scorecard import dumps
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.floats(allow_nan=False),
                       st.decimals(allow_nan=False, allow_infinity=False))
    documents = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                             st.dictionaries(st.text(max_size=5), inner, max_size=4)),
                             max_leaves=20)

    @settings(max_examples=300, deadline=None)
    @given(documents)
    def check(document: object) -> None:
        assert dumps(document, indent=None) == _reference_dumps(document, None)
        assert dumps(document) == _reference_dumps(document, 2)
    check()
