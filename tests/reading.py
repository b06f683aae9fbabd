"""Checks every reader's output against the file it read (issue 23): each value names the cell it came from
and that cell holds it; what the import says it left unread is what the truth expects, and nothing else."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

_REF = re.compile(r"^(?:(第\d+页)!)?(?:表(\d+)|(.+?))!(?:R(\d+)C(\d+)|([A-Z]+)(\d+))$")


def importer_of(path: Path) -> Callable[..., Any]:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from perfrules.engine.formats.pdf_import import import_pdf
        return import_pdf
    if suffix in (".xlsx", ".xls", ".ods"):
        from functools import partial

        from perfrules.engine.formats.xlsx import import_workbook
        return partial(import_workbook, kind=suffix[1:])
    from perfrules.engine.formats.docx_import import import_document
    return import_document


def cell_text(path: Path, ref: str) -> str:
    """The text of the cell a reference names, read from the file by a path of its own (not the reader's)."""
    m = _REF.match(ref)
    assert m, f"not a cell reference: {ref}"
    page, table, sheet, row, col, letters, number = m.groups()
    if path.suffix.lower() in (".xls", ".ods"):   # converted by LibreOffice from the .xlsx beside it, cell for cell
        path = path.with_suffix(".xlsx")
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook
        cell = load_workbook(path)[sheet][f"{letters}{number}"]
        value = cell.value
        if isinstance(value, (int, float)) and "%" in (cell.number_format or ""):
            return f"{Decimal(repr(value)) * 100:f}%"
        return "" if value is None else str(value)
    if path.suffix.lower() == ".pdf":
        import pdfplumber
        with pdfplumber.open(path) as pdf:
            tables = pdf.pages[int(page[1:-1]) - 1].find_tables()
            rows = tables[int(table) - 1].extract()
        return (rows[int(row) - 1][int(col) - 1] or "").replace("\n", "")
    from docx import Document
    tbl = Document(str(path)).tables[int(table) - 1]
    return tbl.rows[int(row) - 1].cells[int(col) - 1].text


def _norm(value: object) -> str:
    return re.sub(r"\s+", "", str(value))


def holds(text: str, value: object) -> bool:
    """The cell's text holds the value: the same text, a part of it (≤ and 5 read as ≤5), or the same number."""
    a, b = _norm(text), _norm(value)
    if a == b or (a and a in b) or (b and b in a):
        return True
    try:
        return Decimal(a.rstrip("%分")) == Decimal(b.rstrip("%分"))
    except InvalidOperation:
        return False


def check_cells(path: Path, result: Any) -> None:
    """Every value read from a table names its cell, and that cell holds it."""
    doc = result.document
    for i, row in enumerate(doc.data.get("indicators") or []):
        for key in ("name", "target", "actual", "points", "self_score"):
            if row.get(key) not in (None, ""):
                assert ("indicators", i, key) in doc.cells, f"{path.name}: indicators[{i}].{key} has no cell"
    cache: dict[str, str] = {}
    for where, ref in doc.cells.items():
        value: Any = doc.data
        for part in where:
            value = value[part] if isinstance(value, (dict, list)) else None
        if isinstance(value, (dict, list)) or value is None:
            continue
        if ref not in cache:
            cache[ref] = cell_text(path, ref)
        assert holds(cache[ref], value), f"{path.name}: {where} = {value!r} but {ref} holds {cache[ref]!r}"


def check_unread(result: Any, expected: list[str]) -> None:
    """What the import names as unread is what the truth expects, each once, and nothing else."""
    said = list(result.unread)
    for fragment in expected:
        found = [line for line in said if fragment in line]
        assert found, f"expected “{fragment}” named as unread; the import said {said}"
        for line in found:
            said.remove(line)
    assert said == [], f"named as unread but not expected: {said}"
