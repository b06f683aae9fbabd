"""`perfrules import 报告.pdf`: the same reports as PDF, through pdfplumber (pdfminer.six underneath).

pdfplumber is used because it reads ruled tables with their cells' boxes (so merged cells can be resolved
the way Word's are), gives CJK text in reading order, and is pure Python on pdfminer, which never runs a
PDF's JavaScript or opens its embedded files. Every table of every page becomes a grid for the same
block reader as Word's (engine/formats/blocks.py: the table model, the header vocabulary, the blocks),
and the text outside the tables its paragraphs. A table continued on the next page, with or without its
header repeated, is joined by the importer as in Word. Notes name tables as 第3页 表2, and every value's cell is 报告.pdf!第3页!表2!R5C4.

Bounded: the file (20 MB), its pages (200), and the text of a page (200,000 characters); an encrypted PDF
and a scanned one (no text layer) are refused with what to do.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path as FsPath
from typing import Any

from ..errors import Location, PerfrulesError, error
from ..files import display_path, read_input

MAX_PDF_BYTES = 20 * 1024 * 1024
MAX_PAGES = 200
MAX_PAGE_CHARS = 200_000
MAX_REFERENCES = 100_000                   # indirect references in the file (a 10-page report has a few thousand)
MAX_STREAM_BYTES = 20 * 1024 * 1024        # one stream, inflated
MAX_INFLATED = 100 * 1024 * 1024           # all streams, inflated
_REFERENCE = re.compile(rb"\d+\s+\d+\s+R\b")
_COUNT = re.compile(rb"/Count\s+(\d{1,12})")
_STREAM = re.compile(rb"stream\r?\n")


def import_pdf(path: FsPath, name: str, vocabulary_dirs: tuple[str, ...] = ()) -> Any:
    from .blocks import BlockReader
    where = Location(display_path(name))
    data = read_input(path, name, MAX_PDF_BYTES, _too_large)
    texts, grids, names = _read(data, where)
    importer = BlockReader(display_path(name), vocabulary_dirs)
    importer.table_names = names
    importer.cell_names = {n: text.replace(" ", "!") for n, text in names.items()}   # 第3页!表2!R5C4
    result = importer.read(texts, grids)
    from ..limits import sha256_hex
    result.document.sha256 = sha256_hex(data)
    result.document.encoding = "pdf"
    return result


def _too_large(shown: str, size: int) -> PerfrulesError:
    return error(f"PDF 过大（{size:,} 字节，上限 {MAX_PDF_BYTES:,} 字节）", Location(shown),
                 "自评报告不会这么大；请检查是否选错了文件", code="E-LIMIT")


def prescan(data: bytes, where: Location) -> None:
    """What would make pdfminer (pure Python) take minutes or gigabytes, found in the raw bytes before it
    parses anything: a page tree claiming more pages than the limit (a million), an object with hundreds of
    thousands of references, a compressed stream that inflates past its bound (a PDF bomb)."""
    counts = [int(m.group(1)) for m in _COUNT.finditer(data)]
    if counts and max(counts) > MAX_PAGES:
        raise error(f"PDF 声称有 {max(counts):,} 页，超过上限 {MAX_PAGES} 页", where,
                    "自评报告不会有这么多页；请检查文件来源", code="E-LIMIT")
    references = sum(1 for _ in _REFERENCE.finditer(data))
    if references > MAX_REFERENCES:
        raise error(f"PDF 内部的对象引用过多（{references:,} 个，上限 {MAX_REFERENCES:,}），可能是恶意构造", where,
                    "请检查文件来源，或提供 Word 报告（.docx）", code="E-LIMIT")
    inflated = 0
    for m in _STREAM.finditer(data):
        end = data.find(b"endstream", m.end())
        head = data[max(0, m.start() - 300):m.start()]
        if end < 0 or b"FlateDecode" not in head:
            continue
        try:
            out = zlib.decompressobj().decompress(data[m.end():end], MAX_STREAM_BYTES + 1)
        except zlib.error:
            continue   # pdfminer will say what it makes of it
        inflated += len(out)
        if len(out) > MAX_STREAM_BYTES or inflated > MAX_INFLATED:
            raise error("PDF 中有解压后过大的数据流，可能是压缩炸弹", where, "请检查文件来源", code="E-LIMIT")


def _read(data: bytes, where: Location) -> tuple[list[str], list[list[list[str]]], dict[int, str]]:
    import logging
    quiet = logging.getLogger("pdfminer")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)   # its warnings about a damaged file are ours to say, once, in Chinese
    try:
        return _read_quietly(data, where)
    finally:
        quiet.setLevel(level)


def _read_quietly(data: bytes, where: Location) -> tuple[list[str], list[list[list[str]]], dict[int, str]]:
    import io
    prescan(data, where)
    try:
        import pdfplumber
    except ImportError:
        raise error("读取 PDF 需要 pdfplumber", where, "pip install pdfplumber", code="E-DEPENDENCY") from None
    texts: list[str] = []
    grids: list[list[list[str]]] = []
    names: dict[int, str] = {}
    chars = 0
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise error(f"PDF 页数过多（{len(pdf.pages)} 页，上限 {MAX_PAGES}）", where,
                            "自评报告不会有这么多页；请检查是否选错了文件", code="E-LIMIT")
            for number, page in enumerate(pdf.pages, start=1):
                page_chars = len(page.chars)
                if page_chars > MAX_PAGE_CHARS:
                    raise error(f"PDF 第 {number} 页的文字过多（{page_chars:,} 个字符）", where, code="E-LIMIT")
                chars += page_chars
                tables = page.find_tables()
                for k, table in enumerate(tables, start=1):
                    grids.append(_grid(table))
                    names[len(grids)] = f"第{number}页 表{k}"
                outside = page.filter(_outside([t.bbox for t in tables]))
                texts += [line.strip() for line in (outside.extract_text() or "").splitlines() if line.strip()]
    except PerfrulesError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever pdfminer raises on a user's file is that file's problem
        message = str(exc).lower()
        if "password" in message or "encrypt" in message or type(exc).__name__.startswith("PDFPassword"):
            raise error("PDF 已加密，无法读取", where, "请提供未加密的 PDF，或 Word 报告（.docx）", code="E-FORMAT") from None
        raise error(f"PDF 已损坏或无法解析（{type(exc).__name__}）", where,
                    "重新导出 PDF，或提供 Word 报告（.docx）", code="E-FORMAT") from None
    if chars == 0:
        raise error("这个 PDF 没有文字层（可能是扫描件），无法读取表格", where,
                    "请提供 Word 报告（.docx）或由 Word / WPS 直接导出的 PDF；扫描件需先用 OCR 软件识别成文字", code="E-FORMAT")
    return texts, grids, names


def _outside(boxes: list[tuple[float, float, float, float]]) -> Any:
    def keep(obj: dict[str, Any]) -> bool:
        return not any(_inside(obj, box) for box in boxes)
    return keep


def _inside(obj: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    return obj.get("x0", 0) >= x0 - 1 and obj.get("x1", 0) <= x1 + 1 and obj.get("top", 0) >= top - 1 and \
        obj.get("bottom", 0) <= bottom + 1


def _grid(table: Any) -> list[list[str]]:
    """A pdfplumber table on its grid with merged cells resolved: a position that no cell starts at takes the
    text (and the key) of the cell whose box covers it, to its left or above it, as Word's grid does."""
    from .tables import CellText
    rows = table.rows
    texts = table.extract()
    width = max((len(r.cells) for r in rows), default=0)
    lefts: list[float | None] = [None] * width
    for r in rows:
        for c, box in enumerate(r.cells):
            if box is not None and lefts[c] is None:
                lefts[c] = box[0]
    grid: list[list[str]] = []
    key = 0
    for i, r in enumerate(rows):
        line: list[str] = []
        for c in range(width):
            box = r.cells[c] if c < len(r.cells) else None
            if box is not None:
                text = texts[i][c] if i < len(texts) and c < len(texts[i]) else ""
                line.append(CellText((text or "").replace("\n", "").strip(), key, (i + 1, c + 1)))
                key += 1
                continue
            left = next((j for j in range(c - 1, -1, -1) if j < len(r.cells) and r.cells[j] is not None), None)
            spans_here = left is not None and lefts[c] is not None and r.cells[left][2] > (lefts[c] or 0) + 1
            if spans_here and left is not None:
                line.append(line[left])
            elif grid and c < len(grid[-1]):
                line.append(grid[-1][c])
            else:
                line.append(CellText("", key, (i + 1, c + 1)))
                key += 1
        grid.append(line)
    return grid
