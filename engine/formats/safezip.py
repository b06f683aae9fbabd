"""Guards for Office files (xlsx, docx), checked before openpyxl or python-docx parse anything.

An Office file is a zip of XML parts. Hostile ones are zip bombs (a few KB that inflate to gigabytes), XML
bombs and external entities (a DOCTYPE declaring entities), and files that are simply truncated or are
another format with the wrong extension (an encrypted workbook and an old .xls are OLE compound files).
Each is refused here with a message that says what to do; nothing is written by hand but these checks
(zipfile and the parsers do the reading).
"""

from __future__ import annotations

import lzma
import re
import zipfile
import zlib
from pathlib import Path as FsPath

from ..errors import Location, PerfrulesError, error
from ..files import display_path

MAX_OFFICE_BYTES = 20 * 1024 * 1024          # the file as stored
MAX_UNCOMPRESSED = 100 * 1024 * 1024         # all parts, inflated
MAX_PART = 10 * 1024 * 1024                  # one XML part (a sheet or the document body), inflated: ~4 s to parse
MAX_SHEET_ROWS = 5_000                       # rows of one sheet (a real 自评表 has well under 200)
MAX_CELLS = 150_000                          # cells of all sheets: openpyxl reads about 50,000 a second
MAX_SHARED_STRINGS = 100_000
MAX_RATIO = 200                              # inflated / stored, per part
MAX_PARTS = 2_000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # encrypted OOXML, .xls, .doc, .et, .wps


# What zipfile raises on a damaged archive besides BadZipFile: a truncated member (EOFError, OSError), a bad
# header field (ValueError), a compression method it does not implement (NotImplementedError), what the
# decompressors raise on a flipped byte inside a part (zlib.error, bz2's OSError, lzma.LZMAError), and the
# RuntimeError of a member whose flags a flipped bit marked encrypted.
DAMAGED_ZIP = (OSError, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error, lzma.LZMAError)


