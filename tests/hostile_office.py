"""Hostile Office files, generated (they are binary and some are large): part of the hostile corpus.

Each is a file a unit could send by accident or an attacker on purpose; each must be refused with a clear
message, in bounded time and memory, exit 1 (and in `batch`, as that file's row).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import Workbook

# name → (code, message fragment)
EXPECTED = {
    "xml-bomb.xlsx": ("E-FORMAT", "DOCTYPE"),
    "external-entity.docx": ("E-FORMAT", "DOCTYPE"),
    "zip-bomb.xlsx": ("E-LIMIT", "压缩炸弹"),
    "million-rows.xlsx": ("E-LIMIT", "超过上限"),
    "ten-thousand-tables.docx": ("E-LIMIT", "表格过多"),
    "truncated.xlsx": ("E-FORMAT", "损坏或不完整"),
    "truncated.docx": ("E-FORMAT", "损坏或不完整"),
    "encrypted.xlsx": ("E-FORMAT", "已加密"),
    "not-a-zip.docx": ("E-FORMAT", "损坏或不完整"),
    # Issue 22.9: the guard reads every part whatever its name, position and encoding.
    "doctype-after-4k.docx": ("E-FORMAT", "DOCTYPE"),
    "doctype-in-a-bin-part.docx": ("E-FORMAT", "DOCTYPE"),
    "utf16-part.xlsx": ("E-FORMAT", "UTF-8"),
    # Issue 22.4: a merge or a span far past the sheet's real extent is refused before anything expands it.
    "merge-whole-sheet.xlsx": ("E-LIMIT", "合并"),
    "grid-span-two-billion.docx": ("E-LIMIT", "跨列"),
    # Issue 26.2: the readers of .xls and .ods join the corpus on the day they come.
    "not-a-workbook.xls": ("E-FORMAT", "已加密"),
    "truncated.ods": ("E-FORMAT", "损坏或不完整"),
    "xml-bomb.ods": ("E-FORMAT", "DOCTYPE"),
    "million-repeated-rows.ods": ("E-LIMIT", "超过上限"),
}

ODS_CONTENT = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               b'<office:spreadsheet><table:table table:name="\xe7\xbb\xa9\xe6\x95\x88\xe6\x8c\x87\xe6\xa0\x87">'
               b'<table:table-column table:number-columns-repeated="2"/>ROWS</table:table></office:spreadsheet>'
               b'</office:body></office:document-content>')
ODS_ROW = (b'<table:table-row{repeat}><table:table-cell office:value-type="string"><text:p>{text}</text:p>'
           b'</table:table-cell></table:table-row>')


def ods(rows: bytes, prefix: bytes = b"") -> bytes:
    """A minimal OpenDocument spreadsheet (the parts calamine and LibreOffice need) with these rows."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                         b'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                         b'<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.'
                         b'opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
                         b'manifest:media-type="text/xml"/></manifest:manifest>')
        archive.writestr("content.xml", prefix + ODS_CONTENT.replace(b"ROWS", rows))
    return buf.getvalue()


def _workbook() -> bytes:
    wb = Workbook()
    wb.active.title = "基本信息"
    wb.active["A3"], wb.active["B3"] = "部门（单位）名称", "测试局"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _docx() -> bytes:
    from docx import Document
    doc = Document()
    doc.add_paragraph("某县2024年度自评报告")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _rewrite(data: bytes, member: str, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            dst.writestr(info.filename, change(content) if info.filename == member else content)
    return out.getvalue()


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
XXE = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _body(xml: bytes) -> bytes:
    return xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml


def write_all(folder: Path) -> list[str]:
    """Write every hostile Office file into `folder`; returns their names."""
    book, word = _workbook(), _docx()
    files: dict[str, bytes] = {}
    files["xml-bomb.xlsx"] = _rewrite(book, "xl/worksheets/sheet1.xml",
                                      lambda c: BOMB + _body(c).replace(b"<sheetData>", b"<sheetData>&lol3;"))
    files["external-entity.docx"] = _rewrite(word, "word/document.xml",
                                             lambda c: XXE + _body(c).replace(b"</w:body>", b"&xxe;</w:body>"))
    bomb = io.BytesIO(book)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.xml", b"\0" * (60 * 1024 * 1024))
    files["zip-bomb.xlsx"] = bomb.getvalue()
    wb = Workbook()
    wb.active.title = "绩效指标"
    wb.active.append(["绩效指标"])
    wb.active.append(["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值"])
    wb.active.cell(1_000_000, 3).value = "x"
    buf = io.BytesIO()
    wb.save(buf)
    files["million-rows.xlsx"] = buf.getvalue()
    table = b"<w:tbl><w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl><w:p/>"
    files["ten-thousand-tables.docx"] = _rewrite(word, "word/document.xml",
                                                 lambda c: c.replace(b"<w:sectPr", table * 10_000 + b"<w:sectPr", 1))
    files["truncated.xlsx"] = book[: len(book) // 2]
    files["truncated.docx"] = word[: len(word) // 2]
    files["encrypted.xlsx"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096
    files["not-a-zip.docx"] = "这不是 Word 文档".encode("utf-8") * 100
    pad = b"<!-- " + b"x" * 8000 + b" -->"
    files["doctype-after-4k.docx"] = _rewrite(word, "word/document.xml",
                                              lambda c: c.replace(b"?>", b"?>" + pad + XXE[len(b'<?xml version="1.0"?>'):], 1))
    extra = io.BytesIO(word)
    with zipfile.ZipFile(extra, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/embeddings/data.bin", XXE + b"<d>&xxe;</d>")
    files["doctype-in-a-bin-part.docx"] = extra.getvalue()
    files["utf16-part.xlsx"] = _rewrite(book, "xl/worksheets/sheet1.xml",
                                        lambda c: c.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
                                        .encode("utf-16"))
    files["merge-whole-sheet.xlsx"] = _rewrite(book, "xl/worksheets/sheet1.xml",
                                               lambda c: c.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                                                   b'<mergeCell ref="A1:XFD1048576"/></mergeCells>', 1))
    files["grid-span-two-billion.docx"] = _rewrite(
        word, "word/document.xml",
        lambda c: c.replace(b"<w:sectPr", b'<w:tbl><w:tblGrid><w:gridCol w:w="100"/></w:tblGrid><w:tr><w:tc><w:tcPr>'
                            b'<w:gridSpan w:val="2000000000"/></w:tcPr><w:p/></w:tc></w:tr></w:tbl><w:p/><w:sectPr', 1))
    files["not-a-workbook.xls"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\1" * 4096
    header = ODS_ROW.replace(b"{repeat}", b"").replace(b"{text}", "三级指标".encode())
    good = ods(header)
    files["truncated.ods"] = good[: len(good) // 2]
    files["xml-bomb.ods"] = ods(header.replace(b"<text:p>", b"<text:p>&lol3;"), BOMB.split(b"?>", 1)[1])
    files["million-repeated-rows.ods"] = ods(header + ODS_ROW.replace(b"{repeat}", b' table:number-rows-repeated="1000000"')
                                             .replace(b"{text}", b"x"))
    for name, content in files.items():
        (folder / name).write_bytes(content)
    assert set(files) == set(EXPECTED)
    return sorted(files)
