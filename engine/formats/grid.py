"""A unit's workbook as sheets of cells: .xlsx and .ods through calamine, .xls (and WPS .et) through xlrd.

Why two libraries: calamine (Rust) reads a sheet's values many times faster than openpyxl, and reads .ods, but
it says nothing of a cell's number format, its formula or whether its row is hidden, and a percent-formatted
0.95 is 95 % in a 自评表: read as 0.95, a target would be silently wrong. So for .xlsx and .ods the facts
calamine leaves out are read from the file's own XML in one lean pass (expat, no DTD, no entities): each
cell's number format (percent or not), whether it holds a formula and whether it has a cached value, hidden
rows and columns, merged ranges, and how far the sheet reaches. .xls is a binary format whose formats
calamine cannot give at all; xlrd reads it whole (values, formats, merges, hidden rows and columns).

The reader (xlsx.py) sees one model, `Book` of `Sheet`s, with 1-based rows and columns as Excel names them.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any
from xml.parsers import expat

Value = Any   # None, str, bool, int, float, datetime, date, time or timedelta, as the file stores it
MAX_ROWS = 5_000          # rows examined per sheet (a real 自评表 has well under 200)
MAX_COLUMNS = 16_384      # Excel's own limit; the reader looks at the first 60


@dataclass(slots=True)
class Cell:
    value: Value = None
    percent: bool = False    # a number shown as a percentage (0.95 is 95 %)
    formula: bool = False    # the cell holds a formula (its value is the cached result, None if there is none)


_EMPTY = Cell()


@dataclass
class Sheet:
    title: str
    visible: bool = True
    values: list[list[Value]] = field(default_factory=list)   # [row][col], 0-based, as the reader gave them
    max_row: int = 0
    max_column: int = 0
    percent: set[tuple[int, int]] = field(default_factory=set)    # (row, col), 1-based
    formulas: set[tuple[int, int]] = field(default_factory=set)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)   # min_row, min_col, max_row, max_col

    def cell(self, row: int, col: int) -> Cell:
        where = (row, col)
        value: Value = None
        if 0 < row <= len(self.values):
            line = self.values[row - 1]
            if 0 < col <= len(line):
                value = line[col - 1]
        if value == "" and not isinstance(value, bool):
            value = None
        percent, formula = where in self.percent, where in self.formulas
        if value is None and not formula:
            return _EMPTY
        if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
            value = int(value)   # an integer is stored as 120, read as 120.0: the integer it was
        return Cell(value, percent, formula)

    def row_hidden(self, row: int) -> bool:
        return row in self.hidden_rows

    def col_hidden(self, col: int) -> bool:
        return col in self.hidden_cols


@dataclass
class Book:
    worksheets: list[Sheet]

    @property
    def sheetnames(self) -> list[str]:
        return [ws.title for ws in self.worksheets]

    def __getitem__(self, title: str) -> Sheet:
        return next(ws for ws in self.worksheets if ws.title == title)


class BookError(Exception):
    """The file cannot be read as a workbook; the caller says so at the file."""


def read_book(path: FsPath, kind: str) -> Book:
    """`kind`: 'xlsx', 'ods' or 'xls'."""
    if kind == "xls":
        return _read_xls(path)
    from python_calamine import CalamineWorkbook, SheetVisibleEnum
    with open(path, "rb") as handle:   # by content, not by name: a workbook renamed .xls is still a workbook
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(handle.read()))
    try:
        with zipfile.ZipFile(path) as archive:
            meta = _xlsx_meta(archive) if kind == "xlsx" else _ods_meta(archive)
        sheets = []
        for info in workbook.sheets_metadata:
            sheet = meta.get(info.name) or Sheet(info.name)
            sheet.visible = info.visible == SheetVisibleEnum.Visible
            if sheet.max_row > MAX_ROWS + 1 or sheet.max_column > MAX_COLUMNS:
                sheets.append(sheet)   # its extent, without its values: the reader refuses it by its size
                continue
            sheet.values = workbook.get_sheet_by_name(info.name).to_python(skip_empty_area=False)
            sheet.max_row = max(sheet.max_row, len(sheet.values))
            sheet.max_column = max(sheet.max_column, max((len(r) for r in sheet.values), default=0))
            sheets.append(sheet)
        return Book(sheets)
    finally:
        workbook.close()


# ------------------------------------------------------------------------------------------- xlsx XML

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_PERCENT_IDS = {9, 10}   # the built-in number formats 0% and 0.00%


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _parser(start: Any, end: Any = None) -> Any:
    """An expat parser with namespaces resolved ('uri name'), that refuses any DTD (so no entity is declared,
    let alone expanded); the Office guard has bounded the part's size before."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_dtd(*_args: Any) -> None:
        raise BookError("XML 中有 DTD 声明")
    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    parser.buffer_text = True
    return parser