def zip_has(path: FsPath, member: str, needle: bytes) -> bool:
    """Whether a member of a zip holds `needle` in its first 64 KB (used to recognise our own outputs)."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as part:
            return needle in part.read(65536)
    except (KeyError, zipfile.BadZipFile, *DAMAGED_ZIP):   # no such member, or not a sound zip: not ours
        return False



def check_office_file(path: FsPath, name: str, kind: str) -> None:
    """Refuse what is not a sound, bounded Office zip. `kind` is '工作簿' or '文档' for messages."""
    where = Location(display_path(name))
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            handle.seek(0, 2)
            size = handle.tell()
    except OSError as exc:
        from ..files import os_error
        raise os_error(exc, name) from None
    if head == OLE_MAGIC:
        raise error(f"这个{kind}已加密，或是旧的二进制格式（.xls / .doc / WPS 的 .et / .wps），无法读取", where,
                    "用 Excel、WPS 或 LibreOffice 打开，取消密码后另存为 .xlsx（Word 文档另存为 .docx）", code="E-FORMAT")
    if size > MAX_OFFICE_BYTES:
        raise error(f"{kind}过大（{size} 字节，上限 {MAX_OFFICE_BYTES} 字节）", where,
                    "自评表和自评报告不会这么大；请检查是否选错了文件，或删去其中的大图片", code="E-LIMIT")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_parts(archive, infos, where, kind)
    except zipfile.BadZipFile:
        raise error(f"{kind}已损坏或不完整（不是有效的 Office 文件）", where,
                    "重新下载或重新保存该文件；如果是从邮件或网页保存的，请确认已完整下载", code="E-FORMAT") from None
    except DAMAGED_ZIP:
        raise error(f"{kind}已损坏或不完整", where, "用 Excel、WPS 或 Word 打开后重新保存", code="E-FORMAT") from None


def _check_parts(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], where: Location, kind: str) -> None:
    if len(infos) > MAX_PARTS:
        raise error(f"{kind}内部的部件过多（{len(infos)} 个，上限 {MAX_PARTS}）", where, code="E-LIMIT")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_PART or total > MAX_UNCOMPRESSED:
            raise error(f"{kind}解压后过大（{info.filename} 为 {info.file_size} 字节），可能是压缩炸弹", where,
                        "自评表和自评报告解压后不会这么大；请检查文件来源", code="E-LIMIT")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
            raise error(f"{kind}的 {info.filename} 压缩比异常（{info.file_size // info.compress_size} 倍），可能是压缩炸弹",
                        where, "请检查文件来源", code="E-LIMIT")
        _scan_part(archive, info, where, kind)


MAX_MERGED_CELLS = 50_000       # all merged ranges of a workbook, in cells: a real 自评表 merges a few thousand
MAX_MERGED_RANGES = 10_000
MAX_GRID_SPAN = 63              # Word's own limit on a table's columns
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?"')
_SPAN = re.compile(rb'<w:gridSpan\b[^>]*\bw:val="\s*(\d+)')
_ROW = re.compile(rb"<(?:\w+:)?row\b")
_CELL = re.compile(rb"<(?:\w+:)?c\b")
_SHARED = re.compile(rb"<(?:\w+:)?si\b")
_CHUNK = 1 << 16
_OVERLAP = 256   # a declaration or a tag cut between two chunks is seen whole in the next window


class _Counts:
    cells = 0


def _new_counts(archive: zipfile.ZipFile) -> _Counts:
    counts = getattr(archive, "_perfrules_counts", None)
    if counts is None:
        counts = _Counts()
        archive._perfrules_counts = counts  # type: ignore[attr-defined]
    return counts


def _count(pattern: re.Pattern[bytes], window: bytes, seen: int) -> int:
    return sum(1 for m in pattern.finditer(window) if m.end() > seen)


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: Location, kind: str) -> None:
    """Read one part whole, in chunks, whatever its name: refuse an XML part that is not UTF-8 (Office writes
    UTF-8; a UTF-16 part would hide a DOCTYPE from a byte scan), a DOCTYPE or entity declaration anywhere in
    any part, and the structures that would make a reader expand without bound: merged ranges larger than
    any real form (a merge over the whole sheet) and a cell spanning more columns than Word allows."""
    merged_cells = merged_ranges = rows = shared = 0
    sheet = info.filename.startswith("xl/worksheets/")
    strings = info.filename == "xl/sharedStrings.xml"
    totals = _new_counts(archive)
    tail = b""
    with archive.open(info) as part:
        first = True
        while True:
            chunk = part.read(_CHUNK)
            if not chunk:
                break
            if first:
                first = False
                head = chunk[:8]
                if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"<\x00" in head or b"\x00<" in head:
                    raise error(f"{kind}的部件 {info.filename} 不是 UTF-8 编码（Office 文件的 XML 都是 UTF-8），不予读取",
                                where, "用 Excel、WPS 或 Word 打开后重新保存；请检查文件来源", code="E-FORMAT")
            window = tail + chunk
            if _DECLARATION.search(window):
                raise error(f"{kind}的 {info.filename} 含有 DOCTYPE 或实体声明（XML 炸弹或外部实体），不予读取", where,
                            "正常的 Office 文件不含这些声明；请检查文件来源", code="E-FORMAT")
            # Each structure counted once: a match that ends inside the overlap was counted in the window before.
            for m in _MERGE.finditer(window):
                if m.end() <= len(tail):
                    continue
                merged_ranges += 1
                merged_cells += _area(m.groups())
            for m in _SPAN.finditer(window):
                if m.end() > len(tail) and int(m.group(1)[:12]) > MAX_GRID_SPAN:
                    raise error(f"{kind}中有单元格的跨列数为 {int(m.group(1)[:12])}，超过 Word 表格的上限 {MAX_GRID_SPAN} 列，"
                                "可能是恶意构造", where, "用 Word 或 WPS 打开后重新保存；请检查文件来源", code="E-LIMIT")
            if sheet:   # rows and cells counted before openpyxl builds a single one of them
                rows += _count(_ROW, window, len(tail))
                totals.cells += _count(_CELL, window, len(tail))
                if rows > MAX_SHEET_ROWS:
                    raise error(f"工作表（{info.filename}）超过 {MAX_SHEET_ROWS} 行，超过上限", where,
                                "自评表不会有这么多行；请删除多余的行（可能是格式延伸到了整列）", code="E-LIMIT")
                if totals.cells > MAX_CELLS:
                    raise error(f"{kind}的单元格超过 {MAX_CELLS} 个，超过上限", where,
                                "自评表不会有这么多单元格；请删除多余的行和列后重新保存", code="E-LIMIT")
            if strings:
                shared += _count(_SHARED, window, len(tail))
                if shared > MAX_SHARED_STRINGS:
                    raise error(f"{kind}的共享文字超过 {MAX_SHARED_STRINGS} 条，超过上限", where,
                                "自评表不会有这么多不同的文字；请检查文件来源", code="E-LIMIT")
            if merged_cells > MAX_MERGED_CELLS or merged_ranges > MAX_MERGED_RANGES:
                raise error(f"{kind}中合并单元格过多或过大（{merged_ranges} 处，共 {merged_cells} 个单元格，上限 "
                            f"{MAX_MERGED_RANGES} 处、{MAX_MERGED_CELLS} 个），可能是恶意构造", where,
                            "真实的自评表不会这样合并；请在 Excel 中取消多余的合并后重新保存", code="E-LIMIT")
            tail = window[-_OVERLAP:]


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _area(groups: tuple[bytes | None, ...]) -> int:
    c1, r1, c2, r2 = groups
    if c2 is None or r2 is None or r1 is None:
        return 1
    return (abs(int(r2) - int(r1)) + 1) * (abs(_column(c2) - _column(c1 or b"A")) + 1)


__all__ = ["check_office_file", "zip_has", "PerfrulesError"]
