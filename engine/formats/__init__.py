"""Readers and writers of the files units hold: one layer between a file and the Submission model.

A reader turns a file into a `Document` (data plus where each value came from); nothing downstream knows
which format it came from. YAML and JSON are read by engine.yamlio; Excel workbooks by xlsx.py; Word
reports by docx_import.py. Workbooks are .xlsx, the old binary .xls (and WPS .et, which is the same) and
OpenDocument .ods (grid.py); an old Word .doc is converted through LibreOffice when `soffice` is on PATH,
and a WPS .wps gets a message saying what to do.
"""

from __future__ import annotations

from pathlib import Path as FsPath

from ..errors import Location, error
from ..files import display_path
from ..yamlio import Document, load_file

TEXT_SUFFIXES = (".yaml", ".yml", ".json")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")        # the workbooks perfrules writes, and reads
BINARY_WORKBOOK_SUFFIXES = (".xls", ".et")    # Excel 97–2003 and WPS: read, never written
ODS_SUFFIXES = (".ods",)
WORD_SUFFIXES = (".docx",)
PDF_SUFFIXES = (".pdf",)
OLD_SUFFIXES = (".xls", ".et", ".doc", ".wps")
SUBMISSION_SUFFIXES = TEXT_SUFFIXES + WORKBOOK_SUFFIXES + ODS_SUFFIXES + WORD_SUFFIXES + PDF_SUFFIXES + OLD_SUFFIXES


SAVE_AS_XLSX = "用 Excel、WPS 或 LibreOffice 打开，另存为 .xlsx（Excel 工作簿）后再试"
OFFICE_SUFFIXES = WORKBOOK_SUFFIXES + WORD_SUFFIXES + OLD_SUFFIXES
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff(path: FsPath, name: str) -> str:
    """What a file is by its content, not its name: 'empty', 'xlsx', 'ods', 'docx', 'zip' (another zip), 'ole'
    (an old binary Office file, or an encrypted one), 'pdf' or 'text'. A workbook renamed .xls is read as the
    workbook it is; an empty file is said to be empty, not damaged."""
    from ..files import read_head
    head, size = read_head(path, name)
    if not head:
        return "empty"
    if head.startswith(_ZIP_MAGIC):
        from .safezip import MAX_OFFICE_BYTES
        if path.suffix.lower() in WORKBOOK_SUFFIXES + WORD_SUFFIXES or size > MAX_OFFICE_BYTES:
            return "docx" if path.suffix.lower() in WORD_SUFFIXES else "xlsx"   # the guard reads it and says what it is
        kind = _office_kind(path)
        return "ods" if kind == "zip" and path.suffix.lower() in ODS_SUFFIXES else kind
    if head == _OLE_MAGIC:
        return "ole"
    if head.startswith(b"%PDF-"):
        return "pdf"
    return "text"


def _office_kind(path: FsPath) -> str:
    import zipfile

    from .safezip import DAMAGED_ZIP
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, *DAMAGED_ZIP):
        return "zip"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        try:
            with zipfile.ZipFile(path) as archive:
                mimetype = archive.read("mimetype")[:100]
        except (zipfile.BadZipFile, *DAMAGED_ZIP):
            return "zip"
        if mimetype.strip() == b"application/vnd.oasis.opendocument.spreadsheet":
            return "ods"
    if "word/document.xml" in names:
        return "docx"
    return "zip"


def workbook_kind(path: FsPath, kind: str) -> str | None:
    """Which workbook reader a file takes ('xlsx', 'ods' or 'xls'), from what `sniff` found and its name; None
    for a file that is not a workbook. A file named .xlsx whose content is something else goes to the xlsx
    reader's guard, which says what it is (encrypted, damaged)."""
    suffix = path.suffix.lower()
    if kind in ("xlsx", "ods"):
        return kind
    if kind == "ole" and suffix in BINARY_WORKBOOK_SUFFIXES:
        return "xls"
    if suffix in WORKBOOK_SUFFIXES and kind != "docx":
        return "xlsx"
    return None


def load_document(path: str | FsPath, display_name: str | None = None) -> Document:
    """The document of a submission file, whatever its format (by its content; the name only breaks ties)."""
    p = FsPath(path)
    name = display_name or str(path)
    suffix = p.suffix.lower()
    where = Location(display_path(name))
    kind = sniff(p, name)
    if kind == "empty":
        raise error("文件是空的（0 字节）", where, "请确认选对了文件；如果是从邮件或网页保存的，请重新下载或重新保存",
                    code="E-EMPTY")
    # A workbook or a document by its content, whatever its name; a file named .xlsx / .docx whose content
    # is something else goes to that reader's guard, which says what it is (encrypted, damaged).
    book = workbook_kind(p, kind)
    if book is not None:
        from .xlsx import read_workbook
        return read_workbook(p, name, kind=book)
    if kind == "docx" or suffix in WORD_SUFFIXES:
        from .docx_import import import_document
        return import_document(p, name).document
    if kind == "ole":
        if suffix == ".doc":
            from .docx_import import import_legacy_doc
            return import_legacy_doc(p, name).document
        what = f"{suffix} " if suffix in OLD_SUFFIXES else ""
        raise error(f"这是旧的二进制 Office 格式{('（' + what.strip() + '）') if what else ''}或加密的文件，perfrules 不读取",
                    where, SAVE_AS_XLSX + "；Word 文档另存为 .docx；有密码的请先取消密码", code="E-FORMAT")
    if kind == "pdf":
        from .pdf_import import import_pdf
        return import_pdf(p, name).document
    if kind == "zip":
        raise error("这是一个压缩包，不是 Excel 工作簿或 Word 文档", where, "请解压后提交其中的自评表或报告", code="E-FORMAT")
    if suffix in OFFICE_SUFFIXES:
        raise error(f"文件名是 {suffix}，内容却是文本，不是 Office 文件", where,
                    SAVE_AS_XLSX if suffix not in WORD_SUFFIXES + (".doc", ".wps") else "用 Word 或 WPS 打开后另存为 .docx",
                    code="E-FORMAT")
    return load_file(p, display_name)