def _parse(archive: zipfile.ZipFile, part: str, start: Any, end: Any = None) -> None:
    try:
        data = archive.read(part)
    except KeyError:
        return
    try:
        _parser(start, end).Parse(data, True)
    except expat.ExpatError as exc:
        raise BookError(f"{part} 不是有效的 XML（第 {exc.lineno} 行）") from None


def _xlsx_meta(archive: zipfile.ZipFile) -> dict[str, Sheet]:
    percent_styles = _percent_styles(archive)
    targets: dict[str, str] = {}

    def rel(name: str, attrs: dict[str, str]) -> None:
        if name == f"{_PKG_REL} Relationship":
            target = attrs.get("Target", "")
            targets[attrs.get("Id", "")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    _parse(archive, "xl/_rels/workbook.xml.rels", rel)
    sheets: dict[str, Sheet] = {}

    def book(name: str, attrs: dict[str, str]) -> None:
        if name == f"{_MAIN} sheet":
            part = targets.get(attrs.get(f"{_REL} id", ""))
            if part:
                sheet = Sheet(attrs.get("name", ""))
                _sheet_meta(archive, part, sheet, percent_styles)
                sheets[sheet.title] = sheet
    _parse(archive, "xl/workbook.xml", book)
    return sheets


def _percent_styles(archive: zipfile.ZipFile) -> set[int]:
    """The cell style indexes whose number format shows a percentage."""
    custom: dict[int, str] = {}
    styles: list[int] = []
    depth = {"xfs": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == f"{_MAIN} numFmt":
            custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif name == f"{_MAIN} cellXfs":
            depth["xfs"] = True
        elif name == f"{_MAIN} xf" and depth["xfs"]:
            styles.append(int(attrs.get("numFmtId", "0")))

    def end(name: str) -> None:
        if name == f"{_MAIN} cellXfs":
            depth["xfs"] = False
    _parse(archive, "xl/styles.xml", start, end)
    return {i for i, fmt in enumerate(styles) if fmt in _PERCENT_IDS or "%" in custom.get(fmt, "")}


def _sheet_meta(archive: zipfile.ZipFile, part: str, sheet: Sheet, percent_styles: set[int]) -> None:
    state = {"row": 0, "col": 0}

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = name[len(_MAIN) + 1:] if name.startswith(_MAIN) else ""
        if tag == "c":
            ref = _CELL_REF.fullmatch(attrs.get("r", ""))
            if ref:
                row, col = int(ref.group(2)), _column(ref.group(1))
            else:   # no reference: the next cell along
                row, col = state["row"], state["col"] + 1
            state["row"] = row
            state["col"] = col
            sheet.max_row, sheet.max_column = max(sheet.max_row, row), max(sheet.max_column, col)
            style = attrs.get("s")
            if style is not None and int(style) in percent_styles and attrs.get("t", "n") == "n":
                sheet.percent.add((row, col))
        elif tag == "f":   # a formula: its value is the cached result calamine reads, if there is one
            sheet.formulas.add((state["row"], state["col"]))
        elif tag == "row":
            row = int(attrs.get("r") or state["row"] + 1)
            state["row"], state["col"] = row, 0
            if attrs.get("hidden") in ("1", "true"):
                sheet.hidden_rows.add(row)
        elif tag == "col":
            if attrs.get("hidden") in ("1", "true"):
                first, last = int(attrs.get("min", "1")), int(attrs.get("max", "1"))
                sheet.hidden_cols.update(range(first, min(last, 16384) + 1))
        elif tag == "mergeCell":
            refs = [_CELL_REF.fullmatch(r) for r in attrs.get("ref", "").split(":")]
            a, b = (refs + [None, None])[:2] if len(refs) == 2 else (None, None)
            if a is not None and b is not None:
                sheet.merges.append((int(a.group(2)), _column(a.group(1)), int(b.group(2)), _column(b.group(1))))
    _parse(archive, part, start)


# ------------------------------------------------------------------------------------------- ods XML

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_MAX_REPEAT = 20_000   # a sheet's trailing blank rows are one row repeated a million times: not cells


def _ods_meta(archive: zipfile.ZipFile) -> dict[str, Sheet]:
    sheets: dict[str, Sheet] = {}
    state: dict[str, Any] = {"sheet": None, "row": 0, "col": 0, "row_repeat": 1}

    def start(name: str, attrs: dict[str, str]) -> None:
        if not name.startswith(_TABLE):
            return
        tag = name[len(_TABLE) + 1:]
        sheet: Sheet | None = state["sheet"]
        if tag == "table":
            state["sheet"] = sheets.setdefault(attrs.get(f"{_TABLE} name", ""), Sheet(attrs.get(f"{_TABLE} name", "")))
            state["row"], state["col"] = 0, 0
        elif sheet is None:
            return
        elif tag == "table-column":
            repeat = min(int(attrs.get(f"{_TABLE} number-columns-repeated", "1")), _MAX_REPEAT)
            first = state["col"] + 1
            state["col"] += repeat
            if attrs.get(f"{_TABLE} visibility", "visible") != "visible":
                sheet.hidden_cols.update(range(first, first + repeat))
        elif tag == "table-row":
            repeat = min(int(attrs.get(f"{_TABLE} number-rows-repeated", "1")), _MAX_REPEAT)
            state["row_repeat"] = repeat
            first = state["row"] + 1
            state["row"] += 1
            state["col"] = 0
            if attrs.get(f"{_TABLE} visibility", "visible") != "visible":
                sheet.hidden_rows.update(range(first, first + repeat))
        elif tag in ("table-cell", "covered-table-cell"):
            repeat = min(int(attrs.get(f"{_TABLE} number-columns-repeated", "1")), _MAX_REPEAT)
            row, col = state["row"], state["col"] + 1
            state["col"] += repeat
            kind = attrs.get(f"{_OFFICE} value-type")
            rows_here = range(row, row + state["row_repeat"])
            if kind is not None or tag == "covered-table-cell":
                sheet.max_row = max(sheet.max_row, rows_here[-1])
                sheet.max_column = max(sheet.max_column, col + repeat - 1)
            if kind == "percentage":
                sheet.percent.update((r, c) for r in rows_here for c in range(col, col + repeat))
            if f"{_TABLE} formula" in attrs and kind is None:
                sheet.formulas.update((r, c) for r in rows_here for c in range(col, col + repeat))
            rows = int(attrs.get(f"{_TABLE} number-rows-spanned", "1"))
            cols = int(attrs.get(f"{_TABLE} number-columns-spanned", "1"))
            if rows > 1 or cols > 1:
                sheet.merges.append((row, col, row + rows - 1, col + cols - 1))

    def end(name: str) -> None:
        if name == f"{_TABLE} table-row":
            state["row"] += state["row_repeat"] - 1
            state["row_repeat"] = 1
    _parse(archive, "content.xml", start, end)
    return sheets


# ------------------------------------------------------------------------------------------- xls

def _read_xls(path: FsPath) -> Book:
    import xlrd
    from .safezip import MAX_OFFICE_BYTES
    if path.stat().st_size > MAX_OFFICE_BYTES:
        raise BookError(f"工作簿过大（上限 {MAX_OFFICE_BYTES} 字节）")
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True, logfile=_Quiet())
    except xlrd.XLRDError as exc:
        raise BookError(str(exc)) from None
    try:
        percent_xf = {i for i, xf in enumerate(book.xf_list)
                      if "%" in getattr(book.format_map.get(xf.format_key), "format_str", "")}
        sheets = []
        for index in range(book.nsheets):
            ws = book.sheet_by_index(index)
            sheet = Sheet(ws.name, visible=ws.visibility == 0, max_row=ws.nrows, max_column=ws.ncols)
            for r in range(ws.nrows if ws.nrows <= MAX_ROWS + 1 else 0):   # past the limit: its extent alone
                line: list[Value] = []
                for c in range(ws.ncols):
                    cell = ws.cell(r, c)
                    line.append(_xls_value(cell, book.datemode))
                    if cell.ctype == xlrd.XL_CELL_NUMBER and cell.xf_index in percent_xf:
                        sheet.percent.add((r + 1, c + 1))
                sheet.values.append(line)
            sheet.hidden_rows = {r + 1 for r, info in ws.rowinfo_map.items() if info.hidden}
            sheet.hidden_cols = {c + 1 for c, info in ws.colinfo_map.items() if info.hidden}
            sheet.merges = [(r0 + 1, c0 + 1, r1, c1) for r0, r1, c0, c1 in ws.merged_cells]
            sheets.append(sheet)
            book.unload_sheet(index)
        return Book(sheets)
    finally:
        book.release_resources()


def _xls_value(cell: Any, datemode: int) -> Value:
    import xlrd
    kind = cell.ctype
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if kind == xlrd.XL_CELL_DATE:
        when = xlrd.xldate_as_datetime(cell.value, datemode)
        return when.date() if when.time() == dt.time(0) else when
    return cell.value


class _Quiet:
    """xlrd's log (warnings about the file's structure) is not the user's business."""

    def write(self, _text: str) -> None:
        pass
