"""Guards for Office files (xlsx, docx), checked before openpyxl or python-docx parse anything.

An Office file is a zip of XML parts. Hostile ones are zip bombs (a few KB that inflate to gigabytes), XML
bombs and external entities (a DOCTYPE declaring entities), and files that are simply truncated or are
another format with the wrong extension (an encrypted workbook and an old .xls are OLE compound files).
Each is refused here with a message that says what to do; nothing is written by hand but these checks
(zipfile and the parsers do the reading).
"""

from __future__ import annotations

import zipfile
from pathlib import Path as FsPath

from ..errors import Location, PerfrulesError, error
from ..files import display_path

MAX_OFFICE_BYTES = 20 * 1024 * 1024          # the file as stored
MAX_UNCOMPRESSED = 100 * 1024 * 1024         # all parts, inflated
MAX_PART = 30 * 1024 * 1024                  # one XML part (a sheet or the document body), inflated
MAX_RATIO = 200                              # inflated / stored, per part
MAX_PARTS = 2_000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # encrypted OOXML, .xls, .doc, .et, .wps
# What zipfile raises on a damaged archive besides BadZipFile: a truncated member (EOFError, OSError), a bad
# header field (ValueError), a compression method it does not implement (NotImplementedError).
DAMAGED_ZIP = (OSError, EOFError, ValueError, NotImplementedError)


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
        if info.filename.endswith((".xml", ".rels", ".vml")):
            with archive.open(info) as part:
                head = part.read(4096)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise error(f"{kind}的 {info.filename} 含有 DOCTYPE 或实体声明（XML 炸弹或外部实体），不予读取", where,
                            "正常的 Office 文件不含这些声明；请检查文件来源", code="E-FORMAT")


def zip_has(path: FsPath, member: str, needle: bytes) -> bool:
    """Whether a member of a zip holds `needle` in its first 64 KB (used to recognise our own outputs)."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as part:
            return needle in part.read(65536)
    except (KeyError, zipfile.BadZipFile, *DAMAGED_ZIP):   # no such member, or not a sound zip: not ours
        return False


__all__ = ["check_office_file", "zip_has", "PerfrulesError"]
