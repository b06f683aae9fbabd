"""`perfrules import 自评报告.docx`: a self-evaluation report written in Word, read back into a submission.

Units publish their self-evaluation as a Word report, written without perfrules. Its tables become grids on
the table model (tables.py), merged cells resolved in one pass over the XML, and its paragraphs texts; the
block reader (blocks.py) finds the 自评表 blocks by their headers, never by position, and the narrative by
its headings (narrative.py). A .doc is converted by LibreOffice first, where it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path as FsPath
from typing import Any

from ..errors import Location, PerfrulesError, error
from ..files import display_path
from .blocks import BlockReader, ImportResult
from .importdump import dump_import
from .safezip import check_office_file

__all__ = ["ImportResult", "dump_import", "import_document", "import_legacy_doc", "table_grid"]

MAX_TABLES = 300
MAX_PARAGRAPHS = 20_000


def import_legacy_doc(path: FsPath, name: str) -> ImportResult:
    """A .doc: converted to .docx by LibreOffice when `soffice` is on PATH, then imported."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise error(".doc 是旧的 Word 格式；没有找到 LibreOffice（soffice），无法转换", Location(display_path(name)),
                    "用 Word 或 WPS 打开后另存为 .docx，或安装 LibreOffice 后重试", code="E-FORMAT")
    with tempfile.TemporaryDirectory(prefix="perfrules-doc-") as tmp:
        try:
            subprocess.run([soffice, "--headless", "--convert-to", "docx", "--outdir", tmp, str(path)],
                           capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired):
            raise error("LibreOffice 转换 .doc 失败或超时", Location(display_path(name)),
                        "用 Word 或 WPS 打开后另存为 .docx", code="E-FORMAT") from None
        converted = FsPath(tmp) / (path.stem + ".docx")
        if not converted.is_file():
            raise error("LibreOffice 无法转换这个 .doc 文件", Location(display_path(name)),
                        "用 Word 或 WPS 打开后另存为 .docx", code="E-FORMAT")
        result = import_document(converted, name)
    return result


def import_document(path: FsPath, name: str, vocabulary_dirs: tuple[str, ...] = ()) -> ImportResult:
    check_office_file(path, name, "文档")
    try:
        from docx import Document as open_docx
        word = open_docx(str(path))
    except PerfrulesError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure on a user's file is that file's problem
        raise error(f"无法读取 Word 文档：{type(exc).__name__}", Location(display_path(name)),
                    "用 Word 或 WPS 打开后另存为 .docx 再试", code="E-FORMAT") from None
    tables = word.tables
    if len(tables) > MAX_TABLES:
        raise error(f"文档中的表格过多（{len(tables)} 个，上限 {MAX_TABLES}）", Location(display_path(name)),
                    "自评报告不会有这么多表格；请检查文件", code="E-LIMIT")
    paragraphs = word.paragraphs
    if len(paragraphs) > MAX_PARAGRAPHS:
        raise error(f"文档段落过多（{len(paragraphs)} 段，上限 {MAX_PARAGRAPHS}）", Location(display_path(name)),
                    code="E-LIMIT")
    texts = [_text(p) for p in paragraphs]
    result = BlockReader(display_path(name), tuple(vocabulary_dirs)).read(texts, [table_grid(t._tbl) for t in tables])
    from ..limits import sha256_hex
    result.document.sha256 = sha256_hex(path.read_bytes())
    result.document.encoding = "docx"
    return result



def _text(cell_or_par: Any) -> str:
    """A cell's or paragraph's text as written (headers are matched on a folded copy, values are kept)."""
    return (cell_or_par.text or "").strip()


def table_grid(tbl: Any) -> list[list[str]]:
    """A Word table as rows of cell texts on its grid, in one pass over the XML: a cell spanning n columns
    (gridSpan, bounded by the guard) gives its text to each, a vertically merged cell repeats the text of
    the cell above it, gridBefore / gridAfter leave blanks. python-docx's `row.cells` gives the same grid
    but looks every merged cell's top up from the table's start, which made a 1,000-row table with a merged
    column take over a minute; this is linear in the table."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph
    tr_tag, tc_tag, p_tag = qn("w:tr"), qn("w:tc"), qn("w:p")
    from .tables import CellText
    rows: list[list[str]] = []
    above: list[str] = []
    keys = iter(range(1 << 62))

    def number(pr: Any, tag: str) -> int:
        el = pr.find(qn(tag)) if pr is not None else None
        value = el.get(qn("w:val")) if el is not None else None
        return int(value) if value and value.isdigit() else 0

    for tr in tbl.iter(tr_tag):
        if tr.getparent() is not tbl:
            continue   # a table nested in a cell is read as that cell's text
        tr_pr = tr.find(qn("w:trPr"))
        at = len(rows) + 1
        row: list[str] = [CellText("", next(keys), (at, c + 1)) for c in range(number(tr_pr, "w:gridBefore"))]
        for tc in tr.iter(tc_tag):
            if tc.getparent() is not tr:
                continue
            pr = tc.find(qn("w:tcPr"))
            span = max(1, number(pr, "w:gridSpan"))
            merge = pr.find(qn("w:vMerge")) if pr is not None else None
            col = len(row)
            if merge is not None and merge.get(qn("w:val"), "continue") == "continue" and col < len(above):
                text = above[col]   # the same cell as above: the same key
            else:
                text = CellText("\n".join(Paragraph(p, None).text for p in tc.iterchildren(p_tag)).strip(),  # type: ignore[arg-type]
                                next(keys), (at, col + 1))
            row.extend([text] * span)
        row.extend(CellText("", next(keys), (at, len(row) + 1 + c)) for c in range(number(tr_pr, "w:gridAfter")))
        rows.append(row)
        above = row
    return rows
