"""The 自评表 as a workbook (.xlsx, .xls, WPS .et or .ods), read as a submission (xlsx_form.py writes it).

The file is read into sheets of cells by grid.py (calamine, or xlrd for the binary formats). Cells are read
as the spreadsheet stores them. A percent-formatted 0.95 is 95 %; a formula gives its cached value,
and one without a cached value (a file never opened in a spreadsheet program) is an error naming the cell;
dates stored as serial numbers become dates; numbers stored as text, with thousands separators or
full-width digits, are numbers where a number belongs; merged cells give their value to every row they
span; hidden and blank rows are skipped; extra columns are ignored. Every value keeps its cell, so messages
read `自评表.xlsx!绩效指标!E12`. Macros (.xlsm) are never run: no reader here runs anything.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any, Iterable

from ..errors import Location, Path, PerfrulesError, error
from ..files import display_path
from ..limits import NumberError, check_number
from ..yamlio import Document, load_text
import perfrules.engine.formats.layout as L
from .safezip import check_office_file
from .grid import MAX_ROWS


# =========================================================================================== reading

def read_workbook(path: FsPath, name: str, vocabulary_dirs: tuple[str, ...] = (), kind: str = "xlsx") -> Document:
    """A workbook as a Document for the submission builder: data, and the cell of every value. perfrules' own
    form is read sheet by sheet; any other workbook through the table model, as a Word table is."""
    return import_workbook(path, name, vocabulary_dirs, kind).document


def open_book(path: FsPath, name: str, kind: str = "xlsx") -> Any:
    """A unit's workbook as sheets of cells (grid.Book): through the Office guard first for the zip formats;
    whatever the readers raise on it is that file's problem, E-FORMAT with its name. `kind`: xlsx, ods, xls."""
    from .grid import BookError, read_book
    if kind != "xls":
        check_office_file(path, name, "工作簿")
    try:
        return read_book(path, kind)
    except PerfrulesError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure on a user's file is that file's problem
        why = str(exc) if isinstance(exc, BookError) else type(exc).__name__
        if kind == "xls" and not (isinstance(exc, BookError) and "过大" in why):   # xlrd: CompDocError, XLRDError, …
            raise error("这个工作簿已加密、已损坏，或不是 Excel 97–2003 工作簿，无法读取", Location(display_path(name)),
                        "用 Excel、WPS 或 LibreOffice 打开，取消密码后另存为 .xlsx", code="E-FORMAT") from None
        raise error(f"无法读取工作簿：{why}", Location(display_path(name)),
                    "用 Excel、WPS 或 LibreOffice 打开后另存为 .xlsx 再试", code="E-FORMAT") from None


def open_workbook(path: FsPath, name: str) -> Any:
    """A workbook through the Office guard, then openpyxl (formulas as written), for what needs openpyxl's
    model (the bureau's ruleset workbook, its drop-downs and locked cells); whatever openpyxl raises on it is
    that file's problem, E-FORMAT with its name."""
    check_office_file(path, name, "工作簿")
    from openpyxl import load_workbook
    try:
        import warnings
        with open(path, "rb") as handle, warnings.catch_warnings():   # opened by us: openpyxl refuses a
            warnings.simplefilter("ignore")   # workbook by its name (.xls); its warnings are not the user's
            return load_workbook(io.BytesIO(handle.read()), data_only=False)
    except PerfrulesError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure on a user's file is that file's problem
        raise error(f"无法读取工作簿：{type(exc).__name__}", Location(display_path(name)),
                    "用 Excel、WPS 或 LibreOffice 打开后另存为 .xlsx 再试", code="E-FORMAT") from None


def import_workbook(path: FsPath, name: str, vocabulary_dirs: tuple[str, ...] = (), kind: str = "xlsx") -> Any:
    """The workbook read with its reading report (an ImportResult, as `perfrules import` writes it). perfrules'
    own form reads as it always has, with nothing to report; a 自评表 kept in Excel in a published layout (one
    table from 项目名称 to 总分) is read by the table model."""
    from .blocks import ImportResult
    reader = _Reader(open_book(path, name, kind), display_path(name))
    result = reader.read_tables(vocabulary_dirs) if not reader.is_form() else ImportResult(reader.read())
    from ..limits import sha256_hex
    result.document.sha256 = sha256_hex(path.read_bytes())
    result.document.encoding = kind
    return result


class _Reader:
    def __init__(self, wb: Any, name: str):
        self.wb, self.name = wb, name
        self.cells: dict[Path, str] = {}
        self._merges: dict[str, dict[tuple[int, int], tuple[int, int]]] = {}

    # -------------------------------------------------------------- cells
    def where(self, ws: Any, row: int, col: int) -> str:
        return f"{ws.title}!{_letters(col)}{row}"

    def value(self, ws: Any, row: int, col: int, kind: str = "text") -> Any:
        """The value of a cell as the submission wants it. kind: text | number | int."""
        cell = ws.cell(row, col)
        if cell.value is None and not cell.formula:
            top = self._merged_top(ws, row, col)
            if top is not None:
                cell = ws.cell(*top)
        value = cell.value
        if value is None and cell.formula:
            where = self.where(ws, row, col)
            raise error(f"单元格 {where} 是公式，但文件中没有它的计算结果（文件可能从未在电子表格程序中打开并保存过）",
                        Location(self.name, cell=where), "用 Excel、WPS 或 LibreOffice 打开并保存一次，或把公式换成数值",
                        code="E-FORMULA")
        if value is None:
            return None
        where = self.where(ws, row, col)
        if isinstance(value, bool):
            return value
        if isinstance(value, (dt.datetime, dt.date)):
            day = value.date() if isinstance(value, dt.datetime) else value
            return day.isoformat()
        if isinstance(value, dt.time):
            return value.isoformat()
        if isinstance(value, dt.timedelta):   # a duration: as the text it shows, never a number
            return str(value)
        if isinstance(value, (int, float)):
            number = self._number(value, where)
            if kind == "text" and cell.percent:
                return _percent_text(number)
            return number
        text = unicodedata.normalize("NFKC", str(value)).strip() if kind != "text" else str(value).strip()
        if not text:
            return None
        if kind in ("number", "int"):
            typed = L.number_in_text(text)
            if typed is None:
                return str(value).strip()   # text where a number belongs: the schema says so, at this cell
            return int(typed) if kind == "int" and typed == typed.to_integral_value() else typed
        return text

    def _number(self, value: int | float, where: str) -> int | Decimal:
        try:
            if isinstance(value, int):
                return int(check_number(value, str(value)))
            if not math.isfinite(value):
                raise NumberError(f"单元格 {where} 的数值不是有限的数", "请填写具体数值")
            # Excel stores a double; its shortest decimal text is what was typed (Excel keeps 15 digits). The
            # double is turned into a Decimal here, at the edge, from that text: no float goes further.
            return check_number(Decimal(repr(value)), repr(value))
        except NumberError as exc:
            raise error(exc.message, Location(self.name, cell=where), exc.hint, code="E-NUMBER") from None

    def _merged_top(self, ws: Any, row: int, col: int) -> tuple[int, int] | None:
        """The top-left cell of the merged range a cell lies under (not itself): looked up in an index built once
        per sheet (linear in the merged area, which the guard bounds), not by walking every range per cell."""
        index = self._merges.get(ws.title)
        if index is None:
            index = {}
            for min_row, min_col, max_row, max_col in ws.merges:
                for r in range(min_row, min(max_row, min_row + MAX_ROWS) + 1):
                    for c in range(min_col, min(max_col, min_col + 60) + 1):
                        index.setdefault((r, c), (min_row, min_col))
            self._merges[ws.title] = index
        found = index.get((row, col))
        return None if found is None or found == (row, col) else found

    def limit(self, ws: Any, start: int = 1) -> Any:
        """The sheet, if it is within the row limit from `start` (a sheet past it was not even read: grid.py)."""
        last = ws.max_row
        if last - start > MAX_ROWS:
            raise error(f"工作表“{ws.title}”有 {last} 行，超过上限 {MAX_ROWS} 行", Location(self.name, cell=f"{ws.title}!A{last}"),
                        "自评表不会有这么多行；请删除多余的行（可能是格式延伸到了整列）", code="E-LIMIT")
        return ws

    def rows(self, ws: Any, start: int) -> Iterable[int]:
        """Data rows from `start`: visible ones only, within the row limit."""
        self.limit(ws, start)
        for row in range(start, ws.max_row + 1):
            if ws.row_hidden(row):
                continue
            yield row

    def keep(self, path: Path, ws: Any, row: int, col: int) -> None:
        self.cells[path] = self.where(ws, row, col)

    # -------------------------------------------------------------- sheets
    def sheet(self, title: str, headers: tuple[str, ...] = ()) -> Any:
        if title in self.wb.sheetnames:
            return self.limit(self.wb[title])
        for ws in self.wb.worksheets:   # renamed: find it by its headers
            if headers and ws.max_row - 1 <= MAX_ROWS and self._header_row(ws, headers) is not None:
                return ws
        return None

    def _header_row(self, ws: Any, needed: tuple[str, ...]) -> int | None:
        for row in range(1, min(ws.max_row, 12) + 1):
            found = {L.field_of(ws.cell(row, c).value, L.SYNONYMS) for c in range(1, min(ws.max_column, 40) + 1)}
            if all(n in found for n in needed):
                return row
        return None

    def is_form(self) -> bool:
        """perfrules' own 自评表 (its sheets by name), rather than a published layout kept in Excel."""
        return any(title in self.wb.sheetnames for title in (L.BASIC, L.INDICATORS, L.BUDGET))

    def read_tables(self, vocabulary_dirs: tuple[str, ...] = ()) -> Any:
        """Every visible sheet as a grid on the table model (merged cells resolved, hidden rows and columns
        left out), read by the block reader; cells are named as Excel names them (自评表!E12)."""
        from .blocks import BlockReader
        grids: list[list[list[str]]] = []
        texts: list[str] = []
        reader = BlockReader(self.name, vocabulary_dirs)
        reader.a1 = True
        for ws in self.wb.worksheets:
            if not ws.visible:
                continue
            grid = self.sheet_grid(self.limit(ws))
            if not grid:
                continue
            grids.append(grid)
            reader.cell_names[len(grids)] = ws.title
            reader.table_names[len(grids)] = f"工作表“{ws.title}”"
            texts += [str(row[0]).strip() for row in grid if len({getattr(c, "key", 0) for c in row if str(c).strip()}) == 1
                      and str(row[0]).strip()]   # a title row (one merged cell) is the report's heading text
        if not grids:
            raise error("这个工作簿是空的，也不是自评表", Location(self.name),
                        "用 perfrules init -o 自评表.xlsx 生成空白自评表", code="E-FORMAT")
        result = reader.read(texts, grids)
        if not result.document.data.get("indicators") and not result.document.data.get("budget"):
            raise error("这个工作簿不是自评表：没有“基本信息”“绩效指标”工作表，也没有找到指标表或资金表", Location(self.name),
                        "用 perfrules init -o 自评表.xlsx 生成空白自评表；已有的表格，指标表的表头应有 三级指标（或指标名称）"
                        "和 年度指标值", code="E-FORMAT")
        return result

    def sheet_grid(self, ws: Any) -> list[list[str]]:
        from .tables import CellText
        width = min(ws.max_column, 60)
        columns = [c for c in range(1, width + 1) if not ws.col_hidden(c)]
        self._merged_top(ws, 1, 1)   # builds the sheet's merge index
        index = self._merges.get(ws.title, {})
        grid: list[list[str]] = []
        for row in self.rows(ws, 1):   # visible rows; the row limit is said before anything is read
            line: list[str] = []
            for col in columns:
                top = index.get((row, col), (row, col))
                cell = ws.cell(*top)
                if cell.value is None and not cell.formula:
                    line.append(CellText("", row * 100_000 + col, top))
                    continue
                value = self.value(ws, *top)
                text = "" if value is None else ("是" if value is True else "否" if value is False else
                                                 format(value, "f") if isinstance(value, Decimal) else str(value))
                line.append(CellText(text.strip(), top[0] * 100_000 + top[1], top))
            if any(str(c).strip() for c in line):
                grid.append(line)
        return grid

    def read(self) -> Document:
        data: dict[str, Any] = {"schema_version": 1}
        self.key_values(L.BASIC, L.BASIC_FIELDS, data, ints=("year",))
        if isinstance(data.get("kind"), str):
            data["kind"] = L.KIND_WORDS.get(data["kind"].strip(), data["kind"])
        self.budget(data)
        self.key_values(L.GOALS, L.GOALS_FIELDS, data)
        indicators = self.indicators()
        data["indicators"] = indicators
        self.key_values(L.CONCLUSION, L.CONCLUSION_FIELDS, data,
                        numbers=("stated.table.total", "stated.table.max", "stated.narrative.total", "stated.narrative.max"))
        team = self.table(L.TEAM, L.TEAM_COLUMNS, ("team",))
        if team:
            data["team"] = team
        narrative = self.narrative()
        if narrative:
            data["narrative"] = narrative
        finance = self.table(L.FINANCE, L.FINANCE_COLUMNS, ("stated", "finance"), numbers=L.FINANCE_NUMBERS,
                             ints=("year",))
        if finance:
            L.set_path(data, "stated.finance", finance)
        self.key_values(L.ASSETS, L.ASSETS_FIELDS, data, numbers=L.ASSETS_NUMBERS)
        claims = self.table(L.CLAIMS, L.CLAIM_COLUMNS, ("stated", "narrative", "categories"), numbers=L.CLAIM_NUMBERS)
        if claims:
            L.set_path(data, "stated.narrative.categories", claims)
        self.extra(data)
        if self.sheet(L.INDICATORS, ("name", "target")) is None and self.sheet(L.BASIC) is None:
            raise error("这个工作簿不是自评表：找不到“基本信息”和“绩效指标”工作表", Location(self.name),
                        "用 perfrules init -o 自评表.xlsx 生成空白自评表，或把指标表的表头写成 三级指标、年度指标值、实际完成值",
                        code="E-FORMAT")
        doc = Document(data=data, file=self.name)
        doc.cells = self.cells
        return doc

    def key_values(self, title: str, fields: list[tuple[str, str]], data: dict[str, Any],
                   ints: tuple[str, ...] = (), numbers: tuple[str, ...] = ()) -> None:
        ws = self.sheet(title)
        if ws is None:
            return
        by_label = {L.header_key(label): path for path, label in fields}
        for row in self.rows(ws, 1):
            path = by_label.get(L.header_key(ws.cell(row, 1).value))
            if path is None:
                continue
            self.keep(tuple(path.split(".")), ws, row, 2)   # even when blank: "缺少 unit" names this cell
            kind = "int" if path in ints else "number" if path in numbers else "text"
            value = self.value(ws, row, 2, kind)
            if value is None:
                continue
            L.set_path(data, path, value)

    def budget(self, data: dict[str, Any]) -> None:
        ws = self.sheet(L.BUDGET)
        if ws is None:
            return
        columns, first = self._budget_columns(ws)
        budget: dict[str, Any] = {}
        tasks: list[dict[str, Any]] = []
        notes = {L.header_key(label): path.split(".")[1] for path, label in L.BUDGET_NOTES}
        for row in self.rows(ws, first):
            label = L.header_key(ws.cell(row, 1).value)
            if label in notes:
                value = self.value(ws, row, 2)
                if value is not None:
                    budget[notes[label]] = value
                    self.keep(("budget", notes[label]), ws, row, 2)
                continue
            is_total = label == L.header_key(L.TOTAL_ROW) or label in ("合计", "总计")
            path: Path = ("budget", "total") if is_total else ("budget", "tasks", len(tasks))
            item = self._budget_item(ws, row, columns, path, is_total)
            if not item:
                continue
            if is_total:
                budget["total"] = item
            else:
                tasks.append(item)
        if tasks:
            budget["tasks"] = tasks
        if budget:
            data["budget"] = budget

    def _budget_columns(self, ws: Any) -> tuple[dict[tuple[str, str | None], int], int]:
        """Columns by (field, money part): the two header rows, group labels carried over merged cells."""
        header = None
        for row in range(1, min(ws.max_row, 12) + 1):
            if any(L.field_of(ws.cell(row, c).value, L.BUDGET_SYNONYMS) == "name" for c in range(1, 4)):
                header = row
                break
        if header is None:
            raise error("“预算执行”工作表找不到表头（任务名称 …）", Location(self.name, cell=f"{ws.title}!A1"),
                        "表头应有 任务名称、全年预算数、全年执行数 等", code="E-FORMAT")
        columns: dict[tuple[str, str | None], int] = {}
        group: str | None = None
        for col in range(1, min(ws.max_column, 60) + 1):
            top = ws.cell(header, col).value
            if top is None:
                merged = self._merged_top(ws, header, col)
                top = ws.cell(*merged).value if merged else None
            sub = ws.cell(header + 1, col).value
            top_field = L.field_of(top, L.BUDGET_SYNONYMS)
            sub_field = L.field_of(sub, L.BUDGET_SYNONYMS)
            if top_field in ("budget_initial", "budget", "spent"):
                group = top_field
            elif top_field is not None:
                group = None
                columns[(top_field, None)] = col
                continue
            if group is not None and sub_field in ("total", "fiscal", "other"):
                columns.setdefault((group, sub_field), col)   # a group label spans its three columns
        return columns, header + 2

    def _budget_item(self, ws: Any, row: int, columns: dict[tuple[str, str | None], int], path: Path,
                     total: bool) -> dict[str, Any]:
        item: dict[str, Any] = {}
        for (field, part), col in columns.items():
            if total and field in ("name", "content", "completion"):
                continue
            if part is None:
                kind = "number" if field in ("points", "self_score") else "text"
                value = self.value(ws, row, col, kind)
                if value is not None:
                    item[field] = value
                    self.keep(path + (field,), ws, row, col)
            else:
                value = self.value(ws, row, col, "number")
                if value is not None:
                    item.setdefault(field, {})[part] = value
                    self.keep(path + (field, part), ws, row, col)
        if item and not total and "name" not in item:
            item["name"] = ""   # a row with figures but no name: the schema says so, at this row
        if item:
            self.keep(path, ws, row, 1)
        return item

    def indicators(self) -> list[dict[str, Any]]:
        ws = self.sheet(L.INDICATORS, ("name", "target"))
        if ws is None:
            return []
        header = self._header_row(ws, ("name", "target"))
        if header is None:
            raise error("“绩效指标”工作表找不到表头", Location(self.name, cell=f"{ws.title}!A1"),
                        "表头应有 三级指标（或 指标内容）、年度指标值、实际完成值 等", code="E-FORMAT")
        columns: dict[str, int] = {}
        for col in range(1, min(ws.max_column, 60) + 1):
            field = L.field_of(ws.cell(header, col).value, L.SYNONYMS)
            if field is not None and field not in columns:
                columns[field] = col
        out: list[dict[str, Any]] = []
        for row in self.rows(ws, header + 1):
            path: Path = ("indicators", len(out))
            item: dict[str, Any] = {}
            blank: list[tuple[str, int]] = []
            for field, col in columns.items():
                kind = "number" if field in ("points", "self_score") else "text"
                value = self.value(ws, row, col, kind)
                if value is None:
                    blank.append((field, col))
                    continue
                if field == "applicable":
                    value = not (str(value).strip().lower() in L.NOT_APPLICABLE or value is False)
                elif field in ("target", "actual") and isinstance(value, str) and value[:1] in "{[":
                    value = self._flow(value, ws, row, col)
                item[field] = value
                self.keep(path + (field,), ws, row, col)
            if not any(k not in ("level1", "level2") for k in item):
                continue   # a blank row, or labels only (a merged 一级 cell reaching an empty row)
            self.keep(path, ws, row, columns.get("name", 1))
            for field, col in blank:   # a finding about a blank cell (no actual, no reason given) names that cell
                self.keep(path + (field,), ws, row, col)
            out.append(item)
        return out

    def _flow(self, text: str, ws: Any, row: int, col: int) -> Any:
        try:
            return load_text(text, self.name).data
        except PerfrulesError:
            return text

    def table(self, title: str, columns: list[tuple[str, str]], base: Path, numbers: tuple[str, ...] = (),
              ints: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        ws = self.sheet(title)
        if ws is None:
            return []
        by_label = {L.header_key(label): key for key, label in columns}
        cols = {by_label[L.header_key(ws.cell(2, c).value)]: c for c in range(1, ws.max_column + 1)
                if L.header_key(ws.cell(2, c).value) in by_label}
        out: list[dict[str, Any]] = []
        for row in self.rows(ws, 3):
            item: dict[str, Any] = {}
            for key, col in cols.items():
                value = self.value(ws, row, col, "int" if key in ints else "number" if key in numbers else "text")
                if value is not None:
                    item[key] = value
                    self.keep(base + (len(out), key), ws, row, col)
            if item:
                out.append(item)
        return out

    def narrative(self) -> list[dict[str, Any]]:
        ws = self.sheet(L.NARRATIVE)
        if ws is None:
            return []
        flat: list[tuple[int, dict[str, Any]]] = []
        for row in self.rows(ws, 3):
            level = self.value(ws, row, 1, "int")
            title, body = self.value(ws, row, 2), self.value(ws, row, 3)
            if title is None and body is None:
                continue
            section: dict[str, Any] = {"title": title if title is not None else ""}
            if body is not None:
                section["body"] = body
            flat.append((level if isinstance(level, int) and level >= 1 else 1, section))
        return _nest(flat)

    def extra(self, data: dict[str, Any]) -> None:
        ws = self.sheet(L.EXTRA)
        if ws is None:
            return
        for row in self.rows(ws, 3):
            path, text = self.value(ws, row, 1), ws.cell(row, 2).value   # YAML text as stored: stripping it
            # would turn a value such as a lone non-breaking space into null
            if not path or text is None:
                continue
            where = self.where(ws, row, 2)
            try:
                value = load_text(str(text), f"{self.name}!{where}").data
            except PerfrulesError as exc:
                raise error(f"附加数据 {path} 的 YAML 内容有误：{exc.first.message}", Location(self.name, cell=where),
                            exc.first.hint, code="E-YAML") from None
            L.set_path(data, str(path), value)
            self.keep(tuple(str(path).split(".")), ws, row, 2)


def _letters(col: int) -> str:
    """A column's letters as Excel names it: 1 → A, 27 → AA."""
    out = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


def _percent_text(number: int | Decimal) -> str:
    value = Decimal(number) * 100
    text = format(value.normalize(), "f")
    return f"{text}%"


def _nest(flat: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    root: list[dict[str, Any]] = []
    stack: list[tuple[int, list[dict[str, Any]]]] = [(0, root)]
    for level, section in flat:
        while len(stack) > 1 and stack[-1][0] >= level:
            stack.pop()
        stack[-1][1].append(section)
        stack.append((level, section.setdefault("sections", [])))
    _drop_empty(root)
    return root


def _drop_empty(sections: list[dict[str, Any]]) -> None:
    for section in sections:
        if not section.get("sections"):
            section.pop("sections", None)
        else:
            _drop_empty(section["sections"])
